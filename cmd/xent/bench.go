package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

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

// benchStats are the minimum, median and maximum of a measurement.
type benchStats struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// benchReport is what "xent bench --json" prints.
type benchReport struct {
	N              int        `json:"n"`
	V              int        `json:"v"`
	DType          string     `json:"dtype"`
	LabelSmoothing float32    `json:"label_smoothing"`
	Iters          int        `json:"iters"`
	Threads        int        `json:"threads"`
	Seed           uint64     `json:"seed"`
	Kernels        string     `json:"kernels"`
	Loss           jsonFloat  `json:"loss"`
	Bytes          int64      `json:"bytes"`
	Seconds        benchStats `json:"seconds"`
	MBPerSecond    benchStats `json:"mb_per_s"`
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
	case f.n > math.MaxInt/4/f.v:
		return fmt.Errorf("--n %d × --v %d logits are too many", f.n, f.v)
	}
	dtype, err := parseBenchDType(f.dtype)
	if err != nil {
		return err
	}
	opt := loss.Options{LabelSmoothing: f.labelSmoothing, Threads: f.threads}
	if err := opt.Validate(); err != nil {
		return err
	}
	threads := f.threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	n, v := f.n, f.v
	logf := func(format string, args ...any) {
		fmt.Fprintf(cmd.ErrOrStderr(), "xent bench: "+format+"\n", args...)
	}

	logf("filling %d×%d %v logits (seed %d)", n, v, dtype, f.seed)
	orig, targets := benchInput(n, v, dtype, f.seed)
	work := orig.clone()
	x := work.matrix(n, v, dtype)
	up := []float32{1}
	run := func() (loss.Result, time.Duration, error) {
		work.copyFrom(orig) // a fresh copy: the last call overwrote the logits
		t0 := time.Now()
		res, err := loss.CrossEntropyForwardBackward(x, targets, opt, up, x)
		return res, time.Since(t0), err
	}

	logf("one warm-up and %d timed call(s), up to %d threads, kernels %s", f.iters, threads, kernels.Active())
	first, _, err := run()
	if err != nil {
		return err
	}
	secs := make([]float64, f.iters)
	for i := range secs {
		res, dt, err := run()
		if err != nil {
			return err
		}
		if res.Loss != first.Loss && !(math.IsNaN(res.Loss) && math.IsNaN(first.Loss)) {
			logf("warning: iteration %d: loss %v differs from the warm-up's %v on the same logits", i+1, res.Loss, first.Loss)
		}
		secs[i] = dt.Seconds()
	}

	bytes := int64(n) * int64(v) * 4
	sec := summarize(secs)
	mbps := func(s float64) float64 { return float64(bytes) / 1e6 / s }
	rep := benchReport{
		N: n, V: v, DType: dtype.String(), LabelSmoothing: f.labelSmoothing,
		Iters: f.iters, Threads: threads, Seed: f.seed, Kernels: kernels.Active(),
		Loss: jsonFloat(first.Loss), Bytes: bytes, Seconds: sec,
		MBPerSecond: benchStats{Min: mbps(sec.Max), Median: mbps(sec.Median), Max: mbps(sec.Min)},
	}
	out := cmd.OutOrStdout()
	if f.json {
		return json.NewEncoder(out).Encode(rep)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "N × V\t%d × %d\n", n, v)
	fmt.Fprintf(tw, "dtype\t%s\n", rep.DType)
	fmt.Fprintf(tw, "label smoothing\t%g\n", f.labelSmoothing)
	fmt.Fprintf(tw, "loss\t%.6f\n", first.Loss)
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

// summarize returns the minimum, median and maximum of xs (not empty).
func summarize(xs []float64) benchStats {
	s := slices.Clone(xs)
	slices.Sort(s)
	k := len(s) / 2
	med := s[k]
	if len(s)%2 == 0 {
		med = (s[k-1] + s[k]) / 2
	}
	return benchStats{Min: s[0], Median: med, Max: s[len(s)-1]}
}

// benchData holds the logits of one dtype: f32 for float32, bits for the
// 16-bit types.
type benchData struct {
	f32  []float32
	bits []uint16
}

func (d benchData) clone() benchData {
	return benchData{f32: slices.Clone(d.f32), bits: slices.Clone(d.bits)}
}

func (d benchData) copyFrom(src benchData) {
	copy(d.f32, src.f32)
	copy(d.bits, src.bits)
}

func (d benchData) matrix(n, v int, dtype loss.DType) loss.Matrix {
	switch dtype {
	case loss.Float16:
		return loss.F16(d.bits, n, v)
	case loss.BFloat16:
		return loss.BF16(d.bits, n, v)
	}
	return loss.F32(d.f32, n, v)
}

// benchInput draws the logits, N(0, 2²), and the targets, uniform in
// [0, V), row by row from one PCG stream, so a seed gives the same values
// for every dtype (rounded to it).
func benchInput(n, v int, dtype loss.DType, seed uint64) (benchData, loss.Targets) {
	r := rand.New(rand.NewPCG(seed, seed))
	var d benchData
	row := make([]float32, v)
	if dtype == loss.Float32 {
		d.f32 = make([]float32, n*v)
	} else {
		d.bits = make([]uint16, n*v)
	}
	targets := make([]int32, n)
	for i := range n {
		dst := row
		if dtype == loss.Float32 {
			dst = d.f32[i*v : (i+1)*v]
		}
		for c := range dst {
			dst[c] = float32(r.NormFloat64() * 2)
		}
		switch dtype {
		case loss.Float16:
			kernels.F32ToF16(d.bits[i*v:(i+1)*v], dst)
		case loss.BFloat16:
			kernels.F32ToBF16(d.bits[i*v:(i+1)*v], dst)
		}
		targets[i] = int32(r.IntN(v))
	}
	return d, loss.Targets{Index: targets}
}
