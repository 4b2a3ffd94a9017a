package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/cmd/xent/internal/bench"
	"github.com/xent-dev/xent/model"
)

// benchModel resolves --model.
func benchModel(name string) (model.Config, error) {
	if c, ok := bench.Models[name]; ok {
		return c, nil
	}
	return model.Config{}, fmt.Errorf("--model %q: want one of %s", name, strings.Join(bench.ModelNames(), ", "))
}

func benchThreads(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// benchTrainReport is what "xent bench train --json" prints.
type benchTrainReport struct {
	Model          string      `json:"model"`
	Params         int         `json:"params"`
	B              int         `json:"b"`
	T              int         `json:"t"`
	Iters          int         `json:"iters"`
	Threads        int         `json:"threads"`
	Loss           jsonFloat   `json:"loss"`
	TokensPerSec   bench.Stats `json:"tokens_per_s"`
	SecondsPerStep bench.Stats `json:"seconds_per_step"`
}

// newBenchTrainCmd is "xent bench train".
func newBenchTrainCmd() *cobra.Command {
	var (
		b, t, iters, threads int
		modelName            string
		asJSON               bool
	)
	cmd := &cobra.Command{
		Use:   "train [flags]",
		Short: "Time one training step of GPT-2 small (forward, backward, clipping, AdamW)",
		Long: `Time one full training step of a randomly initialised GPT-2 (by default
GPT-2 small, 124M parameters) on a batch [B, T] of random tokens: zero the
gradients, forward and backward (the head fused with the loss), clip the
global gradient norm to 1, and an AdamW update (lr 3e-4, weight decay 0.1).
This is BenchmarkTrainStep in package train, and the xent side of the
comparison with llm.c's CPU trainer in bench/train_step_run.sh.

One warm-up step, then --iters timed steps; printed are the first step's
loss, and the minimum, median and maximum of the tokens/s (B·T tokens per
step) and of the seconds per step.`,
		Example: `  xent bench train
  xent bench train --batch 8 --context 128 --iters 5 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case b < 1:
				return fmt.Errorf("--batch %d: need at least 1 sequence", b)
			case t < 1:
				return fmt.Errorf("--context %d: need at least 1 token", t)
			case iters < 1:
				return fmt.Errorf("--iters %d: need at least 1 iteration", iters)
			case threads < 0:
				return fmt.Errorf("--threads %d: need 0 or more", threads)
			}
			mc, err := benchModel(modelName)
			if err != nil {
				return err
			}
			if t > mc.NPositions {
				return fmt.Errorf("--context %d is longer than the context of %d tokens of %s", t, mc.NPositions, modelName)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "xent bench train: %s, B=%d, T=%d: one warm-up and %d timed step(s)\n", modelName, b, t, iters)
			var first float64
			m, err := bench.TrainStep(bench.Config{Iters: iters, Threads: threads}, mc, b, t, &first)
			if err != nil {
				return err
			}
			params, err := mc.NumParams()
			if err != nil {
				return err
			}
			n := float64(b * t)
			rep := benchTrainReport{
				Model: modelName, Params: params, B: b, T: t, Iters: iters, Threads: benchThreads(threads),
				Loss:           jsonFloat(first),
				TokensPerSec:   bench.Stats{Min: m.Min, Median: m.Value, Max: m.Max},
				SecondsPerStep: bench.Stats{Min: n / m.Max, Median: n / m.Value, Max: n / m.Min},
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(rep)
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "model\t%s (%d parameters)\n", modelName, rep.Params)
			fmt.Fprintf(tw, "batch\tB=%d, T=%d (%d tokens per step)\n", b, t, b*t)
			fmt.Fprintf(tw, "loss\t%.6f (warm-up step)\n", first)
			fmt.Fprintf(tw, "threads\t%d\n", rep.Threads)
			fmt.Fprintf(tw, "iterations\t%d\n", iters)
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(out)
			tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "\tmin\tmedian\tmax\t\n")
			s, r := rep.SecondsPerStep, rep.TokensPerSec
			fmt.Fprintf(tw, "seconds/step\t%.4f\t%.4f\t%.4f\t\n", s.Min, s.Median, s.Max)
			fmt.Fprintf(tw, "tokens/s\t%.1f\t%.1f\t%.1f\t\n", r.Min, r.Median, r.Max)
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVar(&b, "batch", 4, "batch size `B` (sequences per step)")
	fl.IntVar(&t, "context", 64, "sequence length `T` (tokens per sequence)")
	fl.IntVar(&iters, "iters", 3, "timed steps, after one warm-up")
	fl.StringVar(&modelName, "model", "gpt2-124M", "model shape, random weights: "+strings.Join(bench.ModelNames(), " or "))
	fl.IntVar(&threads, "threads", 0, "most `goroutines` (default 0: GOMAXPROCS)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object instead of a table (default false)")
	return cmd
}

// teacherForcingRow is one sequence length of "xent bench teacher-forcing".
type teacherForcingRow struct {
	T        int                          `json:"t"`
	TokensPS map[string]bench.Measurement `json:"tokens_per_s"`
	// Ratios are the parallel pass's tokens/s over each sequential mode's
	// (medians): how many times faster teacher forcing scores the sequence.
	Ratios map[string]float64 `json:"parallel_over"`
}

// teacherForcingReport is what "xent bench teacher-forcing --json" prints.
type teacherForcingReport struct {
	Model   string              `json:"model"`
	Params  int                 `json:"params"`
	Iters   int                 `json:"iters"`
	Threads int                 `json:"threads"`
	Rows    []teacherForcingRow `json:"rows"`
}

// newBenchTeacherForcingCmd is "xent bench teacher-forcing".
func newBenchTeacherForcingCmd() *cobra.Command {
	var (
		lengths          []int
		iters, threads   int
		modelName, modes string
		asJSON           bool
	)
	cmd := &cobra.Command{
		Use:   "teacher-forcing [flags]",
		Short: "Score a sequence in one parallel pass against token-by-token decoding, with and without the KV cache",
		Long: `Measure teacher forcing against free running: the mean next-token loss of a
T-token sequence (random tokens, randomly initialised GPT-2) computed

  parallel   in one causal forward pass over the T tokens (teacher forcing);
  kv-cache   in T sequential passes, one token each, keeping the keys and
             values of the earlier tokens (the KV cache);
  no-cache   in T sequential passes, each a full forward over the prefix
             that ends at the new token: O(T²) token-forwards.

For each T, printed are each mode's tokens/s (T scored tokens per pass;
median, slowest, fastest) and how many times faster the parallel pass is
than each sequential one. The three must give the same loss, to 1e-4; the
command fails if they do not.

The default model is gpt2-8M (4 layers, 128 wide, 4 heads, GPT-2's 50257
tokens), chosen so that the command ends in a few minutes on two cores
(about a minute and a half when they are idle): without a cache, T=1024
costs about 525,000 token-forwards, some 13 minutes on GPT-2 small.
--model gpt2-124M measures GPT-2 small; shorten --context or --modes with it.
The parallel pass runs once to warm up, then --iters times; the sequential
modes run --iters times.`,
		Example: `  xent bench teacher-forcing
  xent bench teacher-forcing --model gpt2-124M --context 64,256 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if iters < 1 {
				return fmt.Errorf("--iters %d: need at least 1 iteration", iters)
			}
			if threads < 0 {
				return fmt.Errorf("--threads %d: need 0 or more", threads)
			}
			if len(lengths) == 0 {
				return fmt.Errorf("--context: give at least one length")
			}
			mc, err := benchModel(modelName)
			if err != nil {
				return err
			}
			for _, t := range lengths {
				if t < 1 || t > mc.NPositions {
					return fmt.Errorf("--context %d: want a length in [1, %d], the context of %s", t, mc.NPositions, modelName)
				}
			}
			cfg := bench.Config{Iters: iters, Threads: threads,
				Progress: func(name string) { fmt.Fprintf(cmd.ErrOrStderr(), "xent bench teacher-forcing: %s\n", name) }}
			var ms []string
			for _, m := range strings.Split(modes, ",") {
				switch m = strings.TrimSpace(m); m {
				case bench.ModeParallel, bench.ModeKVCache, bench.ModeNoCache:
					ms = append(ms, m)
				default:
					return fmt.Errorf("--modes: %q is not parallel, kv-cache or no-cache", m)
				}
			}
			results, err := bench.TeacherForcing(cfg, mc, lengths, ms)
			if err != nil {
				return err
			}
			params, err := mc.NumParams()
			if err != nil {
				return err
			}
			rep := teacherForcingReport{Model: modelName, Params: params, Iters: iters, Threads: benchThreads(threads)}
			for _, t := range lengths {
				row := teacherForcingRow{T: t, TokensPS: map[string]bench.Measurement{}, Ratios: map[string]float64{}}
				for _, r := range results {
					if mode, ok := strings.CutPrefix(r.Name, fmt.Sprintf("teacher-forcing/T=%d/", t)); ok {
						row.TokensPS[mode] = r
					}
				}
				if p, ok := row.TokensPS[bench.ModeParallel]; ok {
					for _, mode := range []string{bench.ModeKVCache, bench.ModeNoCache} {
						if s, ok := row.TokensPS[mode]; ok {
							row.Ratios[mode] = p.Value / s.Value
						}
					}
				}
				rep.Rows = append(rep.Rows, row)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(rep)
			}
			fmt.Fprintf(out, "model %s (%d parameters), %d thread(s), %d iteration(s); tokens/s, median (min–max)\n\n", modelName, rep.Params, rep.Threads, iters)
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "T\tparallel\tkv-cache\tno-cache\tparallel/kv-cache\tparallel/no-cache\t\n")
			cell := func(r teacherForcingRow, mode string) string {
				m, ok := r.TokensPS[mode]
				if !ok {
					return "-"
				}
				return fmt.Sprintf("%.1f (%.1f–%.1f)", m.Value, m.Min, m.Max)
			}
			ratio := func(r teacherForcingRow, mode string) string {
				x, ok := r.Ratios[mode]
				if !ok {
					return "-"
				}
				return fmt.Sprintf("%.1f×", x)
			}
			for _, r := range rep.Rows {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t\n", r.T, cell(r, bench.ModeParallel), cell(r, bench.ModeKVCache), cell(r, bench.ModeNoCache),
					ratio(r, bench.ModeKVCache), ratio(r, bench.ModeNoCache))
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntSliceVar(&lengths, "context", []int{64, 256, 1024}, "sequence `lengths` T, comma-separated")
	fl.StringVar(&modelName, "model", "gpt2-8M", "model shape, random weights: "+strings.Join(bench.ModelNames(), " or "))
	fl.StringVar(&modes, "modes", "parallel,kv-cache,no-cache", "the `modes` to measure, comma-separated")
	fl.IntVar(&iters, "iters", 1, "timed passes per mode (the parallel pass also runs once to warm up)")
	fl.IntVar(&threads, "threads", 0, "most `goroutines` (default 0: GOMAXPROCS)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object instead of a table (default false)")
	return cmd
}
