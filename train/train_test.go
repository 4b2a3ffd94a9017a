package train

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/xent-dev/xent/model"
)

func TestAdamWMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/adamw.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		N, Decayed  int
		WeightDecay float64 `json:"weight_decay"`
		LRs         []float64
		Params      []float32
		Grads       [][]float32
		After       [][]float32
		Clip        struct {
			MaxNorm float64 `json:"max_norm"`
			Grad    []float32
			Norm    float64
			Clipped []float32
		}
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	params := append([]float32(nil), g.Params...)
	opt := NewAdamW(g.N, g.WeightDecay, []Range{{0, g.Decayed}})
	for s, lr := range g.LRs {
		if err := opt.Update(params, g.Grads[s], lr); err != nil {
			t.Fatal(err)
		}
		for i, p := range params {
			if want := g.After[s][i]; math.Abs(float64(p-want)) > 1e-6*math.Max(1, math.Abs(float64(want))) {
				t.Fatalf("step %d param %d: %.9g, PyTorch %.9g", s+1, i, p, want)
			}
		}
	}
	grad := append([]float32(nil), g.Clip.Grad...)
	norm := ClipGlobalNorm(grad, g.Clip.MaxNorm)
	if math.Abs(norm-g.Clip.Norm) > 1e-6*g.Clip.Norm {
		t.Errorf("norm %.9g, PyTorch %.9g", norm, g.Clip.Norm)
	}
	for i := range grad {
		if math.Abs(float64(grad[i]-g.Clip.Clipped[i])) > 1e-6 {
			t.Fatalf("clipped[%d] %.9g, PyTorch %.9g", i, grad[i], g.Clip.Clipped[i])
		}
	}
}

func TestAdamWRejectsBadInput(t *testing.T) {
	o := NewAdamW(4, 0.1, []Range{{2, 5}})
	if err := o.Update(make([]float32, 4), make([]float32, 4), 1e-3); err == nil {
		t.Error("a decay range past the buffer was accepted")
	}
	o = NewAdamW(4, 0.1, nil)
	if err := o.Update(make([]float32, 4), make([]float32, 3), 1e-3); err == nil {
		t.Error("mismatched gradients were accepted")
	}
	if err := o.Update(make([]float32, 4), make([]float32, 4), math.NaN()); err == nil {
		t.Error("a NaN learning rate was accepted")
	}
}

func TestSchedules(t *testing.T) {
	c := Cosine{Peak: 1, Warmup: 10, Total: 110, MinRatio: 0.1}
	for _, tc := range []struct {
		step int
		want float64
	}{{0, 0.1}, {9, 1}, {10, 1}, {60, 0.55}, {110, 0.1}, {500, 0.1}} {
		if got := c.LR(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("cosine step %d: %g, want %g", tc.step, got, tc.want)
		}
	}
	w := WSD{Peak: 1, Warmup: 10, Total: 100, DecayFrac: 0.2, MinRatio: 0, Sqrt: false}
	for _, tc := range []struct {
		step int
		want float64
	}{{4, 0.5}, {50, 1}, {79, 1}, {80, 1}, {90, 0.5}, {100, 0}} {
		if got := w.LR(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("wsd step %d: %g, want %g", tc.step, got, tc.want)
		}
	}
	w.Sqrt = true
	if got := w.LR(85); math.Abs(got-(1-math.Sqrt(0.25))) > 1e-12 {
		t.Errorf("wsd 1−√x at step 85: %g", got)
	}
	if _, err := ParseSchedule("linear", 1, 0, 10, 0); err == nil {
		t.Error("unknown schedule accepted")
	}
	if _, err := ParseSchedule("cosine", -1, 0, 10, 0); err == nil {
		t.Error("negative learning rate accepted")
	}
}

func TestClipLeavesSmallGradients(t *testing.T) {
	g := []float32{0.3, 0.4}
	if n := ClipGlobalNorm(g, 1); math.Abs(n-0.5) > 1e-7 || g[0] != 0.3 || g[1] != 0.4 {
		t.Errorf("norm %g, grads %v", n, g)
	}
}

func TestDecayRangesSkipNormsAndBiases(t *testing.T) {
	m, err := model.New(model.Config{ModelType: "gpt2", VocabSize: 11, NEmbd: 8, NLayer: 1, NHead: 2, NPositions: 16}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ranges, err := DecayRanges(m)
	if err != nil {
		t.Fatal(err)
	}
	decays := make([]bool, len(m.ParamBuffer()))
	for _, r := range ranges {
		for i := r.Lo; i < r.Hi; i++ {
			decays[i] = true
		}
	}
	off := 0
	for _, p := range m.Params() {
		want := len(p.Shape) >= 2
		for i := range p.Data {
			if decays[off+i] != want {
				t.Fatalf("%s: decay %v, want %v", p.Name, decays[off+i], want)
			}
		}
		off += len(p.Data)
	}
}

// Scaling inside the AdamW pass is the same arithmetic as scaling the
// gradients first: bit-identical results.
func TestUpdateScaledEqualsClipThenUpdate(t *testing.T) {
	params := []float32{0.5, -1, 2, 0.25, 3}
	grads := []float32{3, -4, 12, 0.5, -7}
	p1, p2 := append([]float32(nil), params...), append([]float32(nil), params...)
	g1 := append([]float32(nil), grads...)
	a, b := NewAdamW(5, 0.1, []Range{{0, 3}}), NewAdamW(5, 0.1, []Range{{0, 3}})
	ClipGlobalNorm(g1, 1)
	if err := a.Update(p1, g1, 1e-2); err != nil {
		t.Fatal(err)
	}
	norm, err := b.ClipAndUpdate(p2, grads, 1e-2, 1, 1)
	if err != nil || math.Abs(norm-GlobalNorm(grads)) != 0 {
		t.Fatal(norm, err)
	}
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Fatalf("param %d: %v after clip+update, %v after ClipAndUpdate", i, p1[i], p2[i])
		}
	}
	if _, err := b.ClipAndUpdate(p2, []float32{float32(math.NaN()), 0, 0, 0, 0}, 1e-2, 1, 1); err == nil {
		t.Fatal("a NaN gradient was applied")
	}
}
