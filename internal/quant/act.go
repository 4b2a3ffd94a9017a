package quant

import (
	"math"

	"github.com/xent-dev/xent/internal/kernels"
)

// acts are n rows of x rounded to a vec_dot_type (q8_0, q8_1 or q8_K):
// qs [n, in] the quants, d [n, in/bs] each block's scale, s [n, in/32]
// q8_1's f16(d·Σq), bsums [n, in/16] q8_K's sums of 16 quants.
type acts struct {
	n, in, bs int
	qs        []int8
	d         []float32
	s         []float32
	bsums     []int32
}

// f16Round rounds to binary16 and back, as GGML_CPU_FP32_TO_FP16 then
// GGML_CPU_FP16_TO_FP32 do.
func f16Round(f float32) float32 { return kernels.Float16ToFloat32(kernels.Float32ToFloat16(f)) }

// quantizeQ8_0 rounds the 32 values of x to q8_0 as arch/x86/quants.c's
// quantize_row_q8_0 does: d = amax/127 kept as f16, q = x·(127/amax)
// rounded to the nearest integer, ties to even. It returns d widened and,
// with sum, Σq and the unrounded d (q8_1's s).
func quantizeQ8_0(x []float32, q []int8) (d, dRaw float32, sum int32) {
	var amax float32
	for _, v := range x[:32] {
		amax = max(amax, abs(v))
	}
	dRaw = amax / 127
	var id float32
	if amax != 0 {
		id = 127 / amax
	}
	for j, v := range x[:32] {
		// _mm256_round_ps then packs with saturation; |v·id| ≤ 127 up
		// to rounding anyway, well inside nearestInt's range.
		q[j] = int8(max(-128, min(127, nearestInt(v*id))))
		sum += int32(q[j])
	}
	return f16Round(dRaw), dRaw, sum
}

func abs(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

// nearestInt is ggml's nearest_int: round to nearest, ties to even, by
// adding 1.5·2²³ (valid for |f| ≤ 2²²).
func nearestInt(f float32) int32 {
	v := f + 12582912
	return int32(math.Float32bits(v)&0x007fffff) - 0x00400000
}

// quantizeQ8_K rounds the 256 values of x to q8_K as ggml-quants.c's
// quantize_row_q8_K_ref does: max the value of largest magnitude (the
// first), iscale = −127/max, q = min(127, nearest_int(iscale·x)),
// d = 1/iscale, and the sums of each 16 quants.
func quantizeQ8_K(x []float32, q []int8, bsums []int32) (d float32) {
	var amax, mx float32
	for _, v := range x[:256] {
		if a := abs(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax == 0 {
		clear(q[:256])
		clear(bsums[:16])
		return 0
	}
	iscale := -127 / mx
	for j, v := range x[:256] {
		q[j] = int8(min(127, nearestInt(iscale*v)))
	}
	for j := range 16 {
		var s int32
		for _, v := range q[16*j : 16*j+16] {
			s += int32(v)
		}
		bsums[j] = s
	}
	return 1 / iscale
}

// quantizeRows fills a with rows [lo, hi) of x (row i at x[i·ldx:]).
func (a *acts) quantizeRows(x []float32, ldx, lo, hi int) {
	in := a.in
	nb := in / a.bs
	im := impls.Current()
	for i := lo; i < hi; i++ {
		row := x[i*ldx : i*ldx+in]
		q := a.qs[i*in : (i+1)*in]
		if im.quantQ8_0 != nil && a.bs == 32 && a.s == nil {
			im.quantQ8_0(nb, &row[0], &q[0], &a.d[i*nb])
			continue
		}
		if im.quantQ8_K != nil && a.bs == 256 {
			im.quantQ8_K(nb, &row[0], &q[0], &a.d[i*nb], &a.bsums[i*nb*16])
			continue
		}
		for b := range nb {
			switch a.bs {
			case 256:
				a.d[i*nb+b] = quantizeQ8_K(row[256*b:], q[256*b:], a.bsums[(i*nb+b)*16:])
			default:
				d, dRaw, sum := quantizeQ8_0(row[32*b:], q[32*b:])
				a.d[i*nb+b] = d
				if a.s != nil {
					a.s[i*nb+b] = f16Round(dRaw * float32(sum))
				}
			}
		}
	}
}
