package prefs

import (
	"fmt"
	"math"
)

// KTO is Kahneman–Tversky Optimization (Ethayarajh et al. 2024) as TRL
// v0.24.0's KTOTrainer.kto_loss computes it (loss_type "kto"). Examples are
// unpaired: a completion is desirable or undesirable. With r = π − ref and
// the reference point
//
//	KL = max(0, mean_j(π_KL[j] − ref_KL[j]))
//
// estimated on mismatched prompt/completion pairs (each prompt with another
// example's completion) and detached, the losses are
//
//	desirable:    w_d·(1 − σ(β(r − KL)))
//	undesirable:  w_u·(1 − σ(β(KL − r)))
//
// and Loss is their mean over all examples. The rewards are β·r.
type KTO struct {
	Beta              float64
	DesirableWeight   float64 // w_d (TRL's default 1)
	UndesirableWeight float64 // w_u (TRL's default 1)
}

// Unpaired holds N KTO examples and the M mismatched pairs of the KL
// estimate (M = 0 gives KL = 0, TRL's setting when no KL is computed).
type Unpaired struct {
	Policy, Ref []float64 // [N] sequence log-probabilities (sums)
	Desirable   []bool    // [N]
	// PolicyKL, RefKL: [M] log-probabilities of mismatched completions, the
	// policy's taken without gradient.
	PolicyKL, RefKL []float64
}

// KTOResult is the forward pass of KTO over N examples.
type KTOResult struct {
	Losses  []float64 // [N] weighted per-example losses
	Rewards []float64 // [N] β·(π − ref), detached
	KL      float64   // the clamped, detached reference point
	Loss    float64   // Mean(Losses)
}

// NeedsReference is true: KTO's rewards are log-ratios to a reference.
func (k KTO) NeedsReference() bool { return true }

func (k KTO) validate(u Unpaired) (int, error) {
	if err := checkBeta("KTO beta", k.Beta); err != nil {
		return 0, err
	}
	if err := checkWeight("KTO desirable weight", k.DesirableWeight); err != nil {
		return 0, err
	}
	if err := checkWeight("KTO undesirable weight", k.UndesirableWeight); err != nil {
		return 0, err
	}
	n := len(u.Policy)
	if n == 0 {
		return 0, fmt.Errorf("prefs: no KTO examples")
	}
	if len(u.Ref) != n || len(u.Desirable) != n {
		return 0, fmt.Errorf("prefs: KTO has %d policy, %d reference log-probabilities and %d labels", n, len(u.Ref), len(u.Desirable))
	}
	if len(u.PolicyKL) != len(u.RefKL) {
		return 0, fmt.Errorf("prefs: KTO has %d policy and %d reference KL log-probabilities", len(u.PolicyKL), len(u.RefKL))
	}
	for _, f := range []field{{"policy", u.Policy}, {"ref", u.Ref}, {"policy_kl", u.PolicyKL}, {"ref_kl", u.RefKL}} {
		if err := checkFinite(f.name, f.xs); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// kl is the detached reference point max(0, Mean(π_KL − ref_KL)).
func (u Unpaired) kl() float64 {
	if len(u.PolicyKL) == 0 {
		return 0
	}
	s := 0.0
	for j := range u.PolicyKL {
		s += u.PolicyKL[j] - u.RefKL[j]
	}
	return math.Max(0, s/float64(len(u.PolicyKL)))
}

// at returns example i's loss and its derivative with respect to π_i.
// 1 − σ(x) is computed as σ(−x), exact where TRL's form rounds to 0.
func (k KTO) at(u Unpaired, i int, kl float64) (loss, dpolicy float64) {
	x := k.Beta * ((u.Policy[i] - u.Ref[i]) - kl)
	slope := k.Beta * sigmoid(x) * sigmoid(-x) // dσ(x)/dπ
	if u.Desirable[i] {
		return k.DesirableWeight * sigmoid(-x), -k.DesirableWeight * slope
	}
	return k.UndesirableWeight * sigmoid(x), k.UndesirableWeight * slope
}

// Forward computes the per-example losses, rewards, KL and mean loss.
func (k KTO) Forward(u Unpaired) (KTOResult, error) {
	n, err := k.validate(u)
	if err != nil {
		return KTOResult{}, err
	}
	r := KTOResult{Losses: make([]float64, n), Rewards: make([]float64, n), KL: u.kl()}
	for i := range n {
		r.Losses[i], _ = k.at(u, i, r.KL)
		r.Rewards[i] = k.Beta * (u.Policy[i] - u.Ref[i])
	}
	r.Loss = Mean(r.Losses)
	return r, nil
}

// Backward computes the gradient of the mean loss with respect to the
// policy's log-probabilities [N] (the KL term is detached: no gradient
// reaches PolicyKL).
func (k KTO) Backward(u Unpaired) ([]float64, error) {
	n, err := k.validate(u)
	if err != nil {
		return nil, err
	}
	kl := u.kl()
	g := make([]float64, n)
	for i := range n {
		_, d := k.at(u, i, kl)
		g[i] = d / float64(n)
	}
	return g, nil
}
