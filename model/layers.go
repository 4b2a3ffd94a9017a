package model

import (
	"math"
	"sync"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/par"
)

// addTo adds x to dst[:len(x)].
func addTo(dst, x []float32) {
	for j, v := range x {
		dst[j] += v
	}
}

// scaleBy multiplies x by s in place.
func scaleBy(x []float32, s float32) {
	for j := range x {
		x[j] *= s
	}
}

// linear is a dense layer y = x·W + b, with W stored the Hugging Face way:
// [in, out] for GPT-2's Conv1D, [out, in] for nn.Linear. W is held in one
// of three forms: float32 (w), bfloat16 bits (wb: an inference model's
// stored weights, or a bfloat16 Decoder's copy, read instead of w), or a
// Matrix (q, always [out, in]; conv is false then).
type linear struct {
	w, dw   []float32    // [in, out] if conv, else [out, in]; dw nil in an inference model
	wb      []uint16     // W in bfloat16, as w; nil otherwise
	q       Matrix       // W [out, in] in a form only it knows; nil otherwise
	pk      *gemm.Packed // W [out, in] in bfloat16, packed once (infer.go); wb is then nil
	native  bool         // with wb: products in bfloat16 (Model.SetCompute(ComputeBF16))
	b, db   []float32    // [out]; nil without bias
	in, out int
	conv    bool
}

// forward sets y [n, out] (leading dimension ldy) to x [n, in]·W + b, or
// adds that to y when acc (a residual connection). One row (a decoding
// step) is a matrix–vector product that streams W in place, with the
// bits of the matrix product. Over bfloat16 weights the product is
// float32 math on the widened weights (SgemmBF16, the bits of Sgemm over
// them), or with native set bfloat16 products added in float32
// (SgemmBF16Native); a Matrix multiplies itself.
func (l linear) forward(x []float32, n int, y []float32, ldy int, acc bool, threads int) {
	l.product(x, n, y, ldy, acc, threads, false)
}

// stepForward is forward for the rows of a batched decoding step
// (BatchDecoder): up to 8 rows over float32 or bfloat16 weights go through
// gemm.SgemvRows, which reads W once for all of them, as a one-row step
// does, and gives each row the bits its one-row step (Sgemv) gives it.
func (l linear) stepForward(x []float32, n int, y []float32, ldy int, acc bool, threads int) {
	l.product(x, n, y, ldy, acc, threads, true)
}

// product is forward; with step, stepForward.
func (l linear) product(x []float32, n int, y []float32, ldy int, acc bool, threads int, step bool) {
	beta := float32(0)
	if acc {
		beta = 1
	}
	if l.b != nil {
		for i := range n {
			row := y[i*ldy : i*ldy+l.out]
			if acc {
				addTo(row, l.b)
			} else {
				copy(row, l.b)
			}
		}
		beta = 1
	}
	ldw, op := l.in, gemm.Trans // nn.Linear's W [out, in], transposed
	if l.conv {
		ldw, op = l.out, gemm.NoTrans // Conv1D's W [in, out], as stored
	}
	switch {
	case l.q != nil:
		l.q.MulT(x, n, l.in, y, ldy, beta, threads)
	case l.pk != nil && (n == 1 || step && !l.native):
		gemm.SgemvPacked(n, 1, x, l.in, l.pk, beta, y, ldy, threads)
	case l.pk != nil:
		gemm.SgemmPacked(n, 1, x, l.in, l.pk, beta, y, ldy, l.native, threads)
	case n == 1 && l.wb != nil:
		gemm.SgemvBF16(op, l.out, l.in, 1, x, l.wb, ldw, beta, y, threads)
	case n == 1:
		gemm.Sgemv(op, l.out, l.in, 1, x, l.w, ldw, beta, y, threads)
	case step && l.wb != nil && !l.native:
		gemm.SgemvRowsBF16(op, n, l.out, l.in, 1, x, l.in, l.wb, ldw, beta, y, ldy, threads)
	case step && l.wb == nil:
		gemm.SgemvRows(op, n, l.out, l.in, 1, x, l.in, l.w, ldw, beta, y, ldy, threads)
	case l.wb != nil && l.native:
		gemm.SgemmBF16Native(gemm.NoTrans, op, n, l.out, l.in, 1, x, l.in, l.wb, ldw, beta, y, ldy, threads)
	case l.wb != nil:
		gemm.SgemmBF16(gemm.NoTrans, op, n, l.out, l.in, 1, x, l.in, l.wb, ldw, beta, y, ldy, threads)
	default:
		gemm.Sgemm(gemm.NoTrans, op, n, l.out, l.in, 1, x, l.in, l.w, ldw, beta, y, ldy, threads)
	}
}

