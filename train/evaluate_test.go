package train_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
	"github.com/xent-dev/xent/train"
)

// TestEvaluateEqualsEval trains a tiny model a few steps, saves it, and
// checks that the trainer's held-out loss is the one xent eval reports for
// the saved checkpoint on the same split: the checkpoint loaded with
// modeldir, its BOS from modeldir, the held-out text scored as a document
// with eval's defaults (disjoint windows of the model's context). Both
// run the same code (eval.Evaluator) on the same tokens and weights, and
// the model's kernels give the same bits for every thread count, so the
// two must agree exactly: the tolerance is 0, not float rounding.
func TestEvaluateEqualsEval(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // data.Encode's cache
	text := []byte(strings.Repeat("The Prism of Newton refracts light; 1704 is the year the Opticks appeared. ", 40))
	trainText, heldOut := data.Split(text)
	tok, err := tokenizer.Train([][]byte{trainText}, tokenizer.TrainOptions{VocabSize: 300, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: tok.VocabSize(), HiddenSize: 16, IntermediateSize: 32,
		NumHiddenLayers: 1, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 16, TieWordEmbeddings: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := data.Encode(tok, trainText)
	if err != nil {
		t.Fatal(err)
	}
	s := train.Settings{Batch: 2, Context: 16, GradAccum: 1, Steps: 4,
		Optim: train.Optim{LR: 1e-2, Warmup: 1, Schedule: "cosine", MinLRRatio: 0.1, WeightDecay: 0.1, Beta2: 0.99, ClipNorm: 1}, LabelSmoothing: 0.1, ZLoss: 1e-4, Seed: 3, Threads: 2}
	tr, err := train.NewTrainer(m, ids, s)
	if err != nil {
		t.Fatal(err)
	}
	for range s.Steps {
		if _, err := tr.Next(); err != nil {
			t.Fatal(err)
		}
	}
	held, err := data.Encode(tok, heldOut)
	if err != nil {
		t.Fatal(err)
	}
	bos, err := modeldir.TokenizerBOS(tok)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.Evaluate(context.Background(), train.HeldOut{Tokens: held, BOS: bos, Tokenizer: tok})
	if err != nil {
		t.Fatal(err)
	}
	if got.Tokens < 2*s.Context || got.Tokens != got.TokensAvailable {
		t.Fatalf("the trainer scored %d of %d tokens; the test needs several whole windows", got.Tokens, got.TokensAvailable)
	}

	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := train.SaveCheckpoint(dir, train.Checkpoint{Trainer: tr, Tokenizer: tok}); err != nil {
		t.Fatal(err)
	}
	p, err := modeldir.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	pbos, err := p.BOS()
	if err != nil {
		t.Fatal(err)
	}
	e, err := eval.New(p.Model, p.Tokenizer, pbos, eval.Options{}) // xent eval's defaults
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Document(context.Background(), "held-out", bytes.NewReader(heldOut), nil); err != nil {
		t.Fatal(err)
	}
	want := e.Report()
	if got.Loss != want.MeanNLL || got.BPB != want.BPB || int64(got.Tokens) != want.Tokens || got.Perplexity != want.PPL {
		t.Errorf("trainer: loss %.17g, bits/byte %.17g over %d tokens; xent eval on the checkpoint: %.17g, %.17g over %d",
			got.Loss, got.BPB, got.Tokens, want.MeanNLL, want.BPB, want.Tokens)
	}
}
