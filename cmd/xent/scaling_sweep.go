package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xent-dev/xent/internal/provenance"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/scaling"
	"github.com/xent-dev/xent/scaling/sweep"
	"github.com/xent-dev/xent/train"
)

// scalingSweepFlags are the flags of "xent scaling sweep".
type scalingSweepFlags struct {
	src        data.Source
	tok        tokenizerFlags
	s          train.Settings // every run's, but for its steps and warmup
	budget     time.Duration
	flopRate   float64
	out        string
	shapes     string
	grid       sweep.Grid
	bootstrap  int
	evalTokens int
	json       bool
}

func newScalingSweepCmd() *cobra.Command {
	var f scalingSweepFlags
	cmd := &cobra.Command{
		Use:   "sweep --corpus NAME --budget 30m [flags]",
		Short: "Train a grid of small GPT-2 models within a time budget, record N, D, C and loss, and fit",
		Long: `A Chinchilla in miniature. Trains a grid of small GPT-2 models (the --shapes,
depth × width, at --levels compute budgets a factor --ratio apart, an
IsoFLOP design; at each budget only the shapes whose tokens per parameter
fall in the --min/--max-tokens-per-param band) with the project's trainer on the corpus's first 90%, each
with its own learning-rate schedule over exactly its tokens (its warmup at
most a tenth of its steps), and scores each on the held-out 10%. N counts non-embedding parameters (Kaplan's convention; token
and position embeddings are left out) and C = 6·N·D.

Each shape's speed is measured first, and the budgets are scaled so that the
whole grid fits in --budget. With --flop-rate R the speed is not measured
but modelled, as R FLOP/s with 6 FLOPs per parameter per training token:
the same plan on every machine, loaded or not (--budget still bounds the
wall clock). Every finished run is written at once to
DIR/runs.csv (atomically); Ctrl-C keeps the finished runs. At the end the
Chinchilla form is fitted (as "xent scaling fit" does) to DIR/fit.json and
plotted to DIR/scaling.svg. On a small corpus the larger budgets repeat the
training text for several epochs: D counts tokens trained on, not distinct
tokens.`,
		Example: `  xent scaling sweep --corpus opticks --budget 30m
  xent scaling sweep --corpus gosrc --budget 2h --shapes 2x64,4x128,6x192 --out runs/gosrc-sweep`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runScalingSweep(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	addSourceFlags(cmd, &f.src, "to train on and hold out the last 10% of")
	fl.DurationVar(&f.budget, "budget", 30*time.Minute, "wall clock for the whole sweep (tokenizer training excluded)")
	fl.Float64Var(&f.flopRate, "flop-rate", 0, "plan as if training ran at this many FLOP/s instead of timing each shape: the same plan on any machine (0: time them)")
	fl.StringVar(&f.out, "out", "runs/scaling", "directory for runs.csv, fit.json and scaling.svg")
	fl.StringVar(&f.shapes, "shapes", "1x16,1x32,2x32,2x48,3x64,4x96", "model shapes LAYERSxWIDTH, comma-separated (heads: width/32, at least 1)")
	fl.IntVar(&f.grid.Levels, "levels", 4, "compute budgets (IsoFLOP groups)")
	fl.Float64Var(&f.grid.Ratio, "ratio", 3, "factor between consecutive compute budgets")
	fl.IntVar(&f.grid.MinSteps, "min-steps", 20, "leave out runs of fewer optimizer steps")
	fl.Float64Var(&f.grid.MinTPP, "min-tokens-per-param", 2, "at each budget, train only the shapes with at least this many tokens per non-embedding parameter")
	fl.Float64Var(&f.grid.MaxTPP, "max-tokens-per-param", 1000, "at each budget, train only the shapes with at most this many tokens per non-embedding parameter")
	f.tok.add(cmd, 512)
	fl.IntVar(&f.s.Context, "context", 64, "tokens per training sequence T")
	fl.IntVar(&f.s.Batch, "batch", 16, "sequences per optimizer step")
	addOptimFlags(cmd, &f.s.Optim, train.Optim{LR: 3e-3, Warmup: 40, Schedule: "cosine", MinLRRatio: 0.1, WeightDecay: 0.1, Beta2: 0.99, ClipNorm: 1})
	fl.Uint64Var(&f.s.Seed, "seed", 1, "seed of every run's initial weights and batch order, and of the bootstrap")
	fl.IntVar(&f.s.Threads, "threads", 0, "goroutines per run (0: GOMAXPROCS)")
	fl.IntVar(&f.evalTokens, "eval-tokens", train.DefaultEvalTokens, "held-out tokens each run is scored on, the first of the split (0: all)")
	fl.IntVar(&f.bootstrap, "bootstrap", 100, "bootstrap resamples for the fit's intervals")
	fl.BoolVar(&f.json, "json", false, "print the fit as JSON")
	return cmd
}

func runScalingSweep(cmd *cobra.Command, f *scalingSweepFlags) error {
	logw := cmd.ErrOrStderr()
	var bar *progress // from the first step, when the plan's steps are known
	logf := func(format string, args ...any) {
		if bar != nil {
			bar.Logf(format, args...)
			return
		}
		fmt.Fprintf(logw, "xent scaling sweep: "+format+"\n", args...)
	}
	onStep := func(p sweep.Progress) {
		if bar == nil {
			bar = newProgress(logw, "xent scaling sweep", "step", int64(p.Total), 0)
		}
		bar.Update(int64(p.Done), fmt.Sprintf("run %d/%d (%s): step %d/%d  loss %.4f", p.Run, p.Runs, p.Shape, p.Step, p.Steps, p.Loss))
	}
	var shapes []sweep.Shape
	for _, s := range strings.Split(f.shapes, ",") {
		sh, err := sweep.ParseShape(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("--shapes: %w", err)
		}
		shapes = append(shapes, sh)
	}
	if f.evalTokens < 0 {
		return fmt.Errorf("--eval-tokens %d: want ≥ 0 (0: all)", f.evalTokens)
	}
	if f.budget <= 0 {
		return fmt.Errorf("--budget %v: want a positive duration, e.g. 30m", f.budget)
	}
	if f.flopRate < 0 || math.IsNaN(f.flopRate) || math.IsInf(f.flopRate, 0) {
		return fmt.Errorf("--flop-rate %v: want a finite positive number of FLOP/s, or 0 to time each shape", f.flopRate)
	}
	csvPath := filepath.Join(f.out, "runs.csv")
	if _, err := os.Stat(csvPath); err == nil {
		return fmt.Errorf("--out %s: %s exists; give a new directory (a sweep does not overwrite runs)", f.out, csvPath)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", f.out, err)
	}
	f.s.GradAccum = 1
	// Each run's steps and warmup are the plan's: check the rest now.
	check := f.s
	check.Steps, check.Warmup = 1, 0
	if err := check.Validate(); err != nil {
		return err
	}
	opts, err := f.tok.options(f.src, logf)
	if err != nil {
		return err
	}
	corpus, err := data.Prepare(opts)
	if err != nil {
		return err
	}
	vocab := corpus.Tokenizer.VocabSize()
	held := corpus.HeldOutTokens
	if f.evalTokens > 0 && f.evalTokens < len(held) {
		held = held[:f.evalTokens] // each run scores these (BOS first, so every one is a target)
	}
	logf("%s: %d training tokens, %d held-out tokens (each run is scored on %d), vocabulary %d",
		corpus.Name, len(corpus.TrainTokens), len(corpus.HeldOutTokens), len(held), vocab)
	bos, err := modeldir.TokenizerBOS(corpus.Tokenizer)
	if err != nil {
		return err
	}

	newModel := func(sh sweep.Shape) (*model.Model, error) {
		cfg, err := model.SmallConfig(model.GPT2, vocab, sh.Width, sh.Layers, max(1, sh.Width/32), f.s.Context)
		if err != nil {
			return nil, err
		}
		return model.New(cfg, f.s.Seed)
	}
	ctx, stop := interruptible(cmd.Context(), logw, "xent scaling sweep", "saving")
	defer stop()
	results, err := sweep.Run(ctx, sweep.Config{
		Shapes: shapes, Grid: f.grid, Budget: f.budget, FlopRate: f.flopRate,
		Settings: f.s, NewModel: newModel,
		Train: corpus.TrainTokens, HeldOut: held, HeldOutBOS: bos, Tokenizer: corpus.Tokenizer,
		CSV: csvPath, Logf: logf, OnStep: onStep,
	})
	if bar != nil {
		bar.Finish()
		bar = nil
	}
	if errors.Is(err, context.Canceled) {
		err = errors.New("interrupted (the run in progress is dropped)")
	}
	if err != nil {
		if len(results) > 0 {
			return fmt.Errorf("%w; the %d finished runs are in %s (fit them with: xent scaling fit --data %s)", err, len(results), csvPath, csvPath)
		}
		return err
	}
	runs := make([]scaling.Run, len(results))
	for i, r := range results {
		runs[i] = r.Run()
	}
	rep, err := fitRuns(csvPath, runs, "chinchilla", exclusions{}, scaling.Options{Bootstrap: f.bootstrap, Seed: f.s.Seed})
	if err != nil {
		return fmt.Errorf("fitting the %d runs in %s: %w", len(runs), csvPath, err)
	}
	src := provenance.New()
	src.Data = fmt.Sprintf("%s (%d runs of this sweep on corpus %s)", csvPath, len(runs), f.src.Name())
	src.Settings = map[string]any{"form": "chinchilla", "bootstrap": f.bootstrap, "seed": f.s.Seed}
	if err := atomicfile.Write(filepath.Join(f.out, "fit.json"), func(w io.Writer) error { return printFitReport(w, src, rep, true) }); err != nil {
		return err
	}
	plotPath := filepath.Join(f.out, "scaling.svg")
	if err := plotReport(plotPath, runs, rep); err != nil {
		return err
	}
	logf("wrote %s, %s and %s", csvPath, filepath.Join(f.out, "fit.json"), plotPath)
	return printFitReport(cmd.OutOrStdout(), src, rep, f.json)
}
