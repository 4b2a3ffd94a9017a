package gemm

// SgemmBF16 is Sgemm with B held as bfloat16 bits (weights stored in
// bfloat16) and all arithmetic in float32: C = alpha·op(A)·op(B) + beta·C.
// B is widened as it is packed, as in SgemmF16 (f16.go), so the extra
// memory is one sliver of B, and the result is bit-identical to Sgemm on
// the widened B.
func SgemmBF16(transA, transB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, threads int) {
	sgemmHalf(bf16Half, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads)
}

func growBuffer(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}
