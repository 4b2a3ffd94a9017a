//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

// The AVX-512 kernels of packed weights (prepack_amd64.s).

//go:noescape
func widenPairsAVX512(dst *float32, src *uint32, kc int)

//go:noescape
func gemvPackedAVX512(acc *[packNR]float32, x *float32, w *uint32, k int)

//go:noescape
func gemvPacked4AVX512(acc *[4][packNR]float32, x0, x1, x2, x3 *float32, w *uint32, k int)

func init() {
	if cpu.X86.HasAVX512F {
		widenPairs, gemvPacked, gemvPacked4 = widenPairsAVX512, gemvPackedAVX512, gemvPacked4AVX512
	}
}
