//go:build !amd64 || purego

package gemm

// No assembly packers here: packBHalf widens into a buffer and packs it.
var transF16, transBF16 func(dst *float32, src *uint16, blocks, ld, ldd int)
