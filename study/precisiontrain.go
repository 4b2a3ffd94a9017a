package study

import (
	"context"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/train"
)

// TrainPrecisionOptions say how the training runs of TrainPrecision
// differ and how their curves are compared.
type TrainPrecisionOptions struct {
	// Format and Sum name the low-precision loss's arithmetic
	// (train.Settings.LossFormat and LossSum): "bf16" or "f16", and
	// "pairwise" or "sequential".
	Format string `json:"format"`
	Sum    string `json:"sum"`
	// SpreadSeed seeds the second float32 run (its initial weights and
	// batch order), whose difference from the first is the seed spread.
	SpreadSeed uint64 `json:"spread_seed"`
	// Window is the steps of the moving mean the training curves are
	// compared over (per-step losses differ by their batch's noise).
	Window int `json:"window"`
	// Tolerance > 0 replaces the seed spread as the gap at which the runs
	// part, in nats.
	Tolerance float64 `json:"tolerance,omitempty"`
	// Every is the step interval of the printed table (JSON has every step).
	Every int `json:"every"`
}

// Validate reports options no study could use.
func (o TrainPrecisionOptions) Validate() error {
	if _, err := (train.Settings{LossFormat: o.Format, LossSum: o.Sum}).LossOptions(); err != nil {
		return fmt.Errorf("study: precision-train: %w", err)
	}
	switch {
	case o.Window < 1 || o.Every < 1:
		return fmt.Errorf("study: precision-train: window %d and table interval %d must be ≥ 1", o.Window, o.Every)
	case !(o.Tolerance >= 0) || math.IsInf(o.Tolerance, 0):
		return fmt.Errorf("study: precision-train: tolerance %g must be finite and ≥ 0 (0: the seed spread)", o.Tolerance)
	}
	return nil
}

// TrainStep is one optimizer step of the three runs: each one's training
// loss (as it computed it: the low-precision run in its own arithmetic),
// and the moving means over the last Window steps of |low − f32| and of
// |f32 seed 2 − f32|.
type TrainStep struct {
	Step       int     `json:"step"`
	F32        float64 `json:"f32"`
	Low        float64 `json:"low"`
	F32Seed2   float64 `json:"f32_seed2"`
	Gap        float64 `json:"gap"`         // moving mean |Low − F32|
	SeedSpread float64 `json:"seed_spread"` // moving mean |F32Seed2 − F32|
}

// TrainEval is one held-out evaluation of the three runs (in float32 for
// all three: the models' quality, not their loss arithmetic).
type TrainEval struct {
	Step       int     `json:"step"`
	F32        float64 `json:"f32"`
	Low        float64 `json:"low"`
	F32Seed2   float64 `json:"f32_seed2"`
	Gap        float64 `json:"gap"`         // Low − F32
	SeedSpread float64 `json:"seed_spread"` // |F32Seed2 − F32|
}

// TrainPrecision is the result of TrainPrecision: two runs identical but
// for the loss's arithmetic, and a float32 run of another seed that says
// how far apart runs differing in nothing that matters land.
type TrainPrecision struct {
	Options    TrainPrecisionOptions `json:"options"`
	Arithmetic string                `json:"arithmetic"` // e.g. "bf16 pairwise"
	Seed       uint64                `json:"seed"`
	Steps      []TrainStep           `json:"steps"`
	Evals      []TrainEval           `json:"evals"`
	// FirstDiffers is the first step whose training losses differ at all.
	FirstDiffers int `json:"first_differs"`
	// PartsAt is the first step, from Window on, where the moving mean
	// |low − f32| exceeds the moving mean seed spread (or Tolerance); 0:
	// never. PartsAtEval is the first evaluation where |low − f32| on
	// held-out text exceeds |f32 seed 2 − f32| (or Tolerance); 0: never.
	PartsAt     int `json:"parts_at"`
	PartsAtEval int `json:"parts_at_eval"`
	// MaxGapRatio is the largest moving-mean gap over the seed spread, and
	// its step.
	MaxGapRatio     float64 `json:"max_gap_ratio"`
	MaxGapRatioStep int     `json:"max_gap_ratio_step"`
	// The last evaluation: the held-out gap low − f32 in units of the seed
	// spread |f32 seed 2 − f32|.
	FinalGapInSpreads float64 `json:"final_gap_in_spreads"`
	// Seconds is each run's training time (evaluations excluded): f32,
	// low, f32 seed 2.
	Seconds [3]float64 `json:"seconds"`
	// Interrupted: the runs were stopped (at the last step in Steps) before
	// their last step; the comparison is of the steps they ran.
	Interrupted bool `json:"interrupted,omitempty"`
}

