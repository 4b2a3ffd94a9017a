package study

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"text/tabwriter"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/loss/emulate"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/train"
)

// Arithmetic is one way of computing the loss the study compares with
// float64: a format and summation order, or xent's float32 kernel.
type Arithmetic struct {
	Name   string
	Format *emulate.Format // nil: xent's float32 kernel (package loss)
	Sum    emulate.Summation
	// StorageOnly: only the logits are rounded to Format; the arithmetic
	// is float64's. What is left of the error is the logits' storage,
	// which no accumulation precision removes.
	StorageOnly bool
}

// Arithmetics are the ways the study compares, in table order.
var Arithmetics = []Arithmetic{
	{"bf16 sequential", &emulate.BF16, emulate.Sequential, false},
	{"bf16 pairwise", &emulate.BF16, emulate.Pairwise, false},
	{"f16 sequential", &emulate.F16, emulate.Sequential, false},
	{"f16 pairwise", &emulate.F16, emulate.Pairwise, false},
	{"bf16 logits, f64 math", &emulate.BF16, emulate.Pairwise, true},
	{"f16 logits, f64 math", &emulate.F16, emulate.Pairwise, true},
	{"f32 (xent kernel)", nil, 0, false},
}

// PrecisionRow is the error of one arithmetic against float64 over a set
// of rows of logits.
type PrecisionRow struct {
	Logits     string  `json:"logits"`           // "checkpoint" or "synthetic"
	V          int     `json:"vocab"`            // row length
	Spread     float64 `json:"spread,omitempty"` // synthetic rows: the σ they were drawn with
	Std        float64 `json:"logit_std"`        // the logits' standard deviation (mean over rows)
	Arithmetic string  `json:"arithmetic"`       // Arithmetic.Name
	Rows       int     `json:"rows"`
	// Loss: mean and largest |loss − loss₆₄|, the mean signed error (what
	// a mean loss over many rows is off by), and the mean relative error.
	LossAbsMean float64 `json:"loss_abs_mean"`
	LossAbsMax  float64 `json:"loss_abs_max"`
	LossBias    float64 `json:"loss_bias"`
	LossRelMean float64 `json:"loss_rel_mean"`
	// LSE: mean |lse − lse₆₄| and mean relative error.
	LSEAbsMean float64 `json:"lse_abs_mean"`
	LSERelMean float64 `json:"lse_rel_mean"`
	// Grad: mean over rows of ‖g − g₆₄‖₂ / ‖g₆₄‖₂, and the largest
	// |gᵢ − g₆₄ᵢ| of any element.
	GradRelL2  float64 `json:"grad_rel_l2"`
	GradAbsMax float64 `json:"grad_abs_max"`
	// Against one optimizer step (Precision.SetStep): the mean |Δloss| and
	// |loss bias| over |loss change of the step|; above 1, the error is
	// larger than what a step changes.
	AbsOverStep  float64 `json:"loss_abs_over_step,omitempty"`
	BiasOverStep float64 `json:"loss_bias_over_step,omitempty"`
}

// MeasureRows compares every arithmetic with float64 on the n rows of
// logits [n, v] with targets y [n], and returns one PrecisionRow per
// arithmetic, labelled with what the logits are.
func MeasureRows(what string, logits []float32, y []int32, n, v int) ([]PrecisionRow, error) {
	if n < 1 || v < 2 || len(logits) != n*v || len(y) != n {
		return nil, fmt.Errorf("study: precision: %d logits and %d targets for %d rows of %d", len(logits), len(y), n, v)
	}
	out := make([]PrecisionRow, len(Arithmetics))
	for k, a := range Arithmetics {
		out[k] = PrecisionRow{Logits: what, V: v, Arithmetic: a.Name, Rows: n}
	}
	ref := make([]float64, v)
	got := make([]float64, v)
	got32 := make([]float32, v)
	var stdSum float64
	for i := 0; i < n; i++ {
		z := logits[i*v : (i+1)*v]
		t := int(y[i])
		if t < 0 || t >= v {
			return nil, fmt.Errorf("study: precision: row %d: target %d outside the vocabulary of %d", i, t, v)
		}
		stdSum += stdOf(z)
		l64, lse64 := emulate.CrossEntropy(nil, emulate.Sequential, z, t, ref)
		var norm64 float64
		for _, g := range ref {
			norm64 += g * g
		}
		norm64 = math.Sqrt(norm64)
		for k, a := range Arithmetics {
			var l, lse float64
			if a.Format == nil {
				res, err := loss.CrossEntropyForwardBackward(loss.F32(z, 1, v), loss.Targets{Index: y[i : i+1]}, loss.Options{}, []float32{1}, loss.F32(got32, 1, v))
				if err != nil {
					return nil, fmt.Errorf("study: precision: row %d: %w", i, err)
				}
				l, lse = res.Loss, res.LSE[0]
				for j, g := range got32 {
					got[j] = float64(g)
				}
			} else if a.StorageOnly {
				l, lse = emulate.StoredCrossEntropy(a.Format, nil, a.Sum, z, t, got)
			} else {
				l, lse = emulate.CrossEntropy(a.Format, a.Sum, z, t, got)
			}
			o := &out[k]
			d := l - l64
			o.LossAbsMean += math.Abs(d)
			o.LossAbsMax = max(o.LossAbsMax, math.Abs(d))
			o.LossBias += d
			o.LossRelMean += math.Abs(d) / math.Abs(l64)
			o.LSEAbsMean += math.Abs(lse - lse64)
			o.LSERelMean += math.Abs(lse-lse64) / math.Abs(lse64)
			var diff float64
			for j, g := range got {
				e := g - ref[j]
				diff += e * e
				o.GradAbsMax = max(o.GradAbsMax, math.Abs(e))
			}
			o.GradRelL2 += math.Sqrt(diff) / norm64
		}
	}
	for k := range out {
		o := &out[k]
		o.Std = stdSum / float64(n)
		for _, p := range []*float64{&o.LossAbsMean, &o.LossBias, &o.LossRelMean, &o.LSEAbsMean, &o.LSERelMean, &o.GradRelL2} {
			*p /= float64(n)
		}
	}
	return out, nil
}

