package loss

import (
	"fmt"
	"math"
	"runtime"

	"github.com/xent-dev/xent/loss/emulate"
)

// Reduction says how row losses combine into the loss.
type Reduction uint8

const (
	// Mean divides the sum of row losses by Σ weight[target] over kept rows
	// (the count of kept rows when there are no class weights); with
	// probability targets it divides by N. This is PyTorch's denominator.
	Mean Reduction = iota
	// Sum adds the row losses.
	Sum
	// None keeps the row losses; Result.Loss is then their sum.
	None
)

func (r Reduction) String() string {
	switch r {
	case Mean:
		return "mean"
	case Sum:
		return "sum"
	case None:
		return "none"
	}
	return fmt.Sprintf("Reduction(%d)", uint8(r))
}

// ParseReduction reads "mean", "sum" or "none".
func ParseReduction(s string) (Reduction, error) {
	switch s {
	case "mean":
		return Mean, nil
	case "sum":
		return Sum, nil
	case "none":
		return None, nil
	}
	return 0, fmt.Errorf("loss: unknown reduction %q (want mean, sum or none)", s)
}

// DefaultIgnoreIndex is PyTorch's ignore_index default.
const DefaultIgnoreIndex = -100

// Options configure the cross-entropy. The zero value is PyTorch's default:
// mean reduction, ignore index -100, no weights, no smoothing.
type Options struct {
	// IgnoreIndex: rows whose target equals it contribute nothing, to the
	// loss, the denominator or the gradient. nil means DefaultIgnoreIndex;
	// set it with Ignore(i).
	IgnoreIndex *int
	// Weights [V] rescale each class, as PyTorch's weight argument. nil: all 1.
	Weights []float32
	// LabelSmoothing ε in [0, 1]: the target distribution becomes
	// (1−ε)·onehot + ε/V, with the ε/V given to every class including the
	// target, and the smoothing term masked and normalised like the NLL.
	LabelSmoothing float32
	// ZLoss is the coefficient of the PaLM auxiliary loss coef·lse², added to
	// every kept row and reported on its own in Result.ZLoss.
	ZLoss float32
	// SoftCap > 0 replaces each logit x by cap·tanh(x/cap) (Gemma 2) before
	// the loss; the gradient flows through the cap.
	SoftCap float32
	// Reduction of row losses (default Mean).
	Reduction Reduction
	// Threads bounds the goroutines rows are spread over; 0 means GOMAXPROCS.
	// Results are bit-identical for every thread count.
	Threads int
	// Emulate, when its Format is set, computes each row's loss, log-sum-exp
	// and gradient with respect to the logits in that format's arithmetic,
	// emulated exactly as emulate.CrossEntropy states: the logits rounded to
	// the format, then the max, subtraction, exp, sum (in Emulate.Sum's
	// order), log and division each rounded, and the gradient softmax −
	// onehot in the format, widened to float32 and scaled there by the
	// class weight, the reduction and the upstream gradient. Everything
	// around it stays as it is: the reduction over rows is float64's, and a
	// model's backward pass float32's. It is the loss of a model trained
	// with the loss in bf16, for studies (xent study precision-train); it
	// costs tens of ns per logit. Class-index targets only, without label
	// smoothing, z-loss or soft-cap. The zero value: float32, as above.
	Emulate emulate.Arithmetic
}

// Ignore returns a pointer for Options.IgnoreIndex.
func Ignore(i int) *int { return &i }

// Ignored is the ignore index in force: IgnoreIndex, or DefaultIgnoreIndex
// when it is nil.
func (o Options) Ignored() int {
	if o.IgnoreIndex == nil {
		return DefaultIgnoreIndex
	}
	return *o.IgnoreIndex
}