// RunTrainPrecision trains three models over corpus, each as start.New
// builds it, nothing saved, evaluated on held: with the loss in float32;
// with the loss in o's low-precision arithmetic, all else identical (the
// same seed: the same initial weights and batches); and in float32 with
// o.SpreadSeed. The three go step by step together (step i of each, then
// step i+1), each evaluated every Settings.EvalEvery steps and at the end
// as train.Run evaluates, so that when ctx is cancelled the result
// compares the steps all three have run (Interrupted set) instead of
// losing them. It compares the training and held-out loss curves. onStep,
// if not nil, hears every step of run 0, 1 and 2.
func RunTrainPrecision(ctx context.Context, start train.Start, corpus *data.Corpus, held train.HeldOut, o TrainPrecisionOptions,
	onStep func(run int, st train.StepStats)) (*TrainPrecision, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if start.Settings.LossFormat != "" || start.Settings.LossSum != "" {
		return nil, fmt.Errorf("study: precision-train: the settings already name a loss format (%q)", start.Settings.LossFormat)
	}
	if o.SpreadSeed == start.Settings.Seed {
		return nil, fmt.Errorf("study: precision-train: the spread seed %d is the runs' own seed; choose another", o.SpreadSeed)
	}
	if len(held.Tokens) == 0 {
		return nil, fmt.Errorf("study: precision-train: no held-out tokens to evaluate on")
	}
	res := &TrainPrecision{Options: o, Seed: start.Settings.Seed}
	var trainers [3]*train.Trainer
	for k := range trainers {
		st := start
		switch k {
		case 1:
			st.Settings.LossFormat, st.Settings.LossSum = o.Format, o.Sum
			opt, err := st.Settings.LossOptions()
			if err != nil {
				return nil, err
			}
			res.Arithmetic = opt.Emulate.String()
		case 2:
			st.Settings.Seed = o.SpreadSeed
		}
		t, err := st.New(corpus)
		if err != nil {
			return nil, err
		}
		trainers[k] = t
	}
	var losses [3][]float64
	var evals [3][]train.Eval
	var elapsed [3]time.Duration
	evaluate := func() error {
		for k, t := range trainers {
			// Not cut short by ctx: the step it follows is done.
			ev, err := t.Evaluate(context.WithoutCancel(ctx), held)
			if err != nil {
				return fmt.Errorf("study: precision-train: run %d of 3: %w", k+1, err)
			}
			evals[k] = append(evals[k], ev)
		}
		return nil
	}
	s := start.Settings
	for step := 1; step <= s.Steps; step++ {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		for k, t := range trainers {
			began := time.Now()
			st, err := t.Next()
			elapsed[k] += time.Since(began)
			if err != nil {
				return nil, fmt.Errorf("study: precision-train: run %d of 3: %w", k+1, err)
			}
			losses[k] = append(losses[k], st.Loss)
			if onStep != nil {
				onStep(k, st)
			}
		}
		if s.EvalEvery > 0 && step%s.EvalEvery == 0 && step < s.Steps {
			if err := evaluate(); err != nil {
				return nil, err
			}
		}
	}
	if !res.Interrupted && s.Steps > 0 {
		if err := evaluate(); err != nil {
			return nil, err
		}
	}
	for k, e := range elapsed {
		res.Seconds[k] = e.Round(time.Millisecond).Seconds()
	}
	res.compare(losses, evals)
	return res, nil
}

// compare fills the curves and where they part from the three runs'
// per-step losses and evaluations.
func (res *TrainPrecision) compare(losses [3][]float64, evals [3][]train.Eval) {
	o := res.Options
	n := len(losses[0])
	gap, spread := make([]float64, n), make([]float64, n)
	for i := range n {
		gap[i] = math.Abs(losses[1][i] - losses[0][i])
		spread[i] = math.Abs(losses[2][i] - losses[0][i])
		if res.FirstDiffers == 0 && losses[1][i] != losses[0][i] {
			res.FirstDiffers = i + 1
		}
	}
	gapMean, spreadMean := movingMean(gap, o.Window), movingMean(spread, o.Window)
	for i := range n {
		step := TrainStep{Step: i + 1, F32: losses[0][i], Low: losses[1][i], F32Seed2: losses[2][i], Gap: gapMean[i], SeedSpread: spreadMean[i]}
		res.Steps = append(res.Steps, step)
		if i+1 < o.Window {
			continue
		}
		if res.PartsAt == 0 && step.Gap > threshold(o, step.SeedSpread) {
			res.PartsAt = step.Step
		}
		if step.SeedSpread > 0 && step.Gap/step.SeedSpread > res.MaxGapRatio {
			res.MaxGapRatio, res.MaxGapRatioStep = step.Gap/step.SeedSpread, step.Step
		}
	}
	for i, ev := range evals[0] {
		e := TrainEval{Step: ev.Step, F32: ev.Loss, Low: evals[1][i].Loss, F32Seed2: evals[2][i].Loss}
		e.Gap, e.SeedSpread = e.Low-e.F32, math.Abs(e.F32Seed2-e.F32)
		if res.PartsAtEval == 0 && math.Abs(e.Gap) > threshold(o, e.SeedSpread) {
			res.PartsAtEval = e.Step
		}
		res.Evals = append(res.Evals, e)
	}
	if k := len(res.Evals) - 1; k >= 0 && res.Evals[k].SeedSpread > 0 {
		res.FinalGapInSpreads = res.Evals[k].Gap / res.Evals[k].SeedSpread
	}
}

