//go:build !purego

package gemm

// Multi-row gemvT kernels (gemv_amd64.s, see gen_gemv.go): one block of
// 16 (AVX-512) or 8 (AVX2) rows of W against 2 to 8 (5) rows of x.

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

//go:noescape
func gemvTRowsF32AVX2x2(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsF32AVX2x3(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsF32AVX2x4(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsF32AVX2x5(k int, w *float32, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX2x2(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX2x3(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX2x4(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

//go:noescape
func gemvTRowsBF16AVX2x5(k int, w *uint16, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)

var (
	gemvRowsF32AVX512 = []gemvRowsT[float32]{2: gemvTRowsF32AVX512x2, 3: gemvTRowsF32AVX512x3, 4: gemvTRowsF32AVX512x4,
		5: gemvTRowsF32AVX512x5, 6: gemvTRowsF32AVX512x6, 7: gemvTRowsF32AVX512x7, 8: gemvTRowsF32AVX512x8}
	gemvRowsBF16AVX512 = []gemvRowsT[uint16]{2: gemvTRowsBF16AVX512x2, 3: gemvTRowsBF16AVX512x3, 4: gemvTRowsBF16AVX512x4,
		5: gemvTRowsBF16AVX512x5, 6: gemvTRowsBF16AVX512x6, 7: gemvTRowsBF16AVX512x7, 8: gemvTRowsBF16AVX512x8}
	gemvRowsF32AVX2  = []gemvRowsT[float32]{2: gemvTRowsF32AVX2x2, 3: gemvTRowsF32AVX2x3, 4: gemvTRowsF32AVX2x4, 5: gemvTRowsF32AVX2x5}
	gemvRowsBF16AVX2 = []gemvRowsT[uint16]{2: gemvTRowsBF16AVX2x2, 3: gemvTRowsBF16AVX2x3, 4: gemvTRowsBF16AVX2x4, 5: gemvTRowsBF16AVX2x5}
)

// gemvRowsKernels returns im's multi-row kernels for weights of type T,
// indexed by the rows of x; nil where it has none (generic).
func gemvRowsKernels[T float32 | uint16](im *impl) []gemvRowsT[T] {
	_, bf := any(T(0)).(uint16)
	var tn any
	switch {
	case im.name == "avx512" && bf:
		tn = gemvRowsBF16AVX512
	case im.name == "avx512":
		tn = gemvRowsF32AVX512
	case im.name == "avx2" && bf:
		tn = gemvRowsBF16AVX2
	case im.name == "avx2":
		tn = gemvRowsF32AVX2
	default:
		return nil
	}
	return tn.([]gemvRowsT[T])
}
