package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/train"
)

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
