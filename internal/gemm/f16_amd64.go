//go:build !purego

package gemm

// The packers of f16_amd64.s, for the implementations that pack with
// AVX-512 (impl.trans set).
var transF16, transBF16 = transPackF16AVX512, transPackBF16AVX512

//go:noescape
func transPackF16AVX512(dst *float32, src *uint16, blocks, ld, ldd int)

//go:noescape
func transPackBF16AVX512(dst *float32, src *uint16, blocks, ld, ldd int)

// SgemvF16's kernels (f16gemv_amd64.s, written by gen_kernels.go with
// gen_gemv.go), for AVX-512.

//go:noescape
func gemvNF16AVX512(k, n int, x *float32, w *uint16, ldw int, t *float32)

//go:noescape
func gemvTF16AVX512x1(k int, w *uint16, ldw int, x, y *float32, alpha, beta float32)

//go:noescape
func gemvTF16AVX512x2(k int, w *uint16, ldw int, x, y *float32, alpha, beta float32)

//go:noescape
func gemvDotF16FMA(k int, w *uint16, x, y *float32, alpha, beta float32)
