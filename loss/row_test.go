package loss

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// rowNear is the row scorer's accuracy: its probabilities are float32
// kernel exps (relative error ~1e-7), so a measure that PyTorch computes in
// float64 agrees to 1e-5 relative, or 1e-6 nats absolute for the KL of
// nearly identical rows.
func rowNear(got, want float64) bool {
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= 1e-5*math.Abs(want)+1e-6
}

// TestRowScorerDivergenceGolden checks the entropy and both KL directions
// against testdata/divergence/divergence.json (PyTorch, float64): the model
// row is A, the base row B, so KL(model ‖ base) is the golden's KL(A ‖ B).
func TestRowScorerDivergenceGolden(t *testing.T) {
	all := readDivergenceCases(t)
	forEachImpl(t, func(t *testing.T) {
		cases := 0
		for _, c := range all {
			if c.Input != "logits" {
				continue
			}
			cases++
			a, b := f32s(c.A), f32s(c.B)
			s := RowScorer{Entropy: true}
			for i := range c.N {
				x, y := a[i*c.V:(i+1)*c.V], b[i*c.V:(i+1)*c.V]
				r, err := s.Score(x, y, 0)
				if err != nil {
					t.Fatalf("%s row %d: %v", c.Name, i, err)
				}
				e := c.Expected
				for _, m := range []struct {
					name      string
					got, want float64
				}{
					{"entropy", r.Entropy, float64(e.EntropyA[i])},
					{"KL(model ‖ base)", r.KLModelBase, float64(e.KL[i])},
					{"KL(base ‖ model)", r.KLBaseModel, float64(e.ReverseKL[i])},
				} {
					if !rowNear(m.got, m.want) {
						t.Errorf("%s row %d: %s %.10g, want %.10g", c.Name, i, m.name, m.got, m.want)
					}
				}
				alone, err := s.Score(x, nil, 0)
				if err != nil || alone.Entropy != r.Entropy {
					t.Errorf("%s row %d: entropy without a base %v (%v), with one %v", c.Name, i, alone.Entropy, err, r.Entropy)
				}
			}
		}
		if cases == 0 {
			t.Fatal("no logit cases in the golden file")
		}
	})
}

// TestRowScorerAgainstFloat64 checks every field against a direct float64
// computation on random rows of several scales, with ties and −Inf.
func TestRowScorerAgainstFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	forEachImpl(t, func(t *testing.T) {
		s := RowScorer{Rank: true, Entropy: true}
		for trial := range 60 {
			V := []int{1, 2, 7, 64, 1000, 5003}[trial%6]
			scale := []float32{0.01, 1, 8, 40}[trial%4]
			x, y := make([]float32, V), make([]float32, V)
			for k := range x {
				x[k] = scale * float32(rng.NormFloat64())
				y[k] = x[k] + 0.3*float32(rng.NormFloat64())
			}
			if V > 2 {
				x[V-1] = float32(math.Inf(-1)) // a class ruled out by the model
				if trial%2 == 0 {
					y[V-1] = x[V-1] // and by the base: both KLs stay finite
				}
				x[1] = x[0] // a tie, maybe at the top
			}
			target := int32(rng.IntN(V))
			if V > 2 && target == int32(V-1) {
				target = 0
			}
			r, err := s.Score(x, y, target)
			if err != nil {
				t.Fatal(err)
			}
			lp, ly := logSoftmax64(x), logSoftmax64(y)
			var h, klpb, klbp float64
			top, btop, rank := 0, 0, 1
			for k := range V {
				if x[k] > x[top] {
					top = k
				}
				if y[k] > y[btop] {
					btop = k
				}
				if x[k] > x[target] {
					rank++
				}
				if p := math.Exp(lp[k]); p > 0 {
					h -= p * lp[k]
					klpb += p * (lp[k] - ly[k])
				}
				if b := math.Exp(ly[k]); b > 0 {
					klbp += b * (ly[k] - lp[k])
				}
			}
			for _, m := range []struct {
				name      string
				got, want float64
			}{
				{"NLL", r.NLL, -lp[target]},
				{"top probability", r.TopProb, math.Exp(lp[top])},
				{"entropy", r.Entropy, h},
				{"base NLL", r.BaseNLL, -ly[target]},
				{"Δp", r.DeltaP, math.Exp(lp[target]) - math.Exp(ly[target])},
				{"KL(model ‖ base)", r.KLModelBase, klpb},
				{"KL(base ‖ model)", r.KLBaseModel, klbp},
			} {
				if !rowNear(m.got, m.want) {
					t.Errorf("V %d, scale %g: %s %.10g, want %.10g", V, scale, m.name, m.got, m.want)
				}
			}
			if r.Top != int32(top) || r.BaseTop != int32(btop) || r.Rank != rank || r.SameTop() != (top == btop) {
				t.Errorf("V %d: top %d base top %d rank %d, want %d %d %d", V, r.Top, r.BaseTop, r.Rank, top, btop, rank)
			}
			var plain RowScorer // no rank, no entropy, no base: the statistics pass alone
			if q, err := plain.Score(x, nil, target); err != nil || q.NLL != r.NLL || q.Top != r.Top || q.TopProb != r.TopProb || q.Rank != 0 || q.Entropy != 0 {
				t.Errorf("V %d: the plain scorer gives %+v (%v); with everything %+v", V, q, err, r)
			}
		}
	})
}

// TestRowScorerIdenticalRows: a model compared with itself has KL 0 both
// ways, the same top class and Δp 0.
func TestRowScorerIdenticalRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 4096)
	for k := range x {
		x[k] = 30 * float32(rng.NormFloat64())
	}
	var s RowScorer
	r, err := s.Score(x, x, 5)
	if err != nil {
		t.Fatal(err)
	}
	if r.KLBaseModel > 1e-7 || r.KLModelBase > 1e-7 || r.DeltaP != 0 || !r.SameTop() || r.BaseNLL != r.NLL {
		t.Errorf("self-comparison %+v", r)
	}
}

func TestRowScorerRejectsBadInput(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	ninf := float32(math.Inf(-1))
	var s RowScorer
	for _, c := range []struct {
		name         string
		logits, base []float32
		target       int32
		want         string
	}{
		{"target high", []float32{0, 1}, nil, 2, "target 2 is outside the vocabulary [0, 2)"},
		{"target negative", []float32{0, 1}, nil, -100, "target -100"},
		{"base length", []float32{0, 1}, []float32{0, 1, 2}, 0, "base row has 3 logits"},
		{"NaN", []float32{0, nan, 1}, nil, 0, "logit 1 is NaN"},
		{"+Inf", []float32{0, 1, inf}, nil, 0, "logit 2 is +Inf"},
		{"all -Inf", []float32{ninf, ninf}, nil, 0, "every logit is -Inf"},
		{"base NaN", []float32{0, 1}, []float32{nan, 0}, 0, "base logit 0 is NaN"},
		{"empty", nil, nil, 0, "outside the vocabulary [0, 0)"},
	} {
		if _, err := s.Score(c.logits, c.base, c.target); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// logSoftmax64 is log softmax(x) in float64.
func logSoftmax64(x []float32) []float64 {
	lse := logSumExp64(x, 1)
	out := make([]float64, len(x))
	for k, v := range x {
		out[k] = float64(v) - lse
	}
	return out
}
