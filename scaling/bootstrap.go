package scaling

import (
	"math"
	"math/rand/v2"
	"slices"
)

// resampleIndices draws k bootstrap resamples of n runs, each n indices
// drawn with replacement, from a PCG generator seeded with seed. The draws
// happen up front and in order, so they do not depend on how the resamples
// are then fitted.
func resampleIndices(n, k int, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, 0x5ca1ab1e))
	out := make([][]int, k)
	for j := range out {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		out[j] = idx
	}
	return out
}

// pick returns the runs at idx.
func pick(runs []Run, idx []int) []Run {
	out := make([]Run, len(idx))
	for i, j := range idx {
		out[i] = runs[j]
	}
	return out
}

// percentileInterval is the central level interval of xs: the (1−level)/2
// and (1+level)/2 quantiles, interpolated linearly between order
// statistics (R's type 7). xs is sorted in place.
func percentileInterval(xs []float64, level float64) Interval {
	slices.Sort(xs)
	q := func(p float64) float64 {
		h := p * float64(len(xs)-1)
		lo := int(math.Floor(h))
		if lo+1 >= len(xs) {
			return xs[len(xs)-1]
		}
		return xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo])
	}
	return Interval{Lo: q((1 - level) / 2), Hi: q((1 + level) / 2)}
}
