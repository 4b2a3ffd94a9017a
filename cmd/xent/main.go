// Command xent is the command-line front end of the xent toolkit: language-
// model cross-entropy with exact, fast kernels.
//
// Each subcommand lives in its own file and only parses flags and files;
// the work is done by the packages (loss, format/npy, internal/kernels).
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
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
		Long: `xent is a toolkit for language-model cross-entropy: the loss of logits
[N, V] against targets and its gradient, computed exactly (the same bits for
any thread count) with fast SIMD kernels (AVX-512 or AVX2 where the CPU has
them, portable Go otherwise), on float32, float16 and bfloat16 logits, with
class weights, label smoothing, z-loss and soft-capping as in PyTorch.
"xent loss" evaluates the loss, and optionally its gradient, on .npy files;
"xent bench" times the kernels. More commands are to come.`,
		SilenceUsage:  true, // an error is not a reason to print the usage
		SilenceErrors: true, // main prints errors as "xent: <err>"
		CompletionOptions: cobra.CompletionOptions{
			HiddenDefaultCmd: true,
		},
	}
	root.AddCommand(newLossCmd(), newBenchCmd())
	root.AddCommand(newTokenizeCmd(), newTokenizerCmd())
	root.AddCommand(newTrainCmd())
	root.AddCommand(newEvalCmd())
	root.AddCommand(newGenerateCmd(), newStudyCmd())
	root.AddCommand(newScalingCmd())
	root.AddCommand(newPrefsCmd(), newTuneCmd())
	return root
}
