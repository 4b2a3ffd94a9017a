package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/train"
)

// trainFlags are the flags of "xent train".
type trainFlags struct {
	src                  data.Source
	tok                  tokenizerFlags
	arch                 string
	layers, width, heads int
	out, resume, init    string
	force                bool
	saveEvery            int
	evalTokens           int
	json                 bool
	s                    train.Settings
}

// pretrainOptim are the optimizer defaults of "xent train".
var pretrainOptim = train.Optim{LR: 3e-3, Warmup: 40, Schedule: "cosine", MinLRRatio: 0.1, WeightDecay: 0.1, Beta2: 0.99, ClipNorm: 1}

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train [flags]",
		Short: "Train a language model with teacher forcing (default: a small Llama on Newton's Opticks)",
		Long: `Train a decoder-only transformer on next-token cross-entropy with teacher
forcing: every position of a [B, T] batch is scored in one causal pass.

With no flags it trains a byte-level BPE tokenizer and a small Llama-style
model on the embedded corpus (Newton's Opticks, the last 10% of its bytes
held out), in a few minutes on two cores, and prints the held-out loss,
perplexity and bits per byte beside gzip -9's bits per byte on the same
bytes. A checkpoint directory (config.json, model.safetensors,
tokenizer.json, optimizer and training state, metrics.jsonl, loss.svg) is
written atomically to --out; an existing model directory there is replaced
only with --force, and a directory of other files never. --resume DIR
continues a checkpoint exactly, in DIR: every later step's loss equals the
uninterrupted run's, for the same thread count.

Evaluations score at most --eval-tokens held-out tokens (the first ones of
the split), and say how many of how many. On a terminal a progress bar
shows the step, loss and time left; otherwise (a log, nohup, CI) a line
every few seconds does. Ctrl-C stops after the step in progress and writes
a checkpoint that --resume continues; a second Ctrl-C aborts at once.

--scheduled-sampling feeds the model its own predictions at some input
positions: at step i each position keeps its true token with probability ε_i
(the schedule) and otherwise takes a token sampled from the model's
teacher-forced prediction for it (a first forward pass without gradient),
before the usual forward and backward pass against the true targets.`,
		Example: `  xent train
  xent train --corpus gosrc --steps 2000 --out runs/gosrc
  xent train --data 'books/*.txt' --tokenizer gpt2 --arch gpt2 --width 384 --layers 6
  xent train --resume runs/opticks --steps 1500
  xent train --out runs/opticks --force
  xent train --scheduled-sampling inverse-sigmoid --ss-k 100 --out runs/opticks-ss`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	addSourceFlags(cmd, &f.src, "to train on and hold out the last 10% of")
	f.tok.add(cmd, 2048)
	f.addModelFlags(cmd)
	fl.Lookup("steps").Usage += " (with --resume: the new total, counting the checkpoint's)"
	fl.Float32Var(&f.s.LabelSmoothing, "label-smoothing", 0, "label smoothing ε of the training loss")
	fl.Float32Var(&f.s.ZLoss, "z-loss", 0, "z-loss coefficient of the training loss")
	fl.Uint64Var(&f.s.Seed, "seed", 1, "seed of the initial weights and the batch order")
	fl.IntVar(&f.s.EvalEvery, "eval-every", 100, "steps between held-out evaluations (0: only at the end)")
	fl.IntVar(&f.evalTokens, "eval-tokens", train.DefaultEvalTokens, "held-out tokens each evaluation scores at most, the first of the split (0: all)")
	fl.IntVar(&f.s.Threads, "threads", 0, "goroutines (0: GOMAXPROCS); results are identical for the same count")
	fl.StringVar(&f.s.Compute, "compute", "f32", "matrix products of the transformer blocks and the output head: f32, or bf16 (mixed precision: bfloat16 products added in float32, float32 weights, optimizer and loss)")
	fl.StringVar(&f.s.ScheduledSampling, "scheduled-sampling", "", "scheduled sampling (Bengio et al. 2015): linear, exponential or inverse-sigmoid decay of the teacher-forcing probability ε (default: off, pure teacher forcing)")
	fl.Float64Var(&f.s.SSK, "ss-k", 0, "k of the schedule: linear ε = max(ε_min, k − c·step) (0: k = 1); exponential ε = k^step, 0 < k < 1; inverse-sigmoid ε = k/(k + exp(step/k)), k ≥ 1")
	fl.Float64Var(&f.s.SSC, "ss-c", 0, "slope c of the linear schedule (0: (k − ε_min)/steps, reaching ε_min at the last step)")
	fl.Float64Var(&f.s.SSMin, "ss-min", 0, "ε_min, a floor under the teacher-forcing probability of every schedule")
	fl.StringVar(&f.out, "out", "runs/opticks", "checkpoint directory to write (with --resume: the resumed one)")
	fl.BoolVar(&f.force, "force", false, "replace the model directory at --out if there is one")
	fl.IntVar(&f.saveEvery, "save-every", 0, "also checkpoint every this many steps (0: only at the end)")
	fl.StringVar(&f.resume, "resume", "", "continue the checkpoint in this directory (its settings, except --steps), writing to it")
	fl.StringVar(&f.init, "init-from", "", "start from the weights and tokenizer of "+modelKinds)
	fl.BoolVar(&f.json, "json", false, "print the final report as JSON")
	return cmd
}

