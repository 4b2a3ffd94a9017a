package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

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
	tf        trainFlags // corpus, tokenizer and training settings, as "xent train" has them
	budget    time.Duration
	flopRate  float64
	out       string
	shapes    string
	grid      sweep.Grid
	bootstrap int
	json      bool
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
with its own cosine schedule over exactly its tokens, and scores each on the
held-out 10%. N counts non-embedding parameters (Kaplan's convention; token
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
	fl.StringVar(&f.tf.corpus, "corpus", "opticks", "built-in corpus: opticks (embedded) or gosrc (the Go standard library's source)")
	fl.StringVar(&f.tf.dataSpec, "data", "", "train on this file, directory or glob instead (plain text, or .jsonl with a \"text\" field)")
	fl.DurationVar(&f.budget, "budget", 30*time.Minute, "wall clock for the whole sweep (tokenizer training excluded)")
	fl.Float64Var(&f.flopRate, "flop-rate", 0, "plan as if training ran at this many FLOP/s instead of timing each shape: the same plan on any machine (0: time them)")
	fl.StringVar(&f.out, "out", "runs/scaling", "directory for runs.csv, fit.json and scaling.svg")
	fl.StringVar(&f.shapes, "shapes", "1x16,1x32,2x32,2x48,3x64,4x96", "model shapes LAYERSxWIDTH, comma-separated (heads: width/32, at least 1)")
	fl.IntVar(&f.grid.Levels, "levels", 4, "compute budgets (IsoFLOP groups)")
	fl.Float64Var(&f.grid.Ratio, "ratio", 3, "factor between consecutive compute budgets")
	fl.IntVar(&f.grid.MinSteps, "min-steps", 20, "leave out runs of fewer optimizer steps")
	fl.Float64Var(&f.grid.MinTPP, "min-tokens-per-param", 2, "at each budget, train only the shapes with at least this many tokens per non-embedding parameter")
	fl.Float64Var(&f.grid.MaxTPP, "max-tokens-per-param", 1000, "at each budget, train only the shapes with at most this many tokens per non-embedding parameter")
	fl.StringVar(&f.tf.tokenizer, "tokenizer", "", "gpt2, cl100k_base, o200k_base or a tokenizer.json (default: train a byte-level BPE on the training split)")
	fl.IntVar(&f.tf.vocabSize, "vocab-size", 512, "vocabulary of the BPE trained when --tokenizer is not given")
	fl.IntVar(&f.tf.s.Context, "context", 64, "tokens per training sequence T")
	fl.IntVar(&f.tf.s.Batch, "batch", 16, "sequences per optimizer step")
	fl.Float64Var(&f.tf.s.LR, "lr", 3e-3, "peak learning rate (cosine to 10% after a warmup of at most a tenth of the steps)")
	fl.IntVar(&f.tf.s.Warmup, "warmup", 40, "warmup steps at most")
	fl.Uint64Var(&f.tf.s.Seed, "seed", 1, "seed of every run's initial weights and batch order, and of the bootstrap")
	fl.IntVar(&f.tf.s.Threads, "threads", 0, "goroutines per run (0: GOMAXPROCS)")
	fl.IntVar(&f.bootstrap, "bootstrap", 100, "bootstrap resamples for the fit's intervals")
	fl.BoolVar(&f.json, "json", false, "print the fit as JSON")
	return cmd
}

func runScalingSweep(cmd *cobra.Command, f *scalingSweepFlags) error {
	logw := cmd.ErrOrStderr()
	logf := func(format string, args ...any) { fmt.Fprintf(logw, "xent scaling sweep: "+format+"\n", args...) }
	var shapes []sweep.Shape
	for _, s := range strings.Split(f.shapes, ",") {
		sh, err := sweep.ParseShape(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("--shapes: %w", err)
		}
		shapes = append(shapes, sh)
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
	f.tf.arch = "gpt2"
	f.tf.s.GradAccum, f.tf.s.MinLRRatio, f.tf.s.Schedule = 1, 0.1, "cosine"
	f.tf.s.WeightDecay, f.tf.s.Beta2, f.tf.s.ClipNorm = 0.1, 0.99, 1

	text, name, err := f.tf.corpusText()
	if err != nil {
		return err
	}
	trainText, heldOut := data.Split(text)
	if len(heldOut) == 0 {
		return fmt.Errorf("corpus %s is too small to hold out 10%% of it", name)
	}
	tok, err := f.tf.loadOrTrainTokenizer(trainText, logf)
	if err != nil {
		return err
	}
	trainTokens, err := train.Tokens(tok, trainText)
	if err != nil {
		return err
	}
	heldTokens, err := train.Tokens(tok, heldOut)
	if err != nil {
		return err
	}
	logf("%s: %d training tokens, %d held-out tokens, vocabulary %d", name, len(trainTokens), len(heldTokens), tok.VocabSize())
	bos, err := modeldir.TokenizerBOS(tok)
	if err != nil {
		return err
	}

	newModel := func(sh sweep.Shape) (*model.Model, error) {
		tf := f.tf
		tf.layers, tf.width, tf.heads = sh.Layers, sh.Width, max(1, sh.Width/32)
		cfg, err := tf.modelConfig(tok.VocabSize())
		if err != nil {
			return nil, err
		}
		return model.New(cfg, tf.s.Seed)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	results, err := sweep.Run(ctx, sweep.Config{
		Shapes: shapes, Grid: f.grid, Budget: f.budget, FlopRate: f.flopRate,
		Settings: f.tf.s, NewModel: newModel,
		Train: trainTokens, HeldOut: heldTokens, HeldOutBOS: bos, Tokenizer: tok,
		CSV: csvPath, Logf: logf,
	})
	if err != nil {
		if len(results) > 0 {
			return fmt.Errorf("%w; the %d finished runs are in %s", err, len(results), csvPath)
		}
		return err
	}
	runs := make([]scaling.Run, len(results))
	for i, r := range results {
		runs[i] = r.Run()
	}
	rep, err := fitRuns(csvPath, runs, "chinchilla", exclusions{}, scaling.Options{Bootstrap: f.bootstrap, Seed: f.tf.s.Seed})
	if err != nil {
		return fmt.Errorf("fitting the %d runs in %s: %w", len(runs), csvPath, err)
	}
	if err := atomicfile.Write(filepath.Join(f.out, "fit.json"), func(w io.Writer) error { return printFitReport(w, rep, true) }); err != nil {
		return err
	}
	plotPath := filepath.Join(f.out, "scaling.svg")
	if err := plotReport(plotPath, runs, rep); err != nil {
		return err
	}
	logf("wrote %s, %s and %s", csvPath, filepath.Join(f.out, "fit.json"), plotPath)
	return printFitReport(cmd.OutOrStdout(), rep, f.json)
}
