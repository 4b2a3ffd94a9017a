package gemm

import (
	"fmt"
	"runtime"
)

// gemvRowsMax is the most rows of x one pass of SgemvRows takes; more go
// through Sgemm, whose packing pays for itself once W is reused that much.
const gemvRowsMax = 8

// gemvRowsCached is the most bytes of W stored [K, N] that SgemvRows
// leaves to Sgemm: a matrix in a core's L2 (1 MiB on Zen 4) costs little
// to pack, and the micro-kernel then beats a pass of Sgemv per row (7
// rows of a 256×768 W: 1.6–2.3× faster on the 2-core Zen 4); past it,
// Sgemv row by row is faster (3–4× at 768×2304).
const gemvRowsCached = 1 << 20

// gemvRowsT is a multi-row gemvKernels.t: for nx rows of x [nx, k] (leading
// dimension ldx) and of y (ldy), y[r·ldy+i] = alpha·Σ_p w[i·ldw+p]·x[r·ldx+p]
// + beta·y[r·ldy+i] for the i < rows of one block, each sum exactly the
// one t gives for x row r alone.
type gemvRowsT[T float32 | uint16] func(k int, w *T, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

// SgemvRows is Sgemv for m rows of x at once, the products of a step that
// decodes m sequences together: y = alpha·x·op(W) + beta·y with x [m, K]
// (leading dimension ldx), y [m, N] (ldy) and op(W) [K, N] as in Sgemv.
// Row i of y gets exactly the bits
//
//	Sgemv(transW, n, k, alpha, x[i·ldx:], w, ldw, beta, y[i·ldy:], threads)
//
// gives it. With W stored [N, K] (transW Trans) and m ≤ 8 the assembly
// kernels read each tile of W once and multiply it against all m rows of
// x while it is in registers (AVX2: up to 5 rows, more in two groups),
// so the step streams W once instead of m times (and does not pack it,
// as Sgemm would); more rows go through Sgemm, whose sums are the same,
// as does a W stored [K, N] of at most 1 MiB; elsewhere (a larger W
// stored [K, N], the Go kernels) it is Sgemv row by row.
func SgemvRows(transW Transpose, m, n, k int, alpha float32, x []float32, ldx int, w []float32, ldw int, beta float32, y []float32, ldy int, threads int) {
	im := impls.Current()
	if m > gemvRowsMax || m > 1 && transW == NoTrans && 4*n*k <= gemvRowsCached {
		Sgemm(NoTrans, transW, m, n, k, alpha, x, ldx, w, ldw, beta, y, ldy, threads)
		return
	}
	gemvRowsN(im, im.gemv, gemvRowsKernels[float32](im), Sgemv, transW, m, n, k, alpha, x, ldx, w, ldw, beta, y, ldy, threads)
}

// SgemvRowsBF16 is SgemvRows with W held as bfloat16 bits, as SgemvBF16:
// row i of y gets exactly the bits SgemvBF16 gives it.
func SgemvRowsBF16(transW Transpose, m, n, k int, alpha float32, x []float32, ldx int, w []uint16, ldw int, beta float32, y []float32, ldy int, threads int) {
	im := impls.Current()
	if m > gemvRowsMax || m > 1 && transW == NoTrans && 2*n*k <= gemvRowsCached {
		SgemmBF16(NoTrans, transW, m, n, k, alpha, x, ldx, w, ldw, beta, y, ldy, threads)
		return
	}
	gemvRowsN(im, im.gemvBF16, gemvRowsKernels[uint16](im), SgemvBF16, transW, m, n, k, alpha, x, ldx, w, ldw, beta, y, ldy, threads)
}

// gemvRowsN is SgemvRows for m ≤ gemvRowsMax: the multi-row kernels tn
// (tn[r] for 2 ≤ r < len(tn) rows; nil where there are none) over W
// [n, k], else one, Sgemv or SgemvBF16, row by row.
func gemvRowsN[T float32 | uint16](im *impl, ks *gemvKernels[T], tn []gemvRowsT[T],
	one func(Transpose, int, int, float32, []float32, []T, int, float32, []float32, int),
	transW Transpose, m, n, k int, alpha float32, x []float32, ldx int, w []T, ldw int, beta float32, y []float32, ldy int, threads int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d in SgemvRows", m, n, k))
	}
	checkMatrix("x", x, m, k, ldx)
	if transW == Trans {
		checkMatrix("w", w, n, k, ldw)
	} else {
		checkMatrix("w", w, k, n, ldw)
	}
	checkMatrix("y", y, m, n, ldy)
	if m == 0 || n == 0 {
		return
	}
	if m == 1 || tn == nil || transW != Trans || alpha == 0 || k == 0 {
		for i := range m {
			one(transW, n, k, alpha, x[i*ldx:], w, ldw, beta, y[i*ldy:], threads)
		}
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = max(1, min(threads, n*k>>15)) // as Sgemv
	// More rows than the widest kernel go in groups of about equal size,
	// each block of W read once per group (from the caches after the
	// first).
	groups := ceilDiv(m, len(tn)-1)
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
					for i := range m {
						ks.dot(kb, &w[r*ldw+p0], &x[i*ldx+p0], &y[i*ldy+r], alpha, bt)
					}
				})
			}
			return
		}
		lo, hi := share(blocks, u, pieces)
		for b := lo; b < hi; b++ {
			r := b * ks.rows
			for g := range groups {
				i0, i1 := share(m, g, groups)
				kcBlocks(im.kc, k, beta, func(p0, kb int, bt float32) {
					if i1-i0 == 1 {
						ks.t(kb, &w[r*ldw+p0], ldw, &x[i0*ldx+p0], &y[i0*ldy+r], alpha, bt)
						return
					}
					tn[i1-i0](kb, &w[r*ldw+p0], ldw, &x[i0*ldx+p0], ldx, &y[i0*ldy+r], ldy, alpha, bt)
				})
			}
		}
	})
}
