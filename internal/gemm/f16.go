package gemm

import (
	"sync"
	"unsafe"

	"github.com/xent-dev/xent/internal/kernels"
)

// SgemmF16 is Sgemm with B held as IEEE binary16 bits (weights stored in
// f16, as GGUF files hold them) and all arithmetic in float32:
// C = alpha·op(A)·op(B) + beta·C. B is widened as it is packed (each
// sliver converted with kernels.F16ToF32, then packed as Sgemm packs
// float32), so no float32 copy of B is made and A is packed as often as
// in one Sgemm call. Widening is exact, and the packed panels are those
// of the widened B: the result is bit-identical to Sgemm on the widened
// B, whatever the thread count.
func SgemmF16(transA, transB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, threads int) {
	sgemmHalf(f16Half, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads)
}

// halfType is a 16-bit float type of B and how packBHalf widens it.
type halfType struct {
	// widen converts src[:len(dst)] into dst.
	widen func(dst []float32, src []uint16)
	// trans, if set, widens and transposes 16×16 blocks, as impl.trans
	// (f16_amd64.s); packBHalf uses it where the implementation packs
	// with impl.trans.
	trans func(dst *float32, src *uint16, blocks, ld, ldd int)
}

var (
	f16Half  = &halfType{widen: kernels.F16ToF32, trans: transF16}
	bf16Half = &halfType{widen: kernels.BF16ToF32, trans: transBF16}
)

// sgemmHalf is SgemmF16 and SgemmBF16: Sgemm with B in 16-bit floats of
// type h, widened to float32 while B is packed.
func sgemmHalf(h *halfType, transA, transB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, threads int) {
	checkOperands(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	(&job{im: impls.Current(), transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
		bh: b, half: h, ldb: ldb, beta: beta, c: c, ldc: ldc}).start(threads)
}

// halfBuffers hold the float32 rows of one B sliver while packBHalf
// transposes them.
var halfBuffers = sync.Pool{New: func() any { return new([]float32) }}

// packBHalf is packB for B held as 16-bit floats: op(B)[p0:p0+kc,
// j0:j0+nc] widened to float32 and packed into ceil(nc/nr) slivers, each
// [kc][nr], columns past nc zero. Without transpose each row of a sliver
// is widened into place. Transposed, whole slivers of 16×16 blocks go
// through h.trans where the implementation packs with impl.trans; other
// slivers have their rows of b widened into a buffer [nr][kc] (in L2)
// that packB then packs.
func packBHalf(im *impl, dst []float32, b []uint16, ldb int, trans Transpose, p0, kc, j0, nc int, h *halfType) {
	nr, widen := im.nr, h.widen
	if trans == NoTrans {
		// op(B)(p,j) = b[p·ldb+j]: each row of the sliver is a run of b.
		for s := 0; s*nr < nc; s++ {
			d := dst[s*kc*nr : (s+1)*kc*nr]
			cols := min(nr, nc-s*nr)
			c0 := j0 + s*nr
			for p := range kc {
				row := d[p*nr : (p+1)*nr]
				widen(row[:cols], b[(p0+p)*ldb+c0:])
				clear(row[cols:])
			}
		}
		return
	}
	// op(B)(p,j) = b[j·ldb+p]: the sliver's columns are rows of b.
	buf := halfBuffers.Get().(*[]float32)
	defer halfBuffers.Put(buf)
	w := growBuffer(buf, nr*kc)
	fused := h.trans != nil && im.trans != nil && nr%16 == 0 && kc%16 == 0
	for s := 0; s*nr < nc; s++ {
		cols := min(nr, nc-s*nr)
		c0 := j0 + s*nr
		if fused && cols == nr {
			for g := 0; g < nr; g += 16 {
				h.trans(&dst[s*kc*nr+g], &b[(c0+g)*ldb+p0], kc/16, ldb, nr)
			}
			continue
		}
		for i := range cols {
			widen(w[i*kc:(i+1)*kc], b[(c0+i)*ldb+p0:])
		}
		packB(im, dst[s*kc*nr:(s+1)*kc*nr], w, kc, Trans, 0, kc, 0, cols, nr)
	}
}

// SgemvF16 is Sgemv with W held as IEEE binary16 bits: x, the sums and y
// are float32, and the bits are those of Sgemv on the widened W (and so
// of Sgemm). It streams W as Sgemv does: with AVX-512, kernels that widen
// W as they load it (VCVTPH2PS; gen_gemv.go's F16 kernels); otherwise
// each kernel call's block of W (at most two blocks of rows by KC
// columns, or KC rows by 256 columns) is first widened with
// kernels.F16ToF32 into a buffer that stays in cache.
func SgemvF16(transW Transpose, n, k int, alpha float32, x []float32, w []uint16, ldw int, beta float32, y []float32, threads int) {
	im := impls.Current()
	ks := im.gemvF16
	if ks == nil {
		ks = widenGemv(im.gemv, kernels.F16ToF32)
	}
	gemv(im, ks, transW, n, k, alpha, x, w, ldw, beta, y, threads)
}

// widenCols is how many columns a widened gemvKernels.n call takes at a time.
const widenCols = 256

// widenGemv is ks for weights in 16-bit floats that widen converts: each
// call widens its part of W into a pooled buffer and runs ks's kernel on
// it with the same arguments, so every sum is ks's. (The columns of a
// gemvKernels.n product are independent sums, so taking them widenCols at
// a time changes nothing.)
func widenGemv(ks *gemvKernels[float32], widen func([]float32, []uint16)) *gemvKernels[uint16] {
	rows := func(r, k int, w *uint16, ldw int, f func(buf []float32)) {
		bp := halfBuffers.Get().(*[]float32)
		defer halfBuffers.Put(bp)
		buf := growBuffer(bp, r*k)
		ws := unsafe.Slice(w, (r-1)*ldw+k)
		for i := range r {
			widen(buf[i*k:(i+1)*k], ws[i*ldw:])
		}
		f(buf)
	}
	hk := &gemvKernels[uint16]{rows: ks.rows}
	hk.n = func(k, n int, x *float32, w *uint16, ldw int, t *float32) {
		ts := unsafe.Slice(t, n)
		ws := unsafe.Slice(w, (k-1)*ldw+n)
		for j0 := 0; j0 < n; j0 += widenCols {
			c := min(widenCols, n-j0)
			rows(k, c, &ws[j0], ldw, func(buf []float32) { ks.n(k, c, x, &buf[0], c, &ts[j0]) })
		}
	}
	hk.t = func(k int, w *uint16, ldw int, x, y *float32, alpha, beta float32) {
		rows(ks.rows, k, w, ldw, func(buf []float32) { ks.t(k, &buf[0], k, x, y, alpha, beta) })
	}
	if ks.t2 != nil {
		hk.t2 = func(k int, w *uint16, ldw int, x, y *float32, alpha, beta float32) {
			rows(2*ks.rows, k, w, ldw, func(buf []float32) { ks.t2(k, &buf[0], k, x, y, alpha, beta) })
		}
	}
	hk.dot = func(k int, w *uint16, x, y *float32, alpha, beta float32) {
		rows(1, k, w, k, func(buf []float32) { ks.dot(k, &buf[0], x, y, alpha, beta) })
	}
	return hk
}