// addModelFlags adds the flags of a new model's shape and its training
// steps and optimizer, with xent train's defaults.
func (f *trainFlags) addModelFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.arch, "arch", "llama", "model family: llama (RMSNorm, RoPE, SwiGLU) or gpt2")
	fl.IntVar(&f.layers, "layers", 4, "transformer layers")
	fl.IntVar(&f.width, "width", 256, "model width (embedding size)")
	fl.IntVar(&f.heads, "heads", 4, "attention heads")
	fl.IntVar(&f.s.Context, "context", 128, "tokens per training sequence T (also the model's context)")
	fl.IntVar(&f.s.Batch, "batch", 16, "sequences per micro-batch B")
	fl.IntVar(&f.s.GradAccum, "accum", 1, "micro-batches per optimizer step (gradient accumulation)")
	fl.IntVar(&f.s.Steps, "steps", 600, "optimizer steps")
	addOptimFlags(cmd, &f.s.Optim, pretrainOptim)
}

// report is the end of a run.
type report struct {
	Corpus      string  `json:"corpus"`
	Steps       int     `json:"steps"`      // run by this command
	FinalStep   int     `json:"final_step"` // the checkpoint's step count
	Seconds     float64 `json:"seconds"`
	TokensPerS  float64 `json:"tokens_per_s"`
	Params      int     `json:"params"`
	VocabSize   int     `json:"vocab_size"`
	HeldOutByte int     `json:"held_out_bytes"`
	train.Eval
	GzipBPB float64 `json:"gzip9_bpb"`
	Out     string  `json:"checkpoint"`
	// Compute is the blocks' and the head's matrix products: "f32", or "bf16" and the
	// bfloat16 kernel that ran them (gemm.ActiveBF16Native).
	Compute string `json:"compute"`
}

