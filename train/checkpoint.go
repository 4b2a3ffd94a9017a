package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xent-dev/xent/data"
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
	Corpus    *data.Corpus      // LoadCheckpoint: the source prepared with the checkpoint's tokenizer
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
// the training split of src, prepared with the checkpoint's tokenizer
// (data.Prepare; Checkpoint.Corpus), positioned to continue exactly where
// it stopped. steps > 0 sets a new total of steps (the
// schedule stretches to it); 0 keeps the saved one. Every file is checked
// before training text is read: the step within [0, steps], the random
// generators' states, the optimizer's moments (one per parameter, finite,
// second moments not negative) and its step (the same as the state's); an
// error names the file and the field at fault.
func LoadCheckpoint(dir string, src data.Source, steps int) (Checkpoint, error) {
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
	if steps > 0 {
		settings.Steps = steps
	}
	st, err := readState(filepath.Join(dir, stateFile), settings, steps > 0)
	if err != nil {
		return Checkpoint{}, err
	}
	m, tok := p.Model, p.Tokenizer
	moments, err := readMoments(filepath.Join(dir, optimizerFile), len(m.ParamBuffer()), st.Step)
	if err != nil {
		return Checkpoint{}, err
	}
	metrics, err := readLines(filepath.Join(dir, metricsFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Checkpoint{}, err
	}
	corpus, err := data.Prepare(data.PrepareOptions{Source: src, Tokenizer: tok})
	if err != nil {
		return Checkpoint{}, err
	}
	t, err := NewTrainer(m, corpus.TrainTokens, settings)
	if err != nil {
		return Checkpoint{}, err
	}
	copy(t.Opt.M, moments[0])
	copy(t.Opt.V, moments[1])
	t.Opt.Step = st.Step
	if err := t.batches.Restore(st.Batches); err != nil {
		return Checkpoint{}, fmt.Errorf("train: %s: batches: %w", filepath.Join(dir, stateFile), err)
	}
	if t.ssSrc != nil {
		if err := t.ssSrc.UnmarshalBinary(st.SSDraws); err != nil {
			return Checkpoint{}, fmt.Errorf("train: %s: ss_draws (the scheduled-sampling state): %w", filepath.Join(dir, stateFile), err)
		}
	}
	t.Step = st.Step
	return Checkpoint{Trainer: t, Tokenizer: tok, Metrics: metrics, Corpus: corpus}, nil
}

// readState reads and checks state.json against the run's settings (whose
// Steps a resume may have changed: asked).
func readState(path string, s Settings, asked bool) (state, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return state{}, fmt.Errorf("train: %w", err)
	}
	var st struct {
		Step    *int   `json:"step"`
		Batches []byte `json:"batches"`
		SSDraws []byte `json:"ss_draws"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return state{}, fmt.Errorf("train: %s: %w", path, err)
	}
	if dec.More() {
		return state{}, fmt.Errorf("train: %s: data after the JSON object", path)
	}
	switch {
	case st.Step == nil:
		return state{}, fmt.Errorf("train: %s has no step", path)
	case *st.Step < 0:
		return state{}, fmt.Errorf("train: %s: step %d is negative", path, *st.Step)
	case *st.Step > s.Steps && asked:
		return state{}, fmt.Errorf("train: %s: the checkpoint is at step %d, past the %d steps asked for; ask for more", path, *st.Step, s.Steps)
	case *st.Step > s.Steps:
		return state{}, fmt.Errorf("train: %s: step %d is past the run's %d steps", path, *st.Step, s.Steps)
	}
	if err := new(rand.PCG).UnmarshalBinary(st.Batches); err != nil {
		return state{}, fmt.Errorf("train: %s: batches is not a random generator's state: %w", path, err)
	}
	if s.ScheduledSampling != "" {
		if err := new(rand.PCG).UnmarshalBinary(st.SSDraws); err != nil {
			return state{}, fmt.Errorf("train: %s: ss_draws is not a random generator's state, and the run uses scheduled sampling: %w", path, err)
		}
	}
	return state{Step: *st.Step, Batches: st.Batches, SSDraws: st.SSDraws}, nil
}

// readMoments reads AdamW's first and second moments from the optimizer
// file and checks them: n values each, finite, the second not negative, and
// the optimizer's step equal to the state's.
func readMoments(path string, n, step int) ([2][]float32, error) {
	var out [2][]float32
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return out, fmt.Errorf("train: %w", err)
	}
	if got := f.Metadata["step"]; got != strconv.Itoa(step) {
		return out, fmt.Errorf("train: %s: step %q in the metadata, and %s says %d", path, got, stateFile, step)
	}
	for i, name := range []string{"exp_avg", "exp_avg_sq"} {
		ts, ok := f.Tensor(name)
		if !ok {
			return out, fmt.Errorf("train: %s has no tensor %s", path, name)
		}
		if len(ts.Shape) != 1 || ts.Shape[0] != n {
			return out, fmt.Errorf("train: %s: tensor %s has shape %v, the model has %d parameters", path, name, ts.Shape, n)
		}
		vals, err := ts.Float32s()
		if err != nil {
			return out, fmt.Errorf("train: %s: tensor %s: %w", path, name, err)
		}
		for k, v := range vals {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || (i == 1 && v < 0) {
				return out, fmt.Errorf("train: %s: tensor %s holds %g at %d", path, name, v, k)
			}
		}
		out[i] = vals
	}
	return out, nil
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
