package study

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/train"
)

// compare on made-up curves: the low run's gap grows by 0.01 a step from
// 0, the seed spread is 0.1 throughout, so the 4-step moving-mean gap
// (0.01·(i − 2.5) at step i ≥ 4) first exceeds 0.1 at step 13; with a
// tolerance of 0.05, at step 8. Held out, the gap passes the spread at
// the second evaluation. No spread would leave no ratio.
func TestTrainPrecisionParting(t *testing.T) {
	var losses [3][]float64
	for i := range 20 {
		losses[0] = append(losses[0], 5)
		losses[1] = append(losses[1], 5+0.01*float64(i))
		losses[2] = append(losses[2], 5-0.1)
	}
	evals := [3][]train.Eval{{{Step: 10, Loss: 4}, {Step: 20, Loss: 3}}, {{Step: 10, Loss: 4.01}, {Step: 20, Loss: 3.3}}, {{Step: 10, Loss: 4.1}, {Step: 20, Loss: 3.2}}}
	for _, c := range []struct {
		tol  float64
		want int
	}{{0, 13}, {0.05, 8}} {
		res := &TrainPrecision{Options: TrainPrecisionOptions{Window: 4, Every: 1, Tolerance: c.tol}}
		res.compare(losses, evals)
		if res.PartsAt != c.want || res.FirstDiffers != 2 {
			t.Errorf("tolerance %g: parts at %d, first differs at %d; want %d and 2", c.tol, res.PartsAt, res.FirstDiffers, c.want)
		}
		if e := res.Evals[1]; c.tol == 0 && (res.PartsAtEval != 20 || abs(e.Gap-0.3) > 1e-12 || abs(e.SeedSpread-0.2) > 1e-12 || abs(res.FinalGapInSpreads-1.5) > 1e-12) {
			t.Errorf("held out: parts at %d, %+v, final %g spreads", res.PartsAtEval, res.Evals[1], res.FinalGapInSpreads)
		}
		if s := res.Steps[19]; abs(s.Gap-0.175) > 1e-12 || abs(s.SeedSpread-0.1) > 1e-12 {
			t.Errorf("step 20: %+v", s)
		}
	}
}

func abs(x float64) float64 { return max(x, -x) }

// A tiny budget end to end: three runs, every step and evaluation
// recorded, the bf16 run's first loss off by bf16's error only (the same
// weights and batch), the held-out losses close; the same options give
// the same numbers, and cancelled, the steps run so far; the plot is
// written; bad options are refused.
func TestRunTrainPrecision(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	path := filepath.Join(t.TempDir(), "tiny.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 66)), 0o644); err != nil {
		t.Fatal(err)
	}
	corpus, err := data.Prepare(data.PrepareOptions{Source: data.Source{Files: path}, VocabSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	bos, err := modeldir.TokenizerBOS(corpus.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	start := train.Start{Arch: "llama", Width: 16, Layers: 1, Heads: 2, Settings: train.Settings{Batch: 2, Context: 16, GradAccum: 1, Steps: 6, EvalEvery: 3, Seed: 1, Threads: 2,
		Optim: train.Optim{LR: 3e-3, Warmup: 2, Schedule: "cosine", MinLRRatio: 0.1, WeightDecay: 0.1, Beta2: 0.99, ClipNorm: 1}}}
	held := train.HeldOut{Tokens: corpus.HeldOutTokens, BOS: bos, Tokenizer: corpus.Tokenizer}
	o := TrainPrecisionOptions{Format: "bf16", Sum: "pairwise", SpreadSeed: 2, Window: 2, Every: 2}
	calls := 0
	res, err := RunTrainPrecision(context.Background(), start, corpus, held, o, func(int, train.StepStats) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) != 6 || len(res.Evals) != 2 || calls != 18 || res.Arithmetic != "bf16 pairwise" {
		t.Fatalf("%d steps, %d evaluations, %d calls, arithmetic %q", len(res.Steps), len(res.Evals), calls, res.Arithmetic)
	}
	first := res.Steps[0]
	if d := abs(first.Low - first.F32); res.FirstDiffers != 1 || d == 0 || d > 0.02 {
		t.Errorf("step 1: f32 %v, bf16 %v: the loss arithmetic alone should differ, by under 0.02", first.F32, first.Low)
	}
	if first.F32Seed2 == first.F32 {
		t.Error("the spread seed's run equals the first")
	}
	for _, e := range res.Evals {
		if abs(e.Gap) > 0.01 || e.SeedSpread == 0 {
			t.Errorf("evaluation %+v", e)
		}
	}
	again, err := RunTrainPrecision(context.Background(), start, corpus, held, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	again.Seconds, res.Seconds = [3]float64{}, [3]float64{}
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Errorf("the same options, different results:\n%s\n%s", a, b)
	}
	// Cancelled after step 3: the steps all three ran, compared.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cut, err := RunTrainPrecision(ctx, start, corpus, held, o, func(run int, st train.StepStats) {
		if run == 2 && st.Step == 3 {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !cut.Interrupted || len(cut.Steps) != 3 || len(cut.Evals) != 1 || cut.Steps[2] != res.Steps[2] || cut.Evals[0] != res.Evals[0] {
		t.Errorf("interrupted after step 3: %+v", cut)
	}
	var table strings.Builder
	res.WriteTable(&table)
	for _, want := range []string{"bf16 pairwise", "f32 seed 2", "held-out loss", "part"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table has no %q:\n%s", want, table.String())
		}
	}
	plot := filepath.Join(t.TempDir(), "p.svg")
	if err := res.Plot(plot); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(plot); err != nil || fi.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}
	for name, bad := range map[string]TrainPrecisionOptions{
		"format":      {Format: "fp8", Window: 1, Every: 1, SpreadSeed: 2},
		"window":      {Format: "bf16", Window: 0, Every: 1, SpreadSeed: 2},
		"tolerance":   {Format: "bf16", Window: 1, Every: 1, SpreadSeed: 2, Tolerance: -1},
		"spread seed": {Format: "bf16", Window: 1, Every: 1, SpreadSeed: 1},
	} {
		if _, err := RunTrainPrecision(context.Background(), start, corpus, held, bad, nil); err == nil {
			t.Errorf("bad %s accepted", name)
		}
	}
}
