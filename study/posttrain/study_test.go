package posttrain

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
	"github.com/xent-dev/xent/tune"
)

// tinyBase is a small untrained Llama over a BPE of the corpus, saved as
// a model directory.
func tinyBase(t *testing.T) string {
	t.Helper()
	text, err := data.Builtin("opticks")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Train([][]byte{text[:50000]}, tokenizer.TrainOptions{VocabSize: 320, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: tok.VocabSize(), HiddenSize: 16, IntermediateSize: 32,
		NumHiddenLayers: 1, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 160, TieWordEmbeddings: true}, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "base")
	if err := modeldir.Save(dir, m, tok, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStudyRunsEveryMethod(t *testing.T) {
	dir := tinyBase(t)
	load := func() (*modeldir.Pretrained, error) { return modeldir.Load(dir) }
	base, err := load()
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions
	o.Steps, o.Batch, o.LogEvery = 2, 4, 1
	var logs bytes.Buffer
	res, err := Run(o, Methods, base, load, &logs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(Methods) || res.TrainPairs < 100 || res.HeldOutPairs < 30 || res.TextTokens < 1000 {
		t.Fatalf("result %+v", res)
	}
	for _, r := range res.Rows {
		if !(r.PairAccuracy >= 0 && r.PairAccuracy <= 1) || !(r.KLPolicyBase > 0) || !(r.StepMS > 0) || !(r.Perplexity > 0) {
			t.Errorf("row %+v", r)
		}
	}
	if res.Rows[1].Reference != "model" || res.Rows[2].Reference != "precomputed" || res.Rows[4].Reference != "none" {
		t.Errorf("references %q %q %q", res.Rows[1].Reference, res.Rows[2].Reference, res.Rows[4].Reference)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, res); err != nil {
		t.Fatal(err)
	}
	if strings.Count(table.String(), "\n| ") != len(Methods)+1 || !strings.Contains(logs.String(), "DPO step 2/2") {
		t.Errorf("table:\n%s\nlogs:\n%s", table.String(), logs.String())
	}
}

// TestPairsNeverCrossTheSplit: no sentence is both trained and scored on,
// and the written pairs read back as xent tune data.
func TestPairsNeverCrossTheSplit(t *testing.T) {
	dir := tinyBase(t)
	base, err := modeldir.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := PrepareData(DefaultOptions, base)
	if err != nil {
		t.Fatal(err)
	}
	train := map[string]bool{}
	for _, p := range d.TrainPairs {
		train[p.Chosen] = true
	}
	for _, p := range d.HeldOutPairs {
		if train[p.Chosen] && len(p.Chosen) > 60 {
			t.Errorf("held-out sentence %q is also a training sentence", p.Chosen)
		}
	}
	out := t.TempDir()
	if err := WritePairs(out, d); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(out, "heldout.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := tune.ReadExamples(f, tune.PairFormat)
	if err != nil || len(ex) != len(d.HeldOutPairs) {
		t.Fatalf("%d examples read back, want %d: %v", len(ex), len(d.HeldOutPairs), err)
	}
}
