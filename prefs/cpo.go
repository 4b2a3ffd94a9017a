package prefs

import "fmt"

// CPO is Contrastive Preference Optimization (Xu et al. 2024) and, with
// SimPO set, SimPO (Meng et al. 2024), as TRL v0.24.0's CPOTrainer.cpo_loss
// computes them (loss_type "sigmoid" and "simpo", AlphaPO's alpha = 0).
// With the policy-only margin
//
//	z = π_c − π_r            (CPO: summed log-probabilities)
//	z = π_c − π_r − γ/β      (SimPO: length-averaged log-probabilities)
//
// the per-pair loss is −(1−ε)·log σ(βz) − ε·log σ(−βz), and
// Loss = mean + α·NLL(chosen), NLL the token-mean negative log-likelihood of
// the chosen completions. The rewards are β·π. No reference model.
type CPO struct {
	Beta           float64
	Gamma          float64 // SimPO's target margin γ (TRL's simpo_gamma, default 0.5)
	LabelSmoothing float64 // ε in [0, 0.5]
	Alpha          float64 // weight of the NLL term (TRL's cpo_alpha, default 1; SimPO's paper uses 0)
	SimPO          bool
}

// NeedsReference is false: CPO and SimPO have no reference model.
func (c CPO) NeedsReference() bool { return false }

// Averaged is true for SimPO (length-normalised rewards).
func (c CPO) Averaged() bool { return c.SimPO }

// NeedsLengths is true when the NLL term is on (α ≠ 0).
func (c CPO) NeedsLengths() bool { return c.Alpha != 0 }

func (c CPO) validate(p Pairs) (int, error) {
	if err := checkBeta("CPO beta", c.Beta); err != nil {
		return 0, err
	}
	if !(c.LabelSmoothing >= 0 && c.LabelSmoothing <= 0.5) {
		return 0, fmt.Errorf("prefs: CPO label smoothing %v: must lie in [0, 0.5]", c.LabelSmoothing)
	}
	if err := checkWeight("CPO alpha", c.Alpha); err != nil {
		return 0, err
	}
	if !c.SimPO && c.Gamma != 0 {
		return 0, fmt.Errorf("prefs: CPO gamma %v: the margin γ belongs to SimPO", c.Gamma)
	}
	if err := checkWeight("SimPO gamma", c.Gamma); err != nil {
		return 0, err
	}
	return p.check(false, c.NeedsLengths())
}

// margin is z of pair i.
func (c CPO) margin(p Pairs, i int) float64 {
	z := p.PolicyChosen[i] - p.PolicyRejected[i]
	if c.SimPO {
		z -= c.Gamma / c.Beta
	}
	return z
}

// Forward computes the per-pair losses, the rewards, the NLL term and Loss.
func (c CPO) Forward(p Pairs) (Result, error) {
	n, err := c.validate(p)
	if err != nil {
		return Result{}, err
	}
	r := Result{Losses: make([]float64, n), ChosenRewards: make([]float64, n), RejectedRewards: make([]float64, n)}
	for i := range n {
		r.Losses[i], _ = smoothedSigmoid(c.Beta*c.margin(p, i), c.LabelSmoothing)
		r.ChosenRewards[i] = c.Beta * p.PolicyChosen[i]
		r.RejectedRewards[i] = c.Beta * p.PolicyRejected[i]
	}
	r.Loss = Mean(r.Losses)
	if c.Alpha != 0 {
		r.NLL, _ = chosenNLL(p.PolicyChosen, p.ChosenLengths, c.SimPO)
		r.Loss += c.Alpha * r.NLL
	}
	return r, nil
}

// Backward computes the gradient of Loss with respect to the policy's
// chosen and rejected log-probabilities.
func (c CPO) Backward(p Pairs) (PairGrads, error) {
	n, err := c.validate(p)
	if err != nil {
		return PairGrads{}, err
	}
	g := PairGrads{Chosen: make([]float64, n), Rejected: make([]float64, n)}
	var nllGrad []float64
	if c.Alpha != 0 {
		_, nllGrad = chosenNLL(p.PolicyChosen, p.ChosenLengths, c.SimPO)
	}
	for i := range n {
		_, du := smoothedSigmoid(c.Beta*c.margin(p, i), c.LabelSmoothing)
		dz := c.Beta * du / float64(n)
		g.Chosen[i], g.Rejected[i] = dz, -dz
		if nllGrad != nil {
			g.Chosen[i] += c.Alpha * nllGrad[i]
		}
	}
	return g, nil
}
