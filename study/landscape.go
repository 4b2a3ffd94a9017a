package study

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"text/tabwriter"

	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/train"
)

// SharpnessRun is one training run of the landscape study: the base
// run's settings with this batch size, warmup and weight decay.
type SharpnessRun struct {
	Batch       int     `json:"batch"`        // sequences per step
	Warmup      int     `json:"warmup"`       // warmup steps
	WeightDecay float64 `json:"weight_decay"` // AdamW λ on the matrices
}

// Name is the run's label in tables and figures: "b8 w30 wd0.1".
func (r SharpnessRun) Name() string {
	return "b" + strconv.Itoa(r.Batch) + " w" + strconv.Itoa(r.Warmup) + " wd" + strconv.FormatFloat(r.WeightDecay, 'g', -1, 64)
}

// LandscapeOptions are the landscape study's settings.
type LandscapeOptions struct {
	// Start is every run's corpus, model shape and training settings
	// (train.Begin); each run of Runs replaces its batch size, warmup and
	// weight decay. All runs start from the same weights (the seed's).
	Start train.Start    `json:"-"`
	Runs  []SharpnessRun `json:"runs"`
	// EqualTokens gives every run the training tokens of the first instead
	// of its number of steps: a run of batch B takes Steps·B₀/B steps
	// (rounded, at least 1), its warmup unchanged.
	EqualTokens bool `json:"equal_tokens,omitempty"`
	// LinePoints is the number of points α of the line θ(α) = (1−α)θ₀ + αθ₁
	// from the first run's initial weights θ₀ to its trained θ₁, spaced
	// evenly over [LineFrom, LineTo].
	LinePoints int     `json:"line_points"`
	LineFrom   float64 `json:"line_from"`
	LineTo     float64 `json:"line_to"`
	// Grid is the number of points per axis of the slice θ₁ + a·d₁ + b·d₂,
	// a and b spaced evenly over [−Span, Span].
	Grid int     `json:"grid"`
	Span float64 `json:"span"`
	// LossBatches fixed batches of LossBatch sequences of the run's
	// context, drawn from the training split, are the training loss of
	// every measurement (LossBatches).
	LossBatches int `json:"loss_batches"`
	LossBatch   int `json:"loss_batch"`
	// HeldOutTokens caps the held-out tokens scored (0: all of them).
	HeldOutTokens int `json:"held_out_tokens"`
	// Hessian are the Lanczos iteration's settings (Extremes).
	Hessian EigenOptions `json:"hessian"`
	// Logf, if not nil, is told what the study is doing.
	Logf func(format string, args ...any) `json:"-"`
}

// Validate reports settings no study could use (the training settings
// are train's to check).
func (o LandscapeOptions) Validate() error {
	switch {
	case len(o.Runs) == 0:
		return fmt.Errorf("study: landscape: no runs")
	case o.LinePoints < 2:
		return fmt.Errorf("study: landscape: %d points on the line; need ≥ 2", o.LinePoints)
	case !(o.LineTo > o.LineFrom) || math.IsInf(o.LineTo-o.LineFrom, 0):
		return fmt.Errorf("study: landscape: the line's α from %g to %g; need finite from < to", o.LineFrom, o.LineTo)
	case o.Grid < 2:
		return fmt.Errorf("study: landscape: a %d × %d slice; need ≥ 2 points per axis", o.Grid, o.Grid)
	case !(o.Span > 0) || math.IsInf(o.Span, 0):
		return fmt.Errorf("study: landscape: slice span %g; need a finite number > 0", o.Span)
	case o.LossBatches < 1 || o.LossBatch < 1:
		return fmt.Errorf("study: landscape: %d loss batches of %d sequences; need ≥ 1 of each", o.LossBatches, o.LossBatch)
	case o.HeldOutTokens < 0:
		return fmt.Errorf("study: landscape: held-out token cap %d; need ≥ 0 (0: all)", o.HeldOutTokens)
	}
	for _, r := range o.Runs {
		if r.Batch < 1 || r.Warmup < 0 || !(r.WeightDecay >= 0) || math.IsInf(r.WeightDecay, 0) {
			return fmt.Errorf("study: landscape: run %s: need batch ≥ 1, warmup ≥ 0 and a finite weight decay ≥ 0", r.Name())
		}
	}
	return o.Hessian.Validate()
}

