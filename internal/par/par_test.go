package par

import (
	"sync/atomic"
	"testing"
)

// TestSplitCoversOnce checks that every index is visited exactly once, by
// workers numbered below threads, for small and large n.
func TestSplitCoversOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 100} {
		for _, threads := range []int{0, 1, 2, 3, 16} {
			seen := make([]atomic.Int32, n)
			Split(n, threads, func(worker, lo, hi int) {
				if worker >= max(threads, 1) {
					t.Errorf("n %d threads %d: worker %d", n, threads, worker)
				}
				for i := lo; i < hi; i++ {
					seen[i].Add(1)
				}
			})
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("n %d threads %d: index %d visited %d times", n, threads, i, c)
				}
			}
		}
	}
}
