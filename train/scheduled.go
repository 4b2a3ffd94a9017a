package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/xent-dev/xent/sample"
)

// Scheduled sampling (Bengio et al. 2015) feeds the model, at some input
// positions, its own prediction instead of the ground-truth token, more and
// more often as training goes on, so that it learns to continue from its
// own mistakes. At optimizer step i (0-based) each input position keeps the
// true token with probability ε_i, the teacher-forcing probability, which
// decays by one of the paper's schedules:
//
//	linear           ε_i = max(ε_min, k − c·i)   k = SSK (0: 1), c = SSC (0: (k − ε_min)/Steps, ε_min at the end)
//	exponential      ε_i = k^i                    0 < k < 1
//	inverse-sigmoid  ε_i = k / (k + exp(i/k))     k ≥ 1
//
// with ε_min = SSMin a floor under all three (0, the paper's choice for
// the last two, by default), and ε clipped to [0, 1].
//
// A transformer scores every position in one parallel pass, so the model's
// own token at position t cannot come from a pass that already used its
// own tokens before t, as in the paper's recurrent decoder. The usual
// transformer version (e.g. Mihaylova & Martins 2019) runs two passes:
// a teacher-forced forward pass over the true inputs, without gradient;
// then at each position t ≥ 1, with probability 1 − ε_i, the input token
// is replaced by one sampled (temperature 1) from that pass's prediction
// for position t, p(· | true tokens < t); then the usual forward and
// backward pass on the mixed inputs against the unchanged true targets.
// Position 0 has no prediction and stays true. The draws come from their
// own PCG generator, seeded by Seed and saved in checkpoints, so a resumed
// run stays exact.

// Scheduled-sampling schedules.
const (
	SSLinear         = "linear"
	SSExponential    = "exponential"
	SSInverseSigmoid = "inverse-sigmoid"
)

// ssStream is the PCG stream of the scheduled-sampling draws (the batches
// use another).
const ssStream = 0x55c4ed5a3b1e

// TeacherForcingProb is ε_i, the probability that an input position keeps
// its true token at (0-based) optimizer step i; 1 without scheduled
// sampling.
func (s Settings) TeacherForcingProb(i int) float64 {
	k, x := s.SSK, float64(i)
	var eps float64
	switch s.ScheduledSampling {
	case SSLinear:
		if k == 0 {
			k = 1
		}
		c := s.SSC
		if c == 0 {
			c = (k - s.SSMin) / float64(s.Steps)
		}
		eps = k - c*x
	case SSExponential:
		eps = math.Pow(k, x)
	case SSInverseSigmoid:
		eps = k / (k + math.Exp(x/k))
	default:
		return 1
	}
	return min(1, max(s.SSMin, eps, 0))
}

// validateScheduledSampling reports a schedule or parameter the paper's
// formulas cannot use, naming the flag.
func (s Settings) validateScheduledSampling() error {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	if bad(s.SSK) || bad(s.SSC) || bad(s.SSMin) || s.SSMin < 0 || s.SSMin > 1 || s.SSC < 0 {
		return fmt.Errorf("train: scheduled sampling: --ss-c %g must be ≥ 0 and --ss-min %g in [0, 1]", s.SSC, s.SSMin)
	}
	switch s.ScheduledSampling {
	case "":
		if s.SSK != 0 || s.SSC != 0 || s.SSMin != 0 {
			return fmt.Errorf("train: --ss-k, --ss-c and --ss-min need --scheduled-sampling")
		}
	case SSLinear:
		if s.SSK < 0 || s.SSK > 1 {
			return fmt.Errorf("train: linear scheduled sampling: --ss-k %g is ε at step 0 and must be in (0, 1] (0: 1)", s.SSK)
		}
	case SSExponential:
		if !(s.SSK > 0 && s.SSK < 1) {
			return fmt.Errorf("train: exponential scheduled sampling ε = k^step needs --ss-k in (0, 1), got %g (e.g. 0.998: ε = %.2f after %d steps)",
				s.SSK, math.Pow(0.998, float64(s.Steps)), s.Steps)
		}
	case SSInverseSigmoid:
		if !(s.SSK >= 1) {
			return fmt.Errorf("train: inverse-sigmoid scheduled sampling ε = k/(k+exp(step/k)) needs --ss-k ≥ 1, got %g (e.g. %d: ε = %.2f after %d steps)",
				s.SSK, max(1, s.Steps/6), inverseSigmoid(float64(max(1, s.Steps/6)), float64(s.Steps)), s.Steps)
		}
	default:
		return fmt.Errorf("train: --scheduled-sampling %q: want linear, exponential or inverse-sigmoid", s.ScheduledSampling)
	}
	return nil
}