// LinePoint is the loss at θ(α) = (1−α)θ₀ + αθ₁.
type LinePoint struct {
	Alpha   float64 `json:"alpha"`
	Train   float64 `json:"train_loss"`    // on the fixed training batches
	HeldOut float64 `json:"held_out_loss"` // on the held-out tokens
}

// Slice is the training loss on the plane θ₁ + a·d₁ + b·d₂.
type Slice struct {
	Coords []float64 `json:"coords"` // the values of a and of b, [Grid]
	// Train[i][j] is the loss at a = Coords[j], b = Coords[i].
	Train [][]float64 `json:"train_loss"`
}

// SharpnessRow is one run's end: the sharpness of where it stopped and
// its losses.
type SharpnessRow struct {
	Run string `json:"run"` // SharpnessRun.Name
	SharpnessRun
	Steps  int `json:"steps"`
	Tokens int `json:"tokens"` // training tokens seen
	// LambdaMax and LambdaMin are the largest and smallest eigenvalue of
	// the Hessian of the training loss (on the fixed batches) at the
	// trained weights (Extremes); Hessian is the iteration's record.
	LambdaMax float64  `json:"lambda_max"`
	LambdaMin float64  `json:"lambda_min"`
	Hessian   Spectrum `json:"hessian"`
	Train     float64  `json:"train_loss"`    // on the fixed training batches
	HeldOut   float64  `json:"held_out_loss"` // on the held-out tokens
	Gap       float64  `json:"gap"`           // HeldOut − Train
}

// Landscape is the study's result.
type Landscape struct {
	Params        int            `json:"params"`
	Context       int            `json:"context"`
	LossTokens    int            `json:"loss_tokens"`     // scored positions of the fixed training batches
	HeldOutTokens int            `json:"held_out_tokens"` // held-out tokens scored
	Base          string         `json:"base_run"`        // the run whose line and slice these are
	Line          []LinePoint    `json:"line"`
	Slice         Slice          `json:"slice"`
	Runs          []SharpnessRow `json:"runs"`
}

