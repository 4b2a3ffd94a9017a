package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/internal/provenance"
)

type evalFlags struct {
	model, data, corpus, base string
	window, classes           string
	plots                     plotFlags
	ctx, stride, threads      int
	asJSON, whole             bool
	remote                    endpointFlags // --endpoint: the model is served elsewhere
	inf                       inferenceFlags
}

func newEvalCmd() *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval --model DIR (--data FILE|DIR|GLOB | --corpus NAME)",
		Short: "Perplexity, bits per byte, calibration and where the loss goes",
		Long: `eval scores text with a model and reports what its cross-entropy means:
mean NLL with its standard error, token, word and byte perplexity, bits per
byte and per character, top-1 accuracy; calibration of the top-1 probability
(ECE, MCE and RMS over 15 bins, with a reliability diagram under --plots);
and where the loss goes: by token class (English: punctuation, whitespace,
function words, numbers, capitalised words, other words; Go source:
go/scanner's classes), by how often the target occurred in the training data,
and by position in the window. --base adds the KL divergence from a base
model's next-token distribution on the same tokens.

--model is ` + modelKinds + `,
its weights kept as stored (bf16 stays bf16, GGUF blocks stay blocks) unless
--dtype f32; nothing is downloaded. Each file (or .jsonl line's "text") is a
document, windowed on its own:

  disjoint  lm-evaluation-harness's rolling log-likelihood: every token is
            scored once, the first conditioned on BOS
  strided   the Hugging Face perplexity guide: windows of --context every
            --stride tokens, scoring only the new tokens
  llamacpp  llama.cpp's perplexity: BOS before the text and over each
            chunk's first token when the vocabulary adds one (the template
            --add-special adds: tokenizer.json's, as tokenizer_config.json's
            add_bos_token changes it; xent's own checkpoints do), chunks of
            --context, the second half scored

Numbers from different schemes or contexts are not comparable, so the
output always names them. Text streams from disk: a file of any size is
evaluated in bounded memory. Ctrl-C prints what was measured so far,
marked partial.

  xent eval --model runs/opticks --corpus opticks
  xent eval --model runs/opticks --data notes.txt --window strided --context 256 --stride 128 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEval(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "the model: "+modelKinds+" (required)")
	fl.StringVar(&f.data, "data", "", "text to score: a file, a directory, a glob, or - for standard input; .jsonl files hold one document per line")
	fl.StringVar(&f.corpus, "corpus", "", "a built-in corpus to score (opticks, gosrc): its held-out last 10%, unless --whole")
	fl.BoolVar(&f.whole, "whole", false, "with --corpus, score all of it rather than the held-out split")
	fl.StringVar(&f.window, "window", "disjoint", "windowing scheme: disjoint, strided or llamacpp")
	fl.IntVar(&f.ctx, "context", 0, "tokens per window (0: the model's context or 4096, whichever is shorter)")
	fl.IntVar(&f.stride, "stride", 0, "strided: tokens between window starts (0: context/2)")
	fl.StringVar(&f.classes, "classes", "auto", "class breakdown: auto (.go files as Go, the rest English), english or go")
	fl.StringVar(&f.base, "base", "", "base model directory: report KL(base ‖ model) on the same tokens (same tokenizer required)")
	f.plots.add(cmd, "directory to write the reliability diagram and the loss-by-position plot into")
	fl.IntVar(&f.threads, "threads", 0, "goroutines (0: GOMAXPROCS)")
	fl.BoolVar(&f.asJSON, "json", false, "print one JSON object instead of tables")
	f.inf.add(cmd)
	f.remote.add(cmd)
	return cmd
}

func runEval(cmd *cobra.Command, f *evalFlags) error {
	r, src, err := evaluate(cmd, f)
	if err != nil {
		return err
	}
	return writeReport(cmd.OutOrStdout(), src, f.asJSON, true, r, r.WriteTable)
}

// evaluate scores the text the flags name with their model, writes the
// plots --plots asks for, and returns the report and what produced it:
// xent eval's one path, which xent report takes too.
func evaluate(cmd *cobra.Command, f *evalFlags) (eval.Report, provenance.Source, error) {
	if f.model == "" {
		return eval.Report{}, provenance.Source{}, errors.New("eval: --model is required")
	}
	if (f.data == "") == (f.corpus == "") {
		return eval.Report{}, provenance.Source{}, errors.New("eval: give exactly one of --data and --corpus")
	}
	scheme, err := eval.ParseScheme(f.window)
	if err != nil {
		return eval.Report{}, provenance.Source{}, err
	}
	mode, err := parseClasses(f.classes)
	if err != nil {
		return eval.Report{}, provenance.Source{}, err
	}
	if err := f.plots.check(); err != nil {
		return eval.Report{}, provenance.Source{}, fmt.Errorf("eval: %w", err)
	}
	if f.stride < 0 || f.threads < 0 {
		return eval.Report{}, provenance.Source{}, fmt.Errorf("eval: --stride %d, --threads %d: each must be 0 (the default) or more", f.stride, f.threads)
	}
	logw := cmd.ErrOrStderr()
	var status func(eval.Progress) // the progress reporter's, once it exists
	opt := eval.Options{Scheme: scheme, Ctx: f.ctx, Stride: f.stride, Mode: mode, Threads: f.threads,
		Progress: func(pr eval.Progress) {
			if status != nil {
				status(pr)
			}
		}}
	src := provenance.New()
	settings := map[string]any{}
	var e *eval.Evaluator
	var after func() // once the text is scored
	if f.remote.url != "" {
		if e, after, err = f.remote.evaluator(cmd, f, opt, &src); err != nil {
			return eval.Report{}, provenance.Source{}, err
		}
	} else if e, err = localEvaluator(f, opt, logw, &src, settings); err != nil {
		return eval.Report{}, provenance.Source{}, err
	}
	ctx, stop := interruptible(cmd.Context(), logw, "xent eval", "reporting what was scored so far")
	defer stop()
	err = scoreEvalText(ctx, e, f, cmd.InOrStdin(), logw, &status)
	if werr := e.Wait(); err == nil {
		err = werr // a remote window still in flight failed
	}
	if after != nil {
		after()
	}
	r := e.Report()
	switch {
	case errors.Is(err, context.Canceled):
		r.Partial = true
	case err != nil:
		return eval.Report{}, provenance.Source{}, err
	case r.Tokens == 0:
		return eval.Report{}, provenance.Source{}, fmt.Errorf("eval: no token was scored: the text is too short for the %s scheme with a context of %d", r.Window.Scheme, r.Window.Ctx)
	}
	if f.plots.dir != "" {
		if err := os.MkdirAll(f.plots.dir, 0o755); err != nil {
			return eval.Report{}, provenance.Source{}, fmt.Errorf("eval: %w", err)
		}
		paths, err := r.WritePlots(f.plots.dir, f.plots.format)
		if err != nil {
			return eval.Report{}, provenance.Source{}, err
		}
		for _, path := range paths {
			fmt.Fprintf(logw, "xent eval: wrote %s\n", path)
		}
	}
	src.Data = f.data
	if f.corpus != "" {
		src.Data = "corpus " + f.corpus + " (held-out 10%)"
		if f.whole {
			src.Data = "corpus " + f.corpus + " (whole)"
		}
	}
	settings["window"], settings["classes"] = r.Window, f.classes
	if f.remote.url != "" {
		settings["endpoint"] = f.remote.settings()
	}
	src.Settings = settings
	return r, src, nil
}

// localEvaluator loads --model (and --base) and returns its evaluator,
// noting the model and tokenizer in src, and in settings how the model
// holds its weights and multiplies by them (weights, compute).
func localEvaluator(f *evalFlags, opt eval.Options, logw io.Writer, src *provenance.Source, settings map[string]any) (*eval.Evaluator, error) {
	if err := f.remote.unused(); err != nil {
		return nil, err
	}
	p, err := f.inf.load(f.model, "--model")
	if err != nil {
		return nil, err
	}
	settings["weights"], settings["compute"] = p.Model.WeightDType(), p.Model.Compute().String()
	bos, err := p.BOS()
	if err != nil {
		return nil, err
	}
	opt.AddBOS = p.AddBOS
	e, err := eval.New(p.Model, p.Tokenizer, bos, opt)
	if err != nil {
		return nil, err
	}
	if p.TrainCounts != nil {
		if err := e.SetTrainCounts(p.TrainCounts); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintf(logw, "xent eval: %s records no training-token counts; the frequency breakdown counts tokens in the evaluated text\n", f.model)
	}
	if f.base != "" {
		b, err := f.inf.load(f.base, "--base")
		if err != nil {
			return nil, fmt.Errorf("eval: --base: %w", err)
		}
		if err := e.SetBase(b.Model, b.Tokenizer); err != nil {
			return nil, err
		}
	}
	src.Model = modelSource(f.model)
	if f.base != "" {
		src.Base = modelSource(f.base)
	}
	src.Tokenizer = "the model's (" + f.model + ")"
	return e, nil
}

// scoreEvalText feeds every document of --data or --corpus to e, showing
// progress over the bytes its windows have reached (the reporter in
// progress.go: a bar on a terminal, a line every few seconds otherwise)
// with windows, the running mean NLL and tokens/s, llama-perplexity's
// running estimate. *status is set to e's progress hook.
func scoreEvalText(ctx context.Context, e *eval.Evaluator, f *evalFlags, stdin io.Reader, logw io.Writer, status *func(eval.Progress)) error {
	var bar *progress
	start := time.Now()
	*status = func(p eval.Progress) {
		bar.Update(p.Bytes, fmt.Sprintf("%d windows  %d tokens  mean NLL %.4f  %.0f tokens/s",
			p.Windows, p.Tokens, p.MeanNLL, float64(p.Tokens)/time.Since(start).Seconds()))
	}
	if f.corpus != "" {
		text, err := data.Builtin(f.corpus)
		if err != nil {
			return err
		}
		name := f.corpus + " (held-out 10%)"
		if !f.whole {
			_, text = data.Split(text)
		} else {
			name = f.corpus
		}
		if f.corpus == "gosrc" {
			name += ".go" // Go source under --classes auto
		}
		bar = newProgress(logw, "xent eval", "bytes", int64(len(text)), 0)
		defer bar.Finish()
		return e.Document(ctx, name, bytes.NewReader(text), nil)
	}
	paths, err := data.Paths(f.data)
	if err != nil {
		return err
	}
	var total int64
	for _, path := range paths {
		if st, err := os.Stat(path); err == nil {
			total += st.Size()
		}
	}
	bar = newProgress(logw, "xent eval", "bytes", total, 0)
	defer bar.Finish()
	return data.EachDocument(f.data, stdin, func(d data.Document) error {
		return e.Document(ctx, d.Name, d.Text, nil)
	})
}

func parseClasses(s string) (eval.Mode, error) {
	switch s {
	case "auto":
		return eval.Auto, nil
	case "english":
		return eval.English, nil
	case "go":
		return eval.GoSource, nil
	}
	return 0, fmt.Errorf("eval: --classes %q: want auto, english or go", s)
}
