package tune

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/prefs"
	"github.com/xent-dev/xent/train"
)

// Method is a fine-tuning objective.
type Method string

const (
	SFT   Method = "sft"
	DPO   Method = "dpo"
	KTO   Method = "kto"
	ORPO  Method = "orpo"
	SimPO Method = "simpo"
)

// Methods lists every method, in the order the study reports them.
var Methods = []Method{SFT, DPO, KTO, ORPO, SimPO}

// Format is the data format the method trains on.
func (m Method) Format() Format {
	switch m {
	case SFT:
		return SFTFormat
	case KTO:
		return UnpairedFormat
	}
	return PairFormat
}

// Config is a fine-tuning run.
type Config struct {
	Method Method
	Pair   prefs.PairLoss // the loss of dpo, orpo and simpo
	KTO    prefs.KTO      // the loss of kto

	Batch       int    // examples (pairs for dpo, orpo, simpo) per step
	Steps       int    // optimizer steps
	train.Optim        // AdamW and the learning-rate schedule
	Seed        uint64 // example order

	// PrecomputeRef computes the reference log-probabilities of every
	// example once, before the first step, so that no reference model is
	// held during training.
	PrecomputeRef bool
}

// NeedsReference reports whether the method compares with a frozen
// reference model.
func (c Config) NeedsReference() bool {
	switch c.Method {
	case KTO:
		return true
	case DPO, ORPO, SimPO:
		return c.Pair != nil && c.Pair.NeedsReference()
	}
	return false
}

func (c Config) check() error {
	switch c.Method {
	case SFT, KTO:
	case DPO, ORPO, SimPO:
		if c.Pair == nil {
			return fmt.Errorf("tune: %s needs its pair loss", c.Method)
		}
	default:
		return fmt.Errorf("tune: unknown method %q (want sft, dpo, kto, orpo or simpo)", c.Method)
	}
	if c.Batch < 1 || c.Steps < 1 {
		return fmt.Errorf("tune: batch %d and steps %d must be at least 1", c.Batch, c.Steps)
	}
	if c.Method == KTO && c.Batch < 2 {
		return fmt.Errorf("tune: kto needs a batch of at least 2 (its KL estimate pairs each prompt with another example's completion)")
	}
	return c.Optim.Validate(c.Steps)
}

// Stats is one step's record, TRL's log fields. Fields that a method does
// not have are NaN (reward accuracy and margins of sft and kto, say).
type Stats struct {
	Step           int
	LR, GradNorm   float64
	Loss           float64 // the objective minimised
	RewardAccuracy float64 // pairs whose chosen reward beats the rejected one
	ChosenLogp     float64 // mean policy log-probability of chosen (desirable) completions
	RejectedLogp   float64 // and of rejected (undesirable) ones
	ChosenReward   float64 // mean implicit rewards
	RejectedReward float64
	Margin         float64 // mean chosen − rejected reward
	KL             float64 // kto's reference point
}

// Trainer fine-tunes a policy model on tokenized examples.
type Trainer struct {
	Policy *model.Model
	Config Config
	Step   int // completed steps
	// StepTimes are the wall times of the completed steps, in order.
	StepTimes []time.Duration

	ref       *model.Model // nil when not needed or precomputed
	refLogps  [][2]float64 // per item: the reference's (chosen, rejected) or (completion, mismatched)
	items     []Item
	opt       *train.AdamW
	sched     train.Schedule
	b         *batch
	order     []int
	next      int
	rng       *rand.Rand
	probe     *batch    // a fixed batch for the KL to the starting model
	probeLogq []float32 // [P·T, V] the starting model's logits on the probe
}

// MaxInputs is the longest sequence of the items, the padded length T of
// every batch.
func MaxInputs(items []Item) int {
	T := 0
	for _, it := range items {
		T = max(T, it.Chosen.Inputs(), it.Rejected.Inputs(), it.Mismatched.Inputs())
	}
	return T
}

// New makes a trainer. ref is the frozen reference, needed when the method
// has one; with PrecomputeRef it may be nil, and the policy's own
// log-probabilities before the first step are the reference (a fine-tune
// starts from its reference), so no second model is ever held.
func New(policy, ref *model.Model, items []Item, c Config) (*Trainer, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("tune: no examples")
	}
	if c.NeedsReference() && ref == nil && !c.PrecomputeRef {
		return nil, fmt.Errorf("tune: %s needs a reference model (or PrecomputeRef)", c.Method)
	}
	opt, sched, err := c.Optim.New(policy, c.Steps)
	if err != nil {
		return nil, err
	}
	t := &Trainer{Policy: policy, Config: c, items: items, sched: sched, opt: opt,
		rng: rand.New(rand.NewPCG(c.Seed, 0x7475_6e65))}
	T := MaxInputs(items)
	t.b = newBatch(t.rows(), T)
	if err := t.makeProbe(ref, T); err != nil {
		return nil, err
	}
	if c.NeedsReference() {
		if c.PrecomputeRef {
			if ref == nil {
				ref = policy
			}
			if t.refLogps, err = t.precompute(ref); err != nil {
				return nil, err
			}
		} else {
			t.ref = ref
		}
	}
	return t, nil
}

