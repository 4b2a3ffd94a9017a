package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
)

// A checkpoint is a directory:
//
//	config.json          the model's Hugging Face config, plus "xent": the Settings
//	model.safetensors    the weights, Hugging Face naming
//	tokenizer.json       the tokenizer, Hugging Face format
//	token_counts.npy     how often each token occurs in the training text
//	optimizer.safetensors AdamW's moments
//	state.json           the step and the batch generator's state
//	metrics.jsonl        every step's and evaluation's numbers
//	loss.svg             the loss curve
//
// It is written whole into a fresh directory beside the target, which then
// takes the target's place atomically (modeldir.Replace): a crash or a full
// disk leaves the previous checkpoint intact, and no save replaces a
// directory holding files xent did not write.
// The first three and token_counts.npy are a model directory
// (package modeldir), so a checkpoint loads wherever a model does.
const (
	optimizerFile = modeldir.OptimizerFile
	stateFile     = modeldir.StateFile
	metricsFile   = modeldir.MetricsFile
	plotFile      = modeldir.PlotFile
)

// state is what resuming needs beyond the weights and moments.
type state struct {
	Step    int    `json:"step"`
	Batches []byte `json:"batches"` // the batch generator's PCG state
	// SSDraws is the scheduled-sampling generator's PCG state (runs with
	// scheduled sampling only).
	SSDraws []byte `json:"ss_draws,omitempty"`
}

// Checkpoint is what SaveCheckpoint writes and LoadCheckpoint reads.
type Checkpoint struct {
	Trainer   *Trainer
	Tokenizer *tokenizer.Tokenizer
	Metrics   []json.RawMessage // one line each
	Tokens    []int32           // LoadCheckpoint: the training text in the checkpoint's tokens
}

// SaveCheckpoint writes the checkpoint directory dir atomically.
func SaveCheckpoint(dir string, c Checkpoint) error {
	t := c.Trainer
	batches, err := t.batches.State()
	if err != nil {
		return err
	}
	st := state{Step: t.Step, Batches: batches}
	if t.ssSrc != nil {
		if st.SSDraws, err = t.ssSrc.MarshalBinary(); err != nil {
			return err
		}
	}
	stJSON, _ := json.Marshal(st)
	var metrics []byte
	for _, m := range c.Metrics {
		metrics = append(append(metrics, m...), '\n')
	}
	err = modeldir.Replace(dir, func(tmp string) error {
		steps := []func() error{
			func() error {
				return modeldir.WriteFiles(tmp, t.Model, c.Tokenizer, map[string]any{"xent": t.Settings})
			},
			func() error {
				return safetensors.WriteFile(filepath.Join(tmp, optimizerFile), []safetensors.Tensor{
					safetensors.FromFloat32("exp_avg", []int{len(t.Opt.M)}, t.Opt.M),
					safetensors.FromFloat32("exp_avg_sq", []int{len(t.Opt.V)}, t.Opt.V),
				}, map[string]string{"step": strconv.Itoa(t.Opt.Step)})
			},
			func() error { return atomicfile.WriteBytes(filepath.Join(tmp, stateFile), stJSON) },
			func() error { return atomicfile.WriteBytes(filepath.Join(tmp, metricsFile), metrics) },
			func() error { return plotLoss(filepath.Join(tmp, plotFile), c.Metrics) },
			func() error {
				return modeldir.WriteTokenCounts(filepath.Join(tmp, modeldir.CountsFile), t.TokenCounts())
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", dir, err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint directory and rebuilds its trainer over
// trainText, tokenized by the checkpoint's tokenizer, positioned to continue
// exactly where it stopped. steps > 0 sets a new total of steps (the
// schedule stretches to it); 0 keeps the saved one.
func LoadCheckpoint(dir string, trainText []byte, steps int) (Checkpoint, error) {
	p, err := modeldir.Load(dir)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("train: %w", err)
	}
	var settings Settings
	if p.Settings == nil {
		return Checkpoint{}, fmt.Errorf("train: %s has no xent training settings: not an xent checkpoint", filepath.Join(dir, modeldir.ConfigFile))
	}
	if err := json.Unmarshal(p.Settings, &settings); err != nil {
		return Checkpoint{}, fmt.Errorf("train: %s: training settings: %w", filepath.Join(dir, modeldir.ConfigFile), err)
	}
	m, tok := p.Model, p.Tokenizer
	tokens, err := Tokens(tok, trainText)
	if err != nil {
		return Checkpoint{}, err
	}
	if steps > 0 {
		settings.Steps = steps
	}
	t, err := NewTrainer(m, tokens, settings)
	if err != nil {
		return Checkpoint{}, err
	}
	opt, err := safetensors.ReadFile(filepath.Join(dir, optimizerFile))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("train: %w", err)
	}
	for name, dst := range map[string][]float32{"exp_avg": t.Opt.M, "exp_avg_sq": t.Opt.V} {
		ts, ok := opt.Tensor(name)
		if !ok {
			return Checkpoint{}, fmt.Errorf("train: %s has no tensor %s", filepath.Join(dir, optimizerFile), name)
		}
		vals, err := ts.Float32s()
		if err != nil || len(vals) != len(dst) {
			return Checkpoint{}, fmt.Errorf("train: %s: tensor %s holds %d values for %d parameters (%v)", filepath.Join(dir, optimizerFile), name, len(vals), len(dst), err)
		}
		copy(dst, vals)
	}
	if t.Opt.Step, err = strconv.Atoi(opt.Metadata["step"]); err != nil {
		return Checkpoint{}, fmt.Errorf("train: %s: bad step %q", filepath.Join(dir, optimizerFile), opt.Metadata["step"])
	}
	var st state
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("train: %w", err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return Checkpoint{}, fmt.Errorf("train: %s: %w", filepath.Join(dir, stateFile), err)
	}
	if err := t.batches.Restore(st.Batches); err != nil {
		return Checkpoint{}, fmt.Errorf("train: %s: batch state: %w", filepath.Join(dir, stateFile), err)
	}
	if t.ssSrc != nil {
		if err := t.ssSrc.UnmarshalBinary(st.SSDraws); err != nil {
			return Checkpoint{}, fmt.Errorf("train: %s: scheduled-sampling state: %w", filepath.Join(dir, stateFile), err)
		}
	}
	t.Step = st.Step
	metrics, err := readLines(filepath.Join(dir, metricsFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Checkpoint{}, err
	}
	return Checkpoint{Trainer: t, Tokenizer: tok, Metrics: metrics, Tokens: tokens}, nil
}

func readLines(path string) ([]json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	var out []json.RawMessage
	for {
		var m json.RawMessage
		if err := dec.Decode(&m); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("train: %s: %w", path, err)
		}
		out = append(out, m)
	}
}
