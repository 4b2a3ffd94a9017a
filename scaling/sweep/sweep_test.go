package sweep

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/scaling"
	"github.com/xent-dev/xent/train"
)

func TestPlan(t *testing.T) {
	costs := []Cost{
		{Shape: Shape{1, 16}, NonEmbed: 3000, SecPerToken: 10e-6, EvalSec: 0.1},
		{Shape: Shape{1, 32}, NonEmbed: 12000, SecPerToken: 20e-6, EvalSec: 0.2},
		{Shape: Shape{2, 64}, NonEmbed: 100000, SecPerToken: 50e-6, EvalSec: 0.5},
	}
	g := Grid{Levels: 3, Ratio: 3, MinSteps: 10, MinTPP: 2, MaxTPP: 1000}
	const tokensPerStep, seconds = 1024, 300.0
	plan, err := Plan(costs, g, tokensPerStep, seconds)
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	level := 0
	for _, p := range plan {
		total += p.Est
		tpp := float64(p.Steps*tokensPerStep) / float64(p.NonEmbed)
		if p.Steps < g.MinSteps || tpp < g.MinTPP || tpp > g.MaxTPP {
			t.Errorf("%+v: %d steps, %.1f tokens/param, outside the grid's bounds", p, p.Steps, tpp)
		}
		if p.Level < level {
			t.Errorf("run at level %d after level %d: want increasing compute", p.Level, level)
		}
		level = p.Level
	}
	// The largest grid that fits: within the budget, and not far below it.
	if total > seconds || total < seconds/2 || len(plan) < minPlannedRuns {
		t.Errorf("planned %.0f s for a budget of %.0f s", total, seconds)
	}
	if _, err := Plan(costs, g, tokensPerStep, 0.5); err == nil || !strings.Contains(err.Error(), "affords") {
		t.Errorf("a budget too small: %v", err)
	}
	if _, err := Plan(costs, Grid{Levels: 2, Ratio: 1, MinSteps: 1, MinTPP: 1, MaxTPP: 2}, tokensPerStep, seconds); err == nil {
		t.Error("ratio 1: no error")
	}
}

