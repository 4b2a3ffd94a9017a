package loss

import (
	"sync"
)

// workspace is one goroutine's scratch: rows of V float32, never N·V.
type workspace struct {
	in   []float32 // converted or soft-capped logits of the current row
	grad []float32 // float32 gradient row before it is stored as 16-bit
	aux  []float32 // soft-cap derivative of the current row
	f64  []float64 // float64 rows of the divergences
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// grow returns buf resized to n, reallocated only when it is too small.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// minRowsWork is the least number of logits worth a goroutine of its own.
const minRowsWork = 1 << 15

// forRows calls do(i, ws) for every row i in [0, n), spread over up to
// threads goroutines in contiguous blocks. Rows are independent, so the
// results do not depend on the split. Each worker stops at its first error;
// the error of the lowest row is returned, whatever the thread count.
func forRows(n, v, threads int, do func(i int, ws *workspace) error) error {
	threads = max(1, min(threads, n, n*v/minRowsWork))
	if threads <= 1 {
		ws := workspaces.Get().(*workspace)
		defer workspaces.Put(ws)
		for i := range n {
			if err := do(i, ws); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, threads)
	var wg sync.WaitGroup
	for k := range threads {
		lo, hi := k*n/threads, (k+1)*n/threads
		wg.Go(func() {
			ws := workspaces.Get().(*workspace)
			defer workspaces.Put(ws)
			for i := lo; i < hi; i++ {
				if err := do(i, ws); err != nil {
					errs[k] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
