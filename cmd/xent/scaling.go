package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/xent-dev/xent/internal/provenance"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/scaling"
)

func newScalingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scaling",
		Short: "Fit scaling laws to runs, plan compute with them, and run a small Chinchilla sweep",
		Long: `Scaling laws of cross-entropy in parameters N, tokens D and compute C ≈ 6·N·D.

"xent scaling fit" fits Kaplan's power laws or Hoffmann et al.'s
L(N, D) = E + A/N^α + B/D^β (Approach 3, with Approaches 1 and 2 beside it)
to a CSV of runs, with bootstrap intervals. "xent scaling plan" gives the
compute-optimal N and D for a FLOP budget under a fit (built in: kaplan2020,
hoffmann2022, besiroglu2024, or a fit's JSON). "xent scaling sweep" trains a
grid of small GPT-2 models within a time budget and fits them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newScalingFitCmd(), newScalingPlanCmd(), newScalingSweepCmd())
	return cmd
}

// fitReport is what "xent scaling fit" and "xent scaling sweep" print.
type fitReport struct {
	Data      string                 `json:"data"`
	Form      string                 `json:"form"`
	Runs      int                    `json:"runs"`
	Excluded  []excludedRun          `json:"excluded,omitempty"`
	Fit       *scaling.ChinchillaFit `json:"fit,omitempty"`
	Kaplan    *scaling.KaplanFit     `json:"kaplan,omitempty"`
	Approach1 *scaling.AllocationFit `json:"approach1,omitempty"`
	Approach2 *scaling.AllocationFit `json:"approach2,omitempty"`
	Notes     []string               `json:"notes,omitempty"`
}

// excludedRun is a run left out of the fit, and by which criterion.
type excludedRun struct {
	scaling.Run
	Why string `json:"why"` // "highest loss" or "largest residual"
}

// exclusions are the runs to leave out of a fit: first the HighestLoss
// runs of highest loss (Epoch AI's criterion), then the LargestResidual
// runs a first fit of the rest describes worst.
type exclusions struct {
	HighestLoss, LargestResidual int
}

// kaplanForms maps --form values to Kaplan variables.
var kaplanForms = map[string]scaling.Variable{"kaplan-n": scaling.ByN, "kaplan-d": scaling.ByD, "kaplan-c": scaling.ByC}

// fitRuns fits form to runs, after leaving out the runs ex names, and adds
// Approaches 1 and 2 where the runs allow.
func fitRuns(data string, runs []scaling.Run, form string, ex exclusions, opt scaling.Options) (fitReport, error) {
	rep := fitReport{Data: data, Form: form, Runs: len(runs)}
	v, isKaplan := kaplanForms[form]
	if form != "chinchilla" && !isKaplan {
		return rep, fmt.Errorf("--form %q: want chinchilla, kaplan-n, kaplan-d or kaplan-c", form)
	}
	fit := func(runs []scaling.Run, opt scaling.Options) (candidates []scaling.Run, predict func(scaling.Run) float64, err error) {
		if isKaplan {
			k, err := scaling.FitKaplan(runs, v, opt)
			rep.Kaplan = &k
			return k.Points, func(r scaling.Run) float64 { return k.Law.Loss(v.Of(r)) }, err
		}
		c, err := scaling.FitChinchilla(runs, opt)
		rep.Fit = &c
		return runs, func(r scaling.Run) float64 { return c.Law.Loss(r.N, r.D) }, err
	}
	exclude := func(dropped []scaling.Run, why string) {
		for _, r := range dropped {
			rep.Excluded = append(rep.Excluded, excludedRun{Run: r, Why: why})
		}
	}
	for _, c := range []struct {
		flag string
		k    int
	}{{"--exclude-highest-loss", ex.HighestLoss}, {"--exclude-largest-residual", ex.LargestResidual}} {
		if c.k < 0 {
			return rep, fmt.Errorf("%s %d: want 0 or more", c.flag, c.k)
		}
	}
	if ex.HighestLoss > 0 {
		var dropped []scaling.Run
		var err error
		if runs, dropped, err = scaling.ExcludeHighestLoss(runs, ex.HighestLoss); err != nil {
			return rep, fmt.Errorf("--exclude-highest-loss: %w", err)
		}
		exclude(dropped, "highest loss")
	}
	if ex.LargestResidual > 0 {
		first := opt
		first.Bootstrap = 0
		candidates, predict, err := fit(runs, first)
		if err != nil {
			return rep, err
		}
		var dropped []scaling.Run
		if runs, dropped, err = scaling.ExcludeLargestResidual(runs, candidates, ex.LargestResidual, predict); err != nil {
			return rep, fmt.Errorf("--exclude-largest-residual: %w", err)
		}
		exclude(dropped, "largest residual")
	}
	rep.Runs = len(runs)
	if _, _, err := fit(runs, opt); err != nil {
		return rep, err
	}
	if a1, err := scaling.Envelope(runs); err == nil {
		rep.Approach1 = &a1
	} else {
		rep.Notes = append(rep.Notes, "approach 1: "+err.Error())
	}
	a2, skipped, err := scaling.IsoFLOP(runs)
	if err == nil {
		rep.Approach2 = &a2
	} else {
		rep.Notes = append(rep.Notes, "approach 2: "+err.Error())
	}
	for _, s := range skipped {
		rep.Notes = append(rep.Notes, "approach 2 skipped a group: "+s)
	}
	return rep, nil
}

// printFitReport writes a fit under what produced it (src), as a table or
// as JSON (which "xent scaling plan --fit" reads).
func printFitReport(w io.Writer, src provenance.Source, rep fitReport, asJSON bool) error {
	return writeReport(w, src, asJSON, false, rep, func(w io.Writer) error { return writeFitTable(w, rep) })
}

// writeFitTable writes a fit as a table.
func writeFitTable(w io.Writer, rep fitReport) error {
	iv := func(i *scaling.Interval, format string) string {
		if i == nil {
			return ""
		}
		return fmt.Sprintf("   [%s, %s]", fmt.Sprintf(format, i.Lo), fmt.Sprintf(format, i.Hi))
	}
	fmt.Fprintf(w, "%s: %d runs", rep.Data, rep.Runs)
	for _, why := range []string{"highest loss", "largest residual"} {
		var lines []string
		for _, r := range rep.Excluded {
			if r.Why == why {
				lines = append(lines, fmt.Sprintf("N=%.4g D=%.4g L=%.4g (line %d)", r.N, r.D, r.Loss, r.Line))
			}
		}
		if len(lines) > 0 {
			fmt.Fprintf(w, " (%d excluded for the %s: %s)", len(lines), why, strings.Join(lines, "; "))
		}
	}
	fmt.Fprintln(w)
	switch {
	case rep.Fit != nil:
		f := rep.Fit
		fmt.Fprintf(w, "L(N, D) = E + A/N^α + B/D^β  (Approach 3: Huber δ=1e-3 in log space, L-BFGS from %d starts, %d converged; objective %.6g)\n", f.Starts, f.Converged, f.Objective)
		var ci scaling.ChinchillaIntervals
		has := f.Intervals != nil
		if has {
			ci = *f.Intervals
			fmt.Fprintf(w, "  %.0f%% percentile intervals from %d bootstrap resamples of the runs\n", 100*ci.Level, ci.Resamples)
		}
		pick := func(i scaling.Interval) *scaling.Interval {
			if !has {
				return nil
			}
			return &i
		}
		fmt.Fprintf(w, "  E      %-12.5g%s\n", f.Law.E, iv(pick(ci.E), "%.4g"))
		fmt.Fprintf(w, "  A      %-12.5g%s\n", f.Law.A, iv(pick(ci.A), "%.4g"))
		fmt.Fprintf(w, "  B      %-12.5g%s\n", f.Law.B, iv(pick(ci.B), "%.4g"))
		fmt.Fprintf(w, "  alpha  %-12.5g%s\n", f.Law.Alpha, iv(pick(ci.Alpha), "%.4g"))
		fmt.Fprintf(w, "  beta   %-12.5g%s\n", f.Law.Beta, iv(pick(ci.Beta), "%.4g"))
		if al := f.Allocation; al != nil {
			fmt.Fprintf(w, "compute-optimal allocation: N_opt = G·(C/6)^a, D_opt = (C/6)/N_opt\n")
			fmt.Fprintf(w, "  a = β/(α+β)  %-8.4f%s\n", al.A, iv(pick(ci.ExpN), "%.4f"))
			fmt.Fprintf(w, "  b = α/(α+β)  %-8.4f%s\n", al.B, iv(pick(ci.ExpD), "%.4f"))
			fmt.Fprintf(w, "  G            %-8.4g%s\n", al.G, iv(pick(ci.G), "%.4g"))
		} else {
			fmt.Fprintf(w, "no compute-optimal allocation: α or β is not positive\n")
		}
	case rep.Kaplan != nil:
		k := rep.Kaplan
		var ia, is *scaling.Interval
		if k.Intervals != nil {
			ia, is = &k.Intervals.Alpha, &k.Intervals.Scale
			fmt.Fprintf(w, "L(%s) = (%s_c/%s)^α fitted by least squares in log-log to %d envelope points (rms log residual %.3g); %.0f%% intervals from %d bootstrap resamples\n",
				k.Variable, k.Variable, k.Variable, len(k.Points), k.RMSLog, 100*k.Intervals.Level, k.Intervals.Resamples)
		} else {
			fmt.Fprintf(w, "L(%s) = (%s_c/%s)^α fitted by least squares in log-log to %d envelope points (rms log residual %.3g)\n", k.Variable, k.Variable, k.Variable, len(k.Points), k.RMSLog)
		}
		fmt.Fprintf(w, "  alpha_%s  %-12.5g%s\n", k.Variable, k.Law.Alpha, iv(ia, "%.4g"))
		fmt.Fprintf(w, "  %s_c      %-12.5g%s\n", k.Variable, k.Law.Scale, iv(is, "%.4g"))
	}
	for _, a := range []*scaling.AllocationFit{rep.Approach1, rep.Approach2} {
		if a == nil {
			continue
		}
		what := map[int]string{1: "envelope of minimum loss per FLOP", 2: "IsoFLOP parabolas"}[a.Approach]
		fmt.Fprintf(w, "approach %d (%s, %d optima): N_opt ∝ C^%.4f, D_opt ∝ C^%.4f\n", a.Approach, what, len(a.Optima), a.ExpN, a.ExpD)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

// formatCount writes a count of parameters or tokens as 405B, 15T, 8.3M.
func formatCount(x float64) string {
	for _, u := range []struct {
		suffix string
		scale  float64
	}{{"T", 1e12}, {"B", 1e9}, {"M", 1e6}, {"K", 1e3}} {
		if math.Abs(x) >= u.scale {
			return fmt.Sprintf("%.4g%s", x/u.scale, u.suffix)
		}
	}
	return fmt.Sprintf("%.4g", x)
}
