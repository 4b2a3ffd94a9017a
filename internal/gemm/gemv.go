package gemm

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"
)

// gemvKernels are one implementation's matrix–vector kernels for weights
// of type T: float32, or bfloat16 bits (uint16) widened as they are read.
// Every sum runs over p in order, one multiply-add at a time with the
// micro-kernel's rounding (fused for the assembly, as in Go for generic).
type gemvKernels[T float32 | uint16] struct {
	// n adds x [k]·W [k, n] to t: t[j] += Σ_p x[p]·w[p·ldw+j], j < n.
	n func(k, n int, x *float32, w *T, ldw int, t *float32)
	// t sets y[i] = alpha·Σ_p w[i·ldw+p]·x[p] + beta·y[i] for i < rows;
	// t2, if set, for i < 2·rows (two blocks, two chains of FMAs in
	// flight; more blocks, more rows streaming at once, measured slower).
	t, t2 func(k int, w *T, ldw int, x, y *float32, alpha, beta float32)
	rows  int
	// dot is t for one row.
	dot func(k int, w *T, x, y *float32, alpha, beta float32)
}

// Sgemv is Sgemm with one row of A: y = alpha·x·op(W) + beta·y, with
// x [K], y [N] and op(W) [K, N]: W stored [K, N] (GPT-2's Conv1D weights)
// or, when transW is Trans, [N, K] (nn.Linear, a tied output head), row-major with
// leading dimension ldw. It gives exactly the bits of
//
//	Sgemm(NoTrans, transW, 1, n, k, alpha, x, k, w, ldw, beta, y, n, threads)
//
// under the same implementation, but reads W once, in place, without
// packing it: a decoding step's matrix products are matrix–vector ones,
// bound by the bandwidth that streams the weights. Up to threads
// goroutines (≤ 0: GOMAXPROCS) take pieces of it in turn (see the package
// doc). beta == 0 does not read y; alpha == 0 or k == 0 does not read x
// or W. Inconsistent sizes panic.
func Sgemv(transW Transpose, n, k int, alpha float32, x, w []float32, ldw int, beta float32, y []float32, threads int) {
	im := impls.Current()
	gemv(im, im.gemv, transW, n, k, alpha, x, w, ldw, beta, y, threads)
}

// SgemvBF16 is Sgemv with W held as bfloat16 bits, widened to float32 as
// it is read (half the bytes to stream); x, the sums and y are float32. It
// gives exactly the bits of Sgemv on the widened W.
func SgemvBF16(transW Transpose, n, k int, alpha float32, x []float32, w []uint16, ldw int, beta float32, y []float32, threads int) {
	im := impls.Current()
	gemv(im, im.gemvBF16, transW, n, k, alpha, x, w, ldw, beta, y, threads)
}

func gemv[T float32 | uint16](im *impl, ks *gemvKernels[T], transW Transpose, n, k int, alpha float32, x []float32, w []T, ldw int, beta float32, y []float32, threads int) {
	if n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension n=%d k=%d in Sgemv", n, k))
	}
	checkMatrix("x", x, 1, k, max(1, k))
	if transW == Trans {
		checkMatrix("w", w, n, k, ldw)
	} else {
		checkMatrix("w", w, k, n, ldw)
	}
	checkMatrix("y", y, 1, n, max(1, n))
	if n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(1, n, beta, y, n)
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	// Below about 32k multiply-adds (128 KB of weights) per goroutine
	// the start-up costs more than it saves.
	threads = max(1, min(threads, n*k>>15))
	if transW == Trans {
		gemvRows(im, ks, n, k, alpha, x, w, ldw, beta, y, threads)
	} else {
		gemvCols(im, ks, n, k, alpha, x, w, ldw, beta, y, threads)
	}
}

// gemvUnit is the granule of columns the goroutines split y into: a cache
// line of float32, so that no two of them write the same line.
const gemvUnit = 16

// gemvShare is how many pieces of a product there are per goroutine. The
// goroutines take pieces in turn, so that one held up (a core busy with
// another process) leaves its share to the others instead of holding up
// the product.
const gemvShare = 4

var gemvBuffers = sync.Pool{New: func() any { return new([]float32) }}

// gemvCols is y = alpha·x·W + beta·y for W [k, n]. Each KC block of rows
// (the blocking of Sgemm, whose sums it reproduces) accumulates its part
// of x·W into a float32 buffer of its own, whole rows at a time where
// there are blocks enough for the goroutines, else in column chunks; then
// the buffers fold into y in block order, y = alpha·acc + beta′·y.
func gemvCols[T float32 | uint16](im *impl, ks *gemvKernels[T], n, k int, alpha float32, x []float32, w []T, ldw int, beta float32, y []float32, threads int) {
	blocks, granules := ceilDiv(k, im.kc), ceilDiv(n, gemvUnit)
	parts := min(threads, blocks*granules)
	chunks := 1 // of columns per block: each goroutine gets two pieces or more
	if parts > 1 {
		chunks = min(granules, ceilDiv(2*parts, blocks))
	}
	buf := gemvBuffers.Get().(*[]float32)
	defer gemvBuffers.Put(buf)
	acc := growBuffer(buf, blocks*n)
	ForPieces(parts, blocks*chunks, func(u int) {
		b, c := u/chunks, u%chunks
		lo, hi := share(granules, c, chunks)
		lo, hi = lo*gemvUnit, min(n, hi*gemvUnit)
		p0 := b * im.kc
		a := acc[b*n+lo : b*n+hi]
		clear(a)
		ks.n(min(im.kc, k-p0), hi-lo, &x[p0], &w[p0*ldw+lo], ldw, &a[0])
	})
	for b := range blocks {
		if b > 0 {
			beta = 1
		}
		im.gemvScale(n, &acc[b*n], &y[0], alpha, beta)
	}
}

