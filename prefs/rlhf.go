package prefs

import (
	"fmt"
	"math"
)

// The RLHF pieces follow OpenRLHF v0.9.9: compute_approx_kl and
// compute_reward (openrlhf/models/utils.py), PolicyLoss and ValueLoss
// (openrlhf/models/loss.py). Every tensor is [B, T] row-major over the
// response tokens, with an action mask [B, T] that is true on the tokens
// the policy generated.

// KLEstimator is one of Schulman's estimators of KL(π ‖ π_ref) from a
// sampled token, with d = log π − log π_ref (http://joschu.net/blog/kl-approx.html).
type KLEstimator int

const (
	K1 KLEstimator = iota // d: unbiased, can be negative
	K2                    // d²/2: low variance, biased
	K3                    // e^{−d} − 1 + d: unbiased and ≥ 0
)

var klNames = []string{"k1", "k2", "k3"}

func (e KLEstimator) String() string {
	if int(e) < len(klNames) {
		return klNames[e]
	}
	return fmt.Sprintf("KLEstimator(%d)", int(e))
}

// ParseKLEstimator reads k1, k2 or k3.
func ParseKLEstimator(s string) (KLEstimator, error) {
	for i, name := range klNames {
		if s == name {
			return KLEstimator(i), nil
		}
	}
	return 0, fmt.Errorf("prefs: KL estimator %q: want k1, k2 or k3", s)
}

// klClamp is OpenRLHF's clamp of the per-token estimate.
const klClamp = 10

// at returns the estimate at log-ratio d, clamped to [−10, 10], and its
// derivative with respect to d (0 where the clamp holds it, as autograd's
// clamp gives; inside, ties at ±10 pass the gradient).
func (e KLEstimator) at(d float64) (kl, dkl float64) {
	switch e {
	case K1:
		kl, dkl = d, 1
	case K2:
		kl, dkl = d*d/2, d
	default: // K3; e^{−d} − 1 computed as expm1 keeps small d exact
		kl, dkl = math.Expm1(-d)+d, -math.Expm1(-d)
	}
	if kl < -klClamp || kl > klClamp {
		return math.Max(-klClamp, math.Min(klClamp, kl)), 0
	}
	return kl, dkl
}

func (e KLEstimator) check(logp, refLogp []float64) error {
	if e < K1 || e > K3 {
		return fmt.Errorf("prefs: unknown KL estimator %d", int(e))
	}
	if len(logp) != len(refLogp) {
		return fmt.Errorf("prefs: %d policy and %d reference log-probabilities", len(logp), len(refLogp))
	}
	if err := checkFinite("logp", logp); err != nil {
		return err
	}
	return checkFinite("ref_logp", refLogp)
}

// Forward returns the per-token KL estimates [B·T] between the policy's
// token log-probabilities logp and the reference's refLogp.
func (e KLEstimator) Forward(logp, refLogp []float64) ([]float64, error) {
	if err := e.check(logp, refLogp); err != nil {
		return nil, err
	}
	kl := make([]float64, len(logp))
	for i := range logp {
		kl[i], _ = e.at(logp[i] - refLogp[i])
	}
	return kl, nil
}

// Backward returns the gradient with respect to logp of Σ_i dkl[i]·kl[i]
// (the reference is frozen).
func (e KLEstimator) Backward(logp, refLogp, dkl []float64) ([]float64, error) {
	if err := e.check(logp, refLogp); err != nil {
		return nil, err
	}
	if len(dkl) != len(logp) {
		return nil, fmt.Errorf("prefs: %d upstream gradients for %d tokens", len(dkl), len(logp))
	}
	g := make([]float64, len(logp))
	for i := range logp {
		_, d := e.at(logp[i] - refLogp[i])
		g[i] = dkl[i] * d
	}
	return g, nil
}

// ShapedRewards is the per-token reward PPO maximises (OpenRLHF's
// compute_reward): −coef·kl[b,t] everywhere, plus the reward model's score
// [B] at the last action token of each row. A coef ≤ 0 turns the penalty
// off. Like OpenRLHF it leaves the KL term on positions outside the mask;
// advantage estimation masks them.
func ShapedRewards(score, kl []float64, mask []bool, coef float64, B, T int) ([]float64, error) {
	if err := checkTokenShape(len(kl), len(mask), B, T); err != nil {
		return nil, err
	}
	if len(score) != B {
		return nil, fmt.Errorf("prefs: %d reward-model scores for %d rows", len(score), B)
	}
	if err := checkFinite("score", score); err != nil {
		return nil, err
	}
	coef = math.Max(coef, 0)
	r := make([]float64, B*T)
	for b := range B {
		last := -1
		for t := range T {
			r[b*T+t] = -coef * kl[b*T+t]
			if mask[b*T+t] {
				last = t
			}
		}
		if last < 0 {
			return nil, fmt.Errorf("prefs: row %d has no action token for its reward", b)
		}
		r[b*T+last] += score[b]
	}
	return r, nil
}