// movingMean is the mean of x over the last w values up to each i (fewer
// at the start).
func movingMean(x []float64, w int) []float64 {
	out := make([]float64, len(x))
	var sum float64
	for i, v := range x {
		sum += v
		if i >= w {
			sum -= x[i-w]
		}
		out[i] = max(sum, 0) / float64(min(i+1, w))
	}
	return out
}

// threshold is the gap at which the runs part: the tolerance, or else the
// seed spread.
func threshold(o TrainPrecisionOptions, spread float64) float64 {
	if o.Tolerance > 0 {
		return o.Tolerance
	}
	return spread
}

// WriteTable prints the training curves every Every steps (and the last),
// the held-out evaluations, and where the runs part.
func (res *TrainPrecision) WriteTable(w io.Writer) {
	o := res.Options
	low := res.Arithmetic
	fmt.Fprintf(w, "training loss (each run's own arithmetic), gap and seed spread as %d-step moving means of |Δ|:\n", o.Window)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "step\tf32\t%s\tf32 seed %d\t|%s − f32|\t|seed %d − f32|\tgap/spread\t\n", low, o.SpreadSeed, low, o.SpreadSeed)
	for i, s := range res.Steps {
		if s.Step%o.Every != 0 && s.Step != 1 && i != len(res.Steps)-1 {
			continue
		}
		fmt.Fprintf(tw, "%d\t%.4f\t%.4f\t%.4f\t%.5f\t%.5f\t%s\t\n", s.Step, s.F32, s.Low, s.F32Seed2, s.Gap, s.SeedSpread, ratio(s.Gap, s.SeedSpread))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nheld-out loss (float32 for every run):\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "step\tf32\t%s\tf32 seed %d\t%s − f32\t|seed %d − f32|\tgap/spread\t\n", low, o.SpreadSeed, low, o.SpreadSeed)
	for _, e := range res.Evals {
		fmt.Fprintf(tw, "%d\t%.5f\t%.5f\t%.5f\t%+.5f\t%.5f\t%s\t\n", e.Step, e.F32, e.Low, e.F32Seed2, e.Gap, e.SeedSpread, ratio(e.Gap, e.SeedSpread))
	}
	tw.Flush()
	what := "the seed spread"
	if o.Tolerance > 0 {
		what = fmt.Sprintf("%g nats", o.Tolerance)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "training losses first differ: %s", stepOrNever(res.FirstDiffers))
	if len(res.Steps) > 0 && res.FirstDiffers == 1 {
		s := res.Steps[0]
		fmt.Fprintf(w, " (the same weights and batch: %+.5f nats is the %s loss's own error)", s.Low-s.F32, low)
	}
	fmt.Fprintf(w, "\ntraining curves part (moving-mean gap > %s): %s", what, stepOrNever(res.PartsAt))
	if res.MaxGapRatioStep > 0 {
		fmt.Fprintf(w, "; the largest gap/spread is %.3g, at step %d\n", res.MaxGapRatio, res.MaxGapRatioStep)
	} else {
		fmt.Fprintf(w, " (no step has a full %d-step window and a seed spread)\n", o.Window)
	}
	fmt.Fprintf(w, "held-out curves part (|gap| > %s): %s\n", what, stepOrNever(res.PartsAtEval))
	if k := len(res.Evals) - 1; k >= 0 {
		e := res.Evals[k]
		fmt.Fprintf(w, "final held-out loss: f32 %.5f, %s %.5f (%+.5f), f32 seed %d %.5f: the gap is %s seed spreads\n",
			e.F32, low, e.Low, e.Gap, o.SpreadSeed, e.F32Seed2, ratioG(e.Gap, e.SeedSpread))
	}
	fmt.Fprintf(w, "training time: f32 %.0f s, %s %.0f s, f32 seed %d %.0f s\n", res.Seconds[0], low, res.Seconds[1], o.SpreadSeed, res.Seconds[2])
	if res.Interrupted {
		fmt.Fprintf(w, "interrupted: the runs stopped after step %d\n", len(res.Steps))
	}
}

// ratioG is a/b signed to three significant digits, or "–" for b = 0.
func ratioG(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%+.3g", a/b)
}

// ratio is a/b signed to three decimals, or "–" for b = 0.
func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%+.3f", a/b)
}

func stepOrNever(s int) string {
	if s == 0 {
		return "never"
	}
	return fmt.Sprint("at step ", s)
}