func stdOf(z []float32) float64 {
	var s, s2 float64
	for _, v := range z {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	m := s / float64(len(z))
	return math.Sqrt(max(s2/float64(len(z))-m*m, 0))
}

// PrecisionOptions are the synthetic rows' settings.
type PrecisionOptions struct {
	Vocabs  []int     `json:"vocabs"`  // row lengths V
	Spreads []float64 `json:"spreads"` // standard deviations of the logits
	Rows    int       `json:"rows"`    // rows per (V, spread)
	Seed    uint64    `json:"seed"`
}

// Validate reports settings no study could use.
func (o PrecisionOptions) Validate() error {
	if o.Rows < 1 {
		return fmt.Errorf("study: precision: %d synthetic rows; need ≥ 1", o.Rows)
	}
	for _, v := range o.Vocabs {
		if v < 2 {
			return fmt.Errorf("study: precision: vocabulary %d; need ≥ 2", v)
		}
	}
	for _, s := range o.Spreads {
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("study: precision: logit spread %g; need a finite number > 0", s)
		}
	}
	return nil
}

// SyntheticPrecision measures every arithmetic on synthetic rows: for each
// V and spread σ, Rows rows of V logits drawn from N(0, σ²), each with its
// target drawn from the row's own softmax (so the loss is as large as a
// calibrated model's), the same rows for every arithmetic.
func SyntheticPrecision(o PrecisionOptions) ([]PrecisionRow, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	var out []PrecisionRow
	for _, v := range o.Vocabs {
		for _, sd := range o.Spreads {
			z := make([]float32, o.Rows*v)
			y := make([]int32, o.Rows)
			for i := range o.Rows {
				row := z[i*v : (i+1)*v]
				m := math.Inf(-1)
				for j := range row {
					row[j] = float32(sd * rng.NormFloat64())
					m = max(m, float64(row[j]))
				}
				var s float64
				for _, x := range row {
					s += math.Exp(float64(x) - m)
				}
				u := rng.Float64() * s
				y[i] = int32(v - 1)
				for j, x := range row {
					if u -= math.Exp(float64(x) - m); u < 0 {
						y[i] = int32(j)
						break
					}
				}
			}
			rows, err := MeasureRows("synthetic", z, y, o.Rows, v)
			if err != nil {
				return nil, err
			}
			for k := range rows {
				rows[k].Spread = sd
			}
			out = append(out, rows...)
		}
	}
	return out, nil
}

// StepChange is how much one optimizer step moves the mean loss on a
// held-out batch: the size of the differences training acts on, which a
// loss computation's error must stay well under.
type StepChange struct {
	// Moments says which step: "checkpoint" (the training run's next
	// step: its saved AdamW moments, its next training batch, its
	// schedule's learning rate) or "fresh" (a first AdamW step from zero
	// moments on the held-out batch itself, for a model without an
	// optimizer state: larger than a step late in training).
	Moments string  `json:"moments"`
	LR      float64 `json:"lr"`
	Tokens  int     `json:"tokens"` // held-out tokens the loss is measured on
	Before  float64 `json:"loss_before"`
	After   float64 `json:"loss_after"`
	Change  float64 `json:"change"` // After − Before
}

