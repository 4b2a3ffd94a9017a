package study

import (
	"bytes"
	"math"
	"os"
	"testing"
)

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
