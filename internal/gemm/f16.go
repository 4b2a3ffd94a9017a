package gemm

import (
	"sync"

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