// maskedWeights returns the weight of each token in a masked mean [B·T]:
// 1/Σmask over all tokens (token-level), or 1/(B·n_b) (the mean over rows
// of each row's mean).
func maskedWeights(mask []bool, B, T int, sequenceMean bool) ([]float64, error) {
	w := make([]float64, B*T)
	total := 0
	for b := range B {
		n := 0
		for _, m := range mask[b*T : (b+1)*T] {
			if m {
				n++
			}
		}
		if n == 0 && sequenceMean {
			return nil, fmt.Errorf("prefs: row %d has no action token", b)
		}
		for t := range T {
			if mask[b*T+t] && sequenceMean {
				w[b*T+t] = 1 / float64(B*n)
			}
		}
		total += n
	}
	if total == 0 {
		return nil, fmt.Errorf("prefs: the action mask has no token")
	}
	if !sequenceMean {
		for i, m := range mask {
			if m {
				w[i] = 1 / float64(total)
			}
		}
	}
	return w, nil
}

// PPO is the clipped surrogate policy loss (OpenRLHF's PolicyLoss with
// policy_loss_type "ppo"): per token, with ρ = exp(log π − log π_old),
//
//	ℓ = −min(ρA, clip(ρ, 1 − ClipLow, 1 + ClipHigh)·A)
//
// and, with DualClip c > 1, for A < 0: ℓ = −max(min(…), c·A). Loss is the
// masked mean over all tokens, or with SequenceMean the mean over rows of
// each row's masked mean.
type PPO struct {
	ClipLow, ClipHigh float64 // ε_low, ε_high (OpenRLHF's default 0.2 each)
	DualClip          float64 // 0: off; else > 1
	SequenceMean      bool
}

// PPOResult is the forward pass of PPO.
type PPOResult struct {
	Loss         float64
	ClipFraction float64 // masked mean of [clipped branch < unclipped]
	ApproxKL     float64 // masked mean of log π_old − log π
}

// RolloutBatch holds the inputs of PPO: log-probabilities of the sampled
// tokens under the current and the rollout policy, and advantages.
type RolloutBatch struct {
	LogP, OldLogP, Advantages []float64 // [B, T]
	Mask                      []bool    // [B, T]
	B, T                      int
}

func (r RolloutBatch) check() error {
	if err := checkTokenShape(len(r.LogP), len(r.Mask), r.B, r.T); err != nil {
		return err
	}
	for _, f := range []field{{"logp", r.LogP}, {"old_logp", r.OldLogP}, {"advantages", r.Advantages}} {
		if len(f.xs) != r.B*r.T {
			return fmt.Errorf("prefs: %s has %d values for shape [%d, %d]", f.name, len(f.xs), r.B, r.T)
		}
		if err := checkFinite(f.name, f.xs); err != nil {
			return err
		}
	}
	return nil
}

func (p PPO) check() error {
	if !(p.ClipLow >= 0 && p.ClipLow < 1) || !(p.ClipHigh >= 0) || math.IsInf(p.ClipHigh, 0) {
		return fmt.Errorf("prefs: PPO clip range [1−%v, 1+%v]: want 0 ≤ ε_low < 1 and a finite ε_high ≥ 0", p.ClipLow, p.ClipHigh)
	}
	if p.DualClip != 0 && !(p.DualClip > 1) {
		return fmt.Errorf("prefs: PPO dual clip %v: must be > 1 (or 0 for none)", p.DualClip)
	}
	return nil
}

// token returns the loss at log-ratio d with advantage a, its derivative
// with respect to d, and whether the clipped branch was the smaller.
func (p PPO) token(d, a float64) (loss, dd float64, clipped bool) {
	if a == 0 {
		return 0, 0, false // both branches are 0, whatever ρ is (even an overflowing one)
	}
	ratio := math.Exp(d)
	s1, ds1 := ratio*a, ratio*a
	s2 := math.Max(1-p.ClipLow, math.Min(1+p.ClipHigh, ratio)) * a
	best, dbest := s1, ds1
	if s2 < s1 {
		best, dbest, clipped = s2, 0, true // clip's gradient vanishes off its range, and s2 < s1 only there
	}
	if p.DualClip != 0 && a < 0 && p.DualClip*a > best {
		best, dbest = p.DualClip*a, 0
	}
	return -best, -dbest, clipped
}

