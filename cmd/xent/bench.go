package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/cmd/xent/internal/bench"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/loss"
)

// benchFlags are the flags of "xent bench".
type benchFlags struct {
	n, v           int
	dtype          string
	labelSmoothing float32
	iters, threads int
	seed           uint64
	json           bool
}

// benchReport is what "xent bench --json" prints.
type benchReport struct {
	N              int         `json:"n"`
	V              int         `json:"v"`
	DType          string      `json:"dtype"`
	LabelSmoothing float32     `json:"label_smoothing"`
	Iters          int         `json:"iters"`
	Threads        int         `json:"threads"`
	Seed           uint64      `json:"seed"`
	Kernels        string      `json:"kernels"`
	Loss           jsonFloat   `json:"loss"`
	Bytes          int64       `json:"bytes"`
	Seconds        bench.Stats `json:"seconds"`
	MBPerSecond    bench.Stats `json:"mb_per_s"`
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench [flags]",
		Short: "Time the fused cross-entropy forward+backward on random logits",
		Long: `Time loss.CrossEntropyForwardBackward, the training path: the loss and the
gradient of the mean loss, written in place over the logits.

Random logits (normal, standard deviation 2, from a PCG generator seeded with
--seed) and uniformly random targets fill an [N, V] matrix of the chosen dtype.
After one warm-up call, --iters calls are timed, each on a fresh copy of the
same logits (the copy is not timed). Printed on stdout: the loss of the first
timed call, the kernel set, the thread bound, and the minimum, median and
maximum of the seconds per call and of the throughput in MB/s, counting
N·V·4 bytes (the size of float32 logits, whatever the dtype), as
BenchmarkCrossEntropy in package loss does. Progress goes to stderr.`,
		Example: `  xent bench
  xent bench --n 4096 --v 128256 --dtype bf16 --iters 10 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVar(&f.n, "n", 1024, "rows N (tokens)")
	fl.IntVar(&f.v, "v", 50257, "classes V (vocabulary size)")
	fl.StringVar(&f.dtype, "dtype", "f32", "logits dtype: f32, bf16 or f16")
	fl.Float32Var(&f.labelSmoothing, "label-smoothing", 0, "label smoothing `eps` in [0, 1] (default 0: none)")
	fl.IntVar(&f.iters, "iters", 5, "timed iterations, after one warm-up")
	fl.IntVar(&f.threads, "threads", 0, "most `goroutines` to spread rows over (default 0: GOMAXPROCS)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the random logits and targets")
	fl.BoolVar(&f.json, "json", false, "print one JSON object instead of a table (default false)")
	cmd.AddCommand(newBenchKernelsCmd())
	cmd.AddCommand(newBenchTrainCmd(), newBenchTeacherForcingCmd())
	return cmd
}

// parseBenchDType reads the --dtype flag.
func parseBenchDType(s string) (loss.DType, error) {
	switch strings.ToLower(s) {
	case "f32", "float32":
		return loss.Float32, nil
	case "bf16", "bfloat16":
		return loss.BFloat16, nil
	case "f16", "float16":
		return loss.Float16, nil
	}
	return 0, fmt.Errorf("--dtype %q: want f32, bf16 or f16", s)
}

func runBench(cmd *cobra.Command, f *benchFlags) error {
	switch {
	case f.n < 1:
		return fmt.Errorf("--n %d: need at least 1 row", f.n)
	case f.v < 1:
		return fmt.Errorf("--v %d: need at least 1 class", f.v)
	case f.iters < 1:
		return fmt.Errorf("--iters %d: need at least 1 iteration", f.iters)
	}
	dtype, err := parseBenchDType(f.dtype)
	if err != nil {
		return err
	}
	threads := f.threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	logf := func(msg string) { fmt.Fprintf(cmd.ErrOrStderr(), "xent bench: %s\n", msg) }
	logf(fmt.Sprintf("filling %d×%d %v logits (seed %d)", f.n, f.v, dtype, f.seed))
	logf(fmt.Sprintf("one warm-up and %d timed call(s), up to %d threads, kernels %s", f.iters, threads, kernels.Active()))
	res, err := bench.CrossEntropy(bench.Config{Iters: f.iters, Threads: f.threads, Progress: logf},
		bench.CrossEntropySpec{N: f.n, V: f.v, DType: dtype, LabelSmoothing: f.labelSmoothing, Seed: f.seed})
	if err != nil {
		return err
	}
	sec := res.Seconds
	rep := benchReport{
		N: f.n, V: f.v, DType: dtype.String(), LabelSmoothing: f.labelSmoothing,
		Iters: f.iters, Threads: threads, Seed: f.seed, Kernels: kernels.Active(),
		Loss: jsonFloat(res.Loss), Bytes: res.Bytes, Seconds: sec,
		MBPerSecond: sec.PerSecond(float64(res.Bytes) / 1e6),
	}
	out := cmd.OutOrStdout()
	if f.json {
		return json.NewEncoder(out).Encode(rep)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "N × V\t%d × %d\n", f.n, f.v)
	fmt.Fprintf(tw, "dtype\t%s\n", rep.DType)
	fmt.Fprintf(tw, "label smoothing\t%g\n", f.labelSmoothing)
	fmt.Fprintf(tw, "loss\t%.6f\n", res.Loss)
	fmt.Fprintf(tw, "kernels\t%s\n", rep.Kernels)
	fmt.Fprintf(tw, "threads\t%d\n", threads)
	fmt.Fprintf(tw, "iterations\t%d\n", f.iters)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tmin\tmedian\tmax\t\n")
	fmt.Fprintf(tw, "seconds\t%.6f\t%.6f\t%.6f\t\n", sec.Min, sec.Median, sec.Max)
	m := rep.MBPerSecond
	fmt.Fprintf(tw, "MB/s\t%.0f\t%.0f\t%.0f\t\n", m.Min, m.Median, m.Max)
	return tw.Flush()
}
