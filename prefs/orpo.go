package prefs

import "math"

// ORPO is Odds Ratio Preference Optimization (Hong et al. 2024) as TRL
// v0.24.0's ORPOTrainer computes it (odds_ratio_loss and
// get_batch_loss_metrics). On length-averaged log-probabilities x = log p,
// with log odds(p) = x − log(1 − eˣ):
//
//	lo_i  = log odds(p_c) − log odds(p_r)
//	Loss  = NLL(chosen) − λ·mean_i log σ(lo_i)
//
// NLL is the token-mean negative log-likelihood of the chosen completions
// (so Pairs needs ChosenLengths). The rewards are λ·x. No reference model.
type ORPO struct {
	Lambda float64 // λ, TRL's beta (default 0.1)
}

// NeedsReference is false: ORPO has no reference model.
func (o ORPO) NeedsReference() bool { return false }

// Averaged is true: ORPO works on length-averaged log-probabilities.
func (o ORPO) Averaged() bool { return true }

// NeedsLengths is true, for the NLL term.
func (o ORPO) NeedsLengths() bool { return true }

func (o ORPO) validate(p Pairs) (int, error) {
	if err := checkBeta("ORPO lambda", o.Lambda); err != nil {
		return 0, err
	}
	n, err := p.check(false, true)
	if err != nil {
		return 0, err
	}
	for _, f := range []field{{"policy_chosen", p.PolicyChosen}, {"policy_rejected", p.PolicyRejected}} {
		for i, x := range f.xs {
			if !(x < 0) {
				return 0, &ValueError{Field: f.name, Index: i, Value: x, Want: "ORPO's odds need a log-probability below 0 (a probability of 1 has infinite odds)"}
			}
		}
	}
	return n, nil
}

// logOdds returns lo_i and log(1 − p) of both sides.
func logOdds(xc, xr float64) (lo, l1c, l1r float64) {
	l1c, l1r = log1mexp(xc), log1mexp(xr)
	return (xc - xr) - (l1c - l1r), l1c, l1r
}

// Forward computes the per-pair odds-ratio terms −λ·log σ(lo_i), the
// rewards, the NLL term and the total loss.
func (o ORPO) Forward(p Pairs) (Result, error) {
	n, err := o.validate(p)
	if err != nil {
		return Result{}, err
	}
	r := Result{Losses: make([]float64, n), ChosenRewards: make([]float64, n), RejectedRewards: make([]float64, n)}
	ratios, odds := 0.0, 0.0
	for i := range n {
		lo, _, _ := logOdds(p.PolicyChosen[i], p.PolicyRejected[i])
		ratio := logSigmoid(lo)
		r.Losses[i] = -o.Lambda * ratio
		r.ChosenRewards[i] = o.Lambda * p.PolicyChosen[i]
		r.RejectedRewards[i] = o.Lambda * p.PolicyRejected[i]
		ratios += ratio
		odds += lo
	}
	r.NLL, _ = chosenNLL(p.PolicyChosen, p.ChosenLengths, true)
	r.Loss = r.NLL + Mean(r.Losses)
	r.LogOddsRatio, r.LogOddsChosen = ratios/float64(n), odds/float64(n)
	return r, nil
}

// Backward computes the gradient of Loss with respect to the averaged
// log-probabilities. d lo/dx_c = 1/(1 − p_c) and d lo/dx_r = −1/(1 − p_r),
// so the odds-ratio term gives ∓(λ/N)·σ(−lo)/(1 − p), taken as
// exp(−softplus(lo) − log(1 − p)): finite as p → 1, where σ(−lo) → 0 and
// 1/(1 − p) → ∞.
func (o ORPO) Backward(p Pairs) (PairGrads, error) {
	n, err := o.validate(p)
	if err != nil {
		return PairGrads{}, err
	}
	_, g := chosenNLL(p.PolicyChosen, p.ChosenLengths, true)
	grads := PairGrads{Chosen: g, Rejected: make([]float64, n)}
	scale := o.Lambda / float64(n)
	for i := range n {
		lo, l1c, l1r := logOdds(p.PolicyChosen[i], p.PolicyRejected[i])
		logSigNeg := -softplus(lo)
		grads.Chosen[i] -= scale * math.Exp(logSigNeg-l1c)
		grads.Rejected[i] = scale * math.Exp(logSigNeg-l1r)
	}
	return grads, nil
}