func inverseSigmoid(k, i float64) float64 { return k / (k + math.Exp(i/k)) }

// newSSSource is the generator of the scheduled-sampling draws, nil when
// the run does not use it.
func newSSSource(s Settings) *rand.PCG {
	if s.ScheduledSampling == "" {
		return nil
	}
	return rand.NewPCG(s.Seed, ssStream)
}

// mixOwnTokens is the first pass of scheduled sampling: with probability
// 1 − eps each input position t ≥ 1 of inputs [B, T] gets a token drawn
// from the model's teacher-forced prediction for it.
func (t *Trainer) mixOwnTokens(eps float64) error {
	if t.ssSrc == nil || eps >= 1 {
		return nil
	}
	s, m := t.Settings, t.Model
	// The positions that take the model's token, each with the uniform draw
	// that picks it, in the order the draws are made.
	t.ss.rows, t.ss.draws = t.ss.rows[:0], t.ss.draws[:0]
	for b := range s.Batch {
		for pos := 1; pos < s.Context; pos++ {
			if t.ssRNG.Float64() < eps {
				continue
			}
			t.ss.rows = append(t.ss.rows, b*s.Context+pos)
			t.ss.draws = append(t.ss.draws, t.ssRNG.Float64())
		}
	}
	if len(t.ss.rows) == 0 {
		return nil
	}
	h, err := m.Hidden(t.inputs, s.Batch, s.Context) // [B·T, C]
	if err != nil {
		return err
	}
	// Only the rows predicting those positions go through the head, a chunk
	// at a time: [B·T, V] logits never exist.
	C, V := m.Width(), m.VocabSize()
	chunk := max(1, min(len(t.ss.rows), ssChunkBytes/(4*V)))
	t.ss.hidden = slices.Grow(t.ss.hidden[:0], chunk*C)[:chunk*C]
	t.ss.logits = slices.Grow(t.ss.logits[:0], chunk*V)[:chunk*V]
	for lo := 0; lo < len(t.ss.rows); lo += chunk {
		rows := t.ss.rows[lo:min(lo+chunk, len(t.ss.rows))]
		for i, r := range rows {
			copy(t.ss.hidden[i*C:(i+1)*C], h[(r-1)*C:r*C]) // the prediction for position r
		}
		m.HeadLogits(t.ss.hidden, len(rows), t.ss.logits)
		for i, r := range rows {
			tok, err := sample.Draw(t.ss.logits[i*V:(i+1)*V], t.ss.draws[lo+i])
			if err != nil {
				return fmt.Errorf("train: scheduled sampling, sequence %d position %d: %w", r/s.Context, r%s.Context, err)
			}
			t.inputs[r] = tok
		}
	}
	return nil
}

// ssChunkBytes bounds the logits scheduled sampling holds at once.
const ssChunkBytes = 32 << 20

// ssBuffers are scheduled sampling's per-step buffers, reused.
type ssBuffers struct {
	rows           []int     // [k] flat positions that take the model's token
	draws          []float64 // [k] the uniform draw of each
	hidden, logits []float32 // [chunk, C] and [chunk, V]
}
