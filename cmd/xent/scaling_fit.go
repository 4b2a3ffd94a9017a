package main

import (
	"fmt"
	"os"

	"github.com/xent-dev/xent/internal/provenance"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/scaling"
)

// scalingFitFlags are the flags of "xent scaling fit".
type scalingFitFlags struct {
	data, form, plot string
	plots            plotFlags
	cols             scaling.Columns
	exclude          exclusions
	json             bool
	opt              scaling.Options
}

func newScalingFitCmd() *cobra.Command {
	var f scalingFitFlags
	cmd := &cobra.Command{
		Use:   "fit --data runs.csv [flags]",
		Short: "Fit a scaling law (Chinchilla Approach 3 or a Kaplan power law) to a CSV of runs",
		Long: `Fit a scaling law to runs read from a CSV with a header row.

The columns for N (parameters), D (tokens) or C (FLOPs), and the loss are
found by their header (params, n, parameters; tokens, d, data; flops, c,
compute; loss, l, val_loss) or named by --params-col and friends. When only C
is given, D = C/(6N). Every value must be a finite positive number.

--form chinchilla (the default) fits L(N, D) = E + A/N^α + B/D^β as
Hoffmann et al.'s Approach 3: Huber loss (δ = 1e-3) of log-space residuals,
L-BFGS from 4,500 grid starts, the best converged kept. It prints the
parameters with bootstrap percentile intervals and the compute-optimal
exponents a = β/(α+β), b = α/(α+β), and beside them Approach 1 (the
envelope of minimum loss per FLOP) and Approach 2 (IsoFLOP parabolas) where
the runs allow. --form kaplan-n|kaplan-d|kaplan-c fits L(X) = (X_c/X)^α by
least squares in log-log to the runs' envelope in X. The fit is
deterministic: the same runs and seed give the same bits.

Two flags leave runs out. --exclude-highest-loss K drops the K runs of
highest loss before fitting: Epoch AI's criterion (Besiroglu et al. 2024
dropped the five highest-loss of their 245 points), the one that
reproduces their published fit, built in as besiroglu2024.
--exclude-largest-residual K drops the K runs a first fit describes worst
(largest |log-space residual|) and fits again. Given both, the highest-loss
runs go first. The report lists every run left out and why.`,
		Example: `  xent scaling fit --data runs.csv
  xent scaling fit --data runs.csv --form kaplan-n --plots figures
  xent scaling fit --data runs.csv --bootstrap 500 --exclude-largest-residual 2 --plots figures --plot-format png --json
  xent scaling fit --data scaling/testdata/epoch_svg_extracted_data.csv --params-col "Model Size" --flops-col "Training FLOP" --exclude-highest-loss 5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runScalingFit(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.data, "data", "", "CSV of runs, one row per run with a header row (required)")
	fl.StringVar(&f.form, "form", "chinchilla", "law to fit: chinchilla, kaplan-n, kaplan-d or kaplan-c")
	fl.IntVar(&f.opt.Bootstrap, "bootstrap", 100, "bootstrap resamples of the runs for the intervals (0: none)")
	fl.Float64Var(&f.opt.Level, "level", 0.95, "coverage of the percentile intervals")
	fl.Uint64Var(&f.opt.Seed, "seed", 1, "seed of the bootstrap's resampling")
	fl.IntVar(&f.exclude.HighestLoss, "exclude-highest-loss", 0, "fit without the K runs of highest loss (Epoch AI's criterion: 5 reproduces besiroglu2024)")
	fl.IntVar(&f.exclude.LargestResidual, "exclude-largest-residual", 0, "refit without the K runs a first fit describes worst (largest |log-space residual|)")
	fl.IntVar(&f.exclude.LargestResidual, "exclude-worst", 0, "old name of --exclude-largest-residual")
	fl.MarkHidden("exclude-worst")
	f.plots.add(cmd, "write the plot into this directory as FORM.FORMAT: the runs, iso-loss contours and efficient frontier (Kaplan forms: loss against the variable)")
	fl.StringVar(&f.plot, "plot", "", "write the plot to this .svg, .png or .pdf file")
	fl.MarkHidden("plot") // the older spelling; --plots is the vocabulary's
	fl.BoolVar(&f.json, "json", false, "print the fit as JSON (a file \"xent scaling plan --fit\" reads)")
	fl.StringVar(&f.cols.N, "params-col", "", "column holding N (default: detected from the header)")
	fl.StringVar(&f.cols.D, "tokens-col", "", "column holding D (default: detected from the header)")
	fl.StringVar(&f.cols.C, "flops-col", "", "column holding C (default: detected from the header)")
	fl.StringVar(&f.cols.Loss, "loss-col", "", "column holding the loss (default: detected from the header)")
	fl.IntVar(&f.opt.MaxIterations, "max-iter", 500, "L-BFGS iterations per start at most")
	fl.IntVar(&f.opt.Threads, "threads", 0, "goroutines (0: GOMAXPROCS); results do not depend on it")
	return cmd
}

func runScalingFit(cmd *cobra.Command, f *scalingFitFlags) error {
	if f.data == "" {
		return fmt.Errorf("--data is required: a CSV of runs (header with params, tokens or flops, loss)")
	}
	if f.opt.MaxIterations < 1 {
		return fmt.Errorf("--max-iter %d: want at least 1", f.opt.MaxIterations)
	}
	if err := f.plots.check(); err != nil {
		return err
	}
	file, err := os.Open(f.data)
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	defer file.Close()
	runs, err := scaling.ReadCSV(file, f.data, f.cols)
	if err != nil {
		return err
	}
	rep, err := fitRuns(f.data, runs, f.form, f.exclude, f.opt)
	if err != nil {
		return fmt.Errorf("%s: %w", f.data, err)
	}
	path := f.plot
	if f.plots.dir != "" {
		if path, err = f.plots.path(f.form); err != nil {
			return err
		}
	}
	if path != "" {
		if err := plotReport(path, runs, rep); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "xent scaling fit: wrote %s\n", path)
	}
	src := provenance.New()
	src.Data = f.data
	src.Settings = map[string]any{"form": f.form, "exclude_highest_loss": f.exclude.HighestLoss,
		"exclude_largest_residual": f.exclude.LargestResidual, "bootstrap": f.opt.Bootstrap, "level": f.opt.Level, "seed": f.opt.Seed}
	return printFitReport(cmd.OutOrStdout(), src, rep, f.json)
}

// plotReport draws the fit of rep over runs.
func plotReport(path string, runs []scaling.Run, rep fitReport) error {
	if rep.Kaplan != nil {
		return scaling.PlotKaplan(path, runs, *rep.Kaplan, kaplanForms[rep.Form])
	}
	return scaling.PlotChinchilla(path, runs, rep.Fit.Law)
}