// RunLandscape trains one model per run of o.Runs and measures, for the
// first, the loss along the line from its initial to its trained weights
// and on a slice around the trained weights along two filter-normalised
// random directions, and for every run the largest Hessian eigenvalue of
// the training loss at its end beside its training and held-out loss.
// A cancelled ctx stops it with ctx's error.
func RunLandscape(ctx context.Context, o LandscapeOptions) (*Landscape, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	res := &Landscape{Base: o.Runs[0].Name(), Context: o.Start.Settings.Context}
	var lb LossBatches
	var held train.HeldOut
	for i, r := range o.Runs {
		s := o.Start
		s.Settings.Batch, s.Settings.Warmup, s.Settings.WeightDecay = r.Batch, r.Warmup, r.WeightDecay
		if o.EqualTokens {
			s.Settings.Steps = EqualTokenSteps(s.Settings.Steps, o.Runs[0].Batch, r.Batch)
		}
		if i > 0 {
			s.Corpus.Tokenizer = held.Tokenizer // the first run's, trained or loaded once
		}
		c, err := train.Begin(s)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", r.Name(), err)
		}
		t, m := c.Trainer, c.Trainer.Model
		if i == 0 {
			bos, err := modeldir.TokenizerBOS(c.Tokenizer)
			if err != nil {
				return nil, err
			}
			held = train.HeldOut{Tokens: c.Corpus.HeldOutTokens, BOS: bos, Tokenizer: c.Tokenizer, MaxTokens: o.HeldOutTokens}
			// The fixed batches are drawn apart from every run's batch order.
			if lb, err = FixedBatches(c.Corpus.TrainTokens, o.LossBatches, o.LossBatch, s.Settings.Context, s.Settings.Seed^0x1a2b3c4d); err != nil {
				return nil, fmt.Errorf("study: landscape: the loss batches: %w", err)
			}
			res.Params, res.LossTokens = len(m.ParamBuffer()), lb.Tokens()
			logf("%d parameters; %d training tokens, %d held-out; the training loss on %d fixed tokens", res.Params,
				len(c.Corpus.TrainTokens), len(c.Corpus.HeldOutTokens), res.LossTokens)
		}
		theta0 := append([]float32(nil), m.ParamBuffer()...)
		logf("run %d of %d, %s: %d steps of %d × %d tokens", i+1, len(o.Runs), r.Name(), t.Settings.Steps, r.Batch, t.Settings.Context)
		every := max(t.Settings.Steps/4, 1)
		run, err := train.Run(ctx, train.RunOptions{Trainer: t, Tokenizer: c.Tokenizer, HeldOut: held,
			OnStep: func(st train.StepStats, p train.Progress) {
				if st.Step%every == 0 {
					logf("  step %d: loss %.4f (%.0f tokens/s)", st.Step, st.Loss, p.TokensPerS)
				}
			}})
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", r.Name(), err)
		}
		res.HeldOutTokens = run.Final.Tokens
		theta1 := append([]float32(nil), m.ParamBuffer()...)
		row := SharpnessRow{Run: r.Name(), SharpnessRun: r, Steps: t.Step, Tokens: t.Step * r.Batch * t.Settings.Context * t.Settings.GradAccum,
			HeldOut: run.Final.Loss}
		if row.Train, err = lb.Loss(m); err != nil {
			return nil, err
		}
		row.Gap = row.HeldOut - row.Train
		if row.Hessian, err = Extremes(lb.Grad(m), theta1, o.Hessian); err != nil {
			return nil, fmt.Errorf("run %s: the Hessian: %w", r.Name(), err)
		}
		row.LambdaMax, row.LambdaMin = row.Hessian.Max, row.Hessian.Min
		copy(m.ParamBuffer(), theta1)
		logf("  train %.4f, held-out %.4f, λ_max %.4g ± %.2g, λ_min %.4g ± %.2g (%d Hessian-vector products)", row.Train, row.HeldOut,
			row.LambdaMax, row.Hessian.MaxResidual, row.LambdaMin, row.Hessian.MinResidual, row.Hessian.Iters)
		res.Runs = append(res.Runs, row)
		if i > 0 {
			continue
		}
		if res.Line, err = lossLine(ctx, t, lb, held, theta0, theta1, o); err != nil {
			return nil, err
		}
		logf("  the line: %d points", len(res.Line))
		if res.Slice, err = lossSlice(ctx, m, lb, theta1, o, s.Settings.Seed); err != nil {
			return nil, err
		}
		logf("  the slice: %d × %d points", o.Grid, o.Grid)
		copy(m.ParamBuffer(), theta1)
	}
	return res, nil
}

// EqualTokenSteps is the steps a run of batch b takes to see the tokens
// of steps steps at batch b0: steps·b0/b, rounded, at least 1.
func EqualTokenSteps(steps, b0, b int) int {
	return max(1, int(math.Round(float64(steps)*float64(b0)/float64(b))))
}

// lossLine measures the training and held-out loss at θ(α) for each α.
func lossLine(ctx context.Context, t *train.Trainer, lb LossBatches, held train.HeldOut, theta0, theta1 []float32, o LandscapeOptions) ([]LinePoint, error) {
	p := t.Model.ParamBuffer()
	var out []LinePoint
	for k := range o.LinePoints {
		a := o.LineFrom + float64(k)*(o.LineTo-o.LineFrom)/float64(o.LinePoints-1)
		for i := range p {
			p[i] = float32((1-a)*float64(theta0[i]) + a*float64(theta1[i]))
		}
		tr, err := lb.Loss(t.Model)
		if err != nil {
			return nil, fmt.Errorf("study: landscape: α %g: %w", a, err)
		}
		ev, err := t.Evaluate(ctx, held)
		if err != nil {
			return nil, fmt.Errorf("study: landscape: α %g: %w", a, err)
		}
		out = append(out, LinePoint{Alpha: a, Train: tr, HeldOut: ev.Loss})
	}
	return out, nil
}