func (o Options) threads() int {
	if o.Threads > 0 {
		return o.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// Validate reports options that no input could make valid: smoothing
// outside [0, 1], a negative or non-finite z-loss or soft-cap, an unknown
// reduction, negative threads, non-finite class weights. (The weights'
// length is checked against V by each call.)
func (o Options) Validate() error {
	if !(o.LabelSmoothing >= 0 && o.LabelSmoothing <= 1) {
		return fmt.Errorf("loss: label smoothing %g is outside [0, 1]", o.LabelSmoothing)
	}
	if !(o.ZLoss >= 0) || math.IsInf(float64(o.ZLoss), 0) {
		return fmt.Errorf("loss: z-loss coefficient %g must be finite and ≥ 0", o.ZLoss)
	}
	if !(o.SoftCap >= 0) || math.IsInf(float64(o.SoftCap), 0) {
		return fmt.Errorf("loss: soft-cap %g must be finite and ≥ 0 (0 turns it off)", o.SoftCap)
	}
	if o.Reduction > None {
		return fmt.Errorf("loss: unknown reduction %v", o.Reduction)
	}
	if o.Emulate.Format != nil && (o.LabelSmoothing != 0 || o.ZLoss != 0 || o.SoftCap != 0) {
		return fmt.Errorf("loss: the %s arithmetic emulates the plain cross-entropy; it takes no label smoothing, z-loss or soft-cap", o.Emulate.Format.Name)
	}
	if o.Threads < 0 {
		return fmt.Errorf("loss: threads %d must be ≥ 0 (0: GOMAXPROCS)", o.Threads)
	}
	for c, w := range o.Weights {
		if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
			return fmt.Errorf("loss: class weight %d is %g", c, w)
		}
	}
	return nil
}

func (o Options) check(v int) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.Weights != nil && len(o.Weights) != v {
		return fmt.Errorf("loss: %d class weights for V = %d classes", len(o.Weights), v)
	}
	return nil
}

// Targets are the labels of the N rows: either class indices or
// probability rows. Exactly one field is set.
type Targets struct {
	Index []int32   // [N] class in [0, V), or the ignore index
	Probs []float32 // [N, V] target distributions (soft labels); no row is ignored
}

func (t Targets) check(n, v int, ignore int) error {
	switch {
	case t.Index != nil && t.Probs != nil:
		return fmt.Errorf("loss: targets have both class indices and probabilities")
	case t.Index != nil:
		if len(t.Index) != n {
			return fmt.Errorf("loss: %d targets for N = %d rows", len(t.Index), n)
		}
		for i, c := range t.Index {
			if int(c) != ignore && (c < 0 || int(c) >= v) {
				return fmt.Errorf("loss: target %d of row %d is outside [0, %d) and is not the ignore index %d", c, i, v, ignore)
			}
		}
	case t.Probs != nil:
		if int64(len(t.Probs)) != int64(n)*int64(v) {
			return fmt.Errorf("loss: target probabilities hold %d values, want N·V = %d·%d", len(t.Probs), n, v)
		}
		for k, p := range t.Probs {
			if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) {
				return fmt.Errorf("loss: target probability [%d, %d] is %g", k/v, k%v, p)
			}
		}
	default:
		if n > 0 {
			return fmt.Errorf("loss: no targets given for %d rows", n)
		}
	}
	return nil
}

// Result is what a cross-entropy call reports.
type Result struct {
	// Loss is the reduced loss including the z-loss: the mean or the sum of
	// the row losses, or for None their sum.
	Loss float64
	// ZLoss is the z-loss part of Loss, reduced the same way (the Mean
	// divides it by Count: it is not class-weighted).
	ZLoss float64
	// Count is the number of kept rows (N for probability targets).
	Count int
	// Denominator is what Mean divides the cross-entropy sum by: Σ weight of
	// the kept targets (Count without weights; N for probability targets).
	// With no kept rows Mean reports Loss = 0 and Count = 0, where PyTorch
	// gives NaN.
	Denominator float64
	// RowLoss [N]: each row's loss, weighted, smoothed and with its z-loss;
	// 0 for ignored rows.
	RowLoss []float64
	// LSE [N]: each row's log-sum-exp of the (soft-capped) logits.
	LSE []float64
}