// Forward computes the loss, the clip fraction and the approximate KL.
func (p PPO) Forward(r RolloutBatch) (PPOResult, error) {
	w, err := p.weights(r)
	if err != nil {
		return PPOResult{}, err
	}
	tokenW, _ := maskedWeights(r.Mask, r.B, r.T, false)
	var res PPOResult
	for i := range r.LogP {
		if !r.Mask[i] {
			continue
		}
		d := r.LogP[i] - r.OldLogP[i]
		l, _, clipped := p.token(d, r.Advantages[i])
		if math.IsInf(l, 0) {
			return PPOResult{}, fmt.Errorf("prefs: PPO ratio exp(%v) at row %d, position %d overflows float64 with advantage %v", d, i/r.T, i%r.T, r.Advantages[i])
		}
		res.Loss += w[i] * l
		if clipped {
			res.ClipFraction += tokenW[i]
		}
		res.ApproxKL -= tokenW[i] * d
	}
	return res, nil
}

// Backward returns the gradient of Loss with respect to logp [B·T].
func (p PPO) Backward(r RolloutBatch) ([]float64, error) {
	w, err := p.weights(r)
	if err != nil {
		return nil, err
	}
	g := make([]float64, len(r.LogP))
	for i := range r.LogP {
		if r.Mask[i] {
			_, dd, _ := p.token(r.LogP[i]-r.OldLogP[i], r.Advantages[i])
			g[i] = w[i] * dd
		}
	}
	return g, nil
}

func (p PPO) weights(r RolloutBatch) ([]float64, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return maskedWeights(r.Mask, r.B, r.T, p.SequenceMean)
}

// ValueLoss is PPO's critic loss (OpenRLHF's ValueLoss): per token,
//
//	ℓ = ½·max((V_clip − R)², (V − R)²),  V_clip = V_old + clip(V − V_old, −Clip, Clip)
//
// or ½·(V − R)² with Clip = 0, reduced like PPO.
type ValueLoss struct {
	Clip         float64 // 0: no clipping
	SequenceMean bool
}

// ValueBatch holds the critic's inputs, each [B, T].
type ValueBatch struct {
	Values, OldValues, Returns []float64
	Mask                       []bool
	B, T                       int
}

// token returns the loss before the ½ and the reduction, and its derivative
// with respect to V.
func (v ValueLoss) token(val, old, ret float64) (loss, dval float64) {
	plain, dplain := (val-ret)*(val-ret), 2*(val-ret)
	if v.Clip == 0 {
		return plain, dplain
	}
	step := val - old
	clipped, dclipped := old+math.Max(-v.Clip, math.Min(v.Clip, step)), 0.0
	if step >= -v.Clip && step <= v.Clip {
		dclipped = 1
	}
	cl := (clipped - ret) * (clipped - ret)
	if cl > plain {
		return cl, 2 * (clipped - ret) * dclipped
	}
	return plain, dplain
}

func (v ValueLoss) weights(b ValueBatch) ([]float64, error) {
	if !(v.Clip >= 0) || math.IsInf(v.Clip, 0) {
		return nil, fmt.Errorf("prefs: value clip %v: must be finite and ≥ 0", v.Clip)
	}
	if err := checkTokenShape(len(b.Values), len(b.Mask), b.B, b.T); err != nil {
		return nil, err
	}
	for _, f := range []field{{"values", b.Values}, {"old_values", b.OldValues}, {"returns", b.Returns}} {
		if len(f.xs) != b.B*b.T {
			return nil, fmt.Errorf("prefs: %s has %d values for shape [%d, %d]", f.name, len(f.xs), b.B, b.T)
		}
		if err := checkFinite(f.name, f.xs); err != nil {
			return nil, err
		}
	}
	return maskedWeights(b.Mask, b.B, b.T, v.SequenceMean)
}

// Forward computes the value loss.
func (v ValueLoss) Forward(b ValueBatch) (float64, error) {
	w, err := v.weights(b)
	if err != nil {
		return 0, err
	}
	loss := 0.0
	for i := range b.Values {
		if b.Mask[i] {
			l, _ := v.token(b.Values[i], b.OldValues[i], b.Returns[i])
			loss += w[i] * l
		}
	}
	return loss / 2, nil
}

// Backward returns the gradient of the value loss with respect to the
// values [B·T].
func (v ValueLoss) Backward(b ValueBatch) ([]float64, error) {
	w, err := v.weights(b)
	if err != nil {
		return nil, err
	}
	g := make([]float64, len(b.Values))
	for i := range b.Values {
		if b.Mask[i] {
			_, d := v.token(b.Values[i], b.OldValues[i], b.Returns[i])
			g[i] = w[i] * d / 2
		}
	}
	return g, nil
}
