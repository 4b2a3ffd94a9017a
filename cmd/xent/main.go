// Command xent is the command-line front end of the xent toolkit: language-
// model cross-entropy with exact, fast kernels.
//
// Each subcommand lives in its own file and only parses flags and files;
// the work is done by the packages (loss, eval, train, sample, ...).
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/internal/version"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "xent: %v\n", err)
		os.Exit(1)
	}
}

// newRootCmd builds a fresh command tree, so that tests can run commands
// with their own arguments and output buffers.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "xent",
		Short: "A toolkit for language-model cross-entropy",
		Long: `xent is a toolkit for language-model cross-entropy, end to end:
"xent loss" computes the loss and its gradient exactly (float32, float16
or bfloat16 logits; ignore index, class weights, label smoothing, z-loss,
soft-capping as in PyTorch) with SIMD kernels; "xent train" trains GPT-2
and Llama-style models with teacher forcing; "xent eval" measures
perplexity, bits per byte, calibration and where the loss goes;
"xent report" writes one HTML page of a run and its studies;
"xent generate" samples with the usual processors and penalties;
"xent study" measures exposure bias, repetition and negation; "xent tune"
fine-tunes with SFT, DPO, KTO, ORPO or SimPO; "xent scaling" fits and
plans with scaling laws; "xent export gguf" writes a model as llama.cpp's
GGUF; "xent bench" times the kernels; "xent version" says which xent this
is.`,
		SilenceUsage:  true, // an error is not a reason to print the usage
		SilenceErrors: true, // main prints errors as "xent: <err>"
		CompletionOptions: cobra.CompletionOptions{
			HiddenDefaultCmd: true,
		},
		Version: version.Get().String(), // --version
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetGlobalNormalizationFunc(normalizeFlagName) // before AddCommand, which passes it on
	root.AddCommand(newLossCmd(), newBenchCmd())
	root.AddCommand(newTokenizeCmd(), newTokenizerCmd())
	root.AddCommand(newTrainCmd())
	root.AddCommand(newEvalCmd(), newReportCmd())
	root.AddCommand(newServeCmd())
	root.AddCommand(newGenerateCmd(), newStudyCmd())
	root.AddCommand(newScalingCmd())
	root.AddCommand(newPrefsCmd(), newTuneCmd())
	root.AddCommand(newExportCmd())
	root.AddCommand(newVersionCmd())
	return root
}
