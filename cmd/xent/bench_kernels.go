package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/cmd/xent/internal/bench"
)

// newBenchKernelsCmd is "xent bench kernels".
func newBenchKernelsCmd() *cobra.Command {
	var cfg bench.Config
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "kernels [flags]",
		Short: "Measure the cross-entropy, sgemm and fused linear cross-entropy kernels on this machine",
		Long: `Measure what this machine does with xent's kernels before you train on it:

  cross-entropy/...          fused forward+backward in place, MB/s of float32 logits
  sgemm/MxKxN                C = A·B in float32, GFLOPS (2·M·N·K flops)
  linear-cross-entropy/...   the output head, loss with dh and dW, tokens/s

Each measurement runs once to warm up and then --iters times; the value is
the median, with the slowest and fastest beside it. The kernel set in use is
named in brackets. The same shapes have go test benchmarks:
BenchmarkCrossEntropy, BenchmarkSgemm and BenchmarkLinearCrossEntropy.`,
		Example: `  xent bench kernels
  xent bench kernels --only sgemm --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Progress = func(name string) { fmt.Fprintf(cmd.ErrOrStderr(), "xent bench kernels: %s\n", name) }
			ms, err := bench.Kernels(cfg)
			if err != nil {
				return err
			}
			if len(ms) == 0 {
				return fmt.Errorf("--only %q matches no measurement", cfg.Only)
			}
			return printMeasurements(cmd.OutOrStdout(), ms, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVar(&cfg.Iters, "iters", 3, "timed iterations per measurement, after one warm-up")
	fl.IntVar(&cfg.Threads, "threads", 0, "most `goroutines` (default 0: GOMAXPROCS)")
	fl.StringVar(&cfg.Only, "only", "", "run only the measurements whose name contains this `text` (default: all)")
	fl.BoolVar(&asJSON, "json", false, "print a JSON array, one object per measurement: name, value, unit, min, max (default false)")
	return cmd
}

func printMeasurements(out io.Writer, ms []bench.Measurement, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(out).Encode(ms)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "measurement\tmedian\tunit\tmin\tmax\t\n")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%.1f\t%.1f\t\n", m.Name, m.Value, m.Unit, m.Min, m.Max)
	}
	return tw.Flush()
}
