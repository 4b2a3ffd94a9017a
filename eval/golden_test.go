package eval

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xent-dev/xent/model"
)

// golden is eval/testdata/windows.json, written by gen.py: PyTorch's NLL
// for every scheme, each implemented after its reference code.
type golden struct {
	BOS       int32     `json:"bos"`
	Documents [][]int32 `json:"documents"`
	Models    map[string]struct {
		Dir   string `json:"dir"`
		Cases []struct {
			Scheme    Scheme `json:"scheme"`
			Ctx       int    `json:"ctx"`
			Stride    int    `json:"stride"`
			AddBOS    bool   `json:"add_bos"`
			Documents []struct {
				NLLSum float64 `json:"nll_sum"`
				Count  int64   `json:"count"`
				Scored []int   `json:"scored"`
			} `json:"documents"`
			NLLSum  float64 `json:"nll_sum"`
			Count   int64   `json:"count"`
			MeanNLL float64 `json:"mean_nll"`
		} `json:"cases"`
	} `json:"models"`
}

func readGolden(t *testing.T) golden {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "windows.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func loadTestModel(t *testing.T, dir string) *model.Model {
	t.Helper()
	dir = filepath.Join("testdata", dir)
	cfg, err := model.ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(cfg, filepath.Join(dir, "init.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSchemesMatchPyTorch checks every scheme's mean NLL and per-document
// NLL and count against the PyTorch reference, to 1e-5 relative.
func TestSchemesMatchPyTorch(t *testing.T) {
	g := readGolden(t)
	worst := 0.0
	for name, gm := range g.Models {
		m := loadTestModel(t, gm.Dir)
		for _, c := range gm.Cases {
			e, err := New(m, nil, g.BOS, Options{Scheme: c.Scheme, Ctx: c.Ctx, Stride: c.Stride, AddBOS: c.AddBOS})
			if err != nil {
				t.Fatal(err)
			}
			var prevNLL float64
			var prevCount int64
			for d, ids := range g.Documents {
				if err := e.EvaluateTokens(context.Background(), ids); err != nil {
					t.Fatal(err)
				}
				want := c.Documents[d]
				nll, count := e.acc.nll-prevNLL, e.acc.tokens-prevCount
				prevNLL, prevCount = e.acc.nll, e.acc.tokens
				if count != want.Count || !close(nll, want.NLLSum, 1e-5) {
					t.Errorf("%s %s ctx %d stride %d add BOS %v, document %d: NLL %.9g over %d tokens, PyTorch %.9g over %d",
						name, c.Scheme, c.Ctx, c.Stride, c.AddBOS, d, nll, count, want.NLLSum, want.Count)
				}
			}
			r := e.Report()
			worst = math.Max(worst, math.Abs(r.MeanNLL-c.MeanNLL)/c.MeanNLL)
			if r.Tokens != c.Count || !close(r.MeanNLL, c.MeanNLL, 1e-5) {
				t.Errorf("%s %s ctx %d stride %d add BOS %v: mean NLL %.9g over %d tokens, PyTorch %.9g over %d",
					name, c.Scheme, c.Ctx, c.Stride, c.AddBOS, r.MeanNLL, r.Tokens, c.MeanNLL, c.Count)
			}
		}
	}
	t.Logf("worst relative difference of a mean NLL from PyTorch's: %.2g", worst)
}

// TestSchemesScoreTheReferenceTokens checks that each scheme scores the
// same target tokens, in the same order, as its reference code.
func TestSchemesScoreTheReferenceTokens(t *testing.T) {
	g := readGolden(t)
	for _, gm := range g.Models {
		for _, c := range gm.Cases {
			for d, ids := range g.Documents {
				got := scoredIndices(newWindower(c.Scheme, c.Ctx, c.Stride, c.AddBOS), len(ids), []int{len(ids)})
				if want := c.Documents[d].Scored; !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Errorf("%s ctx %d stride %d add BOS %v, document %d: scores %d tokens, the reference %d; first difference at %d",
						c.Scheme, c.Ctx, c.Stride, c.AddBOS, d, len(got), len(want), firstDiff(got, want))
				}
			}
		}
		break // the windows do not depend on the model
	}
}

// scoredIndices runs a windower over a document of n tokens that arrive
// in pieces of the given sizes (the last piece marks the end) and lists
// the targets it scores.
func scoredIndices(w windower, n int, arrivals []int) []int {
	var out []int
	known := 0
	for k, a := range arrivals {
		known = min(n, known+a)
		final := k == len(arrivals)-1
		if final {
			known = n
		}
		for {
			win, ok := w.next(known, final)
			if !ok {
				break
			}
			for p := win.scoreFrom; p < win.length; p++ {
				out = append(out, win.first+p)
			}
		}
	}
	return out
}

func firstDiff(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func close(x, want, rel float64) bool {
	return math.Abs(x-want) <= rel*math.Max(math.Abs(want), 1e-12)
}
