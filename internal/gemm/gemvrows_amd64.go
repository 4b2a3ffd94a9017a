//go:build !purego

package gemm

// Multi-row gemvT kernels (gemv_amd64.s, see gen_gemv.go): AVX-512, one
// block of 16 rows of W against 2 to 8 rows of x.

//go:noescape
func gemvTRowsF32AVX512x2(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsF32AVX512x3(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsF32AVX512x4(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsF32AVX512x5(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsF32AVX512x6(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsF32AVX512x7(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsF32AVX512x8(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX512x2(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX512x3(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX512x4(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX512x5(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX512x6(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX512x7(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX512x8(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

var (
	gemvRowsF32AVX512 = []gemvRowsT[float32]{2: gemvTRowsF32AVX512x2, 3: gemvTRowsF32AVX512x3, 4: gemvTRowsF32AVX512x4,
		5: gemvTRowsF32AVX512x5, 6: gemvTRowsF32AVX512x6, 7: gemvTRowsF32AVX512x7, 8: gemvTRowsF32AVX512x8}
	gemvRowsBF16AVX512 = []gemvRowsT[uint16]{2: gemvTRowsBF16AVX512x2, 3: gemvTRowsBF16AVX512x3, 4: gemvTRowsBF16AVX512x4,
		5: gemvTRowsBF16AVX512x5, 6: gemvTRowsBF16AVX512x6, 7: gemvTRowsBF16AVX512x7, 8: gemvTRowsBF16AVX512x8}
)

// gemvRowsKernels returns im's multi-row kernels for weights of type T,
// indexed by the rows of x; nil where it has none (AVX2, generic).
func gemvRowsKernels[T float32 | uint16](im *impl) []gemvRowsT[T] {
	if im.name != "avx512" {
		return nil
	}
	var tn any = gemvRowsF32AVX512
	if _, bf := any(T(0)).(uint16); bf {
		tn = gemvRowsBF16AVX512
	}
	return tn.([]gemvRowsT[T])
}
