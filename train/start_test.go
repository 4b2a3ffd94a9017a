package train

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
)

// Begin starts a new model of a shape on a trained BPE, another from its
// saved weights (InitFrom), and resumes its checkpoint.
func TestBegin(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	_, _, s := tinySetup(t)
	s.Steps = 2
	src := tinySource(t)
	start := Start{Corpus: data.PrepareOptions{Source: src, VocabSize: 300}, Arch: "gpt2", Width: 16, Layers: 1, Heads: 2, Settings: s}
	c, err := Begin(start)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := c.Trainer.Model.Config; cfg.ModelType != "gpt2" || cfg.NEmbd != 16 || c.Trainer.Model.MaxSeqLen() != s.Context {
		t.Errorf("new model %+v", cfg)
	}
	if c.Corpus == nil || c.Tokenizer != c.Corpus.Tokenizer || len(c.Corpus.TrainTokens) == 0 {
		t.Fatalf("the corpus is not prepared with the model's tokenizer")
	}
	for range 2 {
		if _, err := c.Trainer.Next(); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := SaveCheckpoint(dir, c); err != nil {
		t.Fatal(err)
	}
	init := start
	init.InitFrom, init.Arch = dir, "" // the shape is the directory's
	from, err := Begin(init)
	if err != nil {
		t.Fatal(err)
	}
	if from.Trainer.Step != 0 || !slices.Equal(from.Trainer.Model.ParamBuffer(), c.Trainer.Model.ParamBuffer()) {
		t.Errorf("--init-from: step %d, weights equal %v; want step 0 and the saved weights", from.Trainer.Step, slices.Equal(from.Trainer.Model.ParamBuffer(), c.Trainer.Model.ParamBuffer()))
	}
	resume := Start{Corpus: data.PrepareOptions{Source: src}, Resume: dir, Steps: 5}
	r, err := Begin(resume)
	if err != nil {
		t.Fatal(err)
	}
	if r.Trainer.Step != 2 || r.Trainer.Settings.Steps != 5 {
		t.Errorf("resumed at step %d of %d, want 2 of 5", r.Trainer.Step, r.Trainer.Settings.Steps)
	}
	bad := start
	bad.Arch = "rnn"
	if _, err := Begin(bad); err == nil || !strings.Contains(err.Error(), "rnn") {
		t.Errorf("unknown architecture: %v", err)
	}
}
