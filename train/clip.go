package train

import (
	"math"
	"runtime"
	"sync"
)

// normChunk is the number of gradients per partial sum of GlobalNorm: the
// partial sums, and so the result's bits, do not depend on the threads.
const normChunk = 1 << 16

// GlobalNorm is the L2 norm of grads, accumulated in float64 over fixed
// chunks on all cores and combined in chunk order.
func GlobalNorm(grads []float32) float64 {
	chunks := (len(grads) + normChunk - 1) / normChunk
	partial := make([]float64, chunks)
	parallelChunks(chunks, func(c int) {
		var ss float64
		for _, g := range grads[c*normChunk : min(len(grads), (c+1)*normChunk)] {
			ss += float64(g) * float64(g)
		}
		partial[c] = ss
	})
	var ss float64
	for _, p := range partial {
		ss += p
	}
	return math.Sqrt(ss)
}

// ClipScale is the factor that brings a gradient of norm norm to at most
// maxNorm, as torch.nn.utils.clip_grad_norm_ computes it: maxNorm/(norm +
// 1e-6) when norm > maxNorm, else 1. maxNorm ≤ 0 means no clipping, and a
// non-finite norm gives 1, for the caller to stop on.
func ClipScale(norm, maxNorm float64) float64 {
	if maxNorm <= 0 || !(norm > maxNorm) || math.IsInf(norm, 0) {
		return 1
	}
	return maxNorm / (norm + 1e-6)
}

// ClipGlobalNorm scales grads in place so that their norm is at most
// maxNorm (ClipScale) and returns the norm before clipping. A trainer can
// instead hand ClipScale's factor to AdamW.UpdateScaled, which applies it
// on the fly and saves a pass over the gradients.
func ClipGlobalNorm(grads []float32, maxNorm float64) float64 {
	norm := GlobalNorm(grads)
	if s := ClipScale(norm, maxNorm); s != 1 {
		s32 := float32(s)
		parallelChunks((len(grads)+normChunk-1)/normChunk, func(c int) {
			for i := c * normChunk; i < min(len(grads), (c+1)*normChunk); i++ {
				grads[i] *= s32
			}
		})
	}
	return norm
}

// parallelChunks runs f(0..n-1) over GOMAXPROCS goroutines in contiguous
// runs of chunks.
func parallelChunks(n int, f func(c int)) {
	threads := max(1, min(runtime.GOMAXPROCS(0), n))
	var wg sync.WaitGroup
	for k := range threads {
		wg.Go(func() {
			for c := k * n / threads; c < (k+1)*n/threads; c++ {
				f(c)
			}
		})
	}
	wg.Wait()
}
