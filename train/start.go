package train

import (
	"fmt"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
)

// Start is where a training run starts: the checkpoint in Resume,
// continued; the weights and tokenizer of the model directory InitFrom;
// or else a new model of the given shape (model.SmallConfig) with the
// tokenizer Corpus names or trains.
type Start struct {
	// Corpus is the text to train on and hold out (data.Prepare); its
	// Tokenizer and VocabSize serve a new model only.
	Corpus data.PrepareOptions
	Resume string
	Steps  int // with Resume: a new total of steps (0: the checkpoint's)
	// InitFrom is a model (an xent checkpoint, a Hugging Face directory
	// of any family package model knows, or a GGUF file, dequantized)
	// whose weights and tokenizer to train on.
	InitFrom string
	// Arch, Width, Layers and Heads shape a new model; its context is
	// Settings.Context.
	Arch                 string
	Width, Layers, Heads int
	// Settings are a new run's; a resumed one keeps its checkpoint's.
	Settings Settings
}

// Begin builds the trainer s describes over its corpus, prepared with the
// model's tokenizer, and returns it as a Checkpoint (with the resumed
// run's metrics, if any) ready for Run.
func Begin(s Start) (Checkpoint, error) {
	if s.Resume != "" {
		return LoadCheckpoint(s.Resume, s.Corpus.Source, s.Steps)
	}
	var m *model.Model
	o := s.Corpus
	if s.InitFrom != "" {
		p, err := modeldir.Load(s.InitFrom)
		if err != nil {
			return Checkpoint{}, err
		}
		m, o.Tokenizer = p.Model, p.Tokenizer
	} else if _, err := model.SmallConfig(s.Arch, 0, 0, 0, 0, 0); err != nil {
		return Checkpoint{}, fmt.Errorf("train: %w", err) // before a tokenizer is trained
	}
	corpus, err := data.Prepare(o)
	if err != nil {
		return Checkpoint{}, err
	}
	var t *Trainer
	if m == nil {
		t, err = s.New(corpus)
	} else {
		t, err = NewTrainer(m, corpus.TrainTokens, s.Settings)
	}
	if err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{Trainer: t, Tokenizer: corpus.Tokenizer, Corpus: corpus}, nil
}

// New is a new run over a corpus already prepared: a model of s's shape
// (model.SmallConfig, its weights seeded by s.Settings.Seed, its
// vocabulary the corpus tokenizer's) and its trainer over the corpus's
// training tokens. Resume and InitFrom play no part. Runs that differ in
// their settings alone (a study's) share one corpus this way.
func (s Start) New(corpus *data.Corpus) (*Trainer, error) {
	cfg, err := model.SmallConfig(s.Arch, corpus.Tokenizer.VocabSize(), s.Width, s.Layers, s.Heads, s.Settings.Context)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	m, err := model.New(cfg, s.Settings.Seed)
	if err != nil {
		return nil, err
	}
	return NewTrainer(m, corpus.TrainTokens, s.Settings)
}