// rows is the number of sequences in a step's batch.
func (t *Trainer) rows() int {
	if t.Config.Method == SFT {
		return t.Config.Batch
	}
	return 2 * t.Config.Batch // chosen and rejected, or completion and mismatched
}

// averaged says whether the method's sequence log-probabilities are
// length averages.
func (t *Trainer) averaged() bool {
	return t.Config.Pair != nil && t.Config.Pair.Averaged()
}

// rowsOf lays out the sequences of items: first each item's chosen (or
// only) completion, then each rejected (or mismatched) one.
func (t *Trainer) rowsOf(idx []int) []Sequence {
	rows := make([]Sequence, 0, 2*len(idx))
	for _, i := range idx {
		rows = append(rows, t.items[i].Chosen)
	}
	if t.Config.Method == SFT {
		return rows
	}
	for _, i := range idx {
		if t.Config.Method == KTO {
			rows = append(rows, t.items[i].Mismatched)
		} else {
			rows = append(rows, t.items[i].Rejected)
		}
	}
	return rows
}

// precompute returns the reference's sequence log-probabilities of every
// item, in batches of the training shape.
func (t *Trainer) precompute(ref *model.Model) ([][2]float64, error) {
	out := make([][2]float64, len(t.items))
	B := t.Config.Batch
	for lo := 0; lo < len(t.items); lo += B {
		idx := make([]int, 0, B)
		for i := lo; i < min(lo+B, len(t.items)); i++ {
			idx = append(idx, i)
		}
		t.b.fill(t.rowsOf(idx))
		seq, _, err := t.b.sequenceLogProbs(ref, 2*len(idx), t.averaged())
		if err != nil {
			return nil, err
		}
		for k, i := range idx {
			out[i] = [2]float64{seq[k], seq[len(idx)+k]}
		}
	}
	return out, nil
}

// makeProbe keeps the starting model's logits on a fixed batch (the first
// examples' chosen completions), for the KL of the policy to it.
func (t *Trainer) makeProbe(ref *model.Model, T int) error {
	start := ref
	if start == nil {
		start = t.Policy // before the first step the policy is the starting model
	}
	P := min(8, len(t.items))
	rows := make([]Sequence, P)
	for i := range rows {
		rows[i] = t.items[i].Chosen
	}
	t.probe = newBatch(P, T)
	t.probe.fill(rows)
	logits, err := start.Logits(t.probe.tokens, P, T)
	if err != nil {
		return err
	}
	t.probeLogq = logits
	return nil
}

// KLToStart is KL(π_θ ‖ π_start) averaged over the completion tokens of the
// probe batch, exact over the vocabulary: how far the policy has moved from
// the model it started as (the reference, for methods that have one).
func (t *Trainer) KLToStart() (float64, error) {
	P, T := t.probe.R, t.probe.T
	logits, err := t.Policy.Logits(t.probe.tokens, P, T)
	if err != nil {
		return 0, err
	}
	V := t.Policy.VocabSize()
	var rows loss.RowScorer
	var sum float64
	n := 0
	for i, m := range t.probe.mask {
		if !m {
			continue
		}
		r, err := rows.Score(logits[i*V:(i+1)*V], t.probeLogq[i*V:(i+1)*V], t.probe.targets[i])
		if err != nil {
			return 0, fmt.Errorf("tune: KL to the starting model: %w", err)
		}
		sum += r.KLModelBase // KL(π_θ ‖ π_start)
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("tune: the probe batch has no completion tokens to measure the KL on")
	}
	return sum / float64(n), nil
}

// nextBatch draws the next Batch examples, reshuffling at each epoch.
func (t *Trainer) nextBatch() []int {
	idx := make([]int, t.Config.Batch)
	for k := range idx {
		if t.next == len(t.order) {
			t.order = t.rng.Perm(len(t.items))
			t.next = 0
		}
		idx[k] = t.order[t.next]
		t.next++
	}
	return idx
}

