package prefs

import (
	"fmt"
	"math"
)

// Pairs holds the sequence log-probabilities of N preference pairs: a
// prompt, a chosen and a rejected completion. Which reduction made them
// (sum or length average) is the loss's business: see PairLoss.Averaged.
type Pairs struct {
	PolicyChosen, PolicyRejected []float64 // [N] log π(y|x) of the policy being trained
	RefChosen, RefRejected       []float64 // [N] the frozen reference; nil for losses that need none
	// ChosenLengths: [N] completion tokens of the chosen side, for the NLL
	// term of ORPO and CPO (nil otherwise).
	ChosenLengths []int
}

// Result is the forward pass of a pairwise loss over N pairs.
type Result struct {
	Losses          []float64 // [N] the per-pair preference term
	ChosenRewards   []float64 // [N] implicit rewards of the chosen side (detached)
	RejectedRewards []float64 // [N] and of the rejected side
	NLL             float64   // the NLL term on the chosen side (ORPO, CPO with α > 0), else 0
	// Loss is the objective being minimised: Mean(Losses), plus the NLL
	// term where the loss has one.
	Loss float64
	// LogOddsRatio and LogOddsChosen are ORPO's logged metrics: the mean of
	// log σ(log odds ratio) and of the log odds ratio itself.
	LogOddsRatio, LogOddsChosen float64
}

// Accuracy is the fraction of pairs whose chosen reward beats the rejected
// one (TRL's rewards/accuracies).
func (r Result) Accuracy() float64 {
	wins := 0.0
	for i := range r.ChosenRewards {
		if r.ChosenRewards[i] > r.RejectedRewards[i] {
			wins++
		}
	}
	return wins / float64(len(r.ChosenRewards))
}

// Margin is the mean of chosen minus rejected reward (rewards/margins).
func (r Result) Margin() float64 {
	return Mean(r.ChosenRewards) - Mean(r.RejectedRewards)
}

// MeanRewards are the mean chosen and rejected rewards (rewards/chosen,
// rewards/rejected).
func (r Result) MeanRewards() (chosen, rejected float64) {
	return Mean(r.ChosenRewards), Mean(r.RejectedRewards)
}

// PreferenceLoss is the mean of the per-pair terms, Loss without the NLL
// term.
func (r Result) PreferenceLoss() float64 { return Mean(r.Losses) }

// PairGrads is the gradient of Result.Loss with respect to the policy's
// sequence log-probabilities.
type PairGrads struct {
	Chosen, Rejected []float64 // [N]
}

// PairLoss is a loss over preference pairs: DPO, ORPO and CPO/SimPO.
type PairLoss interface {
	Forward(p Pairs) (Result, error)
	Backward(p Pairs) (PairGrads, error)
	// NeedsReference says whether Pairs must carry the reference model's
	// log-probabilities.
	NeedsReference() bool
	// Averaged says whether the sequence log-probabilities must be length
	// averages (IPO, ORPO, SimPO) rather than sums.
	Averaged() bool
	// NeedsLengths says whether Pairs must carry ChosenLengths.
	NeedsLengths() bool
}

// check validates p for a loss: equal lengths, finite log-probabilities,
// the reference when needed, lengths when needed.
func (p Pairs) check(needRef, needLengths bool) (int, error) {
	n := len(p.PolicyChosen)
	if n == 0 {
		return 0, fmt.Errorf("prefs: no pairs")
	}
	fields := []field{{"policy_chosen", p.PolicyChosen}, {"policy_rejected", p.PolicyRejected}}
	if needRef {
		fields = append(fields, field{"ref_chosen", p.RefChosen}, field{"ref_rejected", p.RefRejected})
	}
	for _, f := range fields {
		if len(f.xs) != n {
			return 0, fmt.Errorf("prefs: %s has %d values for %d pairs", f.name, len(f.xs), n)
		}
		if err := checkFinite(f.name, f.xs); err != nil {
			return 0, err
		}
	}
	if needLengths {
		if len(p.ChosenLengths) != n {
			return 0, fmt.Errorf("prefs: chosen lengths has %d values for %d pairs", len(p.ChosenLengths), n)
		}
		for i, l := range p.ChosenLengths {
			if l < 1 {
				return 0, fmt.Errorf("prefs: chosen length %d at pair %d: a completion has at least one token", l, i)
			}
		}
	}
	return n, nil
}

// field is a named slice of inputs, for error messages.
type field struct {
	name string
	xs   []float64
}

// ValueError is a bad input value: the field, the example's index and what
// the value must be. Callers that know where example i came from (a file's
// line, say) can say so with errors.As.
type ValueError struct {
	Field string
	Index int
	Value float64
	Want  string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("prefs: %s[%d] = %v: %s", e.Field, e.Index, e.Value, e.Want)
}

// checkFinite rejects NaN and infinite inputs, naming the field and the
// index.
func checkFinite(name string, xs []float64) error {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return &ValueError{Field: name, Index: i, Value: x, Want: "must be finite"}
		}
	}
	return nil
}

// checkBeta rejects a non-positive or non-finite temperature.
func checkBeta(name string, beta float64) error {
	if !(beta > 0) || math.IsInf(beta, 0) {
		return fmt.Errorf("prefs: %s = %v: must be positive and finite", name, beta)
	}
	return nil
}

// checkWeight rejects a negative or non-finite weight.
func checkWeight(name string, w float64) error {
	if !(w >= 0) || math.IsInf(w, 0) {
		return fmt.Errorf("prefs: %s = %v: must be finite and ≥ 0", name, w)
	}
	return nil
}

// chosenNLL is the token-mean negative log-likelihood of the chosen
// completions, as TRL's cross_entropy over the chosen labels computes it:
//
//	NLL = −Σ_i S_i / Σ_i n_i,   S_i = logp_i·n_i when averaged, else logp_i,
//
// with its gradient with respect to each logp_i: −n_i/Σn (averaged) or
// −1/Σn (sum).
func chosenNLL(logps []float64, lengths []int, averaged bool) (nll float64, grad []float64) {
	total := 0
	for _, n := range lengths {
		total += n
	}
	grad = make([]float64, len(logps))
	for i, x := range logps {
		w := 1.0
		if averaged {
			w = float64(lengths[i])
		}
		nll -= x * w
		grad[i] = -w / float64(total)
	}
	return nll / float64(total), grad
}
