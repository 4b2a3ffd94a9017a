package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/loss/emulate"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// Settings are the training hyper-parameters; they are saved with every
// checkpoint (config.json, "xent" field) so a run can resume.
type Settings struct {
	Batch          int     `json:"batch"`      // sequences per micro-batch, B
	Context        int     `json:"context"`    // tokens per sequence, T
	GradAccum      int     `json:"grad_accum"` // micro-batches per optimizer step
	Steps          int     `json:"steps"`      // optimizer steps
	Optim                  // AdamW and the schedule (its fields are at the top level of the JSON)
	LabelSmoothing float32 `json:"label_smoothing"` // ε of the loss
	ZLoss          float32 `json:"z_loss"`          // z-loss coefficient
	Seed           uint64  `json:"seed"`            // initial weights and batch order
	EvalEvery      int     `json:"eval_every"`      // steps between validations (0: only at the end)
	Threads        int     `json:"threads"`         // 0: GOMAXPROCS

	// LossFormat "bf16" or "f16" computes the loss and its gradient with
	// respect to the logits in that format's arithmetic, emulated
	// (loss.Options.Emulate), the exponentials summed pairwise or, with
	// LossSum "sequential", left to right; "" is float32.
	LossFormat string `json:"loss_format,omitempty"`
	LossSum    string `json:"loss_sum,omitempty"`

	// Compute "bf16" trains in mixed precision (model.SetMixedBF16): the
	// transformer blocks' and the output head's matrix products in
	// bfloat16, added in float32, over a bfloat16 copy of the weights
	// rounded before every step; the weights themselves, the optimizer's
	// state, the logits, the loss and everything else stay float32. The
	// held-out evaluations run after the step, in float32. "" (or "f32")
	// is float32 throughout.
	Compute string `json:"compute,omitempty"`

	// Scheduled sampling (scheduled.go): "" (off), linear, exponential or
	// inverse-sigmoid, and the parameters of its decay.
	ScheduledSampling string  `json:"scheduled_sampling,omitempty"`
	SSK               float64 `json:"ss_k,omitempty"`   // k of the schedule
	SSC               float64 `json:"ss_c,omitempty"`   // linear: the slope c (0: reach ε_min at the last step)
	SSMin             float64 `json:"ss_min,omitempty"` // ε_min, a floor under ε
}

// Validate reports settings no run could use.
func (s Settings) Validate() error {
	switch {
	case s.Batch < 1 || s.Context < 1 || s.GradAccum < 1:
		return fmt.Errorf("train: batch %d × context %d × accumulation %d; each must be ≥ 1", s.Batch, s.Context, s.GradAccum)
	case s.Steps < 1:
		return fmt.Errorf("train: %d steps; need at least 1", s.Steps)
	case s.EvalEvery < 0 || s.Threads < 0:
		return fmt.Errorf("train: eval interval %d and threads %d must be ≥ 0", s.EvalEvery, s.Threads)
	}
	if err := s.Optim.Validate(s.Steps); err != nil {
		return err
	}
	if err := s.validateScheduledSampling(); err != nil {
		return err
	}
	if _, err := s.mixedBF16(); err != nil {
		return err
	}
	_, err := s.LossOptions()
	return err
}

// mixedBF16 reads Compute: whether the steps run in mixed precision.
func (s Settings) mixedBF16() (bool, error) {
	switch s.Compute {
	case "", "f32":
		return false, nil
	case "bf16":
		return true, nil
	}
	return false, fmt.Errorf("train: compute %q is neither f32 nor bf16", s.Compute)
}