// Next runs one optimizer step.
func (t *Trainer) Next() (Stats, error) {
	if t.Step >= t.Config.Steps {
		return Stats{}, fmt.Errorf("tune: all %d steps are done", t.Config.Steps)
	}
	start := time.Now()
	idx := t.nextBatch()
	t.b.fill(t.rowsOf(idx))
	nan := math.NaN()
	st := Stats{Step: t.Step + 1, LR: t.sched.LR(t.Step), RewardAccuracy: nan, ChosenLogp: nan, RejectedLogp: nan,
		ChosenReward: nan, RejectedReward: nan, Margin: nan, KL: nan}
	var err error
	switch t.Config.Method {
	case SFT:
		t.Policy.ZeroGrads()
		st.Loss, err = t.Policy.ForwardBackward(t.b.tokens, t.b.R, t.b.T, t.b.targets, loss.Options{})
	case KTO:
		err = t.ktoStep(idx, &st)
	default:
		err = t.pairStep(idx, &st)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("tune: step %d: %w", st.Step, err)
	}
	if st.GradNorm, err = t.opt.ClipAndUpdate(t.Policy.ParamBuffer(), t.Policy.GradBuffer(), st.LR, t.Config.ClipNorm, 1); err != nil {
		return Stats{}, fmt.Errorf("tune: step %d: %w", st.Step, err)
	}
	t.Step++
	t.StepTimes = append(t.StepTimes, time.Since(start))
	return st, nil
}

// reference returns the reference's two sequence log-probabilities of each
// of the n items idx, from the precomputed table or a pass of the
// reference model over the batch already filled.
func (t *Trainer) reference(idx []int) (first, second []float64, err error) {
	n := len(idx)
	if t.ref == nil {
		first, second = make([]float64, n), make([]float64, n)
		for k, i := range idx {
			first[k], second[k] = t.refLogps[i][0], t.refLogps[i][1]
		}
		return first, second, nil
	}
	seq, _, err := t.b.sequenceLogProbs(t.ref, 2*n, t.averaged())
	if err != nil {
		return nil, nil, err
	}
	return seq[:n], seq[n:], nil
}

func (t *Trainer) pairStep(idx []int, st *Stats) error {
	n := len(idx)
	var p prefs.Pairs
	if t.Config.Pair.NeedsReference() {
		var err error
		if p.RefChosen, p.RefRejected, err = t.reference(idx); err != nil {
			return err
		}
	}
	seq, lengths, err := t.b.sequenceLogProbs(t.Policy, 2*n, t.averaged())
	if err != nil {
		return err
	}
	p.PolicyChosen, p.PolicyRejected, p.ChosenLengths = seq[:n], seq[n:], lengths[:n]
	r, err := t.Config.Pair.Forward(p)
	if err != nil {
		return err
	}
	g, err := t.Config.Pair.Backward(p)
	if err != nil {
		return err
	}
	st.Loss, st.RewardAccuracy, st.Margin = r.Loss, r.Accuracy(), r.Margin()
	st.ChosenReward, st.RejectedReward = r.MeanRewards()
	st.ChosenLogp, st.RejectedLogp = prefs.Mean(p.PolicyChosen), prefs.Mean(p.PolicyRejected)
	return t.b.backward(t.Policy, append(g.Chosen, g.Rejected...), t.averaged())
}

func (t *Trainer) ktoStep(idx []int, st *Stats) error {
	n := len(idx)
	ref, refKL, err := t.reference(idx)
	if err != nil {
		return err
	}
	seq, _, err := t.b.sequenceLogProbs(t.Policy, 2*n, false)
	if err != nil {
		return err
	}
	u := prefs.Unpaired{Policy: seq[:n], Ref: ref, Desirable: make([]bool, n), PolicyKL: seq[n:], RefKL: refKL}
	for k, i := range idx {
		u.Desirable[k] = t.items[i].Desirable
	}
	r, err := t.Config.KTO.Forward(u)
	if err != nil {
		return err
	}
	g, err := t.Config.KTO.Backward(u)
	if err != nil {
		return err
	}
	st.Loss, st.KL = r.Loss, r.KL
	st.ChosenReward, st.RejectedReward = prefs.MeanWhere(r.Rewards, u.Desirable, true), prefs.MeanWhere(r.Rewards, u.Desirable, false)
	st.Margin = st.ChosenReward - st.RejectedReward
	st.ChosenLogp, st.RejectedLogp = prefs.MeanWhere(u.Policy, u.Desirable, true), prefs.MeanWhere(u.Policy, u.Desirable, false)
	// The mismatched rows are the detached KL estimate: no gradient.
	return t.b.backward(t.Policy, g, false)
}

// Run runs every remaining step and calls log with the stats of every
// logEvery-th step and of the last one, with the KL of the policy to the
// model it started from (KLToStart). When ctx is cancelled it stops after
// the step in progress with an error wrapping train.ErrInterrupted: the
// policy then holds the weights of the last completed step (t.Step).
func (t *Trainer) Run(ctx context.Context, logEvery int, log func(st Stats, klToStart float64)) error {
	for t.Step < t.Config.Steps {
		if ctx.Err() != nil {
			return fmt.Errorf("tune: %w at step %d of %d", train.ErrInterrupted, t.Step, t.Config.Steps)
		}
		st, err := t.Next()
		if err != nil {
			return err
		}
		if (logEvery > 0 && st.Step%logEvery == 0) || st.Step == t.Config.Steps {
			kl, err := t.KLToStart()
			if err != nil {
				return err
			}
			log(st, kl)
		}
	}
	return nil
}
