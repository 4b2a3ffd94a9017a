package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/internal/provenance"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/study"
	"github.com/xent-dev/xent/train"
)

// landscapeOptim are the optimizer defaults of "xent study landscape":
// xent train's, with the warmup and weight decay set per run.
var landscapeOptim = train.Optim{LR: 3e-3, Schedule: "cosine", MinLRRatio: 0.1, Beta2: 0.99, ClipNorm: 1}

// landscapeSettings are the settings a landscape report records.
type landscapeSettings struct {
	Arch      string                 `json:"arch"`
	Width     int                    `json:"width"`
	Layers    int                    `json:"layers"`
	Heads     int                    `json:"heads"`
	Train     train.Settings         `json:"train"` // batch, warmup and weight decay are each run's
	Landscape study.LandscapeOptions `json:"landscape"`
}

func newStudyLandscapeCmd() *cobra.Command {
	var (
		src    data.Source
		tok    tokenizerFlags
		s      train.Settings
		o      study.LandscapeOptions
		arch   string
		shape  [3]int // width, layers, heads
		runs   string
		budget string
		asJSON bool
		plots  plotFlags
	)
	cmd := &cobra.Command{
		Use:   "landscape [flags]",
		Short: "The loss landscape of small models: the line from init, a 2-D slice, and sharpness",
		Long: `Trains one small model per run of --runs on the same corpus, from the
same initial weights and for the same number of steps (or, with --budget
tokens, on the same number of training tokens), each run with its own
batch size, warmup and weight decay (BATCH:WARMUP:WD), and measures:

  the line   the loss at θ(α) = (1−α)θ₀ + αθ₁ between the first run's
             initial weights θ₀ and its trained weights θ₁, for
             --line-points values of α evenly from −0.25 to 1.25 (31: steps
             of 0.05, α = 0 and 1 among them), on fixed training batches
             and on the held-out split;
  the slice  the training loss at θ₁ + a·d₁ + b·d₂ on a --grid × --grid
             lattice, a and b from −--span to --span, along two random
             directions filter-normalised as Li et al. 2018 do (each row
             of each matrix scaled to the norm of that row of θ₁; norm
             gains and biases not moved);
  sharpness  for every run, the largest eigenvalue λ_max of the Hessian of
             the training loss at its trained weights (and the smallest,
             λ_min: negative curvature), by the Lanczos iteration on
             Hessian-vector products taken as central differences of
             gradients, Hv ≈ (∇L(θ+hv) − ∇L(θ−hv))/2h with h = --hvp-step
             along a unit v, beside its training and held-out loss.
             (A power iteration finds the eigenvalue of largest magnitude,
             which short runs can leave negative; Lanczos gives both ends
             from the same products.)

The training loss of every measurement is the mean over the same
--loss-batches batches of --loss-batch sequences drawn once from the
training split; the held-out loss is xent eval's (disjoint windows of the
context) on the held-out 10%. Prints the sharpness table and the line, or
with --json every number; --plots DIR writes landscape-line,
landscape-slice and landscape-sharpness figures there, and the JSON
document as study-landscape.json for xent report.`,
		Example: `  xent study landscape --plots runs/landscape
  xent study landscape --runs 8:20:0.1,64:20:0.1 --steps 100 --grid 11 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := plots.check(); err != nil {
				return err
			}
			for _, name := range []string{"warmup", "weight-decay"} {
				if cmd.Flags().Changed(name) {
					return fmt.Errorf("--%s: each run sets its own, in --runs BATCH:WARMUP:WD", name)
				}
			}
			var err error
			if o.Runs, err = parseSharpnessRuns(runs); err != nil {
				return err
			}
			if _, err := model.SmallConfig(arch, 0, 0, 0, 0, 0); err != nil {
				return fmt.Errorf("--arch: %w", err)
			}
			switch budget {
			case "steps":
			case "tokens":
				o.EqualTokens = true
			default:
				return fmt.Errorf("--budget %q: want steps or tokens", budget)
			}
			s.GradAccum = 1
			for _, r := range o.Runs { // every run's settings, before a tokenizer is trained
				rs := s
				rs.Batch, rs.Warmup, rs.WeightDecay = r.Batch, r.Warmup, r.WeightDecay
				if o.EqualTokens {
					rs.Steps = study.EqualTokenSteps(s.Steps, o.Runs[0].Batch, r.Batch)
				}
				if err := rs.Validate(); err != nil {
					return fmt.Errorf("--runs %s: %w", r.Name(), err)
				}
			}
			o.LineFrom, o.LineTo = -0.25, 1.25
			o.Hessian.Seed = s.Seed
			if err := o.Validate(); err != nil {
				return err
			}
			logw := cmd.ErrOrStderr()
			o.Logf = func(format string, args ...any) { fmt.Fprintf(logw, "xent study landscape: "+format+"\n", args...) }
			popts, err := tok.options(src, o.Logf)
			if err != nil {
				return err
			}
			o.Start = train.Start{Corpus: popts, Arch: arch, Width: shape[0], Layers: shape[1], Heads: shape[2], Settings: s}
			res, err := study.RunLandscape(cmd.Context(), o)
			if err != nil {
				return err
			}
			rep := provenance.New()
			rep.Data = src.Name() + " (the first 90% trained on, the last 10% held out)"
			rep.Tokenizer = tok.describe()
			rep.Settings = landscapeSettings{Arch: arch, Width: shape[0], Layers: shape[1], Heads: shape[2], Train: s, Landscape: o}
			// The table first: a plot that cannot be written loses nothing.
			if err := studyReport(cmd, cmd.OutOrStdout(), rep, asJSON, res, func(w io.Writer) error { res.WriteTable(w); return nil }); err != nil {
				return err
			}
			if plots.dir == "" {
				fmt.Fprintln(logw, "xent study landscape: no figures (give --plots DIR)")
				return nil
			}
			for _, f := range []struct {
				name string
				plot func(string) error
			}{{"landscape-line", res.PlotLine}, {"landscape-slice", res.PlotSlice}, {"landscape-sharpness", res.PlotSharpness}} {
				path, err := plots.path(f.name)
				if err != nil {
					return err
				}
				if err := f.plot(path); err != nil {
					return fmt.Errorf("the plot %s: %w", path, err)
				}
				fmt.Fprintf(logw, "xent study landscape: wrote %s\n", path)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	addSourceFlags(cmd, &src, "to train on and hold out")
	tok.add(cmd, 1024)
	fl.StringVar(&arch, "arch", model.Llama, "architecture of the models: llama or gpt2")
	fl.IntVar(&shape[0], "width", 128, "hidden size")
	fl.IntVar(&shape[1], "layers", 2, "transformer layers")
	fl.IntVar(&shape[2], "heads", 4, "attention heads")
	fl.IntVar(&s.Context, "context", 64, "tokens per sequence")
	fl.IntVar(&s.Steps, "steps", 200, "optimizer steps of every run")
	fl.StringVar(&budget, "budget", "steps", "what every run gets the same of: steps (--steps each) or tokens (the first run's --steps × batch: a run of 4× its batch takes ¼ of the steps)")
	fl.StringVar(&runs, "runs", "8:20:0.1,32:20:0.1,8:0:0.1,32:0:0.1,8:20:0,32:20:0",
		"the runs, comma-separated BATCH:WARMUP:WD (sequences per step, warmup steps, weight decay); the first gives the line and the slice")
	addOptimFlags(cmd, &s.Optim, landscapeOptim)
	fl.MarkHidden("warmup") // set per run, in --runs
	fl.MarkHidden("weight-decay")
	fl.Uint64Var(&s.Seed, "seed", 1, "seed of the initial weights (the same for every run), the batches, the directions and the Lanczos start")
	fl.IntVar(&s.Threads, "threads", 0, "goroutines (0: GOMAXPROCS); results are identical for the same count")
	fl.IntVar(&o.LinePoints, "line-points", 31, "points α on the line from −0.25 to 1.25")
	fl.IntVar(&o.Grid, "grid", 21, "points per axis of the 2-D slice")
	fl.Float64Var(&o.Span, "span", 1, "the slice's half-width along each filter-normalised direction")
	fl.IntVar(&o.LossBatches, "loss-batches", 4, "fixed training batches the training loss and its Hessian are measured on")
	fl.IntVar(&o.LossBatch, "loss-batch", 16, "sequences per fixed training batch")
	fl.IntVar(&o.HeldOutTokens, "eval-tokens", 0, "held-out tokens scored at most, the first of the split (0: all)")
	fl.IntVar(&o.Hessian.Iters, "hessian-iters", 20, "Hessian-vector products of each run's Lanczos iteration at most")
	fl.Float64Var(&o.Hessian.Tol, "hessian-tol", 1e-2, "stop the Lanczos iteration when λ_max's Ritz residual is at most this times λ_max (and λ_min's this times the larger end)")
	fl.Float64Var(&o.Hessian.Step, "hvp-step", study.DefaultHVPStep, "h of the central differences, along a unit direction")
	fl.BoolVar(&asJSON, "json", false, "print the result as JSON")
	plots.add(cmd, "write the figures into this directory as landscape-line.FORMAT, landscape-slice.FORMAT and landscape-sharpness.FORMAT, and the result as study-landscape.json")
	return cmd
}

// parseSharpnessRuns reads --runs: comma-separated BATCH:WARMUP:WD.
func parseSharpnessRuns(list string) ([]study.SharpnessRun, error) {
	var out []study.SharpnessRun
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		parts := strings.Split(f, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("--runs: %q is not BATCH:WARMUP:WD", f)
		}
		b, errB := strconv.Atoi(parts[0])
		w, errW := strconv.Atoi(parts[1])
		wd, errD := strconv.ParseFloat(parts[2], 64)
		if errB != nil || errW != nil || errD != nil || b < 1 || w < 0 || !(wd >= 0) || wd > 1e6 {
			return nil, fmt.Errorf("--runs: %q: want a batch ≥ 1, warmup steps ≥ 0 and a weight decay ≥ 0", f)
		}
		out = append(out, study.SharpnessRun{Batch: b, Warmup: w, WeightDecay: wd})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--runs: no runs")
	}
	return out, nil
}
