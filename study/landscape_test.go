package study_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/study"
	"github.com/xent-dev/xent/train"
)

// tinyLandscape is a landscape study of two runs of a one-layer model on
// a small text, in about a second.
func tinyLandscape(t *testing.T) study.LandscapeOptions {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the token cache
	var text strings.Builder
	rng := rand.New(rand.NewPCG(1, 1))
	words := strings.Fields("light rays are refracted by the prism into colours which the eye sees as white when mixed again")
	for range 3000 {
		text.WriteString(words[rng.IntN(len(words))])
		text.WriteByte(' ')
	}
	path := filepath.Join(t.TempDir(), "text.txt")
	if err := os.WriteFile(path, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := train.Settings{Context: 16, GradAccum: 1, Steps: 8, Seed: 3, Threads: 2,
		Optim: train.Optim{LR: 1e-2, Schedule: "cosine", MinLRRatio: 0.1, Beta2: 0.99, ClipNorm: 1}}
	return study.LandscapeOptions{
		Start: train.Start{Corpus: data.PrepareOptions{Source: data.Source{Files: path}, VocabSize: 280},
			Arch: "llama", Width: 16, Layers: 1, Heads: 2, Settings: s},
		Runs:       []study.SharpnessRun{{Batch: 2, Warmup: 2, WeightDecay: 0.1}, {Batch: 8, Warmup: 0, WeightDecay: 0}},
		LinePoints: 7, LineFrom: -0.25, LineTo: 1.25,
		Grid: 3, Span: 0.5,
		LossBatches: 2, LossBatch: 4,
		Hessian: study.EigenOptions{Iters: 30, Tol: 1e-3, Seed: 1},
	}
}

// The study on a tiny budget: every number is there and finite, the line
// passes through the initial and trained weights' losses, the slice's
// centre is the trained weights, and the same options give the same
// numbers.
func TestLandscapeTiny(t *testing.T) {
	o := tinyLandscape(t)
	l, err := study.RunLandscape(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Runs) != 2 || len(l.Line) != 7 || len(l.Slice.Coords) != 3 || len(l.Slice.Train) != 3 {
		t.Fatalf("%d runs, %d line points, slice %d × %d", len(l.Runs), len(l.Line), len(l.Slice.Coords), len(l.Slice.Train))
	}
	base := l.Runs[0]
	for _, r := range l.Runs {
		for _, x := range []float64{r.LambdaMax, r.Train, r.HeldOut, r.Gap} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Errorf("run %s: %+v", r.Run, r)
			}
		}
		if r.LambdaMax <= 0 || r.LambdaMin > r.LambdaMax || r.Hessian.Iters == 0 || math.Abs(r.Gap-(r.HeldOut-r.Train)) > 1e-12 {
			t.Errorf("run %s: %+v", r.Run, r)
		}
		if r.Steps != 8 || r.Tokens != 8*r.Batch*16 {
			t.Errorf("run %s: %d steps, %d tokens", r.Run, r.Steps, r.Tokens)
		}
	}
	if l.Runs[0].Run != "b2 w2 wd0.1" || l.Runs[1].Run != "b8 w0 wd0" || l.Base != l.Runs[0].Run {
		t.Errorf("runs %q, %q; base %q", l.Runs[0].Run, l.Runs[1].Run, l.Base)
	}
	// α = 1 is the trained weights: the run's own train and held-out loss.
	at1 := l.Line[5]
	if at1.Alpha != 1 || math.Abs(at1.Train-base.Train) > 1e-6 || math.Abs(at1.HeldOut-base.HeldOut) > 1e-6 {
		t.Errorf("line at α = %g: %+v; the trained weights' %v, %v", at1.Alpha, at1, base.Train, base.HeldOut)
	}
	if at0 := l.Line[1]; at0.Alpha != 0 || !(at0.Train > at1.Train) || !(at0.HeldOut > at1.HeldOut) {
		t.Errorf("training did not lower the loss: α 0 %+v, α 1 %+v", at0, at1)
	}
	if c := l.Slice.Train[1][1]; l.Slice.Coords[1] != 0 || math.Abs(c-base.Train) > 1e-6 {
		t.Errorf("the slice's centre %v at %v; the trained weights' train loss %v", c, l.Slice.Coords[1], base.Train)
	}
	for _, row := range l.Slice.Train {
		for _, v := range row {
			if !(v >= l.Slice.Train[1][1]-0.5) {
				t.Errorf("slice point %v far below the trained weights' %v", v, l.Slice.Train[1][1])
			}
		}
	}
	again, err := study.RunLandscape(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l, again) {
		a, _ := json.Marshal(l)
		b, _ := json.Marshal(again)
		t.Errorf("the same options gave different numbers:\n%s\n%s", a, b)
	}
	// Equal tokens: the batch-8 run takes a quarter of the batch-2 run's steps.
	o.EqualTokens = true
	eq, err := study.RunLandscape(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := eq.Runs[0], eq.Runs[1]; a.Steps != 8 || b.Steps != 2 || a.Tokens != b.Tokens || !reflect.DeepEqual(a, l.Runs[0]) {
		t.Errorf("equal tokens: %+v and %+v", a, b)
	}
	dir := t.TempDir()
	for name, plot := range map[string]func(string) error{"line.svg": l.PlotLine, "slice.png": l.PlotSlice, "sharpness.svg": l.PlotSharpness} {
		path := filepath.Join(dir, name)
		if err := plot(path); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() < 1000 {
			t.Errorf("%s: %v, %v", name, fi, err)
		}
	}
	var tab strings.Builder
	l.WriteTable(&tab)
	for _, want := range []string{"λ_max", "b8 w0 wd0", "held-out loss", "the slice"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("the table has no %q:\n%s", want, tab.String())
		}
	}
}