// LossOptions are the training loss's options: label smoothing, z-loss
// and the emulated arithmetic the settings name.
func (s Settings) LossOptions() (loss.Options, error) {
	o := loss.Options{LabelSmoothing: s.LabelSmoothing, ZLoss: s.ZLoss}
	if s.LossFormat != "" || s.LossSum != "" {
		f, err := emulate.ParseFormat(s.LossFormat)
		if err != nil {
			return o, fmt.Errorf("train: loss format: %w", err)
		}
		o.Emulate.Format = f
		if o.Emulate.Sum = emulate.Pairwise; s.LossSum != "" {
			if o.Emulate.Sum, err = emulate.ParseSummation(s.LossSum); err != nil {
				return o, fmt.Errorf("train: loss summation: %w", err)
			}
		}
	}
	return o, o.Validate()
}

// Trainer runs teacher-forced training of a model on a token stream, with
// scheduled sampling when its Settings ask for it.
type Trainer struct {
	Model    *model.Model
	Opt      *AdamW
	Settings Settings
	Step     int // completed optimizer steps

	sched           Schedule
	batches         *data.Batches
	inputs, targets []int32    // [B, T]
	counts          []int64    // [V] training-token counts, saved with checkpoints
	ssSrc           *rand.PCG  // scheduled sampling's draws (nil: off)
	ssRNG           *rand.Rand // over ssSrc
	ss              ssBuffers
}

// StepStats is what one optimizer step reports.
type StepStats struct {
	Step     int     `json:"step"` // 1-based
	Loss     float64 `json:"loss"` // mean over the micro-batches, nats/token (on the mixed inputs under scheduled sampling)
	LR       float64 `json:"lr"`
	GradNorm float64 `json:"grad_norm"` // before clipping
	// SampleProb is 1 − ε: the probability that an input position held the
	// model's own token (scheduled sampling; 0 without).
	SampleProb float64 `json:"ss_sample_prob,omitempty"`
}

// NewTrainer prepares training of m on the token stream (its batches
// seeded by s.Seed).
func NewTrainer(m *model.Model, tokens []int32, s Settings) (*Trainer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Context > m.MaxSeqLen() {
		return nil, fmt.Errorf("train: context %d is longer than the model's %d positions", s.Context, m.MaxSeqLen())
	}
	if err := m.CheckBatch(s.Batch, s.Context); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	batches, err := data.NewBatches(tokens, s.Batch, s.Context, s.Seed)
	if err != nil {
		return nil, err
	}
	opt, sched, err := s.Optim.New(m, s.Steps)
	if err != nil {
		return nil, err
	}
	opt.Threads = s.Threads
	m.Threads = s.Threads
	n := s.Batch * s.Context
	t := &Trainer{Model: m, Opt: opt, Settings: s, sched: sched, batches: batches, inputs: make([]int32, n), targets: make([]int32, n),
		counts: CountTokens(tokens, m.VocabSize())}
	if t.ssSrc = newSSSource(s); t.ssSrc != nil {
		t.ssRNG = rand.New(t.ssSrc)
	}
	return t, nil
}

// TokenCounts returns how often each token id occurs in the training
// tokens, [V].
func (t *Trainer) TokenCounts() []int64 { return t.counts }

// Next runs one optimizer step: GradAccum micro-batches of forward and
// backward, clipping, AdamW. A non-finite loss or gradient stops it with an
// error before the weights change.
func (t *Trainer) Next() (StepStats, error) {
	s := t.Settings
	m := t.Model
	m.ZeroGrads()
	var total float64
	eps := s.TeacherForcingProb(t.Step)
	opt, err := s.LossOptions()
	if err != nil {
		return StepStats{}, err
	}
	mixed, err := s.mixedBF16()
	if err != nil {
		return StepStats{}, err
	}
	if mixed { // a fresh bfloat16 copy of the weights for this step's products, then float32 again
		if err := m.SetMixedBF16(true); err != nil {
			return StepStats{}, fmt.Errorf("train: %w", err)
		}
		defer m.SetMixedBF16(false)
	}
	for range s.GradAccum {
		t.batches.Next(t.inputs, t.targets)
		if err := t.mixOwnTokens(eps); err != nil {
			return StepStats{}, fmt.Errorf("train: step %d: %w", t.Step+1, err)
		}
		l, err := m.ForwardBackward(t.inputs, s.Batch, s.Context, t.targets, opt)
		if err != nil { // a NaN logit, say: the weights are still the last good ones
			return StepStats{}, fmt.Errorf("train: step %d: %w", t.Step+1, err)
		}
		total += l
	}
	st, err := update(m, t.Opt, t.sched, s, t.Step, total, "loss")
	if err != nil {
		return StepStats{}, err
	}
	t.Step++
	st.SampleProb = 1 - eps
	return st, nil
}

