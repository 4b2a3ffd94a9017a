package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// forEachImpl runs f once under every kernel set this machine supports.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	defer Use(Implementations()[0])
	for _, name := range Implementations() {
		Use(name)
		t.Run(name, f)
	}
}

func refStats(x []float32) (lse, sum float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
		sum += float64(v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s), sum
}

func randRow(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

func TestStatsMatchesFloat64(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, n := range []int{1, 2, 7, 8, 15, 16, 17, 31, 63, 64, 65, 100, 129, 1000, 4099, 50257} {
			for _, scale := range []float64{0.01, 1, 10, 300} {
				x := randRow(r, n, scale)
				// a rising sequence forces the running max to move every block
				if n > 64 && scale == 10 {
					for i := range x {
						x[i] += float32(i) * 0.01
					}
				}
				st := Stats(x)
				lse, sum := refStats(x)
				if got := st.LogSumExp(); math.Abs(got-lse) > 2e-6*math.Max(1, math.Abs(lse)) {
					t.Errorf("n=%d scale=%g: lse %.9g, want %.9g", n, scale, got, lse)
				}
				if math.Abs(st.Sum-sum) > 1e-5*math.Max(1, math.Abs(sum))+1e-6*float64(n)*scale {
					t.Errorf("n=%d scale=%g: sum %.9g, want %.9g", n, scale, st.Sum, sum)
				}
			}
		}
	})
}

func TestStatsNegativeInfinityAndExtremes(t *testing.T) {
	inf := float32(math.Inf(-1))
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{5, 16, 70} {
			x := make([]float32, n)
			for i := range x {
				x[i] = inf
			}
			if st := Stats(x); st.SumExp != 0 || !math.IsInf(st.LogSumExp(), -1) {
				t.Errorf("n=%d all -Inf: %+v", n, st)
			}
			x[n-1] = -1e4
			x[0] = -1e4 + 1
			lse, _ := refStats(x)
			if got := Stats(x).LogSumExp(); math.Abs(got-lse) > 1e-3 {
				t.Errorf("n=%d: lse %.9g want %.9g", n, got, lse)
			}
			x[n/2] = 1e4
			if got := Stats(x).LogSumExp(); got != 1e4 {
				t.Errorf("n=%d: lse %.9g want 1e4", n, got)
			}
		}
	})
}

func TestStatsMergeEqualsOnePass(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		x := randRow(r, 5000, 3)
		whole := Stats(x)
		for _, cut := range []int{1, 17, 64, 2500, 4999} {
			m := Stats(x[:cut]).Merge(Stats(x[cut:]))
			if math.Abs(m.LogSumExp()-whole.LogSumExp()) > 1e-6 || math.Abs(m.Sum-whole.Sum) > 1e-3 {
				t.Errorf("cut %d: merged %+v, one pass %+v", cut, m, whole)
			}
		}
		if e := EmptyStats().Merge(whole); e != whole {
			t.Errorf("empty merge changed the state: %+v vs %+v", e, whole)
		}
	})
}

func TestExpAffine(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{1, 9, 16, 33, 64, 200, 1031} {
			x := randRow(r, n, 20)
			x[0] = float32(math.Inf(-1))
			dst := make([]float32, n)
			ExpAffine(dst, x, 30, 0.5, -0.25)
			for i, v := range x {
				e := 0.5 * math.Exp(float64(v)-30)
				want := e - 0.25
				if math.Abs(float64(dst[i])-want) > 3e-7*(e+0.25) {
					t.Fatalf("n=%d i=%d x=%g: got %.9g want %.9g", n, i, v, dst[i], want)
				}
			}
			// in place gives the same bits
			y := append([]float32(nil), x...)
			ExpAffine(y, y, 30, 0.5, -0.25)
			for i := range y {
				if y[i] != dst[i] {
					t.Fatalf("in place differs at %d", i)
				}
			}
		}
	})
}

func TestExpAccuracyAndUnderflow(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		n := 1 << 16
		x := make([]float32, n)
		for i := range x {
			x[i] = -120 * float32(i) / float32(n)
		}
		dst := make([]float32, n)
		ExpAffine(dst, x, 0, 1, 0)
		for i, v := range x {
			want := math.Exp(float64(v))
			if want < 0x1p-126 { // below float32's normal range: only tiny absolute error
				if float64(dst[i]) > 0x1p-126 || dst[i] < 0 {
					t.Fatalf("exp(%g)=%g, want ~%g", v, dst[i], want)
				}
				continue
			}
			if rel := math.Abs(float64(dst[i])-want) / want; rel > 2.5e-7 {
				t.Fatalf("exp(%g): rel error %.3g", v, rel)
			}
		}
		ExpAffine(dst[:1], []float32{float32(math.Inf(-1))}, 0, 1, 0)
		if dst[0] != 0 {
			t.Fatalf("exp(-Inf)=%g", dst[0])
		}
	})
}