func TestParseShape(t *testing.T) {
	if sh, err := ParseShape("2x64"); err != nil || sh != (Shape{2, 64}) {
		t.Errorf("2x64: %+v, %v", sh, err)
	}
	for _, bad := range []string{"2x", "x64", "0x64", "2x64x3", "2*64", "-1x4"} {
		if _, err := ParseShape(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// tinyConfig is a sweep of three tiny GPT-2 shapes on random tokens.
func tinyConfig(t *testing.T, budget time.Duration) Config {
	rng := rand.New(rand.NewPCG(1, 2))
	toks := func(n int) []int32 {
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(rng.IntN(8) * rng.IntN(4)) // skewed, so there is something to learn
		}
		return out
	}
	return Config{
		Shapes:   []Shape{{1, 8}, {1, 16}, {2, 16}},
		Grid:     Grid{Levels: 2, Ratio: 2, MinSteps: 2, MinTPP: 1e-3, MaxTPP: 1e9},
		Budget:   budget,
		Settings: train.Settings{Batch: 2, Context: 16, GradAccum: 1, Optim: train.Optim{LR: 1e-2, MinLRRatio: 0.1, Schedule: "cosine", Beta2: 0.99, ClipNorm: 1}, Seed: 1, Threads: 1},
		NewModel: func(sh Shape) (*model.Model, error) {
			return model.New(model.Config{ModelType: "gpt2", VocabSize: 32, NEmbd: sh.Width, NLayer: sh.Layers, NHead: 1, NPositions: 16, LayerNormEpsilon: 1e-5}, 1)
		},
		Train: toks(4000), HeldOut: toks(256), HeldOutBOS: 0,
		CSV: filepath.Join(t.TempDir(), "runs.csv"),
	}
}

// TestRunTiny runs a whole sweep with its cost modelled at a fixed FLOP
// rate, so that the plan is the same on any machine, loaded or not: every
// planned run finishes and is in the CSV: the rate is a thousand times
// below this code's on these shapes, so the runs planned to fill 80% of
// the ten-minute budget take about a second, and the deadline is far.
func TestRunTiny(t *testing.T) {
	c := tinyConfig(t, 10*time.Minute)
	c.FlopRate = 2e6
	var costs []Cost
	for _, sh := range c.Shapes {
		cost, err := c.cost(sh)
		if err != nil {
			t.Fatal(err)
		}
		costs = append(costs, cost)
	}
	plan, err := Plan(costs, c.Grid, 2*16, planMargin*c.Budget.Seconds())
	if err != nil {
		t.Fatal(err)
	}
	var steps []Progress
	c.OnStep = func(p Progress) { steps = append(steps, p) }
	results, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(plan) {
		t.Fatalf("%d runs finished, %d planned", len(results), len(plan))
	}
	// OnStep hears every step of every run, in order.
	total := 0
	for _, p := range plan {
		total += p.Steps
	}
	if len(steps) != total {
		t.Fatalf("OnStep called %d times for %d planned steps", len(steps), total)
	}
	for i, p := range steps {
		if p.Done != i+1 || p.Total != total || p.Runs != len(plan) || p.Step < 1 || p.Step > p.Steps || p.Shape != plan[p.Run-1].Shape {
			t.Fatalf("step %d of the sweep: %+v", i+1, p)
		}
	}
	for i, r := range results {
		if p := plan[i]; r.Shape != p.Shape || r.Level != p.Level || r.Steps != p.Steps {
			t.Errorf("run %d: %s at level %d, %d steps; planned %s at level %d, %d steps", i, r.Shape, r.Level, r.Steps, p.Shape, p.Level, p.Steps)
		}
	}
	f, err := os.Open(c.CSV)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runs, err := scaling.ReadCSV(f, c.CSV, scaling.Columns{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(results) {
		t.Fatalf("%d runs in the CSV, %d results", len(runs), len(results))
	}
	for i, r := range results {
		want := r.Run()
		want.Line = i + 2
		if runs[i] != want {
			t.Errorf("CSV run %d = %+v, want %+v", i, runs[i], want)
		}
		if r.Flops != 6*float64(r.NonEmbed)*float64(r.Tokens) || r.Tokens != r.Steps*2*16 || !(r.Loss > 0) || math.IsInf(r.Loss, 0) {
			t.Errorf("result %+v: want C = 6·N·D, D = steps·B·T and a finite loss", r)
		}
	}
	// N leaves out the token and position embeddings: 32·8 + 16·8 for 1x8.
	m, _ := c.NewModel(Shape{1, 8})
	if got, want := NonEmbeddingParams(m), len(m.ParamBuffer())-32*8-16*8; got != want {
		t.Errorf("non-embedding parameters %d, want %d", got, want)
	}
	// A second sweep into the same file is refused.
	if _, err := Run(context.Background(), c); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("rerun over an existing CSV: %v", err)
	}
}

// TestCost: a modelled cost is 6 FLOPs per parameter per training token
// and 2 per held-out token at the given rate; a measured one is positive
// (its size depends on the machine, and is not asserted).
func TestCost(t *testing.T) {
	c := tinyConfig(t, time.Minute)
	sh := Shape{1, 16}
	measured, err := c.cost(sh)
	if err != nil {
		t.Fatal(err)
	}
	c.FlopRate = 1e9
	modelled, err := c.cost(sh)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.NewModel(sh)
	total := float64(len(m.ParamBuffer()))
	if modelled.Total != int(total) || modelled.NonEmbed != NonEmbeddingParams(m) ||
		math.Abs(modelled.SecPerToken-6*total/1e9) > 1e-15 || math.Abs(modelled.EvalSec-2*total*256/1e9) > 1e-12 {
		t.Errorf("modelled cost %+v, want %g s/token and %g s per evaluation", modelled, 6*total/1e9, 2*total*256/1e9)
	}
	if measured.Total != modelled.Total || measured.NonEmbed != modelled.NonEmbed || !(measured.SecPerToken > 0) || !(measured.EvalSec > 0) {
		t.Errorf("measured cost %+v: want the same parameter counts and positive times", measured)
	}
	c.FlopRate = -1
	if _, err := Run(context.Background(), c); err == nil || !strings.Contains(err.Error(), "FLOP rate -1") {
		t.Errorf("a negative FLOP rate: %v", err)
	}
}

// TestExecuteInterrupted: a cancelled sweep keeps the runs that finished.
func TestExecuteInterrupted(t *testing.T) {
	c := tinyConfig(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Logf = func(format string, args ...any) {
		if strings.HasPrefix(format, "run ") {
			cancel() // after the first run is written
		}
	}
	m, _ := c.NewModel(Shape{1, 8})
	cost := Cost{Shape: Shape{1, 8}, NonEmbed: NonEmbeddingParams(m), Total: len(m.ParamBuffer())}
	plan := []Planned{{Cost: cost, Steps: 5}, {Cost: cost, Steps: 5}, {Cost: cost, Level: 1, Steps: 10}}
	results, err := c.Execute(ctx, plan, time.Now().Add(time.Hour))
	if !errors.Is(err, context.Canceled) || len(results) != 1 {
		t.Fatalf("%d results, error %v; want 1 and context.Canceled", len(results), err)
	}
	b, err := os.ReadFile(c.CSV)
	if err != nil || strings.Count(string(b), "\n") != 2 {
		t.Errorf("CSV %q, %v: want the header and one run", b, err)
	}
	// A deadline already past starts nothing.
	c.CSV = filepath.Join(t.TempDir(), "late.csv")
	results, err = c.Execute(context.Background(), plan, time.Now())
	if err != nil || len(results) != 0 {
		t.Errorf("past deadline: %d results, %v", len(results), err)
	}
}