// update is the optimizer half of step+1 (0-based step) once m's gradient
// buffer holds the sum over s.GradAccum micro-batches whose losses sum to
// total: a non-finite mean loss (named what) is an error before the
// weights change; else the scheduled learning rate, clipping and AdamW.
func update(m *model.Model, opt *AdamW, sched Schedule, s Settings, step int, total float64, what string) (StepStats, error) {
	mean := total / float64(s.GradAccum)
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return StepStats{}, fmt.Errorf("train: %s is %g at step %d", what, mean, step+1)
	}
	lr := sched.LR(step)
	norm, err := opt.ClipAndUpdate(m.ParamBuffer(), m.GradBuffer(), lr, s.ClipNorm, s.GradAccum)
	if err != nil {
		return StepStats{}, fmt.Errorf("%w at step %d", err, step+1)
	}
	return StepStats{Step: step + 1, Loss: mean, LR: lr, GradNorm: norm}, nil
}

// Eval is a held-out measurement.
type Eval struct {
	Step            int     `json:"step"`
	Loss            float64 `json:"val_loss"` // nats/token
	Perplexity      float64 `json:"val_perplexity"`
	BPB             float64 `json:"val_bpb"`              // bits per byte of the scored tokens' text (0 without a tokenizer)
	Tokens          int     `json:"val_tokens"`           // tokens scored
	TokensAvailable int     `json:"val_tokens_available"` // tokens the held-out split holds
	Bytes           int     `json:"val_bytes"`            // the scored tokens' text (0 without a tokenizer)
}

// HeldOut is the text a trainer is evaluated on, and how much of it.
type HeldOut struct {
	Tokens []int32 // the held-out split's token ids, scored as one document
	// BOS is the token the first window starts with: a trained tokenizer's
	// modeldir.TokenizerBOS, a loaded model's Pretrained.BOS.
	BOS int32
	// Tokenizer, if not nil, gives the bytes of the scored tokens, for bits
	// per byte.
	Tokenizer *tokenizer.Tokenizer
	// MaxTokens caps the tokens scored (0: all of them).
	MaxTokens int
	// Progress, if not nil, is told the running totals after each window.
	Progress func(eval.Progress)
}

// Evaluate scores the held-out tokens with the plain NLL (no smoothing or
// z-loss) exactly as xent eval scores a document by default: disjoint
// windows of the training context, the first token conditioned on BOS,
// each token scored once, up to h.MaxTokens of them. On the same tokens it
// gives what xent eval gives for the saved checkpoint. A cancelled ctx
// stops it between windows with ctx's error.
func (t *Trainer) Evaluate(ctx context.Context, h HeldOut) (Eval, error) {
	r, err := eval.Tokens(ctx, t.Model, h.Tokenizer, h.BOS, h.Tokens, eval.Options{Scheme: eval.Disjoint, Ctx: t.Settings.Context,
		MaxTokens: h.MaxTokens, Progress: h.Progress, Threads: t.Settings.Threads})
	if err != nil {
		return Eval{}, fmt.Errorf("train: held-out evaluation: %w", err)
	}
	if r.Tokens == 0 {
		return Eval{}, fmt.Errorf("train: no held-out tokens to score")
	}
	return Eval{Step: t.Step, Loss: r.MeanNLL, Perplexity: r.PPL, BPB: r.BPB, Tokens: int(r.Tokens), TokensAvailable: int(r.TokensAvailable), Bytes: int(r.Bytes)}, nil
}
