package study

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/train"
)

// tinySmoothing is a study of seconds: a one-layer model of width 16 on
// 20 KB of made-up text, 40 steps per run.
func tinySmoothing(t *testing.T) SmoothingOptions {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // data.Encode's cache
	words := strings.Fields("the light of rays is refracted by a prism and colours are not made by it but separated red violet green")
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for b.Len() < 20000 {
		b.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(9) == 0 {
			b.WriteString(".\n")
		} else {
			b.WriteByte(' ')
		}
	}
	path := filepath.Join(t.TempDir(), "tiny.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := train.Settings{Batch: 4, Context: 16, GradAccum: 1, Steps: 40, Threads: 1,
		Optim: train.Optim{LR: 1e-2, Warmup: 4, Schedule: "cosine", MinLRRatio: 0.1, WeightDecay: 0.1, Beta2: 0.99, ClipNorm: 1}}
	return SmoothingOptions{Epsilons: []float64{0.3, 0}, Seeds: []uint64{1, 2},
		Start: train.Start{Corpus: data.PrepareOptions{Source: data.Source{Files: path}, VocabSize: 300}, Arch: "llama", Width: 16, Layers: 1, Heads: 2, Settings: s}}
}

// TestRunSmoothing runs the study on a tiny budget: every (ε, seed) is
// trained and scored, the numbers are in range, smoothing raises the
// entropy of the predictions, and the same options give the same numbers.
func TestRunSmoothing(t *testing.T) {
	o := tinySmoothing(t)
	var steps int
	o.OnStep = func(int, train.StepStats, train.Progress) { steps++ }
	s, err := RunSmoothing(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Runs) != 4 || len(s.Rows) != 2 || s.Partial || steps != 4*40 {
		t.Fatalf("%d runs, %d rows, partial %v, %d steps; want 4, 2, false, 160", len(s.Runs), len(s.Rows), s.Partial, steps)
	}
	if s.Rows[0].Epsilon != 0 || s.Rows[1].Epsilon != 0.3 || s.Runs[0].Epsilon != 0 || s.Runs[1].Seed != 2 {
		t.Errorf("runs and rows are not in ascending ε, then seed: %+v", s.Runs)
	}
	if s.Tokens < 100 {
		t.Errorf("%d held-out tokens scored per run", s.Tokens)
	}
	logV := math.Log(300)
	for _, r := range s.Runs {
		if !(r.PPL > 1 && r.PPL < 300 && math.Abs(math.Log(r.PPL)-r.Loss) < 1e-9) || !(r.ECE >= 0 && r.ECE <= r.MCE && r.MCE <= 1) ||
			!(r.Top1 > 0 && r.Top1 < 1) || !(r.Entropy > 0 && r.Entropy < logV) || !(r.Confidence > 0 && r.Confidence < 1) ||
			math.Abs(r.Gap-(r.Confidence-r.Top1)) > 1e-12 || !(r.TrainLoss > 0) || len(r.Bins) == 0 {
			t.Errorf("run out of range: %+v", r)
		}
	}
	// ε 0.3 puts 30% of every target on the uniform distribution: for the
	// same seed (weights and batches) its predictions are flatter, and its
	// training loss, which counts that mass, higher.
	for j := range 2 {
		plain, smooth := s.Runs[j], s.Runs[2+j]
		if !(smooth.Entropy > plain.Entropy) || !(smooth.TrainLoss > plain.TrainLoss) {
			t.Errorf("seed %d: ε 0 entropy %.4f, training loss %.4f; ε 0.3: %.4f, %.4f; want both higher with smoothing",
				plain.Seed, plain.Entropy, plain.TrainLoss, smooth.Entropy, smooth.TrainLoss)
		}
	}
	for _, row := range s.Rows {
		for _, x := range []Spread{row.PPL, row.ECE, row.MCE, row.Top1, row.Entropy, row.Gap} {
			if !(x.Min <= x.Mean && x.Mean <= x.Max && x.SD >= 0) {
				t.Errorf("ε %g: spread %+v", row.Epsilon, x)
			}
		}
		if row.Seeds != 2 || row.Article == nil || row.Article.Epsilon != row.Epsilon {
			t.Errorf("ε %g: %d seeds, article row %+v", row.Epsilon, row.Seeds, row.Article)
		}
	}
	if len(s.Verdict) != 5 {
		t.Errorf("verdict %+v", s.Verdict)
	}
	var table bytes.Buffer
	s.WriteTable(&table)
	for _, want := range []string{"perplexity", "ECE", "│ article", "8.21", "verdict", "ECE falls as ε grows"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table has no %q:\n%s", want, table.String())
		}
	}
	path := filepath.Join(t.TempDir(), "smoothing.svg")
	if err := s.Plot(path); err != nil {
		t.Fatal(err)
	}
	if svg, err := os.ReadFile(path); err != nil || !bytes.Contains(svg, []byte("reliability of every run")) {
		t.Errorf("the figure: %v", err)
	}

	o.OnStep = nil
	again, err := RunSmoothing(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Runs {
		a, b := s.Runs[i], again.Runs[i]
		a.Seconds, b.Seconds = 0, 0
		if !reflect.DeepEqual(a, b) {
			t.Errorf("run %d differs with the same options:\n%+v\n%+v", i, a, b)
		}
	}
}