// batchLoss is m's mean loss on the batch tokens [B, T+1], each row's
// next tokens as targets.
func batchLoss(m *model.Model, tokens []int32, B, T int, grad bool) (float64, error) {
	if len(tokens) != B*(T+1) {
		return 0, fmt.Errorf("study: precision: %d tokens for a batch of %d × %d+1", len(tokens), B, T)
	}
	in, targets := make([]int32, 0, B*T), make([]int32, 0, B*T)
	for b := range B {
		row := tokens[b*(T+1) : (b+1)*(T+1)]
		in = append(in, row[:T]...)
		targets = append(targets, row[1:]...)
	}
	if grad {
		m.ZeroGrads()
		return m.ForwardBackward(in, B, T, targets, loss.Options{})
	}
	return m.Forward(in, B, T, targets, loss.Options{})
}

// OneStep measures the mean loss of m on the batch tokens [B, T+1], takes
// one AdamW step on it from fresh moments at learning rate lr and weight
// decay wd (on the matrices, as training does), and measures it again. It
// changes m's weights.
func OneStep(m *model.Model, tokens []int32, B, T int, lr, wd float64) (StepChange, error) {
	before, err := batchLoss(m, tokens, B, T, true)
	if err != nil {
		return StepChange{}, err
	}
	decay, err := train.DecayRanges(m)
	if err != nil {
		return StepChange{}, err
	}
	opt := train.NewAdamW(len(m.ParamBuffer()), wd, decay)
	if err := opt.Update(m.ParamBuffer(), m.GradBuffer(), lr); err != nil {
		return StepChange{}, err
	}
	after, err := batchLoss(m, tokens, B, T, false)
	if err != nil {
		return StepChange{}, err
	}
	return StepChange{Moments: "fresh", LR: lr, Tokens: B * T, Before: before, After: after, Change: after - before}, nil
}

// NextStep measures the mean loss of t's model on the held-out batch
// tokens [B, T+1], runs t's next training step (train.Trainer.Next: its
// saved moments, next batch and learning rate), and measures it again. It
// changes the model's weights.
func NextStep(t *train.Trainer, tokens []int32, B, T int) (StepChange, error) {
	before, err := batchLoss(t.Model, tokens, B, T, false)
	if err != nil {
		return StepChange{}, err
	}
	st, err := t.Next()
	if err != nil {
		return StepChange{}, err
	}
	after, err := batchLoss(t.Model, tokens, B, T, false)
	if err != nil {
		return StepChange{}, err
	}
	return StepChange{Moments: "checkpoint", LR: st.LR, Tokens: B * T, Before: before, After: after, Change: after - before}, nil
}

// Precision is the study's result.
type Precision struct {
	Rows []PrecisionRow `json:"rows"`
	Step *StepChange    `json:"step,omitempty"` // nil without a checkpoint
}

// SetStep records the step change s and compares every row's loss error
// with it.
func (p *Precision) SetStep(s StepChange) {
	p.Step = &s
	for i := range p.Rows {
		r := &p.Rows[i]
		r.AbsOverStep, r.BiasOverStep = 0, 0
		if c := math.Abs(s.Change); c > 0 {
			r.AbsOverStep, r.BiasOverStep = r.LossAbsMean/c, math.Abs(r.LossBias)/c
		}
	}
}

// WriteTable prints the errors, one line per logits set and arithmetic,
// and the loss change of one step they compare with.
func (p Precision) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "logits\tV\tstd\tarithmetic\trows\t|Δloss| mean\t|Δloss| max\tloss bias\t|Δlse| mean\tgrad rel L2\t|Δgrad| max\t"
	if p.Step != nil {
		head += "|Δloss|/step\t|bias|/step\t"
	}
	fmt.Fprintln(tw, head)
	for _, r := range p.Rows {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%s\t%d\t%.3g\t%.3g\t%+.3g\t%.3g\t%.3g\t%.3g\t", r.Logits, r.V, r.Std, r.Arithmetic, r.Rows,
			r.LossAbsMean, r.LossAbsMax, r.LossBias, r.LSEAbsMean, r.GradRelL2, r.GradAbsMax)
		if p.Step != nil {
			fmt.Fprintf(tw, "%.3g\t%.3g\t", r.AbsOverStep, r.BiasOverStep)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if s := p.Step; s != nil {
		how := "the run's next training step (its saved moments and next batch)"
		if s.Moments == "fresh" {
			how = "a first AdamW step (fresh moments) on this batch"
		}
		fmt.Fprintf(w, "\none optimizer step, %s at lr %.3g: loss on %d held-out tokens %.5f → %.5f (%+.3g nats)\n", how, s.LR, s.Tokens, s.Before, s.After, s.Change)
	}
	fmt.Fprintln(w, "errors against float64 in the same order; Δ = arithmetic − float64, nats")
}
