package loss

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

type divergenceCase struct {
	Name        string      `json:"name"`
	N           int         `json:"n"`
	V           int         `json:"v"`
	A           []jsonFloat `json:"a"`
	B           []jsonFloat `json:"b"`
	Input       string      `json:"input"`
	Temperature float32     `json:"temperature"`
	Expected    struct {
		EntropyA        []jsonFloat `json:"entropy_a"`
		CrossEntropy    []jsonFloat `json:"cross_entropy"`
		KL              []jsonFloat `json:"kl"`
		ReverseKL       []jsonFloat `json:"reverse_kl"`
		JS              []jsonFloat `json:"js"`
		DistillLoss     *jsonFloat  `json:"distill_loss"`
		DistillDStudent []jsonFloat `json:"distill_dstudent"`
		// The reverse direction, KL(student ‖ teacher); absent where the
		// teacher has a -Inf logit (the KL is infinite there).
		ReverseLoss     *jsonFloat  `json:"distill_reverse_loss"`
		ReverseDStudent []jsonFloat `json:"distill_reverse_dstudent"`
	} `json:"expected"`
}

// readDivergenceCases reads testdata/divergence/divergence.json.
func readDivergenceCases(t *testing.T) []divergenceCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/divergence/divergence.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Cases []divergenceCase }
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) == 0 {
		t.Fatal("no cases")
	}
	return g.Cases
}

// TestDivergenceGolden checks Compare and Distill against
// testdata/divergence/divergence.json (PyTorch, float64; see gen.py there).
func TestDivergenceGolden(t *testing.T) {
	cases := readDivergenceCases(t)
	// KL and JS vanish for identical rows: there the bar is absolute.
	near := func(got float64, want jsonFloat) bool {
		return closeTo(got, float64(want)) || math.Abs(got-float64(want)) < 1e-9
	}
	forEachImpl(t, func(t *testing.T) {
		for _, c := range cases {
			a, b := f32s(c.A), f32s(c.B)
			p, q := FromLogits(a, c.N, c.V), FromLogits(b, c.N, c.V)
			if c.Input == "probs" {
				p, q = FromProbs(a, c.N, c.V), FromProbs(b, c.N, c.V)
			}
			d, err := Compare(p, q, 0)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			e := c.Expected
			for i := range c.N {
				for _, m := range []struct {
					name string
					got  float64
					want jsonFloat
				}{
					{"entropy", d.EntropyP[i], e.EntropyA[i]},
					{"cross-entropy", d.CrossEntropy[i], e.CrossEntropy[i]},
					{"KL", d.KL[i], e.KL[i]},
					{"reverse KL", d.ReverseKL[i], e.ReverseKL[i]},
					{"JS", d.JS[i], e.JS[i]},
				} {
					if !near(m.got, m.want) {
						t.Errorf("%s row %d: %s %.10g, want %.10g", c.Name, i, m.name, m.got, m.want)
					}
				}
			}
			if e.DistillLoss == nil {
				continue
			}
			for _, dir := range []struct {
				reverse bool
				loss    *jsonFloat
				grad    []jsonFloat
			}{{false, e.DistillLoss, e.DistillDStudent}, {true, e.ReverseLoss, e.ReverseDStudent}} {
				grad := make([]float32, len(b))
				l, err := Distill(a, b, c.N, c.V, DistillOptions{Temperature: c.Temperature, Reverse: dir.reverse}, grad)
				if dir.loss == nil {
					if err == nil {
						t.Errorf("%s: reverse distillation against a teacher with -Inf logits gave %g, want an error", c.Name, l)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s (reverse %v): %v", c.Name, dir.reverse, err)
				}
				if !near(l, *dir.loss) {
					t.Errorf("%s (reverse %v): distillation loss %.10g, want %.10g", c.Name, dir.reverse, l, *dir.loss)
				}
				for k, gk := range grad {
					want := float64(dir.grad[k])
					if math.Abs(float64(gk)-want) > 1e-5*math.Abs(want)+1e-5*float64(c.Temperature)/float64(c.N)*1e-3 {
						t.Errorf("%s (reverse %v): dstudent[%d] %.9g, want %.9g", c.Name, dir.reverse, k, gk, want)
						break
					}
				}
			}
		}
	})
}

func TestCompareRejectsBadInput(t *testing.T) {
	p := FromProbs([]float32{0.5, 0.5, -0.1, 1.1}, 2, 2)
	q := FromProbs([]float32{0.5, 0.5, 0.5, 0.5}, 2, 2)
	if _, err := Compare(p, q, 1); err == nil {
		t.Fatal("negative probability accepted")
	}
	if _, err := Compare(FromLogits([]float32{0, float32(math.NaN())}, 1, 2), FromLogits([]float32{0, 0}, 1, 2), 1); err == nil {
		t.Fatal("NaN logit accepted")
	}
	if _, err := Distill([]float32{0, 1}, []float32{0, 1}, 1, 2, DistillOptions{Temperature: -1}, nil); err == nil {
		t.Fatal("negative temperature accepted")
	}
}
