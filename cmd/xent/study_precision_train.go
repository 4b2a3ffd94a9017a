package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/study"
	"github.com/xent-dev/xent/train"
)

// precisionTrainSettings are the settings a precision-train report records.
type precisionTrainSettings struct {
	Arch       string                      `json:"arch"`
	Width      int                         `json:"width"`
	Layers     int                         `json:"layers"`
	Heads      int                         `json:"heads"`
	Train      train.Settings              `json:"train"`
	EvalTokens int                         `json:"eval_tokens"`
	Study      study.TrainPrecisionOptions `json:"study"`
}

func newStudyPrecisionTrainCmd() *cobra.Command {
	var f trainFlags
	var o study.TrainPrecisionOptions
	var plots plotFlags
	cmd := &cobra.Command{
		Use:   "precision-train [flags]",
		Short: "Train the default model with the loss in float32 and in bf16: the curves, and where they part",
		Long: `Trains xent train's model three times on the same corpus and tokenizer,
with xent train's settings (flags as there; nothing is saved):

  f32          the loss in float32, as xent train computes it;
  bf16         identical (the same seed: the same initial weights and
               batches) except that the loss and its gradient with respect
               to the logits are computed in bf16 arithmetic, emulated
               exactly as "xent study precision" states (logits rounded to
               bf16; max, subtract, exp, sum, log, divide each rounded; the
               gradient softmax − onehot in bf16, then widened to float32
               for the rest of the backward pass, which is float32);
  f32 seed 2   float32 again with --spread-seed: other initial weights and
               batches, the difference that does not matter.

It prints the training losses every --every steps (each run's own: the
bf16 run's in bf16) and the held-out losses every --eval-every steps (in
float32 for all three), with the gap |bf16 − f32| beside the seed spread
|f32 seed 2 − f32|, both training columns as --window-step moving means.
The runs part at the first step where the gap exceeds the seed spread (or
--tolerance nats); the final held-out gap is given in units of the seed
spread. --plots writes the curves as precision-train.FORMAT.

The three runs go step by step together; Ctrl-C stops them after the step
in progress and reports the steps all three have run (and exits non-zero).`,
		Example: `  xent study precision-train --plots runs/bf16loss --json
  xent study precision-train --steps 100 --eval-every 25 --every 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPrecisionTrain(cmd, &f, o, plots) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	addSourceFlags(cmd, &f.src, "to train on and hold out the last 10% of")
	f.tok.add(cmd, 2048)
	f.addModelFlags(cmd)
	fl.Uint64Var(&f.s.Seed, "seed", 1, "seed of the float32 and bf16 runs (initial weights and batch order)")
	fl.Uint64Var(&o.SpreadSeed, "spread-seed", 2, "seed of the second float32 run, the seed spread")
	fl.StringVar(&o.Format, "format", "bf16", "the loss's low-precision format: bf16 or f16")
	fl.StringVar(&o.Sum, "sum", "pairwise", "how the low-precision loss sums its exponentials: pairwise (a tree, as a parallel reduction) or sequential")
	fl.IntVar(&o.Window, "window", 20, "steps of the moving means the training curves are compared over")
	fl.Float64Var(&o.Tolerance, "tolerance", 0, "the gap, in nats, at which the runs part (0: the seed spread)")
	fl.IntVar(&o.Every, "every", 50, "steps between the training table's rows")
	fl.IntVar(&f.s.EvalEvery, "eval-every", 50, "steps between held-out evaluations (0: only at the end)")
	fl.IntVar(&f.evalTokens, "eval-tokens", train.DefaultEvalTokens, "held-out tokens each evaluation scores at most, the first of the split (0: all)")
	fl.IntVar(&f.s.Threads, "threads", 0, "goroutines (0: GOMAXPROCS); results are identical for the same count")
	plots.add(cmd, "write the curves into this directory as precision-train.FORMAT")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
	return cmd
}

func runPrecisionTrain(cmd *cobra.Command, f *trainFlags, o study.TrainPrecisionOptions, plots plotFlags) error {
	logw := cmd.ErrOrStderr()
	const name = "xent study precision-train"
	logf := func(format string, args ...any) { fmt.Fprintf(logw, name+": "+format+"\n", args...) }
	if err := plots.check(); err != nil {
		return err
	}
	// Bad settings fail before any tokenizer training.
	if f.evalTokens < 0 {
		return fmt.Errorf("--eval-tokens %d: want ≥ 0 (0: all tokens)", f.evalTokens)
	}
	if err := f.s.Validate(); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if o.SpreadSeed == f.s.Seed {
		return fmt.Errorf("--spread-seed %d is --seed; choose another", o.SpreadSeed)
	}
	if _, err := model.SmallConfig(f.arch, 0, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("--arch: %w", err)
	}
	opts, err := f.tok.options(f.src, logf)
	if err != nil {
		return err
	}
	corpus, err := data.Prepare(opts)
	if err != nil {
		return err
	}
	bos, err := modeldir.TokenizerBOS(corpus.Tokenizer)
	if err != nil {
		return err
	}
	logf("%s: %d training tokens, %d held-out tokens, vocabulary %d; three runs of %d steps",
		corpus.Name, len(corpus.TrainTokens), len(corpus.HeldOutTokens), corpus.Tokenizer.VocabSize(), f.s.Steps)
	ctx, stop := interruptible(cmd.Context(), logw, name, "stopping")
	defer stop()
	bar := newProgress(logw, name, "step", int64(f.s.Steps), 0)
	runs := [3]string{"f32", o.Format, fmt.Sprintf("f32 seed %d", o.SpreadSeed)}
	start := train.Start{Arch: f.arch, Width: f.width, Layers: f.layers, Heads: f.heads, Settings: f.s}
	held := train.HeldOut{Tokens: corpus.HeldOutTokens, BOS: bos, Tokenizer: corpus.Tokenizer, MaxTokens: f.evalTokens}
	var last [3]float64
	res, err := study.RunTrainPrecision(ctx, start, corpus, held, o, func(run int, st train.StepStats) {
		if last[run] = st.Loss; run == 2 {
			bar.Update(int64(st.Step), fmt.Sprintf("loss: %s %.4f, %s %.4f, %s %.4f", runs[0], last[0], runs[1], last[1], runs[2], last[2]))
		}
	})
	bar.Finish()
	if err != nil {
		return err
	}
	src := provenance.New()
	src.Data = corpus.Name + " (the first 90% trained on, the last 10% held out)"
	src.Tokenizer = f.tok.describe()
	src.Settings = precisionTrainSettings{Arch: f.arch, Width: f.width, Layers: f.layers, Heads: f.heads, Train: f.s, EvalTokens: f.evalTokens, Study: o}
	// The table first: a plot that cannot be written loses nothing.
	if err := studyReport(cmd, cmd.OutOrStdout(), src, f.json, res, func(w io.Writer) error { res.WriteTable(w); return nil }); err != nil {
		return err
	}
	var stopped error
	if res.Interrupted {
		stopped = fmt.Errorf("interrupted after step %d of %d; the report compares the steps run", len(res.Steps), f.s.Steps)
	}
	if plots.dir == "" || len(res.Steps) == 0 {
		return stopped
	}
	path, err := plots.path("precision-train")
	if err != nil {
		return err
	}
	if err := res.Plot(path); err != nil {
		return fmt.Errorf("the plot %s: %w", path, err)
	}
	logf("wrote %s", path)
	return stopped
}
