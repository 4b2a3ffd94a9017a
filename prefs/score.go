package prefs

import (
	"errors"
	"fmt"
)

// PairScore is one scored line of a pair log.
type PairScore struct {
	Line                         int
	Loss                         float64 // the pair's preference term
	ChosenReward, RejectedReward float64
}

// PairSummary is the whole log scored as one batch.
type PairSummary struct {
	Result                           // the loss's forward pass over every pair
	LogpChosen, LogpRejected float64 // mean policy log-probabilities, as the loss saw them
}

// LogFieldsFor says what a pair log must carry for loss l: the reference's
// log-probabilities if l needs them, and the lengths if l needs them or the
// log's reduction (averaged or not) is not the one l wants.
func LogFieldsFor(l PairLoss, averaged bool) LogFields {
	return LogFields{Reference: l.NeedsReference(), Lengths: l.NeedsLengths() || l.Averaged() != averaged}
}

// ScorePairs computes loss l over logged pairs, as one batch. averaged says
// whether the logged log-probabilities are length averages (else sums); they
// are converted to what l wants. A bad value is reported with its line.
func ScorePairs(l PairLoss, logged []LoggedPair, averaged bool) ([]PairScore, PairSummary, error) {
	n := len(logged)
	p := Pairs{PolicyChosen: make([]float64, n), PolicyRejected: make([]float64, n)}
	if l.NeedsReference() {
		p.RefChosen, p.RefRejected = make([]float64, n), make([]float64, n)
	}
	if l.NeedsLengths() {
		p.ChosenLengths = make([]int, n)
	}
	for i, lp := range logged {
		cScale, rScale := 1.0, 1.0
		switch {
		case l.Averaged() && !averaged:
			cScale, rScale = 1/float64(lp.ChosenLen), 1/float64(lp.RejectedLen)
		case !l.Averaged() && averaged:
			cScale, rScale = float64(lp.ChosenLen), float64(lp.RejectedLen)
		}
		p.PolicyChosen[i], p.PolicyRejected[i] = lp.PolicyChosen*cScale, lp.PolicyRejected*rScale
		if p.RefChosen != nil {
			p.RefChosen[i], p.RefRejected[i] = lp.RefChosen*cScale, lp.RefRejected*rScale
		}
		if p.ChosenLengths != nil {
			p.ChosenLengths[i] = lp.ChosenLen
		}
	}
	r, err := l.Forward(p)
	if err != nil {
		return nil, PairSummary{}, atLine(err, func(i int) int { return logged[i].Line }, nil)
	}
	scores := make([]PairScore, n)
	for i := range logged {
		scores[i] = PairScore{Line: logged[i].Line, Loss: r.Losses[i], ChosenReward: r.ChosenRewards[i], RejectedReward: r.RejectedRewards[i]}
	}
	return scores, PairSummary{Result: r, LogpChosen: Mean(p.PolicyChosen), LogpRejected: Mean(p.PolicyRejected)}, nil
}

// ExampleScore is one scored KTO example.
type ExampleScore struct {
	Line         int
	Desirable    bool
	Loss, Reward float64
}

// ScoreKTO computes KTO over logged examples as one batch; the KL reference
// point is estimated from every line that carries policy_kl and ref_kl.
func ScoreKTO(k KTO, logged []LoggedExample) ([]ExampleScore, KTOResult, error) {
	var u Unpaired
	var klLines []int
	for _, e := range logged {
		u.Policy = append(u.Policy, e.Policy)
		u.Ref = append(u.Ref, e.Ref)
		u.Desirable = append(u.Desirable, e.Desirable)
		if e.HasKL {
			u.PolicyKL = append(u.PolicyKL, e.PolicyKL)
			u.RefKL = append(u.RefKL, e.RefKL)
			klLines = append(klLines, e.Line)
		}
	}
	r, err := k.Forward(u)
	if err != nil {
		return nil, KTOResult{}, atLine(err, func(i int) int { return logged[i].Line }, func(i int) int { return klLines[i] })
	}
	scores := make([]ExampleScore, len(logged))
	for i, e := range logged {
		scores[i] = ExampleScore{Line: e.Line, Desirable: e.Desirable, Loss: r.Losses[i], Reward: r.Rewards[i]}
	}
	return scores, r, nil
}

// atLine rewrites a ValueError about example i (or KL pair i) as one about
// its line.
func atLine(err error, line, klLine func(i int) int) error {
	var ve *ValueError
	if !errors.As(err, &ve) {
		return err
	}
	at := line
	if ve.Field == "policy_kl" || ve.Field == "ref_kl" {
		at = klLine
	}
	return fmt.Errorf("line %d: %s = %v: %s", at(ve.Index), ve.Field, ve.Value, ve.Want)
}
