package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

// Assembly micro-kernels (kernels_amd64.s, see gen_kernels.go for the
// contract). Each computes one MR×NR tile of C from packed slivers.

//go:noescape
func kernel14x32AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel12x32AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel6x64AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel6x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

// simdImpls returns the assembly micro-kernels this CPU supports, best first.
func simdImpls() []*impl {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return nil
	}
	avx2 := &impl{name: "avx2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 2048, kernel: kernel6x16AVX2}
	if !cpu.X86.HasAVX512F {
		return []*impl{avx2}
	}
	avx512 := &impl{name: "avx512", mr: 14, nr: 32, mc: 112, kc: 384, nc: 2048, kernel: kernel14x32AVX512}
	return []*impl{avx512, avx2}
}
