//go:build !purego

package kernels

import (
	"math"

	"golang.org/x/sys/cpu"
)

// Assembly kernels (kernels_amd64.s). Each handles n elements, n a multiple
// of its vector width (16 for AVX-512, 8 for AVX2); the wrappers below do
// the tails with the generic code. lanes receives the per-lane running max,
// sum of exp and sum of x: [3][W]float32.

//go:noescape
func statsAVX512(x *float32, n int, lanes *[48]float32)

//go:noescape
func expAffineAVX512(dst, x *float32, n int, shift, a, b float32)

//go:noescape
func bf16ToF32AVX512(dst *float32, src *uint16, n int)

//go:noescape
func f16ToF32AVX512(dst *float32, src *uint16, n int)

//go:noescape
func f32ToBF16AVX512(dst *uint16, src *float32, n int)

//go:noescape
func f32ToF16AVX512(dst *uint16, src *float32, n int)

//go:noescape
func statsAVX2(x *float32, n int, lanes *[24]float32)

//go:noescape
func expAffineAVX2(dst, x *float32, n int, shift, a, b float32)

//go:noescape
func bf16ToF32AVX2(dst *float32, src *uint16, n int)

//go:noescape
func f16ToF32AVX2(dst *float32, src *uint16, n int)

// simdImpls returns the assembly kernel sets this CPU supports, best first.
func simdImpls() []*impl {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return nil
	}
	avx2 := &impl{
		name: "avx2",
		stats: func(x []float32) RowStats {
			var lanes [24]float32
			n := len(x) &^ 7
			if n > 0 {
				statsAVX2(&x[0], n, &lanes)
			}
			return foldLanes(lanes[:], n, x[n:])
		},
		expAffine: func(dst, x []float32, shift, a, b float32) {
			n := len(dst) &^ 7
			if n > 0 {
				expAffineAVX2(&dst[0], &x[0], n, shift, a, b)
			}
			expAffineGeneric(dst[n:], x[n:], shift, a, b)
		},
		bf16ToF32: widen(8, bf16ToF32AVX2, bf16ToF32Generic),
		f16ToF32:  widen(8, f16ToF32AVX2, f16ToF32Generic),
		f32ToBF16: f32ToBF16Generic,
		f32ToF16:  f32ToF16Generic,
	}
	if !cpu.X86.HasAVX512F || !cpu.X86.HasAVX512BW || !cpu.X86.HasAVX512VL {
		return []*impl{avx2}
	}
	avx512 := &impl{
		name: "avx512",
		stats: func(x []float32) RowStats {
			var lanes [48]float32
			n := len(x) &^ 15
			if n > 0 {
				statsAVX512(&x[0], n, &lanes)
			}
			return foldLanes(lanes[:], n, x[n:])
		},
		expAffine: func(dst, x []float32, shift, a, b float32) {
			n := len(dst) &^ 15
			if n > 0 {
				expAffineAVX512(&dst[0], &x[0], n, shift, a, b)
			}
			expAffineGeneric(dst[n:], x[n:], shift, a, b)
		},
		bf16ToF32: widen(16, bf16ToF32AVX512, bf16ToF32Generic),
		f16ToF32:  widen(16, f16ToF32AVX512, f16ToF32Generic),
		f32ToBF16: narrow(16, f32ToBF16AVX512, f32ToBF16Generic),
		f32ToF16:  narrow(16, f32ToF16AVX512, f32ToF16Generic),
	}
	return []*impl{avx512, avx2}
}

// foldLanes folds the [3][W] lane states an assembly stats kernel left after
// n elements into one state, in lane order, and merges the generic tail.
func foldLanes(lanes []float32, n int, tail []float32) RowStats {
	w := len(lanes) / 3
	st := EmptyStats()
	if n > 0 {
		maxs, sums, xs := lanes[:w], lanes[w:2*w], lanes[2*w:3*w]
		st.Max = maxs[0]
		for _, m := range maxs[1:] {
			st.Max = max(st.Max, m)
		}
		for i, s := range sums {
			st.SumExp += float64(s) * math.Exp(float64(maxs[i]-st.Max))
			st.Sum += float64(xs[i])
		}
	}
	if len(tail) > 0 {
		st = st.Merge(statsGeneric(tail))
	}
	return st
}

func widen(w int, asm func(*float32, *uint16, int), tail func([]float32, []uint16)) func([]float32, []uint16) {
	return func(dst []float32, src []uint16) {
		n := len(dst) / w * w
		if n > 0 {
			asm(&dst[0], &src[0], n)
		}
		tail(dst[n:], src[n:])
	}
}

func narrow(w int, asm func(*uint16, *float32, int), tail func([]uint16, []float32)) func([]uint16, []float32) {
	return func(dst []uint16, src []float32) {
		n := len(dst) / w * w
		if n > 0 {
			asm(&dst[0], &src[0], n)
		}
		tail(dst[n:], src[n:])
	}
}
