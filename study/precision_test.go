package study

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
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
func TestEmulatedCrossEntropyByHand(t *testing.T) {
	z := []float32{0, 1}
	g := make([]float64, 2)
	l, lse := EmulatedCrossEntropy(&BF16, Sequential, z, 1, g)
	if lse != 1.3125 || l != 0.3125 {
		t.Errorf("bf16 loss %g, lse %g; want 0.3125, 1.3125", l, lse)
	}
	p0 := BF16.Round(0.3671875 / 1.3671875)
	p1 := BF16.Round(1 / 1.3671875)
	if g[0] != p0 || g[1] != BF16.Round(p1-1) {
		t.Errorf("bf16 grad %v, want [%g %g]", g, p0, BF16.Round(p1-1))
	}
	// float64: the exact softmax cross-entropy.
	l, lse = EmulatedCrossEntropy(nil, Pairwise, z, 1, g)
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
func TestEmulatedSummationStagnates(t *testing.T) {
	z := make([]float32, 4096)
	g := make([]float64, len(z))
	_, lse := EmulatedCrossEntropy(&F16, Sequential, z, 0, g)
	if want := F16.Round(F16.Round(math.Log(2048))); lse != want {
		t.Errorf("sequential f16 lse %g, want log 2048 = %g", lse, want)
	}
	_, lse = EmulatedCrossEntropy(&F16, Pairwise, z, 0, g)
	if want := F16.Round(math.Log(4096)); lse != want {
		t.Errorf("pairwise f16 lse %g, want log 4096 = %g", lse, want)
	}
}

// The float32 kernel and the emulations against float64 on synthetic
// rows: errors ordered as the formats' precisions, and bf16's loss error
// grows from V = 1k to 16k with sequential summation.
func TestSyntheticPrecisionOrders(t *testing.T) {
	rows, err := SyntheticPrecision(PrecisionOptions{Vocabs: []int{1024, 16384}, Spreads: []float64{1}, Rows: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2*len(Arithmetics) {
		t.Fatalf("%d rows", len(rows))
	}
	by := map[string]PrecisionRow{}
	for _, r := range rows {
		by[r.Arithmetic+"/"+string(rune('0'+r.V/1024%10))] = r
		if r.Std < 0.9 || r.Std > 1.1 {
			t.Errorf("%s V %d: std %g, want ≈ 1", r.Arithmetic, r.V, r.Std)
		}
	}
	small, large := by["bf16 sequential/1"], by["bf16 sequential/6"]
	f32 := by["f32 (xent kernel)/6"]
	f16 := by["f16 pairwise/6"]
	if !(large.LSEAbsMean > small.LSEAbsMean) {
		t.Errorf("bf16 sequential lse error %g at V 16k not above %g at 1k", large.LSEAbsMean, small.LSEAbsMean)
	}
	if !(f32.LossAbsMax < 1e-5 && f32.GradRelL2 < 1e-5) {
		t.Errorf("float32 kernel: loss error %g, grad %g", f32.LossAbsMax, f32.GradRelL2)
	}
	if !(f16.GradRelL2 < by["bf16 pairwise/6"].GradRelL2 && f32.GradRelL2 < f16.GradRelL2) {
		t.Errorf("grad errors not ordered f32 < f16 < bf16: %g %g %g", f32.GradRelL2, f16.GradRelL2, by["bf16 pairwise/6"].GradRelL2)
	}
	again, _ := SyntheticPrecision(PrecisionOptions{Vocabs: []int{1024, 16384}, Spreads: []float64{1}, Rows: 4, Seed: 1})
	for i := range rows {
		if rows[i] != again[i] {
			t.Fatalf("not reproducible: %+v vs %+v", rows[i], again[i])
		}
	}
}

func TestPrecisionBadInput(t *testing.T) {
	if _, err := MeasureRows("x", []float32{0, 1}, []int32{2}, 1, 2); err == nil {
		t.Error("target outside the vocabulary accepted")
	}
	for _, o := range []PrecisionOptions{{Vocabs: []int{1}, Rows: 1}, {Spreads: []float64{math.NaN()}, Rows: 1}, {Rows: 0}} {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestPrecisionPlot(t *testing.T) {
	rows, err := SyntheticPrecision(PrecisionOptions{Vocabs: []int{256, 512}, Spreads: []float64{1, 3}, Rows: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/precision.svg"
	p := Precision{Rows: rows, Step: &StepChange{Change: -0.01}}
	if err := p.Plot(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(b, []byte("logit std 3: gradient error")) {
		t.Errorf("plot %s: %v, titles missing", path, err)
	}
	if err := (Precision{}).Plot(path); err == nil {
		t.Error("a plot of no rows written")
	}
}

// Storage only: the logits (0, 1.00390625) rounded to bf16 are (0, 1), and
// the rest is float64's: the loss is exactly float64's for (0, 1).
func TestStorageOnly(t *testing.T) {
	g := make([]float64, 2)
	l, _ := emulated(&BF16, nil, Pairwise, []float32{0, 1.00390625}, 1, g)
	want, _ := emulated(nil, nil, Pairwise, []float32{0, 1}, 1, make([]float64, 2))
	if l != want || want != math.Log(1+math.E)-1 {
		t.Errorf("storage-only bf16 loss %g, want %g", l, want)
	}
}

func TestSetStep(t *testing.T) {
	p := Precision{Rows: []PrecisionRow{{LossAbsMean: 0.02, LossBias: -0.005}, {}}}
	p.SetStep(StepChange{Change: -0.01})
	if r := p.Rows[0]; math.Abs(r.AbsOverStep-2) > 1e-15 || math.Abs(r.BiasOverStep-0.5) > 1e-15 {
		t.Errorf("%+v: want 2 and 0.5", r)
	}
	if p.Step == nil || p.Step.Change != -0.01 {
		t.Errorf("step %v", p.Step)
	}
	p.SetStep(StepChange{})
	if p.Rows[0].AbsOverStep != 0 {
		t.Error("a zero step change gave a ratio")
	}
}
