package emulate

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRoundKnownValues(t *testing.T) {
	p := math.Ldexp
	for _, c := range []struct {
		f    Format
		x, r float64
	}{
		{BF16, 1 + p(1, -7), 1 + p(1, -7)},             // exact: bf16's ulp at 1
		{BF16, 1 + p(1, -8), 1},                        // tie, to even
		{BF16, 1 + 3*p(1, -8), 1 + p(1, -6)},           // tie, to even (up)
		{BF16, 1 + p(1, -8) + p(1, -20), 1 + p(1, -7)}, // above the tie
		{BF16, math.Pi, 3.140625},
		{BF16, -math.Pi, -3.140625},
		{BF16, 3.3895313892515355e38, 3.3895313892515355e38}, // largest finite
		{BF16, 3.4e38, math.Inf(1)},
		{BF16, p(1, -133), p(1, -133)}, // smallest subnormal
		{BF16, p(1, -134), 0},          // half of it: tie to even zero
		{F16, 65504, 65504},
		{F16, 65519, 65504},
		{F16, 65520, math.Inf(1)}, // tie between 65504 and 2¹⁶: even is 2¹⁶, overflow
		{F16, -70000, math.Inf(-1)},
		{F16, 1 + p(1, -11), 1},
		{F16, 0.1, 0.0999755859375},
		{F16, p(1, -24), p(1, -24)},       // smallest subnormal
		{F16, p(1, -25), 0},               // tie to even zero
		{F16, 1.5 * p(1, -25), p(1, -24)}, // above the tie
		{F16, 3 * p(1, -25), p(1, -23)},   // tie between 1 and 2 quanta: even
		{F16, 0, 0},
	} {
		if got := c.f.Round(c.x); got != c.r {
			t.Errorf("%s.Round(%g) = %g, want %g", c.f.Name, c.x, got, c.r)
		}
	}
	if !math.IsNaN(BF16.Round(math.NaN())) {
		t.Error("NaN not kept")
	}
}

// F32's rounding must be Go's float64 → float32 conversion, subnormals
// and overflow included.
func TestRoundMatchesFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		x := math.Ldexp(rng.Float64()*2-1, rng.IntN(300)-160)
		if i%7 == 0 {
			x = float64(math.Float32frombits(rng.Uint32())) * (1 + math.Ldexp(float64(rng.IntN(3))-1, -24)) // near ties
		}
		want := float64(float32(x))
		if got := F32.Round(x); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("F32.Round(%g) = %g, float32 gives %g", x, got, want)
		}
	}
}

// A two-class row in bf16 by hand: z = (0, 1), target 1. d = (−1, 0),
// e = (R(e⁻¹), 1) = (0.3671875, 1), s = R(1.3671875) = 1.3671875,
// log s = 0.31276... → 0.3125, lse = R(1 + 0.3125) = 1.3125, loss =
// 0.3125; pᵢ = R(eᵢ / s) and g₁ = R(p₁ − 1).
func TestCrossEntropyByHand(t *testing.T) {
	z := []float32{0, 1}
	g := make([]float64, 2)
	l, lse := CrossEntropy(&BF16, Sequential, z, 1, g)
	if lse != 1.3125 || l != 0.3125 {
		t.Errorf("bf16 loss %g, lse %g; want 0.3125, 1.3125", l, lse)
	}
	p0 := BF16.Round(0.3671875 / 1.3671875)
	p1 := BF16.Round(1 / 1.3671875)
	if g[0] != p0 || g[1] != BF16.Round(p1-1) {
		t.Errorf("bf16 grad %v, want [%g %g]", g, p0, BF16.Round(p1-1))
	}
	// float64: the exact softmax cross-entropy.
	l, lse = CrossEntropy(nil, Pairwise, z, 1, g)
	want := math.Log(1 + math.E)
	if math.Abs(lse-want) > 1e-15 || math.Abs(l-(want-1)) > 1e-15 {
		t.Errorf("float64 loss %g, lse %g; want %g, %g", l, lse, want-1, want)
	}
	if math.Abs(g[0]-1/(1+math.E)) > 1e-15 || math.Abs(g[1]+1/(1+math.E)) > 1e-15 {
		t.Errorf("float64 grad %v", g)
	}
}

// Sequential summation in f16 stagnates: 4096 ones sum to 2048, where
// f16's ulp becomes 2 and adding 1 is a tie that rounds back to even;
// pairwise summation of the same ones is exact.
func TestSummationStagnates(t *testing.T) {
	z := make([]float32, 4096)
	g := make([]float64, len(z))
	_, lse := CrossEntropy(&F16, Sequential, z, 0, g)
	if want := F16.Round(F16.Round(math.Log(2048))); lse != want {
		t.Errorf("sequential f16 lse %g, want log 2048 = %g", lse, want)
	}
	_, lse = CrossEntropy(&F16, Pairwise, z, 0, g)
	if want := F16.Round(math.Log(4096)); lse != want {
		t.Errorf("pairwise f16 lse %g, want log 4096 = %g", lse, want)
	}
}

// Storage only: the logits (0, 1.00390625) rounded to bf16 are (0, 1), and
// the rest is float64's: the loss is exactly float64's for (0, 1).
func TestStorageOnly(t *testing.T) {
	g := make([]float64, 2)
	l, _ := StoredCrossEntropy(&BF16, nil, Pairwise, []float32{0, 1.00390625}, 1, g)
	want, _ := StoredCrossEntropy(nil, nil, Pairwise, []float32{0, 1}, 1, make([]float64, 2))
	if l != want || want != math.Log(1+math.E)-1 {
		t.Errorf("storage-only bf16 loss %g, want %g", l, want)
	}
}

// Round's bit-level path for normal values must give what the general
// rounding (roundEdge, by the quantum) gives, ties and carries included,
// in every format.
func TestRoundFastPathIsRoundEdge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, f := range []Format{BF16, F16, F32} {
		for i := 0; i < 200000; i++ {
			x := math.Ldexp(rng.Float64()*2-1, rng.IntN(2*f.Emax+40)-f.Emax-20)
			if i%3 == 0 { // a value of f ± half its ulp ± one float64 ulp: ties and their neighbours
				q := f.roundEdge(x)
				half := math.Ldexp(1, max(math.Ilogb(q), f.Emin)-f.Mant-1)
				x = q + float64(rng.IntN(3)-1)*half
				x = math.Nextafter(x, x+float64(rng.IntN(3)-1))
			}
			if got, want := f.Round(x), f.roundEdge(x); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("%s.Round(%v) = %v, the quantum rounding gives %v", f.Name, x, got, want)
			}
		}
	}
}

func TestParse(t *testing.T) {
	if f, err := ParseFormat("bf16"); err != nil || f != &BF16 {
		t.Errorf("bf16: %v, %v", f, err)
	}
	if _, err := ParseFormat("fp8"); err == nil {
		t.Error("fp8 parsed")
	}
	if s, err := ParseSummation("pairwise"); err != nil || s != Pairwise {
		t.Errorf("pairwise: %v, %v", s, err)
	}
	if _, err := ParseSummation("kahan"); err == nil {
		t.Error("kahan parsed")
	}
	if a := (Arithmetic{&BF16, Pairwise}); a.String() != "bf16 pairwise" || (Arithmetic{}).String() != "" {
		t.Errorf("%q", a)
	}
}
