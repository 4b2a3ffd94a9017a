package scaling

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// ExcludeHighestLoss drops the k runs with the highest loss (ties to the
// earlier run), before any fit: Epoch AI's criterion (see "Excluding runs"
// in the package doc). It returns the kept runs, in their order, and the
// dropped ones, highest loss first.
func ExcludeHighestLoss(runs []Run, k int) (kept, dropped []Run, err error) {
	return excludeFirst(runs, runs, k, "highest-loss", func(r Run) float64 { return r.Loss })
}

// ExcludeLargestResidual drops the k candidate runs that a first fit
// describes worst (see "Excluding runs" in the package doc): the largest |log L − log predict(run)|, ties to the
// earlier run. Runs not among the candidates are always kept (for a Kaplan
// law the candidates are its envelope; runs above it are not misfits). It
// returns the kept runs, in their order, and the dropped ones, worst first.
func ExcludeLargestResidual(runs, candidates []Run, k int, predict func(Run) float64) (kept, dropped []Run, err error) {
	return excludeFirst(runs, candidates, k, "worst-fitted", func(r Run) float64 { return math.Abs(math.Log(r.Loss) - math.Log(predict(r))) })
}

// excludeFirst drops the k candidates with the largest score (ties to the
// earlier candidate) from runs; what names the criterion in its error.
func excludeFirst(runs, candidates []Run, k int, what string, score func(Run) float64) (kept, dropped []Run, err error) {
	if k < 0 {
		return nil, nil, fmt.Errorf("exclude %d runs: want 0 or more", k)
	}
	if k >= len(candidates) {
		return nil, nil, fmt.Errorf("excluding the %d %s runs would leave none of %d to fit", k, what, len(candidates))
	}
	order := slices.Clone(candidates)
	slices.SortStableFunc(order, func(a, b Run) int { return cmp.Compare(score(b), score(a)) })
	dropped = order[:k]
	counts := map[Run]int{}
	for _, r := range dropped {
		counts[r]++
	}
	for _, r := range runs {
		if counts[r] > 0 {
			counts[r]--
			continue
		}
		kept = append(kept, r)
	}
	return kept, dropped, nil
}