// TestRunSmoothingCancelled checks that a cancelled study returns what it
// has, marked partial, with the error.
func TestRunSmoothingCancelled(t *testing.T) {
	o := tinySmoothing(t)
	o.Epsilons, o.Seeds = []float64{0, 0.1}, []uint64{1}
	ctx, cancel := context.WithCancel(context.Background())
	o.OnStep = func(run int, st train.StepStats, _ train.Progress) {
		if run == 1 && st.Step == 3 {
			cancel()
		}
	}
	s, err := RunSmoothing(ctx, o)
	if err == nil || !s.Partial || len(s.Runs) != 1 || len(s.Rows) != 1 || !strings.Contains(err.Error(), "ε 0.1") {
		t.Fatalf("cancelled in the second run: error %v, partial %v, %d runs", err, s.Partial, len(s.Runs))
	}
}

func TestSmoothingOptionsValidate(t *testing.T) {
	good := tinySmoothing(t)
	for _, c := range []struct {
		edit func(*SmoothingOptions)
		want string
	}{
		{func(o *SmoothingOptions) { o.Epsilons = nil }, "no ε"},
		{func(o *SmoothingOptions) { o.Epsilons = []float64{0, 1} }, "ε 1 is outside [0, 1)"},
		{func(o *SmoothingOptions) { o.Epsilons = []float64{-0.1} }, "ε -0.1 is outside"},
		{func(o *SmoothingOptions) { o.Epsilons = []float64{math.NaN()} }, "outside"},
		{func(o *SmoothingOptions) { o.Epsilons = []float64{0.1, 0, 0.1} }, "ε 0.1 is given twice"},
		{func(o *SmoothingOptions) { o.Seeds = nil }, "no seed"},
		{func(o *SmoothingOptions) { o.Seeds = []uint64{3, 3} }, "seed 3 is given twice"},
		{func(o *SmoothingOptions) { o.EvalTokens = -1 }, "cap -1"},
		{func(o *SmoothingOptions) { o.Start.Resume = "runs/x" }, "runs/x"},
		{func(o *SmoothingOptions) { o.Start.Arch = "rnn" }, "rnn"},
		{func(o *SmoothingOptions) { o.Start.Settings.Steps = 0 }, "steps"},
	} {
		o := good
		o.Epsilons, o.Seeds = append([]float64(nil), good.Epsilons...), append([]uint64(nil), good.Seeds...)
		c.edit(&o)
		_, err := RunSmoothing(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error with %q, got %v", c.want, err)
		}
	}
}

// articleRows are the article's table as rows of two seeds each, ±r
// around its numbers, with an overconfident ε 0.
func articleRows(r float64) []SmoothingRow {
	around := func(x float64) Spread { return Spread{Mean: x, SD: r * math.Sqrt2, Min: x - r, Max: x + r} }
	var rows []SmoothingRow
	for _, a := range ArticleSmoothing {
		row := SmoothingRow{Epsilon: a.Epsilon, Seeds: 2, PPL: around(a.PPL), ECE: around(a.ECE), Top1: around(0.5), Gap: around(-a.ECE)}
		if a.Epsilon == 0 {
			row.Gap = around(a.ECE)
		}
		rows = append(rows, row)
	}
	return rows
}

