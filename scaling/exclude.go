package scaling

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// ExcludeWorst drops the k candidate runs that a first fit describes
// worst: the largest |log L − log predict(run)|, ties to the earlier run.
// Runs not among the candidates are always kept (for a Kaplan law the
// candidates are its envelope; runs above it are not misfits). It returns
// the kept runs, in their order, and the dropped ones.
func ExcludeWorst(runs, candidates []Run, k int, predict func(Run) float64) (kept, dropped []Run, err error) {
	if k < 0 {
		return nil, nil, fmt.Errorf("exclude %d runs: want 0 or more", k)
	}
	if k >= len(candidates) {
		return nil, nil, fmt.Errorf("excluding the %d worst-fitted runs would leave none of %d to fit", k, len(candidates))
	}
	order := slices.Clone(candidates)
	misfit := func(r Run) float64 { return math.Abs(math.Log(r.Loss) - math.Log(predict(r))) }
	slices.SortStableFunc(order, func(a, b Run) int { return cmp.Compare(misfit(b), misfit(a)) })
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
