//go:build !purego

package gemm

// The packers of f16_amd64.s, for the implementations that pack with
// AVX-512 (impl.trans set).
var transF16, transBF16 = transPackF16AVX512, transPackBF16AVX512

//go:noescape
func transPackF16AVX512(dst *float32, src *uint16, blocks, ld, ldd int)

//go:noescape
func transPackBF16AVX512(dst *float32, src *uint16, blocks, ld, ldd int)
