package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/train"
)

// modelKinds names what --model may be, for every command that loads a
// model to run it: one phrase, so the commands cannot drift apart.
const modelKinds = "an xent checkpoint, a Hugging Face directory (llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3, phi3 or gpt2: config.json, model.safetensors or its shards, tokenizer.json) or a GGUF file"

// addOptimFlags registers the optimizer's flags (train.Optim) with the
// command's defaults d: "xent train", "xent tune" and "xent scaling sweep"
// share them.
func addOptimFlags(cmd *cobra.Command, o *train.Optim, d train.Optim) {
	fl := cmd.Flags()
	fl.Float64Var(&o.LR, "lr", d.LR, "peak learning rate")
	fl.IntVar(&o.Warmup, "warmup", d.Warmup, "warmup steps")
	fl.StringVar(&o.Schedule, "schedule", d.Schedule, "learning-rate schedule: cosine or wsd")
	fl.Float64Var(&o.MinLRRatio, "min-lr-ratio", d.MinLRRatio, "final learning rate as a fraction of the peak")
	fl.Float64Var(&o.WeightDecay, "weight-decay", d.WeightDecay, "AdamW weight decay on matrices (not norms or biases)")
	fl.Float64Var(&o.Beta2, "beta2", d.Beta2, "AdamW β₂")
	fl.Float64Var(&o.ClipNorm, "clip", d.ClipNorm, "clip the global gradient norm to this (0: no clipping)")
}

// addSourceFlags registers --corpus and --data, the text a command trains
// on or holds out (data.Source); what says which.
func addSourceFlags(cmd *cobra.Command, s *data.Source, what string) {
	fl := cmd.Flags()
	fl.StringVar(&s.Corpus, "corpus", "opticks", "built-in corpus "+what+": opticks (embedded) or gosrc (the Go standard library's source)")
	fl.StringVar(&s.Files, "data", "", "use this file, directory or glob instead (plain text, or .jsonl with a \"text\" field), or - for standard input")
	cmd.PreRun = func(c *cobra.Command, _ []string) { s.Stdin = c.InOrStdin() } // known once the command runs
}

// tokenizerFlags are --tokenizer and --vocab-size: a tokenizer to load, or
// the size of the BPE to train.
type tokenizerFlags struct {
	spec      string
	vocabSize int
}

func (f *tokenizerFlags) add(cmd *cobra.Command, vocabSize int) {
	fl := cmd.Flags()
	fl.StringVar(&f.spec, "tokenizer", "", "gpt2, cl100k_base, o200k_base, a tokenizer.json or a model directory (default: train a byte-level BPE on the training split)")
	fl.IntVar(&f.vocabSize, "vocab-size", vocabSize, "vocabulary of the BPE trained when --tokenizer is not given")
}

// options are the corpus pipeline's options (data.Prepare) for src, with
// the tokenizer the flags name, or a BPE of theirs to train.
func (f *tokenizerFlags) options(src data.Source, logf func(string, ...any)) (data.PrepareOptions, error) {
	o := data.PrepareOptions{Source: src, VocabSize: f.vocabSize, Logf: logf}
	if f.spec != "" {
		tok, err := loadTokenizer(f.spec)
		if err != nil {
			return o, err
		}
		o.Tokenizer = tok
	}
	return o, nil
}

// describe names the tokenizer for a report: the --tokenizer given, or the
// BPE trained on the training split.
func (f *tokenizerFlags) describe() string {
	if f.spec != "" {
		return f.spec
	}
	return fmt.Sprintf("a %d-token byte-level BPE trained on the training split", f.vocabSize)
}

// inferenceFlags are --dtype and --compute: how a command that only scores
// or generates (eval, generate, serve, tune's reference) holds a model's
// weights and multiplies by them.
type inferenceFlags struct {
	dtype, compute string
}

func (f *inferenceFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dtype, "dtype", "auto", "weights in memory: auto (as stored: bf16 matrices stay bf16, f16 is widened to f32) or f32 (widen everything)")
	fl.StringVar(&f.compute, "compute", "auto", "products over bf16 weights: bf16 (activations rounded to bf16, sums in f32), f32 (the weights widened: exact), or auto: bf16 where the CPU has AVX512_BF16, else f32")
}

// load loads the model at path for inference only (no gradients) as the
// flags say; what is the flag it came from, for errors.
func (f *inferenceFlags) load(path, what string) (*modeldir.Pretrained, error) {
	if f.dtype == "" {
		f.dtype = "auto" // a flags struct filled without cobra
	}
	if f.compute == "" {
		f.compute = "auto"
	}
	if f.dtype != "auto" && f.dtype != "f32" {
		return nil, fmt.Errorf("--dtype %q: want auto or f32", f.dtype)
	}
	if f.compute != "auto" && f.compute != "f32" && f.compute != "bf16" {
		return nil, fmt.Errorf("--compute %q: want auto, f32 or bf16", f.compute)
	}
	p, err := modeldir.LoadWith(path, modeldir.Options{Inference: true, F32: f.dtype == "f32"})
	if err != nil {
		return nil, err
	}
	c := model.ComputeF32
	if f.compute == "bf16" || (f.compute == "auto" && p.Model.HasBF16() && gemm.ActiveBF16Native() != "generic") {
		c = model.ComputeBF16
	}
	if err := p.Model.SetCompute(c); err != nil {
		return nil, fmt.Errorf("%s %s: --compute %s: %w", what, path, f.compute, err)
	}
	return p, nil
}