func TestLandscapeBadOptions(t *testing.T) {
	good := study.LandscapeOptions{Runs: []study.SharpnessRun{{Batch: 1}}, LinePoints: 2, LineTo: 1, Grid: 2, Span: 1,
		LossBatches: 1, LossBatch: 1, Hessian: study.EigenOptions{Iters: 1}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(*study.LandscapeOptions){
		"no runs":        func(o *study.LandscapeOptions) { o.Runs = nil },
		"batch 0":        func(o *study.LandscapeOptions) { o.Runs[0].Batch = 0 },
		"negative decay": func(o *study.LandscapeOptions) { o.Runs[0].WeightDecay = -1 },
		"one point":      func(o *study.LandscapeOptions) { o.LinePoints = 1 },
		"empty line":     func(o *study.LandscapeOptions) { o.LineTo = o.LineFrom },
		"grid 1":         func(o *study.LandscapeOptions) { o.Grid = 1 },
		"span NaN":       func(o *study.LandscapeOptions) { o.Span = math.NaN() },
		"no batches":     func(o *study.LandscapeOptions) { o.LossBatches = 0 },
		"held-out cap":   func(o *study.LandscapeOptions) { o.HeldOutTokens = -1 },
		"hessian":        func(o *study.LandscapeOptions) { o.Hessian.Iters = 0 },
	} {
		o := good
		o.Runs = append([]study.SharpnessRun(nil), good.Runs...)
		f(&o)
		if err := o.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := study.RunLandscape(context.Background(), o); err == nil {
			t.Errorf("%s: RunLandscape ran", name)
		}
	}
}

// Every row of every matrix of a filter-normalised direction has the norm
// of the weights' row; vectors (norm gains) get none.
func TestFilterNormalized(t *testing.T) {
	m, err := model.New(model.Config{ModelType: "llama", VocabSize: 32, HiddenSize: 8, IntermediateSize: 16,
		NumHiddenLayers: 1, NumAttentionHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 8, TieWordEmbeddings: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	theta := m.ParamBuffer()
	d := study.FilterNormalized(m, theta, rand.New(rand.NewPCG(1, 2)))
	off, rows := 0, 0
	for _, p := range m.Params() {
		n := len(p.Data)
		if len(p.Shape) < 2 {
			for _, x := range d[off : off+n] {
				if x != 0 {
					t.Fatalf("%s: direction %v, want 0", p.Name, x)
				}
			}
		} else {
			w := n / p.Shape[0]
			for r := off; r < off+n; r += w {
				var dn, tn float64
				for k := r; k < r+w; k++ {
					dn += float64(d[k]) * float64(d[k])
					tn += float64(theta[k]) * float64(theta[k])
				}
				if math.Abs(math.Sqrt(dn)-math.Sqrt(tn)) > 1e-5*math.Sqrt(tn) {
					t.Fatalf("%s row %d: ‖d‖ %v, ‖θ‖ %v", p.Name, (r-off)/w, math.Sqrt(dn), math.Sqrt(tn))
				}
				rows++
			}
		}
		off += n
	}
	if rows < 32+3*8 {
		t.Errorf("%d rows checked", rows)
	}
}

func ExampleRunLandscape() {
	// Two tiny runs on a text of your own; the defaults of
	// "xent study landscape" are larger.
	dir, _ := os.MkdirTemp("", "landscape")
	defer os.RemoveAll(dir)
	old := os.Getenv("XDG_CACHE_HOME")
	os.Setenv("XDG_CACHE_HOME", dir) // the token cache
	defer os.Setenv("XDG_CACHE_HOME", old)
	path := filepath.Join(dir, "text.txt")
	os.WriteFile(path, []byte(strings.Repeat("the prism refracts light into colours; ", 400)), 0o644)
	s := train.Settings{Context: 16, GradAccum: 1, Steps: 10, Seed: 1, Threads: 1,
		Optim: train.Optim{LR: 1e-2, Schedule: "cosine", MinLRRatio: 0.1, Beta2: 0.99, ClipNorm: 1}}
	l, err := study.RunLandscape(context.Background(), study.LandscapeOptions{
		Start: train.Start{Corpus: data.PrepareOptions{Source: data.Source{Files: path}, VocabSize: 270},
			Arch: "llama", Width: 16, Layers: 1, Heads: 2, Settings: s},
		Runs:       []study.SharpnessRun{{Batch: 2, Warmup: 2, WeightDecay: 0.1}, {Batch: 8, Warmup: 2, WeightDecay: 0.1}},
		LinePoints: 4, LineFrom: 0, LineTo: 1, Grid: 3, Span: 1,
		LossBatches: 1, LossBatch: 4, Hessian: study.EigenOptions{Iters: 20, Tol: 1e-3},
	})
	if err != nil {
		panic(err)
	}
	first, last := l.Line[0], l.Line[len(l.Line)-1]
	fmt.Println("runs:", l.Runs[0].Run, "and", l.Runs[1].Run)
	fmt.Println("training lowered the held-out loss:", last.HeldOut < first.HeldOut)
	fmt.Println("both ended at positive curvature:", l.Runs[0].LambdaMax > 0 && l.Runs[1].LambdaMax > 0)
	// Output:
	// runs: b2 w2 wd0.1 and b8 w2 wd0.1
	// training lowered the held-out loss: true
	// both ended at positive curvature: true
}