// row widens row r of W [out, in] (an embedding table [V, C]) into dst
// [in]; not for a Conv1D weight.
func (l linear) row(r int, dst []float32) {
	switch {
	case l.q != nil:
		l.q.Row(r, dst[:l.in])
	case l.wb != nil:
		kernels.BF16ToF32(dst[:l.in], l.wb[r*l.in:(r+1)*l.in])
	default:
		copy(dst[:l.in], l.w[r*l.in:(r+1)*l.in])
	}
}

// backward takes dy [n, out] (leading dimension lddy) for the input x
// [n, in]: dx [n, in] = dy·Wᵀ, added to dx when acc; dW += and db += the
// weight and bias gradients. ones holds at least n ones. With native and a
// bfloat16 copy wb (mixed-precision training, SetMixedBF16) the products
// are bfloat16 added in float32: dx from dy and wb, dW from dy and x,
// each rounded to bfloat16 (gemm.SgemmBF16Native); dW still accumulates in
// float32, and db is float32 sums as before.
func (l linear) backward(x []float32, n int, dy []float32, lddy int, dx []float32, acc bool, ones []float32, threads int) {
	beta := float32(0)
	if acc {
		beta = 1
	}
	switch {
	case l.native && l.wb != nil && l.conv:
		gemm.SgemmBF16Native(gemm.NoTrans, gemm.Trans, n, l.in, l.out, 1, dy, lddy, l.wb, l.out, beta, dx, l.in, threads)
		dyb := roundedRows(dy, lddy, n, l.out, threads) // B of dW [in, out] += xᵀ·dy
		gemm.SgemmBF16Native(gemm.Trans, gemm.NoTrans, l.in, l.out, n, 1, x, l.in, *dyb, l.out, 1, l.dw, l.out, threads)
		roundBufs.Put(dyb)
	case l.native && l.wb != nil:
		gemm.SgemmBF16Native(gemm.NoTrans, gemm.NoTrans, n, l.in, l.out, 1, dy, lddy, l.wb, l.in, beta, dx, l.in, threads)
		xb := roundedRows(x, l.in, n, l.in, threads) // B of dW [out, in] += dyᵀ·x
		gemm.SgemmBF16Native(gemm.Trans, gemm.NoTrans, l.out, l.in, n, 1, dy, lddy, *xb, l.in, 1, l.dw, l.in, threads)
		roundBufs.Put(xb)
	case l.conv:
		gemm.Sgemm(gemm.NoTrans, gemm.Trans, n, l.in, l.out, 1, dy, lddy, l.w, l.out, beta, dx, l.in, threads)
		gemm.Sgemm(gemm.Trans, gemm.NoTrans, l.in, l.out, n, 1, x, l.in, dy, lddy, 1, l.dw, l.out, threads)
	default:
		gemm.Sgemm(gemm.NoTrans, gemm.NoTrans, n, l.in, l.out, 1, dy, lddy, l.w, l.in, beta, dx, l.in, threads)
		gemm.Sgemm(gemm.Trans, gemm.NoTrans, l.out, l.in, n, 1, dy, lddy, x, l.in, 1, l.dw, l.in, threads)
	}
	if l.db != nil {
		colSums(l.db, dy, lddy, n, l.out, ones, threads)
	}
}