func TestFloat16RoundTripExhaustive(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		src := make([]uint16, 1<<16)
		for i := range src {
			src[i] = uint16(i)
		}
		f := make([]float32, len(src))
		F16ToF32(f, src)
		back := make([]uint16, len(src))
		F32ToF16(back, f)
		for i, h := range src {
			exp, mant := int(h>>10)&0x1f, int(h&0x3ff)
			var want float64
			switch {
			case exp == 0x1f && mant != 0:
				if !math.IsNaN(float64(f[i])) {
					t.Fatalf("%#04x: want NaN, got %g", h, f[i])
				}
				continue
			case exp == 0x1f:
				want = math.Inf(1)
			case exp == 0:
				want = math.Ldexp(float64(mant), -24)
			default:
				want = math.Ldexp(float64(mant|0x400), exp-25)
			}
			if h&0x8000 != 0 {
				want = -want
			}
			if float64(f[i]) != want || math.Signbit(float64(f[i])) != (h&0x8000 != 0) {
				t.Fatalf("%#04x: got %g want %g", h, f[i], want)
			}
			if back[i] != h {
				t.Fatalf("%#04x round trip gave %#04x", h, back[i])
			}
		}
	})
}

func TestFloat32ToHalfRounding(t *testing.T) {
	cases := []struct {
		f    float32
		f16  uint16
		bf16 uint16
	}{
		{1, 0x3c00, 0x3f80},
		{65504, 0x7bff, 0x4780},
		{65520, 0x7c00, 0x4780},
		{1 + 1.0/2048, 0x3c00, 0x3f80},          // tie to even in f16
		{1 + 3.0/2048, 0x3c02, 0x3f80},          // tie to even upwards
		{0x1p-24, 0x0001, 0x3380},               // smallest f16 subnormal
		{0x1p-25, 0x0000, 0x3300},               // tie to even: 0
		{1.5 * 0x1p-25, 0x0001, 0x3340},         // above the tie
		{float32(math.Inf(-1)), 0xfc00, 0xff80}, // -Inf
		{1.0 + 1.0/256, 0x3c04, 0x3f80},         // bf16 tie to even (down)
		{1.0 + 3.0/256, 0x3c0c, 0x3f82},         // bf16 tie to even (up)
		{math.MaxFloat32, 0x7c00, 0x7f80},       // bf16 rounds up to Inf
		{-0x1p-130, 0x8000, 0x8040 | 0x0000>>0}, // tiny negative
	}
	cases[len(cases)-1].bf16 = uint16(math.Float32bits(-0x1p-130) >> 16)
	forEachImpl(t, func(t *testing.T) {
		src := make([]float32, 0, 32)
		for _, c := range cases {
			src = append(src, c.f)
		}
		for len(src) < 32 { // pad so the vector paths see every case too
			src = append(src, src...)
		}
		src = src[:32]
		f16 := make([]uint16, len(src))
		bf16 := make([]uint16, len(src))
		F32ToF16(f16, src)
		F32ToBF16(bf16, src)
		for i := range src {
			c := cases[i%len(cases)]
			if f16[i] != c.f16 || bf16[i] != c.bf16 {
				t.Errorf("%g: f16 %#04x bf16 %#04x, want %#04x %#04x", c.f, f16[i], bf16[i], c.f16, c.bf16)
			}
		}
		nan := []float32{float32(math.NaN())}
		for len(nan) < 16 {
			nan = append(nan, nan[0])
		}
		out := make([]uint16, 16)
		F32ToBF16(out, nan)
		for _, h := range out {
			if h&0x7f80 != 0x7f80 || h&0x7f == 0 {
				t.Fatalf("NaN became %#04x", h)
			}
		}
	})
}

func TestBFloat16Widen(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		src := make([]uint16, 1<<16)
		for i := range src {
			src[i] = uint16(i)
		}
		f := make([]float32, len(src))
		BF16ToF32(f, src)
		for i, h := range src {
			if math.Float32bits(f[i]) != uint32(h)<<16 {
				t.Fatalf("%#04x -> %#08x", h, math.Float32bits(f[i]))
			}
		}
	})
}

func TestBestImplementationIsActive(t *testing.T) {
	if got, want := Active(), Implementations()[0]; got != want {
		t.Fatalf("active kernels %q, want the best available %q", got, want)
	}
}