// gemvRows is y = alpha·W·x + beta·y for W [n, k], in pieces of blocks of
// ks.rows rows, two blocks at a time where it can, each through its KC
// blocks of columns in order; the rows past the last block are a piece
// of their own.
func gemvRows[T float32 | uint16](im *impl, ks *gemvKernels[T], n, k int, alpha float32, x []float32, w []T, ldw int, beta float32, y []float32, threads int) {
	blocks := n / ks.rows
	parts := max(1, min(threads, blocks))
	pieces := pieceCount(blocks, parts)
	tail := 0
	if blocks*ks.rows < n {
		tail = 1
	}
	ForPieces(parts, pieces+tail, func(u int) {
		if u == pieces {
			for r := blocks * ks.rows; r < n; r++ {
				kcBlocks(im.kc, k, beta, func(p0, kb int, bt float32) {
					ks.dot(kb, &w[r*ldw+p0], &x[p0], &y[r], alpha, bt)
				})
			}
			return
		}
		lo, hi := share(blocks, u, pieces)
		for b := lo; b < hi; {
			kernel, nb := ks.t, 1
			if ks.t2 != nil && b+2 <= hi {
				kernel, nb = ks.t2, 2
			}
			r := b * ks.rows
			kcBlocks(im.kc, k, beta, func(p0, kb int, bt float32) {
				kernel(kb, &w[r*ldw+p0], ldw, &x[p0], &y[r], alpha, bt)
			})
			b += nb
		}
	})
}

// kcBlocks runs f over the KC blocks [p0, p0+kb) of k in order, with the
// beta each folds into y with: the caller's for the first, 1 after it.
func kcBlocks(kc, k int, beta float32, f func(p0, kb int, bt float32)) {
	for p0 := 0; p0 < k; p0 += kc {
		f(p0, min(kc, k-p0), beta)
		beta = 1
	}
}

// pieceCount is how many pieces n units of work make for parts goroutines:
// one for one goroutine, else gemvShare each, at most n.
func pieceCount(n, parts int) int {
	if parts <= 1 {
		return min(n, 1)
	}
	return min(n, gemvShare*parts)
}

// widen is a weight as float32: itself, or a bfloat16's bits shifted into
// the high half.
func widen[T float32 | uint16](v T) float32 {
	if b, ok := any(v).(uint16); ok {
		return math.Float32frombits(uint32(b) << 16)
	}
	return float32(v)
}

// gemvNGeneric is the portable gemvKernels.n, with kernelGeneric's
// arithmetic (c += a·b).
func gemvNGeneric[T float32 | uint16](k, n int, x *float32, w *T, ldw int, t *float32) {
	xs, ws, ts := unsafe.Slice(x, k), unsafe.Slice(w, (k-1)*ldw+n), unsafe.Slice(t, n)
	for p, xp := range xs {
		for j, v := range ws[p*ldw : p*ldw+n] {
			ts[j] += xp * widen(v)
		}
	}
}

// gemvDotGeneric is the portable gemvKernels.dot, with kernelGeneric's
// arithmetic and epilogue.
func gemvDotGeneric[T float32 | uint16](k int, w *T, x, y *float32, alpha, beta float32) {
	xs := unsafe.Slice(x, k)
	var acc float32
	for p, v := range unsafe.Slice(w, k) {
		acc += xs[p] * widen(v)
	}
	*y = epilogue(acc, *y, alpha, beta)
}

// epilogue is kernelGeneric's C = alpha·acc + beta·C; beta == 0 ignores c.
func epilogue(acc, c, alpha, beta float32) float32 {
	t := alpha * acc
	if beta == 0 {
		return t
	}
	return beta*c + t
}

// gemvScaleGeneric sets y[j] = alpha·t[j] + beta·y[j] for j < n as
// kernelGeneric's epilogue does.
func gemvScaleGeneric(n int, t, y *float32, alpha, beta float32) {
	ys := unsafe.Slice(y, n)
	for j, v := range unsafe.Slice(t, n) {
		ys[j] = epilogue(v, ys[j], alpha, beta)
	}
}

// genericGemv returns the portable kernels for weights of type T: one row
// at a time.
func genericGemv[T float32 | uint16]() *gemvKernels[T] {
	return &gemvKernels[T]{
		n:    gemvNGeneric[T],
		rows: 1,
		t: func(k int, w *T, _ int, x, y *float32, alpha, beta float32) {
			gemvDotGeneric(k, w, x, y, alpha, beta)
		},
		dot: gemvDotGeneric[T],
	}
}
