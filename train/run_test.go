package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/modeldir"
)

// A run cancelled after step k saves a checkpoint that resumes at k, says
// so, and the resumed run continues the uninterrupted one's losses,
// counting only its own steps.
func TestRunInterruptedResumes(t *testing.T) {
	tok, ids, s := tinySetup(t)
	src := tinySource(t)
	c, err := data.Prepare(data.PrepareOptions{Source: src, Tokenizer: tok})
	if err != nil {
		t.Fatal(err)
	}
	bos, err := modeldir.TokenizerBOS(tok)
	if err != nil {
		t.Fatal(err)
	}
	run := func(tr *Trainer, out string, ctx context.Context, onStep func(StepStats)) (Result, []float64, error) {
		var losses []float64
		r, err := Run(ctx, RunOptions{Trainer: tr, Tokenizer: tok, HeldOut: HeldOut{Tokens: c.HeldOutTokens, BOS: bos, Tokenizer: tok}, Out: out,
			OnStep: func(st StepStats, _ Progress) {
				losses = append(losses, st.Loss)
				if onStep != nil {
					onStep(st)
				}
			}})
		return r, losses, err
	}
	straight, err := NewTrainer(tinyModel(t, tok.VocabSize(), s.Seed), ids, s)
	if err != nil {
		t.Fatal(err)
	}
	full, want, err := run(straight, "", context.Background(), nil)
	if err != nil || full.Steps != s.Steps {
		t.Fatalf("uninterrupted: %d steps, %v", full.Steps, err)
	}

	const k = 3
	out := filepath.Join(t.TempDir(), "ckpt")
	first, err := NewTrainer(tinyModel(t, tok.VocabSize(), s.Seed), ids, s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, _, err := run(first, out, ctx, func(st StepStats) {
		if st.Step == k {
			cancel() // as the first Ctrl-C does
		}
	})
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), out) || r.Steps != k {
		t.Fatalf("cancelled after step %d: %d steps, error %v; want ErrInterrupted naming %s", k, r.Steps, err, out)
	}
	resumed, err := LoadCheckpoint(out, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Trainer.Step != k || len(resumed.Metrics) != k {
		t.Fatalf("the checkpoint resumes at step %d with %d metric lines; want %d and %d", resumed.Trainer.Step, len(resumed.Metrics), k, k)
	}
	rest, got, err := run(resumed.Trainer, out, context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rest.Steps != s.Steps-k {
		t.Errorf("the resumed run reports %d steps; it ran %d", rest.Steps, s.Steps-k)
	}
	for i, l := range got {
		if l != want[k+i] {
			t.Fatalf("step %d: resumed loss %v, uninterrupted %v", k+i+1, l, want[k+i])
		}
	}
	if rest.Final != full.Final {
		t.Errorf("final evaluation %+v, uninterrupted %+v", rest.Final, full.Final)
	}
}

// EvalTokens caps every evaluation at the first tokens of the held-out
// split, and the evaluation says how many of how many it scored.
func TestRunEvalTokens(t *testing.T) {
	tok, ids, s := tinySetup(t)
	c, err := data.Prepare(data.PrepareOptions{Source: tinySource(t), Tokenizer: tok})
	if err != nil {
		t.Fatal(err)
	}
	s.Steps, s.EvalEvery = 2, 1
	tr, err := NewTrainer(tinyModel(t, tok.VocabSize(), s.Seed), ids, s)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 20
	if len(c.HeldOutTokens) <= limit+1 {
		t.Fatalf("only %d held-out tokens", len(c.HeldOutTokens))
	}
	bos, err := modeldir.TokenizerBOS(tok)
	if err != nil {
		t.Fatal(err)
	}
	var evals []Eval
	r, err := Run(context.Background(), RunOptions{Trainer: tr, Tokenizer: tok, HeldOut: HeldOut{Tokens: c.HeldOutTokens, BOS: bos, Tokenizer: tok, MaxTokens: limit},
		OnEval: func(ev Eval) { evals = append(evals, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(evals) != 2 || r.Final != evals[1] {
		t.Fatalf("%d evaluations (want one periodic and the final), final %+v", len(evals), r.Final)
	}
	text, _ := tok.Decode(c.HeldOutTokens[:limit])
	for _, ev := range evals {
		if ev.Tokens != limit || ev.TokensAvailable != len(c.HeldOutTokens) || ev.Bytes != len(text) {
			t.Errorf("step %d: scored %d of %d tokens, %d bytes; want %d of %d, %d bytes", ev.Step, ev.Tokens, ev.TokensAvailable, ev.Bytes, limit, len(c.HeldOutTokens), len(text))
		}
	}
}

// When the final save fails, the error says which checkpoint is left:
// the last periodic one, whole.
func TestRunFinalSaveFails(t *testing.T) {
	tok, ids, s := tinySetup(t)
	c, err := data.Prepare(data.PrepareOptions{Source: tinySource(t), Tokenizer: tok})
	if err != nil {
		t.Fatal(err)
	}
	bos, err := modeldir.TokenizerBOS(tok)
	if err != nil {
		t.Fatal(err)
	}
	s.Steps = 3
	tr, err := NewTrainer(tinyModel(t, tok.VocabSize(), s.Seed), ids, s)
	if err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(t.TempDir(), "runs")
	out := filepath.Join(parent, "ckpt")
	aside := parent + ".aside"
	_, err = Run(context.Background(), RunOptions{Trainer: tr, Tokenizer: tok, HeldOut: HeldOut{Tokens: c.HeldOutTokens, BOS: bos, Tokenizer: tok},
		Out: out, SaveEvery: 2,
		OnStep: func(st StepStats, _ Progress) {
			if st.Step == 3 { // after the save of step 2: the final save cannot write beside out
				os.Rename(parent, aside)
				os.WriteFile(parent, nil, 0o644)
			}
		}})
	if err == nil || !strings.Contains(err.Error(), out+" still holds the checkpoint of step 2") {
		t.Fatalf("the final save over a broken path: %v; want it to name the checkpoint of step 2", err)
	}
	os.Remove(parent)
	os.Rename(aside, parent)
	if got, err := LoadCheckpoint(out, tinySource(t), 0); err != nil || got.Trainer.Step != 2 {
		t.Errorf("the periodic checkpoint: %v", err)
	}
}