// TestSmoothingVerdict checks the verdict on hand-made rows: the article's
// own table holds every claim; with a spread of ±0.1 its differences are
// within it; reversed, the ECE claims fail; without ε 0.1 two claims are
// not measured, and one seed measures no spread.
func TestSmoothingVerdict(t *testing.T) {
	holds := func(f []Finding) (h, sp []string) {
		for _, x := range f {
			h, sp = append(h, x.Holds), append(sp, x.Spread)
		}
		return h, sp
	}
	check := func(name string, rows []SmoothingRow, wantHolds, wantSpread []string) {
		t.Helper()
		h, sp := holds(smoothingVerdict(rows, nil))
		if !reflect.DeepEqual(h, wantHolds) || !reflect.DeepEqual(sp, wantSpread) {
			t.Errorf("%s: holds %v, spread %v; want %v, %v", name, h, sp, wantHolds, wantSpread)
		}
	}
	yes := []string{"yes", "yes", "yes", "yes", "yes"}
	// The article's own: PPL 8.21 → 8.18 is −0.4%, flat; ECE falls at every step.
	check("the article", articleRows(0.001), yes, []string{"beyond", "beyond", "beyond", "beyond", "beyond"})
	// Up to ε 0.1 PPL differs by 0.03, within ±0.1: flat within the spread.
	check("the article ±0.1", articleRows(0.1), yes, []string{"within", "within", "beyond", "within", "beyond"})

	rev := articleRows(0.001)
	for i := range rev {
		rev[i].ECE = articleRows(0.001)[len(rev)-1-i].ECE
		rev[i].Gap = Spread{Mean: -0.01, Min: -0.011, Max: -0.009} // underconfident
	}
	rev[2].PPL = Spread{Mean: 8.5, Min: 8.499, Max: 8.501} // ε 0.1 above ε 0 and ε 0.2, below ε 0.3
	check("reversed", rev, []string{"no", "no", "no", "no", "partly"}, []string{"beyond", "beyond", "beyond", "beyond", "beyond"})

	var noTenth []SmoothingRow
	for _, r := range articleRows(0.001) {
		if r.Epsilon != 0.1 && r.Epsilon != 0.05 {
			r.Seeds = 1
			noTenth = append(noTenth, r)
		}
	}
	check("no ε 0.1", noTenth, []string{"yes", "not measured", "yes", "not measured", "not measured"},
		[]string{"unmeasured", "unmeasured", "unmeasured", "unmeasured", "unmeasured"})
	if f := smoothingVerdict(articleRows(0.001), nil)[0]; !strings.Contains(f.Evidence, "lowest at ε 0.3") {
		t.Errorf("evidence %q", f.Evidence)
	}
}

// TestSmoothingPaired checks Summarise and the seed-by-seed comparison on
// hand-made runs: two seeds far apart whose differences agree.
func TestSmoothingPaired(t *testing.T) {
	run := func(eps float64, seed uint64, ece, ppl, gap float64) SmoothingRun {
		return SmoothingRun{Epsilon: eps, Seed: seed, ECE: ece, PPL: ppl, Gap: gap}
	}
	s := Smoothing{Options: SmoothingOptions{Epsilons: []float64{0, 0.1, 0.3}}, Runs: []SmoothingRun{
		run(0, 1, 0.10, 10, 0.01), run(0, 2, 0.20, 20, -0.01),
		run(0.1, 1, 0.05, 10.5, 0), run(0.1, 2, 0.15, 20.4, 0),
		run(0.3, 1, 0.03, 11, 0), run(0.3, 2, 0.02, 21, 0),
	}}
	s.Summarise()
	if p := s.Rows[1].PPL; len(s.Rows) != 3 || math.Abs(p.Mean-15.45) > 1e-12 || math.Abs(p.SD-9.9/math.Sqrt2) > 1e-12 || p.Min != 10.5 || p.Max != 20.4 {
		t.Fatalf("rows %+v", s.Rows)
	}
	var got [][3]string
	for _, f := range s.Verdict {
		got = append(got, [3]string{f.Holds, f.Spread, f.Paired})
	}
	want := [][3]string{
		{"yes", "beyond", "consistent"},    // ECE falls: [0.1, 0.2] to [0.02, 0.03]
		{"partly", "within", "consistent"}, // ε 0.1: −0.05 for both, ×0.67
		{"no", "within", "mixed"},          // gaps +0.01 and −0.01
		{"no", "within", "consistent"},     // PPL +3%: +0.5 and +0.4, the ranges overlapping
		{"yes", "within", "consistent"},    // past ε 0.1: +0.5 and +0.6
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("verdict %v, want %v", got, want)
	}
}

func TestSpreadOf(t *testing.T) {
	s := spreadOf([]float64{1, 3})
	if s.Mean != 2 || s.Min != 1 || s.Max != 3 || math.Abs(s.SD-math.Sqrt2) > 1e-15 {
		t.Errorf("spread of 1, 3: %+v", s)
	}
	if one := spreadOf([]float64{5}); one != (Spread{Mean: 5, Min: 5, Max: 5}) {
		t.Errorf("spread of 5: %+v", one)
	}
	if !s.separate(spreadOf([]float64{3.5, 4})) || s.separate(spreadOf([]float64{3, 4})) {
		t.Errorf("ranges [1, 3] and [3.5, 4] are separate, [1, 3] and [3, 4] are not")
	}
}
