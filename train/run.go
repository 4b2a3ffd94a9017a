package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
)

// DefaultEvalTokens is the held-out tokens an evaluation scores at most
// unless told otherwise: all of a small corpus's held-out split (Opticks
// holds out about 18,000), a bounded sample of a large one's (the Go
// source's 5.6 million would take longer than the training).
const DefaultEvalTokens = 65536

// RunOptions is a training run around a Trainer: its evaluations, saves
// and reports.
type RunOptions struct {
	Trainer   *Trainer
	Tokenizer *tokenizer.Tokenizer // saved with every checkpoint
	// HeldOut is what every evaluation scores (Trainer.Evaluate); its
	// MaxTokens caps each evaluation at the split's first tokens.
	HeldOut HeldOut
	// Out is the checkpoint directory, written at every SaveEvery-th step
	// (0: only at the end), at the end, and when the run stops early. Empty:
	// nothing is saved.
	Out       string
	SaveEvery int
	// Metrics are the metrics.jsonl lines of the run so far (a resumed
	// checkpoint's); Run appends every step and evaluation to them.
	Metrics []json.RawMessage

	// OnStep is called after every optimizer step; OnEval after every
	// evaluation, the final one included. Either may be nil.
	OnStep func(StepStats, Progress)
	OnEval func(Eval)
}

// Progress is where a run stands after a step.
type Progress struct {
	Step, Steps int           // completed steps, and the run's total
	Elapsed     time.Duration // since Run started
	StepTime    time.Duration // the mean of the steps run by this call
	TokensPerS  float64       // training tokens per second, by this call
}

// Result is a finished run.
type Result struct {
	Steps      int           // steps run by this call (not counting a resumed checkpoint's)
	Elapsed    time.Duration // training time, evaluations excluded
	TokensPerS float64       // training tokens per second
	Final      Eval          // the evaluation after the last step
	Metrics    []json.RawMessage
}

// ErrInterrupted is returned (wrapped, with the step and the checkpoint)
// when Run's context is cancelled.
var ErrInterrupted = errors.New("interrupted")

// Run trains o.Trainer to its last step, after checking that Out's disk has
// room for its checkpoints: steps, evaluations every
// Settings.EvalEvery steps, checkpoints every SaveEvery steps, then a final
// evaluation and checkpoint. Metrics (every step and evaluation) go to the
// checkpoint's metrics.jsonl.
//
// When ctx is cancelled Run stops after the step in progress, saves a
// checkpoint (which resumes exactly there) and returns an error wrapping
// ErrInterrupted and naming the step and where it saved. A step that fails
// (a non-finite loss) leaves the weights of the step before it, which are
// saved too.
func Run(ctx context.Context, o RunOptions) (Result, error) {
	t := o.Trainer
	s := t.Settings
	if o.SaveEvery < 0 || o.HeldOut.MaxTokens < 0 {
		return Result{}, fmt.Errorf("train: save interval %d and evaluation cap %d must be ≥ 0", o.SaveEvery, o.HeldOut.MaxTokens)
	}
	if len(o.HeldOut.Tokens) == 0 {
		return Result{}, fmt.Errorf("train: no held-out tokens to evaluate on")
	}
	if o.Out != "" {
		// A save holds the previous checkpoint until it ends: room for one
		// more checkpoint, or two when Out starts empty and is saved to again.
		need := checkpointBytes(t)
		if _, err := os.Stat(o.Out); err != nil && o.SaveEvery > 0 {
			need *= 2
		}
		if err := modeldir.CheckSpace(o.Out, need); err != nil {
			return Result{}, fmt.Errorf("train: %s: %w", o.Out, err)
		}
	}
	r := Result{Metrics: o.Metrics}
	add := func(v any) {
		b, _ := json.Marshal(v)
		r.Metrics = append(r.Metrics, b)
	}
	lastSaved := -1 // the step of this run's last checkpoint
	save := func() error {
		if o.Out == "" {
			return nil
		}
		err := SaveCheckpoint(o.Out, Checkpoint{Trainer: t, Tokenizer: o.Tokenizer, Metrics: r.Metrics})
		if err == nil {
			lastSaved = t.Step
			return nil
		}
		// A failed save leaves what was in Out before it intact.
		if lastSaved >= 0 {
			return fmt.Errorf("%w; %s still holds the checkpoint of step %d", err, o.Out, lastSaved)
		}
		return fmt.Errorf("%w; %s is as it was before this run", err, o.Out)
	}
	evaluate := func() (Eval, error) {
		// An evaluation is not cut short by ctx: the step it follows is
		// done, and its result goes into the checkpoint.
		ev, err := t.Evaluate(context.WithoutCancel(ctx), o.HeldOut)
		if err != nil {
			return Eval{}, err
		}
		add(ev)
		if o.OnEval != nil {
			o.OnEval(ev)
		}
		return ev, nil
	}
	// stopped saves the last good weights after err and says where.
	stopped := func(err error) (Result, error) {
		if o.Out == "" {
			return r, err
		}
		if saveErr := save(); saveErr != nil {
			return r, fmt.Errorf("%w; and saving its checkpoint failed: %w", err, saveErr)
		}
		return r, fmt.Errorf("%w; the checkpoint in %s resumes at step %d", err, o.Out, t.Step)
	}
	tokensPerStep := s.Batch * s.Context * s.GradAccum
	start := time.Now()
	var evalTime time.Duration
	for t.Step < s.Steps {
		if ctx.Err() != nil {
			r.Elapsed = time.Since(start) - evalTime
			return stopped(fmt.Errorf("train: %w at step %d of %d", ErrInterrupted, t.Step, s.Steps))
		}
		st, err := t.Next()
		if err != nil {
			return stopped(err)
		}
		r.Steps++
		r.Elapsed = time.Since(start) - evalTime
		add(st)
		if o.OnStep != nil {
			o.OnStep(st, Progress{Step: t.Step, Steps: s.Steps, Elapsed: time.Since(start),
				StepTime: r.Elapsed / time.Duration(r.Steps), TokensPerS: float64(r.Steps*tokensPerStep) / r.Elapsed.Seconds()})
		}
		if s.EvalEvery > 0 && t.Step%s.EvalEvery == 0 && t.Step < s.Steps {
			evalStart := time.Now()
			if _, err := evaluate(); err != nil {
				return stopped(err)
			}
			evalTime += time.Since(evalStart)
		}
		if o.SaveEvery > 0 && t.Step%o.SaveEvery == 0 && t.Step < s.Steps {
			if err := save(); err != nil {
				return r, err
			}
		}
	}
	if r.Steps > 0 {
		r.TokensPerS = float64(r.Steps*tokensPerStep) / r.Elapsed.Seconds()
	}
	var err error
	if r.Final, err = evaluate(); err != nil {
		return stopped(err)
	}
	return r, save()
}

// checkpointBytes estimates the size of t's checkpoint on disk: the
// weights and AdamW's two moments (float32 each), the token counts, the
// tokenizer, and a line of metrics per step, with a margin.
func checkpointBytes(t *Trainer) int64 {
	n, v := int64(len(t.Model.ParamBuffer())), int64(t.Model.VocabSize())
	return 3*4*n + 8*v + 64*v + 256*int64(t.Settings.Steps) + 1<<20
}