// lossSlice measures the training loss on the Grid × Grid plane around
// theta1 along FilterNormalized directions drawn from seed.
func lossSlice(ctx context.Context, m *model.Model, lb LossBatches, theta1 []float32, o LandscapeOptions, seed uint64) (Slice, error) {
	rng := rand.New(rand.NewPCG(seed, 0xd1b54a32d192ed03))
	d1, d2 := FilterNormalized(m, theta1, rng), FilterNormalized(m, theta1, rng)
	s := Slice{Coords: make([]float64, o.Grid), Train: make([][]float64, o.Grid)}
	for k := range s.Coords {
		s.Coords[k] = -o.Span + float64(k)*2*o.Span/float64(o.Grid-1)
	}
	p := m.ParamBuffer()
	for i, b := range s.Coords {
		s.Train[i] = make([]float64, o.Grid)
		for j, a := range s.Coords {
			if err := ctx.Err(); err != nil {
				return Slice{}, err
			}
			for k := range p {
				p[k] = float32(float64(theta1[k]) + a*float64(d1[k]) + b*float64(d2[k]))
			}
			l, err := lb.Loss(m)
			if err != nil {
				return Slice{}, fmt.Errorf("study: landscape: the slice at (%g, %g): %w", a, b, err)
			}
			s.Train[i][j] = l
		}
	}
	return s, nil
}

// FilterNormalized is a random direction in m's parameter space scaled
// as Li et al. 2018 ("Visualizing the Loss Landscape of Neural Nets")
// scale theirs, so that a step along it moves every unit by the same
// fraction of its own size: Gaussian entries, then each row of every
// matrix (a unit's weights: an output neuron of a Linear layer, stored
// [out, in]; a token's embedding; for GPT-2's Conv1D, stored [in, out],
// an input's) rescaled to the norm of the same row of theta. Vectors
// (norm gains and biases) get 0, as Li et al.'s "ignore biasbn" does: the
// slice leaves them at theta's values. theta is [len(m.ParamBuffer())].
func FilterNormalized(m *model.Model, theta []float32, rng *rand.Rand) []float32 {
	d := make([]float32, len(theta))
	off := 0
	for _, t := range m.Params() {
		n := len(t.Data)
		if len(t.Shape) >= 2 && n > 0 {
			rowLen := n / t.Shape[0]
			for r := 0; r < n; r += rowLen {
				var dn, tn float64
				for k := r; k < r+rowLen; k++ {
					x := rng.NormFloat64()
					d[off+k] = float32(x)
					dn += x * x
					tn += float64(theta[off+k]) * float64(theta[off+k])
				}
				scale := 0.0
				if dn > 0 {
					scale = math.Sqrt(tn / dn)
				}
				for k := r; k < r+rowLen; k++ {
					d[off+k] = float32(float64(d[off+k]) * scale)
				}
			}
		}
		off += n
	}
	return d
}

// WriteTable prints the sharpness table, the line and the slice's
// extremes.
func (l Landscape) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "%d parameters, context %d; train loss on %d fixed training tokens, held-out loss on %d tokens\n\n",
		l.Params, l.Context, l.LossTokens, l.HeldOutTokens)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tbatch\twarmup\twd\tsteps\ttokens\tλ_max\t± (residual)\tλ_min\tHv products\ttrain loss\theld-out loss\tgap\t")
	for _, r := range l.Runs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%g\t%d\t%d\t%.4g\t%.2g\t%.4g\t%d\t%.4f\t%.4f\t%+.4f\t\n", r.Run, r.Batch, r.Warmup, r.WeightDecay, r.Steps, r.Tokens,
			r.LambdaMax, r.Hessian.MaxResidual, r.LambdaMin, r.Hessian.Iters, r.Train, r.HeldOut, r.Gap)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nthe line θ(α) = (1−α)θ₀ + αθ₁ of run %s (θ₀ initial, θ₁ trained):\n", l.Base)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "α\ttrain loss\theld-out loss\t")
	for _, p := range l.Line {
		fmt.Fprintf(tw, "%.3f\t%.4f\t%.4f\t\n", p.Alpha, p.Train, p.HeldOut)
	}
	tw.Flush()
	if n := len(l.Slice.Coords); n > 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, row := range l.Slice.Train {
			for _, v := range row {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		fmt.Fprintf(w, "\nthe slice θ₁ + a·d₁ + b·d₂ (filter-normalised directions), a, b in [%g, %g], %d × %d: train loss from %.4f to %.4f\n",
			l.Slice.Coords[0], l.Slice.Coords[n-1], n, n, lo, hi)
	}
	fmt.Fprintln(w, "λ_max, λ_min: the Hessian's extreme eigenvalues of the train loss, by Lanczos on central differences of gradients; losses in nats/token")
}
