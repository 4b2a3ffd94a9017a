package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/train"
	"github.com/xent-dev/xent/tune"
)

// tuneFlags are the flags of "xent tune".
type tuneFlags struct {
	modelDir, data, out string
	force               bool
	loss                prefsFlags
	cfg                 tune.Config
	logEvery, threads   int
	json                bool
	inf                 inferenceFlags // the reference model's
}

func newTuneCmd() *cobra.Command {
	var f tuneFlags
	cmd := &cobra.Command{
		Use:   "tune sft|dpo|kto|orpo|simpo --model DIR --data FILE.jsonl --out DIR [flags]",
		Short: "Fine-tune a model with SFT or a preference loss (DPO, KTO, ORPO, SimPO)",
		Long: `Fine-tune the model in --model (an xent checkpoint or a Hugging Face GPT-2 /
Llama directory) on --data and write the tuned model to --out, a model
directory that every command taking --model reads.

Data, one JSON object per line:
  sft                 {"prompt": ..., "completion": ...}
  dpo, orpo, simpo    {"prompt": ..., "chosen": ..., "rejected": ...}
  kto                 {"prompt": ..., "completion": ..., "label": true|false}
A record is BOS + prompt + completion; only the completion is scored. A
missing field, an empty completion, or a prompt (or prompt and completion)
longer than the model's context stops the run with the line's number.

dpo and kto train against a frozen copy of the starting model: a second
copy is loaded, unless --precompute-ref computes the reference
log-probabilities of every example once before the first step (no second
model in memory). The losses are TRL v0.24.0's (see "go doc
github.com/xent-dev/xent/prefs"); --beta 0 takes each one's default (0.1;
2 for simpo).

Every --log-every steps, stderr gets the loss, reward accuracy, mean
chosen/rejected log-probabilities, reward margin and KL(π ‖ start), the KL
of the policy π from the starting model (exact over the vocabulary on the
completions of the first eight examples). With --json the final report on stdout is JSON.

--out must be a new directory (or an existing model directory with
--force), never --model itself. Ctrl-C stops after the step in progress and
writes the model tuned so far to --out; a second Ctrl-C aborts at once.`,
		Example: `  xent tune dpo --model runs/opticks --data pairs.jsonl --out runs/opticks-dpo
  xent tune dpo --model runs/opticks --data pairs.jsonl --out runs/dpo --precompute-ref --loss-type ipo --beta 0.5
  xent tune sft --model runs/opticks --data sft.jsonl --out runs/opticks-sft --steps 100
  xent tune kto --model runs/opticks --data kto.jsonl --out runs/opticks-kto --desirable-weight 1.33`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"sft", "dpo", "kto", "orpo", "simpo"},
		RunE:      func(cmd *cobra.Command, args []string) error { return runTune(cmd, args[0], &f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.modelDir, "model", "", "model directory to start from (required)")
	fl.StringVar(&f.data, "data", "", "training data, JSON Lines (required)")
	fl.StringVar(&f.out, "out", "", "directory to write the tuned model to (required; not --model)")
	fl.BoolVar(&f.force, "force", false, "replace the model directory at --out if there is one")
	fl.Float64Var(&f.loss.beta, "beta", 0, "β (λ for orpo); 0 takes the loss's default (0.1, or 2 for simpo)")
	fl.StringVar(&f.loss.lossType, "loss-type", "sigmoid", "dpo's loss: sigmoid, robust, hinge or ipo")
	fl.Float64Var(&f.loss.labelSmoothing, "label-smoothing", 0, "ε: cDPO (sigmoid, ≤ 0.5), robust DPO (< 0.5), simpo")
	fl.BoolVar(&f.loss.referenceFree, "reference-free", false, "dpo against a reference margin of 0 (no reference model)")
	fl.Float64Var(&f.loss.gamma, "gamma", 0.5, "simpo's target margin γ")
	fl.Float64Var(&f.loss.alpha, "alpha", 0, "simpo: weight of an NLL term on the chosen completions")
	fl.Float64Var(&f.loss.desirable, "desirable-weight", 1, "kto's weight on desirable examples")
	fl.Float64Var(&f.loss.undesir, "undesirable-weight", 1, "kto's weight on undesirable examples")
	fl.BoolVar(&f.cfg.PrecomputeRef, "precompute-ref", false, "compute the reference log-probabilities once up front instead of holding a reference model")
	fl.IntVar(&f.cfg.Batch, "batch", 8, "examples (pairs for dpo, orpo, simpo) per step")
	fl.IntVar(&f.cfg.Steps, "steps", 200, "optimizer steps")
	addOptimFlags(cmd, &f.cfg.Optim, train.Optim{LR: 1e-5, Warmup: 10, Schedule: "cosine", MinLRRatio: 0.1, WeightDecay: 0, Beta2: 0.99, ClipNorm: 1})
	fl.Uint64Var(&f.cfg.Seed, "seed", 1, "seed of the example order")
	fl.IntVar(&f.logEvery, "log-every", 10, "steps between log lines")
	fl.IntVar(&f.threads, "threads", 0, "goroutines (0: GOMAXPROCS)")
	f.inf.add(cmd) // the reference model's; the tuned model is float32
	fl.BoolVar(&f.json, "json", false, "print the final report as JSON")
	return cmd
}

// tuneReport is the end of a run.
type tuneReport struct {
	Method         string    `json:"method"`
	Examples       int       `json:"examples"`
	Steps          int       `json:"steps"` // run (fewer than asked when interrupted)
	Seconds        float64   `json:"seconds"`
	Loss           jsonFloat `json:"loss"`
	RewardAccuracy jsonFloat `json:"reward_accuracy"`
	Margin         jsonFloat `json:"margin"`
	KLToStart      jsonFloat `json:"kl_to_start"`
	Reference      string    `json:"reference"`
	Out            string    `json:"out"`
}

func runTune(cmd *cobra.Command, method string, f *tuneFlags) error {
	logw := cmd.ErrOrStderr()
	f.cfg.Method = tune.Method(method)
	f.loss.typ = method
	switch {
	case f.modelDir == "" || f.data == "" || f.out == "":
		return fmt.Errorf("--model, --data and --out are required")
	case f.logEvery < 0:
		return fmt.Errorf("--log-every %d: want ≥ 0", f.logEvery)
	}
	spec, err := f.loss.spec()
	if err != nil {
		return err
	}
	switch f.cfg.Method {
	case tune.SFT:
	case tune.KTO:
		f.cfg.KTO = spec.KTO()
	case tune.DPO, tune.ORPO, tune.SimPO:
		if f.cfg.Pair, err = spec.PairLoss(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("method %q: want sft, dpo, kto, orpo or simpo", method)
	}
	if sameDir(f.out, f.modelDir) {
		return fmt.Errorf("--out %s is the --model directory: tuning writes a new model directory and keeps the one it starts from", f.out)
	}
	release, err := modeldir.ClaimOutput(f.out, modeldir.OutputOptions{Force: f.force})
	if err != nil {
		return fmt.Errorf("--out %s: %w", f.out, err)
	}
	defer release()
	pre, err := modeldir.Load(f.modelDir)
	if err != nil {
		return err
	}
	pre.Model.Threads = f.threads
	bos, err := pre.BOS()
	if err != nil {
		return err
	}
	file, err := os.Open(f.data)
	if err != nil {
		return err
	}
	examples, err := tune.ReadExamples(file, f.cfg.Method.Format())
	file.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", f.data, err)
	}
	items, err := tune.Tokenize(examples, f.cfg.Method.Format(), pre.Tokenizer, bos, pre.Model.MaxSeqLen())
	if err != nil {
		return fmt.Errorf("%s: %w", f.data, err)
	}
	reference, refHow := "none", "" // refHow: how a reference model holds and multiplies its weights
	var ref *model.Model
	if f.cfg.NeedsReference() {
		reference = "precomputed"
		if !f.cfg.PrecomputeRef {
			reference = "model"
			refDir, err := f.inf.load(f.modelDir, "--model (the reference)")
			if err != nil {
				return err
			}
			ref = refDir.Model
			ref.Threads = f.threads
			refHow = fmt.Sprintf(" (%s weights, %s compute)", ref.WeightDType(), ref.Compute())
		}
	}
	// The tuned weights and the tokenizer, with a margin.
	if err := modeldir.CheckSpace(f.out, 4*int64(len(pre.Model.ParamBuffer()))+1<<20); err != nil {
		return fmt.Errorf("--out %s: %w", f.out, err)
	}
	fmt.Fprintf(logw, "xent tune: %s on %d examples from %s, %d steps of %d, reference: %s%s\n", method, len(items), f.data, f.cfg.Steps, f.cfg.Batch, reference, refHow)
	start := time.Now()
	t, err := tune.New(pre.Model, ref, items, f.cfg)
	if err != nil {
		return err
	}
	var last tune.Stats
	var lastKL float64
	ctx, stop := interruptible(cmd.Context(), logw, "xent tune", "saving")
	defer stop()
	bar := newProgress(logw, "xent tune", "step", int64(f.cfg.Steps), 0)
	bar.every = 0 // off a terminal, a line at every --log-every step, as asked
	runErr := t.Run(ctx, f.logEvery, func(st tune.Stats, kl float64) {
		last, lastKL = st, kl
		bar.Update(int64(st.Step), fmt.Sprintf("loss %.4f  reward acc %s  logp chosen %s rejected %s  margin %s  KL(π ‖ start) %.4g  lr %.3g",
			st.Loss, orDash(st.RewardAccuracy), orDash(st.ChosenLogp), orDash(st.RejectedLogp), orDash(st.Margin), kl, st.LR))
	})
	bar.Finish()
	if runErr != nil && !errors.Is(runErr, train.ErrInterrupted) {
		return runErr
	}
	extra := map[string]any{"tune": map[string]any{"method": method, "data": f.data, "from": f.modelDir, "steps": t.Step,
		"batch": f.cfg.Batch, "lr": f.cfg.LR, "loss": spec, "reference": reference}}
	if err := modeldir.Save(f.out, pre.Model, pre.Tokenizer, extra); err != nil {
		return errors.Join(runErr, err)
	}
	if runErr != nil {
		return fmt.Errorf("%w; the model tuned for %d steps is in %s", runErr, t.Step, f.out)
	}
	r := tuneReport{Method: method, Examples: len(items), Steps: t.Step, Seconds: time.Since(start).Seconds(),
		Loss: jsonFloat(last.Loss), RewardAccuracy: jsonFloat(last.RewardAccuracy), Margin: jsonFloat(last.Margin),
		KLToStart: jsonFloat(lastKL), Reference: reference, Out: f.out}
	src := provenance.New()
	src.Model = modelSource(f.out)
	src.Base = modelSource(f.modelDir)
	src.Data = f.data
	src.Tokenizer = "the base model's (" + f.modelDir + ")"
	src.Settings = map[string]any{"method": method, "loss": spec, "batch": f.cfg.Batch, "steps": f.cfg.Steps,
		"optimizer": f.cfg.Optim, "seed": f.cfg.Seed, "reference": reference}
	return writeReport(cmd.OutOrStdout(), src, f.json, false, r, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s: %d steps in %.1f s, final loss %.4f, reward accuracy %s, KL(π ‖ start) %.4g; wrote %s\n",
			method, r.Steps, r.Seconds, last.Loss, orDash(last.RewardAccuracy), lastKL, f.out)
		return err
	})
}

// orDash formats x, or "-" for the NaN of a field a method does not have.
func orDash(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.4g", x)
}
