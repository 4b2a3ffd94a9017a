//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go gen_gemv.go gen_bf16.go

// Assembly micro-kernels (kernels_amd64.s, see gen_kernels.go for the
// contract). Each computes one MR×NR tile of C from packed slivers; the
// names give MR×NR.

//go:noescape
func kernel14x32AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel14x32BF16AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernel6x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

// simdImpls returns the assembly micro-kernels this CPU supports, best first.
func simdImpls() []*impl {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return nil
	}
	// Blocking tuned on a 2-core AMD EPYC (Zen 5): 48 KiB L1d, 1 MiB L2.
	avx2 := &impl{name: "avx2", mr: 6, nr: 16, mc: 144, kc: 512, nc: 4096, kernel: kernel6x16AVX2,
		gemv:      &gemvKernels[float32]{n: gemvNF32AVX2, t: gemvTF32AVX2x1, t2: gemvTF32AVX2x2, rows: 8, dot: gemvDotF32FMA},
		gemvBF16:  &gemvKernels[uint16]{n: gemvNBF16AVX2, t: gemvTBF16AVX2x1, t2: gemvTBF16AVX2x2, rows: 8, dot: gemvDotBF16FMA},
		gemvScale: gemvScaleAVX2}
	if !cpu.X86.HasAVX512F {
		return []*impl{avx2}
	}
	avx512 := &impl{name: "avx512", mr: 14, nr: 32, mc: 168, kc: 512, nc: 4096,
		kernel: kernel14x32AVX512, gather: gatherPackAVX512, copy: copyPackAVX512, trans: transPackAVX512,
		gemv:      &gemvKernels[float32]{n: gemvNF32AVX512, t: gemvTF32AVX512x1, t2: gemvTF32AVX512x2, rows: 16, dot: gemvDotF32FMA},
		gemvBF16:  &gemvKernels[uint16]{n: gemvNBF16AVX512, t: gemvTBF16AVX512x1, t2: gemvTBF16AVX512x2, rows: 16, dot: gemvDotBF16FMA},
		gemvF16:   &gemvKernels[uint16]{n: gemvNF16AVX512, t: gemvTF16AVX512x1, t2: gemvTF16AVX512x2, rows: 16, dot: gemvDotF16FMA},
		gemvScale: gemvScaleAVX512}
	return []*impl{avx512, avx2}
}

//go:noescape
func gatherPackAVX512(dst, src *float32, kc, ld, stride, w, width int)

//go:noescape
func copyPackAVX512(dst, src *float32, kc, ld, ldd int, lmask, smask uint32)

//go:noescape
func transPackAVX512(dst, src *float32, blocks, ld, ldd int)

//go:noescape
func pairPackF32AVX512(dst *uint32, src *float32, kq, ld, ldd, w int)

//go:noescape
func pairPackBF16AVX512(dst *uint32, src *uint16, kq, ld, ldd, w int)

// bf16SimdImpls returns the assembly bfloat16 micro-kernels this CPU
// supports: VDPBF16PS needs AVX512_BF16, which x/sys/cpu reports only
// where the operating system saves the AVX-512 registers.
func bf16SimdImpls() []*impl {
	var ims []*impl
	if amxGranted() == nil && cpu.X86.HasAVX512F {
		ims = append(ims, &impl{name: "amx", bf16: true, amx: true, mr: 32, nr: 32, mc: 256, kc: bf16KC, nc: 4096, kernel: kernel32x32AMX, trans: transPackAVX512, pairBF16: pairPackBF16AVX512})
	}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BF16 {
		ims = append(ims, &impl{name: "avx512bf16", bf16: true, mr: 14, nr: 32, mc: 168, kc: bf16KC, nc: 4096, kernel: kernel14x32BF16AVX512,
			trans: transPackAVX512, gather: gatherPackAVX512, pairF32: pairPackF32AVX512, pairBF16: pairPackBF16AVX512})
	}
	return ims
}

// kernel32x32AMX is the AMX micro-kernel (gen_bf16.go); it needs
// amxGranted.
func kernel32x32AMX(k int, a, b, c *float32, ldc int, alpha, beta float32)

// The single VDPBF16PS instructions of bf16_amd64.s, for the test of
// their encodings.

//go:noescape
func dpbf16psReg(acc *[16]float32, x, y *[16]uint32)

//go:noescape
func dpbf16psBcast(acc *[16]float32, x *[16]uint32, y *uint32, disp int)

// amxStatus says whether the AMX kernel may run here, and if not why.
func amxStatus() string {
	if err := amxGranted(); err != nil {
		return err.Error()
	}
	return "granted"
}
