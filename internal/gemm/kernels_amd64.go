package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

// Assembly micro-kernels (kernels_amd64.s, see gen_kernels.go for the
// contract). Each computes one MR×NR tile of C from packed slivers. The
// names give MR×NR; a B suffix marks kernels that take A through an embedded
// broadcast operand of the FMA instead of a VBROADCASTSS.

//go:noescape
func kernel14x32AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel12x32AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel6x64AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel15x32AVX512B(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel14x32AVX512B(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel7x64AVX512B(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel6x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

// avx512Variants are the AVX-512 micro-kernels; the first is the one used.
var avx512Variants = []*impl{
	{name: "avx512", mr: 14, nr: 32, mc: 112, kc: 256, nc: 2048, gather: gatherPackAVX512, copy: copyPackAVX512, kernel: kernel14x32AVX512},
	{name: "avx512-12x32", mr: 12, nr: 32, mc: 120, kc: 256, nc: 2048, gather: gatherPackAVX512, copy: copyPackAVX512, kernel: kernel12x32AVX512},
	{name: "avx512-6x64", mr: 6, nr: 64, mc: 120, kc: 256, nc: 2048, gather: gatherPackAVX512, copy: copyPackAVX512, kernel: kernel6x64AVX512},
	{name: "avx512-15x32b", mr: 15, nr: 32, mc: 120, kc: 256, nc: 2048, gather: gatherPackAVX512, copy: copyPackAVX512, kernel: kernel15x32AVX512B},
	{name: "avx512-14x32b", mr: 14, nr: 32, mc: 112, kc: 256, nc: 2048, gather: gatherPackAVX512, copy: copyPackAVX512, kernel: kernel14x32AVX512B},
	{name: "avx512-7x64b", mr: 7, nr: 64, mc: 112, kc: 256, nc: 2048, gather: gatherPackAVX512, copy: copyPackAVX512, kernel: kernel7x64AVX512B},
}

// simdImpls returns the assembly micro-kernels this CPU supports, best first.
func simdImpls() []*impl {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return nil
	}
	avx2 := &impl{name: "avx2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 2048, kernel: kernel6x16AVX2}
	if !cpu.X86.HasAVX512F {
		return []*impl{avx2}
	}
	return append(append([]*impl(nil), avx512Variants...), avx2)
}

//go:noescape
func gatherPackAVX512(dst, src *float32, kc, ld, stride, w, width int)

//go:noescape
func copyPackAVX512(dst, src *float32, kc, ld, ldd int, lmask, smask uint32)
