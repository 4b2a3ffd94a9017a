package loss

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

// jsonFloat reads a JSON number or one of the strings "inf", "-inf", "nan",
// the goldens' spelling of non-finite values.
type jsonFloat float64

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch s {
		case "inf":
			*f = jsonFloat(math.Inf(1))
		case "-inf":
			*f = jsonFloat(math.Inf(-1))
		case "nan":
			*f = jsonFloat(math.NaN())
		default:
			return fmt.Errorf("unknown number string %q", s)
		}
		return nil
	}
	var v float64
	err := json.Unmarshal(b, &v)
	*f = jsonFloat(v)
	return err
}

type goldenCase struct {
	Name           string      `json:"name"`
	N              int         `json:"n"`
	V              int         `json:"v"`
	DType          string      `json:"dtype"`
	Logits         []jsonFloat `json:"logits"`
	IgnoreIndex    int         `json:"ignore_index"`
	LabelSmoothing float32     `json:"label_smoothing"`
	Reduction      string      `json:"reduction"`
	ZLoss          float32     `json:"z_loss"`
	SoftCap        float32     `json:"softcap"`
	Targets        []int32     `json:"targets"`
	TargetProbs    []jsonFloat `json:"target_probs"`
	Weight         []jsonFloat `json:"weight"`
	Expected       struct {
		Loss      any         `json:"loss"`   // a number; null for reduction none
		ZLoss     any         `json:"z_loss"` // a number; per row for reduction none
		RowLosses []jsonFloat `json:"row_losses"`
		LSE       []jsonFloat `json:"lse"`
		DLogits   []jsonFloat `json:"dlogits"`
	} `json:"expected"`
}

func f32s(v []jsonFloat) []float32 {
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// logits builds the case's input matrix in its dtype.
func (c goldenCase) logits() Matrix {
	x := f32s(c.Logits)
	switch c.DType {
	case "float16":
		bits := make([]uint16, len(x))
		kernels.F32ToF16(bits, x)
		return F16(bits, c.N, c.V)
	case "bfloat16":
		bits := make([]uint16, len(x))
		kernels.F32ToBF16(bits, x)
		return BF16(bits, c.N, c.V)
	}
	return F32(x, c.N, c.V)
}

func (c goldenCase) options(t *testing.T) (Targets, Options) {
	red, err := ParseReduction(c.Reduction)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{IgnoreIndex: Ignore(c.IgnoreIndex), LabelSmoothing: c.LabelSmoothing, ZLoss: c.ZLoss, SoftCap: c.SoftCap, Reduction: red, Weights: f32s(c.Weight)}
	return Targets{Index: c.Targets, Probs: f32s(c.TargetProbs)}, opt
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/cross_entropy.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Cases []goldenCase }
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) == 0 {
		t.Fatal("no golden cases")
	}
	return g.Cases
}

// goldenTol is the bar: 1e-5 relative. Values below float32's
// normal range (2^-126) cannot carry that precision in a float32 gradient,
// so they get that absolute floor.
const (
	goldenRel   = 1e-5
	goldenFloor = 0x1p-126
)

func closeTo(got, want float64) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return got == want || (math.IsNaN(got) && math.IsNaN(want))
	}
	return math.Abs(got-want) <= goldenRel*math.Abs(want)+goldenFloor
}

func TestGoldenPyTorch(t *testing.T) {
	for _, impl := range kernels.Implementations() {
		kernels.Use(impl)
		for _, c := range loadGolden(t) {
			t.Run(impl+"/"+c.Name, func(t *testing.T) {
				targets, opt := c.options(t)
				x := c.logits()
				grad := F32(make([]float32, c.N*c.V), c.N, c.V)
				res, err := CrossEntropyForwardBackward(x, targets, opt, []float32{1}, grad)
				if err != nil {
					t.Fatal(err)
				}
				e := c.Expected
				// For reduction none the golden has no loss and per-row z-losses;
				// our Loss and ZLoss are then the sums.
				wantLoss, wantZ := scalarOrSum(t, e.Loss, e.RowLosses), scalarOrSum(t, e.ZLoss, nil)
				if !closeTo(res.Loss, wantLoss) {
					t.Errorf("loss %.10g, want %.10g", res.Loss, wantLoss)
				}
				if !closeTo(res.ZLoss, wantZ) {
					t.Errorf("z_loss %.10g, want %.10g", res.ZLoss, wantZ)
				}
				for i := range c.N {
					if !closeTo(res.RowLoss[i], float64(e.RowLosses[i])) {
						t.Errorf("row %d loss %.10g, want %.10g", i, res.RowLoss[i], e.RowLosses[i])
					}
					if !closeTo(res.LSE[i], float64(e.LSE[i])) {
						t.Errorf("row %d lse %.10g, want %.10g", i, res.LSE[i], e.LSE[i])
					}
				}
				// A gradient element is fl(a·p + b): with label smoothing b = −ε/V
				// (scaled), and where p ≈ ε/V the float32 difference keeps only
				// the digits of b, so the bar is also 1e-5 of |b|.
				floor := float64(c.LabelSmoothing) / float64(c.V) / res.Denominator
				if c.Weight != nil {
					floor *= maxAbs(c.Weight)
				}
				closeG := func(got, want float64) bool {
					return closeTo(got, want) || math.Abs(got-want) <= goldenRel*floor
				}
				for k, g := range grad.F32 {
					if !closeG(float64(g), float64(e.DLogits[k])) {
						t.Errorf("dlogits[%d, %d] = %.9g, want %.9g", k/c.V, k%c.V, g, e.DLogits[k])
					}
				}
				// Forward alone and Backward from its LSE agree with the fused call.
				fwd, err := CrossEntropy(x, targets, opt)
				if err != nil {
					t.Fatal(err)
				}
				if fwd.Loss != res.Loss {
					t.Errorf("forward-only loss %v differs from fused %v", fwd.Loss, res.Loss)
				}
				back := F32(make([]float32, c.N*c.V), c.N, c.V)
				if err := CrossEntropyBackward(x, targets, opt, fwd.LSE, []float32{1}, back); err != nil {
					t.Fatal(err)
				}
				for k, g := range back.F32 {
					if !closeG(float64(g), float64(e.DLogits[k])) {
						t.Errorf("backward dlogits[%d, %d] = %.9g, want %.9g", k/c.V, k%c.V, g, e.DLogits[k])
					}
				}
			})
		}
	}
	kernels.Use(kernels.Implementations()[0])
}

// scalarOrSum reads a golden value that is a number, a list (summed), or
// null (then the sum of rows).
func scalarOrSum(t *testing.T, v any, rows []jsonFloat) float64 {
	var sum float64
	switch v := v.(type) {
	case float64:
		return v
	case []any:
		for _, r := range v {
			sum += r.(float64)
		}
	case nil:
		for _, r := range rows {
			sum += float64(r)
		}
	default:
		t.Fatalf("golden value has type %T", v)
	}
	return sum
}

func maxAbs(v []jsonFloat) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}