func runTrain(cmd *cobra.Command, f *trainFlags) error {
	logw := cmd.ErrOrStderr()
	logf := func(format string, args ...any) { fmt.Fprintf(logw, "xent train: "+format+"\n", args...) }
	if f.evalTokens < 0 || f.saveEvery < 0 {
		return fmt.Errorf("--eval-tokens %d and --save-every %d: want ≥ 0 (0: all tokens, only the final save)", f.evalTokens, f.saveEvery)
	}
	if f.s.Compute == "f32" {
		f.s.Compute = "" // float32, the default: config.json says nothing, as before the flag
	}
	if f.resume != "" && !cmd.Flags().Changed("out") {
		f.out = f.resume // resume continues in place
	}
	if f.resume == "" { // fail on bad settings before any tokenizer training
		if err := f.s.Validate(); err != nil {
			return err
		}
		if _, err := model.SmallConfig(f.arch, 0, 0, 0, 0, 0); err != nil && f.init == "" {
			return fmt.Errorf("--arch: %w", err)
		}
	}
	release, err := modeldir.ClaimOutput(f.out, modeldir.OutputOptions{Force: f.force, Resume: f.resume != "" && sameDir(f.out, f.resume)})
	if err != nil {
		return fmt.Errorf("--out %s: %w", f.out, err)
	}
	defer release()

	steps := 0 // with --resume, keep the checkpoint's total unless --steps says otherwise
	if cmd.Flags().Changed("steps") {
		steps = f.s.Steps
	}
	opts, err := f.tok.options(f.src, logf)
	if err != nil {
		return err
	}
	c, err := train.Begin(train.Start{Corpus: opts, Resume: f.resume, Steps: steps, InitFrom: f.init,
		Arch: f.arch, Width: f.width, Layers: f.layers, Heads: f.heads, Settings: f.s})
	if err != nil {
		return err
	}
	t, corpus := c.Trainer, c.Corpus
	if f.resume != "" {
		logf("resuming %s at step %d of %d", f.resume, t.Step, t.Settings.Steps)
	}
	s := t.Settings
	tok := corpus.Tokenizer
	logf("%s: %d training tokens, %d held-out tokens (%d bytes), vocabulary %d, %d parameters",
		corpus.Name, len(corpus.TrainTokens), len(corpus.HeldOutTokens), len(corpus.HeldOut), tok.VocabSize(), len(t.Model.ParamBuffer()))

	ctx, stop := interruptible(cmd.Context(), logw, "xent train", "saving")
	defer stop()
	bar := newProgress(logw, "xent train", "step", int64(s.Steps), int64(t.Step))
	bos, err := modeldir.TokenizerBOS(tok) // what xent eval conditions the first held-out token on
	if err != nil {
		return err
	}
	held := train.HeldOut{Tokens: corpus.HeldOutTokens, BOS: bos, Tokenizer: tok, MaxTokens: f.evalTokens}
	res, err := train.Run(ctx, train.RunOptions{Trainer: t, Tokenizer: tok, HeldOut: held, Out: f.out, SaveEvery: f.saveEvery, Metrics: c.Metrics,
		OnStep: func(st train.StepStats, p train.Progress) {
			bar.Update(int64(st.Step), fmt.Sprintf("loss %.4f  lr %.3g  grad norm %.3g  %.0f ms/step  %.0f tok/s",
				st.Loss, st.LR, st.GradNorm, float64(p.StepTime.Microseconds())/1000, p.TokensPerS))
		},
		OnEval: func(ev train.Eval) {
			if ev.Step < s.Steps {
				bar.Logf("step %d: held-out loss %.4f, perplexity %.2f, %.4f bits/byte (%s)", ev.Step, ev.Loss, ev.Perplexity, ev.BPB, scored(ev))
			}
		}})
	bar.Finish()
	if errors.Is(err, train.ErrInterrupted) {
		return fmt.Errorf("%w (continue with: xent train --resume %s)", err, f.out)
	}
	if err != nil {
		return err
	}
	scoredText := corpus.HeldOut // gzip compresses the text the model was scored on
	if n := res.Final.Bytes; n > 0 && n < len(scoredText) {
		scoredText = scoredText[:n]
	}
	gz, err := data.GzipBitsPerByte(scoredText)
	if err != nil {
		return err
	}
	rep := report{Corpus: corpus.Name, Steps: res.Steps, FinalStep: t.Step, Seconds: res.Elapsed.Seconds(), TokensPerS: res.TokensPerS,
		Params: len(t.Model.ParamBuffer()), VocabSize: tok.VocabSize(), HeldOutByte: len(corpus.HeldOut),
		Eval: res.Final, GzipBPB: gz, Out: f.out, Compute: "f32"}
	if t.Settings.Compute == "bf16" {
		rep.Compute = "bf16 (kernel " + gemm.ActiveBF16Native() + ")"
	}
	src := provenance.New()
	src.Model = modelSource(f.out)
	src.Data = corpus.Name + " (the first 90% trained on, the last 10% held out)"
	switch {
	case f.resume != "":
		src.Tokenizer = "the checkpoint's (" + f.resume + ")"
	case f.init != "":
		src.Tokenizer = "the model's (" + f.init + ")"
	default:
		src.Tokenizer = f.tok.describe()
	}
	src.Settings = t.Settings
	return writeReport(cmd.OutOrStdout(), src, f.json, false, rep, func(w io.Writer) error { return printTrainReport(w, rep) })
}

// scored says how much of the held-out split an evaluation scored.
func scored(ev train.Eval) string {
	if ev.TokensAvailable > ev.Tokens {
		return fmt.Sprintf("%d of %d held-out tokens, --eval-tokens", ev.Tokens, ev.TokensAvailable)
	}
	return fmt.Sprintf("all %d held-out tokens", ev.Tokens)
}

func printTrainReport(w io.Writer, r report) error {
	steps := fmt.Sprintf("%d steps", r.Steps)
	switch {
	case r.Steps == 0:
		steps += fmt.Sprintf(" (the checkpoint was at its last step, %d)", r.FinalStep)
	case r.FinalStep != r.Steps:
		steps += fmt.Sprintf(" (steps %d to %d)", r.FinalStep-r.Steps+1, r.FinalStep)
	}
	fmt.Fprintf(w, "trained %s on %s in %.0f s (%.0f tokens/s), %d parameters, vocabulary %d\n",
		steps, r.Corpus, r.Seconds, r.TokensPerS, r.Params, r.VocabSize)
	if r.Compute != "f32" && r.Compute != "" {
		fmt.Fprintf(w, "mixed precision: the blocks' and the head's matrix products in %s, weights, logits, optimizer and loss float32\n", r.Compute)
	}
	fmt.Fprintf(w, "held-out (%s, %d bytes):\n", scored(r.Eval), r.Bytes)
	fmt.Fprintf(w, "  loss         %.4f nats/token\n", r.Loss)
	fmt.Fprintf(w, "  perplexity   %.2f\n", r.Perplexity)
	fmt.Fprintf(w, "  bits/byte    %.4f   (gzip -9: %.4f)\n", r.BPB, r.GzipBPB)
	fmt.Fprintf(w, "checkpoint: %s\n", r.Out)
	return nil
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}
