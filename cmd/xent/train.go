package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
	"github.com/xent-dev/xent/train"
)

// trainFlags are the flags of "xent train".
type trainFlags struct {
	corpus, dataSpec     string
	tokenizer            string
	vocabSize            int
	arch                 string
	layers, width, heads int
	out, resume, init    string
	saveEvery            int
	json                 bool
	s                    train.Settings
}

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
written atomically to --out. --resume continues a checkpoint exactly: every
later step's loss equals the uninterrupted run's, for the same thread count.

--scheduled-sampling feeds the model its own predictions at some input
positions: at step i each position keeps its true token with probability ε_i
(the schedule) and otherwise takes a token sampled from the model's
teacher-forced prediction for it (a first forward pass without gradient),
before the usual forward and backward pass against the true targets.`,
		Example: `  xent train
  xent train --corpus gosrc --steps 2000 --out runs/gosrc
  xent train --data 'books/*.txt' --tokenizer gpt2 --arch gpt2 --width 384 --layers 6
  xent train --resume runs/opticks --steps 1500
  xent train --scheduled-sampling inverse-sigmoid --ss-k 100 --out runs/opticks-ss`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.corpus, "corpus", "opticks", "built-in corpus: opticks (embedded) or gosrc (the Go standard library's source)")
	fl.StringVar(&f.dataSpec, "data", "", "train on this file, directory or glob instead (plain text, or .jsonl with a \"text\" field)")
	fl.StringVar(&f.tokenizer, "tokenizer", "", "gpt2, cl100k_base, o200k_base or a tokenizer.json (default: train a byte-level BPE on the training split)")
	fl.IntVar(&f.vocabSize, "vocab-size", 2048, "vocabulary of the BPE trained when --tokenizer is not given")
	fl.StringVar(&f.arch, "arch", "llama", "model family: llama (RMSNorm, RoPE, SwiGLU) or gpt2")
	fl.IntVar(&f.layers, "layers", 4, "transformer layers")
	fl.IntVar(&f.width, "width", 256, "model width (embedding size)")
	fl.IntVar(&f.heads, "heads", 4, "attention heads")
	fl.IntVar(&f.s.Context, "context", 128, "tokens per training sequence T (also the model's context)")
	fl.IntVar(&f.s.Batch, "batch", 16, "sequences per micro-batch B")
	fl.IntVar(&f.s.GradAccum, "accum", 1, "micro-batches per optimizer step (gradient accumulation)")
	fl.IntVar(&f.s.Steps, "steps", 600, "optimizer steps")
	fl.Float64Var(&f.s.LR, "lr", 3e-3, "peak learning rate")
	fl.IntVar(&f.s.Warmup, "warmup", 40, "warmup steps")
	fl.StringVar(&f.s.Schedule, "schedule", "cosine", "learning-rate schedule: cosine or wsd")
	fl.Float64Var(&f.s.MinLRRatio, "min-lr-ratio", 0.1, "final learning rate as a fraction of the peak")
	fl.Float64Var(&f.s.WeightDecay, "weight-decay", 0.1, "AdamW weight decay on matrices (not norms or biases)")
	fl.Float64Var(&f.s.Beta2, "beta2", 0.99, "AdamW β₂")
	fl.Float64Var(&f.s.ClipNorm, "clip", 1.0, "clip the global gradient norm to this (0: no clipping)")
	fl.Float32Var(&f.s.LabelSmoothing, "label-smoothing", 0, "label smoothing ε of the training loss")
	fl.Float32Var(&f.s.ZLoss, "z-loss", 0, "z-loss coefficient of the training loss")
	fl.Uint64Var(&f.s.Seed, "seed", 1, "seed of the initial weights and the batch order")
	fl.IntVar(&f.s.EvalEvery, "eval-every", 100, "steps between held-out evaluations (0: only at the end)")
	fl.IntVar(&f.s.Threads, "threads", 0, "goroutines (0: GOMAXPROCS); results are identical for the same count")
	fl.StringVar(&f.s.ScheduledSampling, "scheduled-sampling", "", "scheduled sampling (Bengio et al. 2015): linear, exponential or inverse-sigmoid decay of the teacher-forcing probability ε (default: off, pure teacher forcing)")
	fl.Float64Var(&f.s.SSK, "ss-k", 0, "k of the schedule: linear ε = max(ε_min, k − c·step) (0: k = 1); exponential ε = k^step, 0 < k < 1; inverse-sigmoid ε = k/(k + exp(step/k)), k ≥ 1")
	fl.Float64Var(&f.s.SSC, "ss-c", 0, "slope c of the linear schedule (0: (k − ε_min)/steps, reaching ε_min at the last step)")
	fl.Float64Var(&f.s.SSMin, "ss-min", 0, "ε_min, a floor under the teacher-forcing probability of every schedule")
	fl.StringVar(&f.out, "out", "runs/opticks", "checkpoint directory to write")
	fl.IntVar(&f.saveEvery, "save-every", 0, "also checkpoint every this many steps (0: only at the end)")
	fl.StringVar(&f.resume, "resume", "", "continue the checkpoint in this directory (its settings, except --steps)")
	fl.StringVar(&f.init, "init-from", "", "start from the weights and tokenizer of a Hugging Face GPT-2 or Llama directory (config.json, model.safetensors, tokenizer.json) or an xent checkpoint")
	fl.BoolVar(&f.json, "json", false, "print the final report as JSON")
	return cmd
}

// corpusText returns the whole text to train and evaluate on.
func (f *trainFlags) corpusText() ([]byte, string, error) {
	if f.dataSpec != "" {
		text, err := data.Files(f.dataSpec)
		return text, f.dataSpec, err
	}
	text, err := data.Builtin(f.corpus)
	return text, f.corpus, err
}

func (f *trainFlags) modelConfig(vocab int) (model.Config, error) {
	switch f.arch {
	case "llama":
		return model.Config{ModelType: "llama", VocabSize: vocab, HiddenSize: f.width, IntermediateSize: (8*f.width/3 + 63) / 64 * 64,
			NumHiddenLayers: f.layers, NumAttentionHeads: f.heads, RMSNormEps: 1e-5, RopeTheta: 10000,
			MaxPositionEmbeddings: f.s.Context, TieWordEmbeddings: true}, nil
	case "gpt2":
		return model.Config{ModelType: "gpt2", VocabSize: vocab, NEmbd: f.width, NLayer: f.layers, NHead: f.heads,
			NPositions: f.s.Context, LayerNormEpsilon: 1e-5}, nil
	}
	return model.Config{}, fmt.Errorf("--arch %q: want llama or gpt2", f.arch)
}

// report is the end of a run.
type report struct {
	Corpus      string  `json:"corpus"`
	Steps       int     `json:"steps"`
	Seconds     float64 `json:"seconds"`
	TokensPerS  float64 `json:"tokens_per_s"`
	Params      int     `json:"params"`
	VocabSize   int     `json:"vocab_size"`
	HeldOutByte int     `json:"held_out_bytes"`
	train.Eval
	GzipBPB float64 `json:"gzip9_bpb"`
	Out     string  `json:"checkpoint"`
}

func runTrain(cmd *cobra.Command, f *trainFlags) error {
	logw := cmd.ErrOrStderr()
	logf := func(format string, args ...any) { fmt.Fprintf(logw, "xent train: "+format+"\n", args...) }
	if err := checkWritable(f.out); err != nil {
		return err
	}
	if f.resume == "" { // fail on bad settings before any tokenizer training
		if err := f.s.Validate(); err != nil {
			return err
		}
	}
	text, name, err := f.corpusText()
	if err != nil {
		return err
	}
	trainText, heldOut := data.Split(text)
	if len(heldOut) == 0 {
		return fmt.Errorf("corpus %s is too small to hold out 10%% of it", name)
	}

	var t *train.Trainer
	var tok *tokenizer.Tokenizer
	var metrics []json.RawMessage
	var trainTokens []int32
	switch {
	case f.resume != "":
		steps := 0 // keep the checkpoint's total unless --steps says otherwise
		if cmd.Flags().Changed("steps") {
			steps = f.s.Steps
		}
		c, err := train.LoadCheckpoint(f.resume, trainText, steps)
		if err != nil {
			return err
		}
		t, tok, metrics, trainTokens = c.Trainer, c.Tokenizer, c.Metrics, c.Tokens
		logf("resuming %s at step %d of %d", f.resume, t.Step, t.Settings.Steps)
	default:
		var m *model.Model
		if f.init != "" {
			p, err := modeldir.Load(f.init)
			if err != nil {
				return err
			}
			m, tok = p.Model, p.Tokenizer
		} else {
			if tok, err = f.loadOrTrainTokenizer(trainText, logf); err != nil {
				return err
			}
			cfg, err := f.modelConfig(tok.VocabSize())
			if err != nil {
				return err
			}
			if m, err = model.New(cfg, f.s.Seed); err != nil {
				return err
			}
		}
		if trainTokens, err = train.Tokens(tok, trainText); err != nil {
			return err
		}
		if t, err = train.NewTrainer(m, trainTokens, f.s); err != nil {
			return err
		}
	}
	heldTokens, err := train.Tokens(tok, heldOut)
	if err != nil {
		return err
	}
	bos, err := modeldir.TokenizerBOS(tok) // what xent eval conditions the checkpoint's first token on
	if err != nil {
		return err
	}
	held := train.HeldOut{Tokens: heldTokens, BOS: bos, Tokenizer: tok}
	s := t.Settings
	logf("%s: %d training tokens, %d held-out tokens (%d bytes), vocabulary %d, %d parameters",
		name, len(trainTokens), len(heldTokens), len(heldOut), tok.VocabSize(), len(t.Model.ParamBuffer()))

	// Piped or logged, the bar stays quiet and the evaluations are the progress.
	bar := newProgressBar(logw, int64(s.Steps), "training", false)
	bar.Set(t.Step)
	save := func() error {
		return train.SaveCheckpoint(f.out, train.Checkpoint{Trainer: t, Tokenizer: tok, Metrics: metrics})
	}
	addMetric := func(v any) {
		b, _ := json.Marshal(v)
		metrics = append(metrics, b)
	}
	start, startStep := time.Now(), t.Step
	tokensPerStep := s.Batch * s.Context * s.GradAccum
	for t.Step < s.Steps {
		st, err := t.Next()
		if err != nil {
			bar.Exit()
			if saveErr := save(); saveErr != nil {
				return errors.Join(err, saveErr)
			}
			return fmt.Errorf("%w; stopped, the checkpoint in %s has the last good weights", err, f.out)
		}
		addMetric(st)
		rate := float64((t.Step-startStep)*tokensPerStep) / time.Since(start).Seconds()
		bar.Describe(fmt.Sprintf("step %d  loss %.4f  %.0f tok/s", st.Step, st.Loss, rate))
		bar.Set(t.Step)
		if s.EvalEvery > 0 && t.Step%s.EvalEvery == 0 && t.Step < s.Steps {
			ev, err := t.Evaluate(cmd.Context(), held)
			if err != nil {
				return err
			}
			addMetric(ev)
			bar.Clear()
			logf("step %d: held-out loss %.4f, perplexity %.2f, %.4f bits/byte", ev.Step, ev.Loss, ev.Perplexity, ev.BPB)
		}
		if f.saveEvery > 0 && t.Step%f.saveEvery == 0 {
			if err := save(); err != nil {
				return err
			}
		}
	}
	bar.Finish()
	elapsed := time.Since(start)
	ev, err := t.Evaluate(cmd.Context(), held)
	if err != nil {
		return err
	}
	addMetric(ev)
	if err := save(); err != nil {
		return err
	}
	gz, err := train.GzipBitsPerByte(heldOut)
	if err != nil {
		return err
	}
	rep := report{Corpus: name, Steps: t.Step, Seconds: elapsed.Seconds(),
		TokensPerS: float64((t.Step-startStep)*tokensPerStep) / elapsed.Seconds(),
		Params:     len(t.Model.ParamBuffer()), VocabSize: tok.VocabSize(), HeldOutByte: len(heldOut),
		Eval: ev, GzipBPB: gz, Out: f.out}
	return printTrainReport(cmd.OutOrStdout(), rep, f.json)
}

// checkWritable fails early, before any training, when the checkpoint
// directory's parent cannot be created or written.
func checkWritable(out string) error {
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	probe, err := os.CreateTemp(parent, ".xent-write-probe-*")
	if err != nil {
		return fmt.Errorf("--out %s: the directory is not writable: %w", out, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

func (f *trainFlags) loadOrTrainTokenizer(trainText []byte, logf func(string, ...any)) (*tokenizer.Tokenizer, error) {
	if f.tokenizer != "" {
		return loadTokenizer(f.tokenizer)
	}
	logf("training a %d-token byte-level BPE on the training split", f.vocabSize)
	return tokenizer.Train([][]byte{trainText}, tokenizer.TrainOptions{VocabSize: f.vocabSize, Pattern: tokenizer.GPT2, Special: []string{"<|endoftext|>"}})
}

func printTrainReport(w io.Writer, r report, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	fmt.Fprintf(w, "trained %d steps on %s in %.0f s (%.0f tokens/s), %d parameters, vocabulary %d\n",
		r.Steps, r.Corpus, r.Seconds, r.TokensPerS, r.Params, r.VocabSize)
	fmt.Fprintf(w, "held-out (%d bytes, %d tokens):\n", r.HeldOutByte, r.Tokens)
	fmt.Fprintf(w, "  loss         %.4f nats/token\n", r.Loss)
	fmt.Fprintf(w, "  perplexity   %.2f\n", r.Perplexity)
	fmt.Fprintf(w, "  bits/byte    %.4f   (gzip -9: %.4f)\n", r.BPB, r.GzipBPB)
	fmt.Fprintf(w, "checkpoint: %s\n", r.Out)
	return nil
}
