package gemm

import (
	"fmt"
	"sync"

	"github.com/xent-dev/xent/internal/kernels"
)

// bf16Rows is how many rows of a bfloat16 B are widened to float32 at a
// time. It is a multiple of every implementation's KC, so that splitting K
// at its multiples leaves each element's reduction order, and so its bits,
// exactly as one Sgemm over the whole widened B.
const bf16Rows = 4096

var bf16Buffers = sync.Pool{New: func() any { return new([]float32) }}

// SgemmBF16 is Sgemm with B held as bfloat16 bits (weights stored in
// bfloat16) and all arithmetic in float32: C = alpha·op(A)·op(B) + beta·C.
// B is widened bf16Rows rows at a time into a pooled float32 buffer, so the
// extra memory is bf16Rows rows of B, never all of it, and the result is
// bit-identical to Sgemm on the widened B.
func SgemmBF16(transA, transB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, threads int) {
	rows, width := k, n // B as stored: [K, N], or [N, K] when transposed
	if transB == Trans {
		rows, width = n, k
	}
	if ldb < max(1, width) || (rows > 0 && width > 0 && len(b) < (rows-1)*ldb+width) {
		panic(fmt.Sprintf("gemm: bfloat16 b holds %d values, ldb %d, for a %d×%d matrix", len(b), ldb, rows, width))
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 { // nothing of A or B is read: Sgemm checks C and scales it
		Sgemm(transA, transB, m, n, 0, alpha, a, max(1, lda), nil, max(1, width), beta, c, ldc, threads)
		return
	}
	buf := bf16Buffers.Get().(*[]float32)
	defer bf16Buffers.Put(buf)
	for r0 := 0; r0 < rows; r0 += bf16Rows {
		r1 := min(rows, r0+bf16Rows)
		w := growBuffer(buf, (r1-r0)*width)
		for r := r0; r < r1; r++ {
			kernels.BF16ToF32(w[(r-r0)*width:(r-r0+1)*width], b[r*ldb:r*ldb+width])
		}
		if transB == Trans {
			// rows r0..r1 of B are the columns r0..r1 of C.
			Sgemm(transA, Trans, m, r1-r0, k, alpha, a, lda, w, width, beta, c[r0:], ldc, threads)
			continue
		}
		// rows r0..r1 of B are the K slice r0..r1: accumulate after the first.
		aOff := r0
		if transA == Trans {
			aOff = r0 * lda
		}
		bt := beta
		if r0 > 0 {
			bt = 1
		}
		Sgemm(transA, NoTrans, m, n, r1-r0, alpha, a[aOff:], lda, w, width, bt, c, ldc, threads)
	}
}

func growBuffer(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}
