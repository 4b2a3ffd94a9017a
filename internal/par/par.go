// Package par splits a range of work over goroutines in contiguous parts.
// The parts depend only on n and the number of threads, so work that gives
// each index one fixed sequence of operations gives the same bits for any
// thread count.
package par

import "sync"

// Split splits [0, n) into at most threads contiguous parts and runs
// f(worker, lo, hi) on each concurrently; worker < threads. One part runs
// on the calling goroutine.
func Split(n, threads int, f func(worker, lo, hi int)) {
	parts := min(threads, n)
	if parts <= 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range parts {
		lo, hi := n*w/parts, n*(w+1)/parts
		wg.Go(func() { f(w, lo, hi) })
	}
	wg.Wait()
}
