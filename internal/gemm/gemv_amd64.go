//go:build !purego

package gemm

// Assembly matrix–vector kernels (gemv_amd64.s, see gen_gemv.go for the
// contracts): per weight type and vector width gemvN, and gemvT over one
// (x1) or two (x2) blocks of rows; the scalar gemvDot for the rows past
// the last block; the gemvScale epilogue.

//go:noescape
func gemvNF32AVX512(k, n int, x *float32, w *float32, ldw int, t *float32)

//go:noescape
func gemvNBF16AVX512(k, n int, x *float32, w *uint16, ldw int, t *float32)

//go:noescape
func gemvTF32AVX512x1(k int, w *float32, ldw int, x, y *float32, alpha, beta float32)

//go:noescape
func gemvTF32AVX512x2(k int, w *float32, ldw int, x, y *float32, alpha, beta float32)

//go:noescape
func gemvTBF16AVX512x1(k int, w *uint16, ldw int, x, y *float32, alpha, beta float32)

//go:noescape
func gemvTBF16AVX512x2(k int, w *uint16, ldw int, x, y *float32, alpha, beta float32)

//go:noescape
func gemvScaleAVX512(n int, t, y *float32, alpha, beta float32)

//go:noescape
func gemvNF32AVX2(k, n int, x *float32, w *float32, ldw int, t *float32)

//go:noescape
func gemvNBF16AVX2(k, n int, x *float32, w *uint16, ldw int, t *float32)

//go:noescape
func gemvTF32AVX2x1(k int, w *float32, ldw int, x, y *float32, alpha, beta float32)

//go:noescape
func gemvTF32AVX2x2(k int, w *float32, ldw int, x, y *float32, alpha, beta float32)

//go:noescape
func gemvTBF16AVX2x1(k int, w *uint16, ldw int, x, y *float32, alpha, beta float32)

//go:noescape
func gemvTBF16AVX2x2(k int, w *uint16, ldw int, x, y *float32, alpha, beta float32)

//go:noescape
func gemvScaleAVX2(n int, t, y *float32, alpha, beta float32)

//go:noescape
func gemvDotF32FMA(k int, w *float32, x, y *float32, alpha, beta float32)

//go:noescape
func gemvDotBF16FMA(k int, w *uint16, x, y *float32, alpha, beta float32)