// roundBufs holds the bfloat16 buffers of roundedRows between calls.
var roundBufs = sync.Pool{New: func() any { return new([]uint16) }}

// roundedRows rounds x [n, c] (leading dimension ld) to bfloat16, nearest
// even, into a buffer [n, c] from roundBufs (put it back when done).
func roundedRows(x []float32, ld, n, c, threads int) *[]uint16 {
	buf := roundBufs.Get().(*[]uint16)
	if cap(*buf) < n*c {
		*buf = make([]uint16, n*c)
	}
	*buf = (*buf)[:n*c]
	b := *buf
	par.Split(n, threads, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			kernels.F32ToBF16(b[i*c:(i+1)*c], x[i*ld:i*ld+c])
		}
	})
	return buf
}

// colSums adds the column sums of x [n, c] (leading dimension ld) to dst [c].
func colSums(dst, x []float32, ld, n, c int, ones []float32, threads int) {
	gemm.Sgemm(gemm.NoTrans, gemm.NoTrans, 1, c, n, 1, ones, n, x, ld, 1, dst, c, threads)
}

// norm is LayerNorm (GPT-2), y = (x − mean)·rstd·w + b, or RMSNorm
// (Llama, b == nil), y = x·rstd·w, over each row's C channels, with
// rstd = 1/√(variance + eps) (RMSNorm: the mean square).
type norm struct {
	w, dw  []float32 // [C]
	b, db  []float32 // [C]; nil for RMSNorm
	eps    float32
	offset float32 // added to w: 1 for Gemma's RMSNorm, x·rstd·(1 + w); else 0
}

// forward normalises the rows of x [n, C] into y, saving mean [n] (nil
// for RMSNorm) and rstd [n] for the backward.
func (nm norm) forward(x, y, mean, rstd []float32, n, threads int) {
	c := len(nm.w)
	par.Split(n, threads, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := x[i*c : (i+1)*c]
			var mu float64
			if nm.b != nil {
				for _, v := range row {
					mu += float64(v)
				}
				mu /= float64(c)
				mean[i] = float32(mu)
			}
			var ss float64
			for _, v := range row {
				dv := float64(v) - mu
				ss += dv * dv
			}
			r := float32(1 / math.Sqrt(ss/float64(c)+float64(nm.eps)))
			rstd[i] = r
			out := y[i*c : (i+1)*c]
			for j, v := range row {
				out[j] = (v - float32(mu)) * r * (nm.offset + nm.w[j])
				if nm.b != nil {
					out[j] += nm.b[j]
				}
			}
		}
	})
}

// backward adds to dx [n, C] the input gradient for dy [n, C] and adds the
// weight and bias gradients to dw and db. scratch holds n·C values.
func (nm norm) backward(x, dy, dx, mean, rstd []float32, n int, scratch, ones []float32, threads int) {
	c := len(nm.w)
	par.Split(n, threads, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			var mu float32
			if nm.b != nil {
				mu = mean[i]
			}
			r := rstd[i]
			row, g, xg := x[i*c:(i+1)*c], dy[i*c:(i+1)*c], scratch[i*c:(i+1)*c]
			var sg, sgx float64 // Σ g·w, Σ g·w·xhat
			for j, v := range row {
				xhat := (v - mu) * r
				gw := g[j] * (nm.offset + nm.w[j])
				sg += float64(gw)
				sgx += float64(gw * xhat)
				xg[j] = g[j] * xhat
			}
			a, b := float32(sg/float64(c)), float32(sgx/float64(c))
			if nm.b == nil {
				a = 0
			}
			out := dx[i*c : (i+1)*c]
			for j, v := range row {
				xhat := (v - mu) * r
				out[j] += r * (g[j]*(nm.offset+nm.w[j]) - a - xhat*b)
			}
		}
	})
	colSums(nm.dw, scratch, c, n, c, ones, threads)
	if nm.b != nil {
		colSums(nm.db, dy, c, n, c, ones, threads)
	}
}
