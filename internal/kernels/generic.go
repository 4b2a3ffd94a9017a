package kernels

import "math"

// Cephes expf constants (float32).
const (
	log2e  = 1.44269504088896341
	ln2Hi  = 0.693359375
	ln2Lo  = -2.12194440e-4
	expP0  = 1.9875691500e-4
	expP1  = 1.3981999507e-3
	expP2  = 8.3334519073e-3
	expP3  = 4.1665795894e-2
	expP4  = 1.6666665459e-1
	expP5  = 5.0000001201e-1
	expMin = -87.33654 // e^expMin is the smallest normal float32; below it expf returns 0
)

// expf is the scalar float32 exp used by the generic kernels and by the
// scalar tails of the assembly kernels. It returns exactly 0 for x < expMin
// and is meant for x ≤ 0.
func expf(x float32) float32 {
	if !(x >= expMin) { // also catches NaN: callers reject NaN rows before trusting sums
		if x != x {
			return x
		}
		return 0
	}
	t := x * log2e
	n := float32(math.RoundToEven(float64(t)))
	r := x - n*ln2Hi
	r = r - n*ln2Lo
	p := float32(expP0)
	p = p*r + expP1
	p = p*r + expP2
	p = p*r + expP3
	p = p*r + expP4
	p = p*r + expP5
	p = p*r + 1
	p = p*r + 1
	return float32(math.Ldexp(float64(p), int(n)))
}

// statsBlock is the number of elements the generic stats loop takes at a
// time: the running maximum, and with it the rescaling exp, changes at most
// once per block.
const statsBlock = 64

func statsGeneric(x []float32) RowStats {
	st := EmptyStats()
	var sum float64
	for len(x) > 0 {
		blk := x[:min(statsBlock, len(x))]
		x = x[len(blk):]
		bm := st.Max
		for _, v := range blk {
			sum += float64(v)
			if v > bm {
				bm = v
			}
		}
		if bm > st.Max {
			st.SumExp *= float64(expf(st.Max - bm))
			st.Max = bm
		}
		var s float32
		for _, v := range blk {
			s += expf(v - st.Max)
		}
		st.SumExp += float64(s)
	}
	st.Sum = sum
	return st
}

func expAffineGeneric(dst, x []float32, shift, a, b float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = a*expf(v-shift) + b
	}
}

// BFloat16ToFloat32 widens one bfloat16 (exact).
func BFloat16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// Float32ToBFloat16 rounds to the nearest bfloat16, ties to even; NaN stays a
// quiet NaN.
func Float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// Float16ToFloat32 widens one IEEE binary16 (exact, including subnormals,
// infinities and NaN).
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: value = mant · 2^-24, exact in float32.
	f := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}

// Float32ToFloat16 rounds to the nearest IEEE binary16, ties to even, with
// overflow to ±Inf, gradual underflow, and NaN kept quiet.
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	abs := b & 0x7fffffff
	switch {
	case abs > 0x7f800000: // NaN
		return sign | 0x7e00 | uint16(abs>>13)&0x3ff
	case abs >= 0x477ff000: // ≥ 65520 rounds to Inf
		return sign | 0x7c00
	case abs >= 0x38800000: // normal half
		v := abs - 112<<23
		return sign | uint16((v+0xfff+(v>>13)&1)>>13)
	case abs < 0x33000000: // < 2^-25: rounds to ±0
		return sign
	}
	// Subnormal half: shift the full significand into place with RNE.
	e := abs >> 23
	m := abs&0x7fffff | 0x800000
	shift := 126 - e // 14 + (112 - e) + 1 - 1
	r := m >> shift
	rem := m & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rem > half || (rem == half && r&1 == 1) {
		r++
	}
	return sign | uint16(r)
}

// convert applies an element conversion over src[:len(dst)].
func convert[S, D any](dst []D, src []S, f func(S) D) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = f(v)
	}
}

func bf16ToF32Generic(dst []float32, src []uint16) { convert(dst, src, BFloat16ToFloat32) }
func f16ToF32Generic(dst []float32, src []uint16)  { convert(dst, src, Float16ToFloat32) }
func f32ToBF16Generic(dst []uint16, src []float32) { convert(dst, src, Float32ToBFloat16) }
func f32ToF16Generic(dst []uint16, src []float32)  { convert(dst, src, Float32ToFloat16) }
