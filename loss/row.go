package loss

import (
	"fmt"
	"math"

	"github.com/xent-dev/xent/internal/kernels"
)

// Row is what RowScorer.Score measures of one position: a row of logits
// [V], whose softmax p is the model's next-token distribution, against the
// target class, and optionally against a base model's row b at the same
// position. Every figure is in nats.
type Row struct {
	NLL     float64 // −log p(target)
	Rank    int     // 1 + the number of classes with a higher logit than the target (RowScorer.Rank)
	Top     int32   // the most probable class, the lowest id among ties
	TopProb float64 // p(Top) = exp(logits[Top] − LSE)
	// LSE is log Σ exp(logits), in float64: logits[c] − LSE is class c's
	// log-probability as NLL and TopProb are computed from it (xent serve
	// returns these to clients).
	LSE     float64
	Entropy float64 // H(p) = −Σ p log p (RowScorer.Entropy, or with a base row)

	// Against the base row; zero without one.
	BaseNLL float64 // −log b(target)
	BaseTop int32   // the base's most probable class
	DeltaP  float64 // p(target) − b(target)
	// The two directions of the KL divergence, named by their arguments:
	// KLBaseModel = KL(b ‖ p) = Σ b·(log b − log p), llama.cpp's
	// KL-divergence and xent eval's; KLModelBase = KL(p ‖ b), the KL(π ‖ base)
	// that post-training penalises.
	KLBaseModel float64
	KLModelBase float64
}

// SameTop reports whether the model and the base agree on the most
// probable class (meaningful only when a base row was scored).
func (r Row) SameTop() bool { return r.Top == r.BaseTop }

// RowScorer scores rows of logits one at a time: the softmax statistics
// come from the kernels (one pass for the maximum and the sum of exps, one
// for the probabilities), every sum over the vocabulary is accumulated in
// float64. It keeps scratch rows between calls, so it is not safe for
// concurrent use: give each goroutine its own. The zero value is ready.
type RowScorer struct {
	// Rank and Entropy ask for Row.Rank and Row.Entropy. Each costs another
	// pass over the row, which scoring held-out text at scale does not need,
	// so both are off by default (0 in the Row); against a base row the
	// entropy comes with the KL's pass and is always set.
	Rank, Entropy bool

	p, b []float32 // [V] the model's and the base's probabilities
}

// Score measures logits [V] against target. base, if not nil, is a base
// model's logits [V] at the same position; it adds the base's NLL and top
// class, Δp and both KL directions. NaN or +Inf logits, a row of −Inf
// logits and a target outside [0, V) are errors; −Inf logits (classes ruled
// out) are valid.
func (s *RowScorer) Score(logits, base []float32, target int32) (Row, error) {
	V := len(logits)
	if target < 0 || int(target) >= V {
		return Row{}, fmt.Errorf("loss: target %d is outside the vocabulary [0, %d)", target, V)
	}
	if base != nil && len(base) != V {
		return Row{}, fmt.Errorf("loss: the base row has %d logits, the row %d", len(base), V)
	}
	st, lse, top, err := rowStats(logits, "")
	if err != nil {
		return Row{}, err
	}
	r := Row{NLL: lse - float64(logits[target]), Top: int32(top), TopProb: math.Exp(float64(logits[top]) - lse), LSE: lse}
	if s.Rank {
		r.Rank = 1
		for _, v := range logits {
			if v > logits[target] {
				r.Rank++
			}
		}
	}
	if base == nil && !s.Entropy {
		return r, nil
	}
	// p = e^(x − max) / Σ e^(x − max): the shift is the float32 maximum, not
	// the log-sum-exp, whose rounding to float32 would cost large logits
	// (±1e4) three digits of every probability.
	s.p = grow(s.p, V)
	p, invS := s.p, 1/st.SumExp
	kernels.ExpAffine(p, logits, st.Max, 1, 0)
	if base == nil {
		var h float64
		for k, pk := range p {
			if pk > 0 {
				h += float64(pk) * invS * (lse - float64(logits[k]))
			}
		}
		r.Entropy = h
		return r, nil
	}
	bst, blse, btop, err := rowStats(base, "base ")
	if err != nil {
		return Row{}, err
	}
	s.b = grow(s.b, V)
	b, invB := s.b, 1/bst.SumExp
	kernels.ExpAffine(b, base, bst.Max, 1, 0)
	// KL(b ‖ p) = Σ b·((y − blse) − (x − lse)) = Σ b·(y − x) + (lse − blse)·Σ b,
	// with Σ b kept rather than taken as 1 (the float32 probabilities' sum
	// is off by ~1e-7, which would swamp the KL of close models); likewise
	// KL(p ‖ b). Terms are summed directly, never as a difference of
	// entropies, which would cancel when p ≈ b.
	var h, pb, mp, bp, mb float64
	for k := range V {
		x, y := float64(logits[k]), float64(base[k])
		if pk := float64(p[k]) * invS; pk > 0 {
			h += pk * (lse - x)
			pb += pk * (x - y)
			mp += pk
		} else if math.IsInf(y, -1) && !math.IsInf(x, -1) {
			pb = math.Inf(1) // p > 0 (if below float32's range) where b = 0
		}
		if bk := float64(b[k]) * invB; bk > 0 {
			bp += bk * (y - x)
			mb += bk
		} else if math.IsInf(x, -1) && !math.IsInf(y, -1) {
			bp = math.Inf(1)
		}
	}
	r.Entropy = h
	r.KLModelBase = max(0, pb+(blse-lse)*mp)
	r.KLBaseModel = max(0, bp+(lse-blse)*mb)
	r.BaseNLL = blse - float64(base[target])
	r.BaseTop = int32(btop)
	r.DeltaP = math.Exp(-r.NLL) - math.Exp(-r.BaseNLL)
	return r, nil
}

// rowStats is a row's softmax statistics, log-sum-exp and first maximal
// class, or an error for a NaN or +Inf logit or a row of −Inf. which names
// the row in errors.
func rowStats(x []float32, which string) (st kernels.RowStats, lse float64, top int, err error) {
	st = kernels.Stats(x)
	if math.IsNaN(st.Sum) || math.IsInf(st.Sum, 1) {
		for c, v := range x {
			if v != v || math.IsInf(float64(v), 1) {
				return st, 0, 0, fmt.Errorf("loss: %slogit %d is %g", which, c, v)
			}
		}
	}
	lse = st.LogSumExp()
	if math.IsInf(lse, -1) {
		return st, 0, 0, fmt.Errorf("loss: every %slogit is -Inf", which)
	}
	for k, v := range x {
		if v == st.Max {
			return st, lse, k, nil
		}
	}
	return st, lse, 0, nil
}
