package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xent-dev/xent/format/npy"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/loss"
)

// lossFlags are the flags of "xent loss".
type lossFlags struct {
	logits, targets, targetProbs, weights, grad string
	ignoreIndex                                 int
	labelSmoothing, zLoss, softCap              float32
	reduction                                   string
	threads                                     int
}

// lossReport is the JSON object "xent loss" prints.
type lossReport struct {
	Loss        any       `json:"loss"` // jsonFloat, or []jsonFloat for reduction none
	ZLoss       jsonFloat `json:"z_loss"`
	Count       int       `json:"count"`
	Denominator jsonFloat `json:"denominator"`
	Reduction   string    `json:"reduction"`
	N           int       `json:"n"`
	V           int       `json:"v"`
	DType       string    `json:"dtype"`
	Kernels     string    `json:"kernels"`
}

func newLossCmd() *cobra.Command {
	var f lossFlags
	cmd := &cobra.Command{
		Use:   "loss --logits L.npy (--targets T.npy | --target-probs P.npy) [flags]",
		Short: "Cross-entropy of .npy logits against targets, optionally with its gradient",
		Long: `Compute the cross-entropy of logits [N, V] against targets, as PyTorch's
torch.nn.functional.cross_entropy does, and print one JSON object on stdout:

  {"loss": ..., "z_loss": ..., "count": ..., "denominator": ..., "reduction": ...,
   "n": N, "v": V, "dtype": "float32"|"float16", "kernels": ...}

"loss" is a number, or for --reduction none the list of the N row losses
(0 for ignored rows); "z_loss" is the z-loss part of the loss, reduced the same
way (summed for none); "count" is the number of kept (not ignored) rows and
"denominator" what the mean divides the cross-entropy by (the sum of the class
weights of the kept targets). Infinite losses are written as the strings "inf"
and "-inf", NaN as "nan".

Inputs are NumPy .npy files:
  --logits        float32 or float16 [N, V] (float16 is used exactly)
  --targets       int32 or int64 [N]: class indices in [0, V) or the ignore index
  --target-probs  float32 [N, V]: target distributions, instead of --targets
  --weights       float32 [V]: class weights

With --grad the gradient of the loss with respect to the logits (for
--reduction none: of the sum of the row losses) is written, atomically, as a
float32 .npy file of shape [N, V].`,
		Example: `  xent loss --logits logits.npy --targets labels.npy
  xent loss --logits logits.npy --targets labels.npy --label-smoothing 0.1 --grad dlogits.npy
  xent loss --logits logits.npy --target-probs soft.npy --reduction none`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLoss(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.logits, "logits", "", "logits `L.npy`, float32 or float16 [N, V] (required)")
	fl.StringVar(&f.targets, "targets", "", "target class indices `T.npy`, int32 or int64 [N] (this or --target-probs is required)")
	fl.StringVar(&f.targetProbs, "target-probs", "", "target probabilities `P.npy`, float32 [N, V], instead of --targets (default: not used)")
	fl.StringVar(&f.weights, "weights", "", "class weights `W.npy`, float32 [V] (default: all 1)")
	fl.IntVar(&f.ignoreIndex, "ignore-index", loss.DefaultIgnoreIndex, "rows whose target is this `index` count for nothing: loss, denominator or gradient")
	fl.Float32Var(&f.labelSmoothing, "label-smoothing", 0, "label smoothing `eps` in [0, 1]: targets become (1−eps)·onehot + eps/V (default 0: none)")
	fl.StringVar(&f.reduction, "reduction", "mean", "`mode` of combining row losses: mean, sum or none (none prints the list of row losses)")
	fl.Float32Var(&f.zLoss, "z-loss", 0, "z-loss `coefficient`: adds coef·logsumexp² to every kept row (default 0: none)")
	fl.Float32Var(&f.softCap, "softcap", 0, "soft-cap logits x to `cap`·tanh(x/cap) before the loss (default 0: none)")
	fl.StringVar(&f.grad, "grad", "", "write the gradient with respect to the logits to `G.npy`, float32 [N, V] (default: not computed)")
	fl.IntVar(&f.threads, "threads", 0, "most `goroutines` to spread rows over (default 0: GOMAXPROCS)")
	return cmd
}

func runLoss(cmd *cobra.Command, f *lossFlags) error {
	// Cheap checks first: nothing is read before the flags are known good.
	if f.logits == "" {
		return errors.New("--logits is required")
	}
	switch {
	case f.targets != "" && f.targetProbs != "":
		return errors.New("give either --targets or --target-probs, not both")
	case f.targets == "" && f.targetProbs == "":
		return errors.New("one of --targets (class indices) or --target-probs (distributions) is required")
	}
	red, err := loss.ParseReduction(f.reduction)
	if err != nil {
		return fmt.Errorf("--reduction: %w", err)
	}
	opt := loss.Options{
		IgnoreIndex:    loss.Ignore(f.ignoreIndex),
		LabelSmoothing: f.labelSmoothing,
		ZLoss:          f.zLoss,
		SoftCap:        f.softCap,
		Reduction:      red,
		Threads:        f.threads,
	}
	if err := opt.Validate(); err != nil {
		return err
	}

	x, err := readLogits(f.logits)
	if err != nil {
		return err
	}
	n, v := x.Rows, x.Cols
	var t loss.Targets
	if f.targets != "" {
		t.Index, err = readTargets(f.targets, n)
	} else {
		t.Probs, err = readFloats("--target-probs", f.targetProbs, []int{n, v}, "[N, V]")
	}
	if err != nil {
		return err
	}
	if f.weights != "" {
		if opt.Weights, err = readFloats("--weights", f.weights, []int{v}, "[V]"); err != nil {
			return err
		}
	}

	var res loss.Result
	if f.grad == "" {
		res, err = loss.CrossEntropy(x, t, opt)
		if err != nil {
			return err
		}
	} else {
		// float32 logits are not needed after the call: take the gradient
		// in place, which saves a second N·V buffer.
		g := x.F32
		if x.DType != loss.Float32 {
			g = make([]float32, n*v)
		}
		res, err = loss.CrossEntropyForwardBackward(x, t, opt, []float32{1}, loss.F32(g, n, v))
		if err != nil {
			return err
		}
		if err := npy.WriteFloat32File(f.grad, []int{n, v}, g); err != nil {
			return fmt.Errorf("--grad: %w", err)
		}
	}

	rep := lossReport{
		Loss:        jsonFloat(res.Loss),
		ZLoss:       jsonFloat(res.ZLoss),
		Count:       res.Count,
		Denominator: jsonFloat(res.Denominator),
		Reduction:   red.String(),
		N:           n,
		V:           v,
		DType:       x.DType.String(),
		Kernels:     kernels.Active(),
	}
	if red == loss.None {
		rep.Loss = jsonFloats(res.RowLoss)
	}
	return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
}

// readLogits reads a float32 or float16 [N, V] .npy file. float16 stays in
// its bit patterns, so no value is rounded.
func readLogits(path string) (loss.Matrix, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return loss.Matrix{}, fmt.Errorf("--logits: %w", err)
	}
	if len(a.Shape) != 2 {
		return loss.Matrix{}, fmt.Errorf("--logits %s: shape %s is %d-D; want 2-D [N, V]", path, fmtShape(a.Shape), len(a.Shape))
	}
	n, v := a.Shape[0], a.Shape[1]
	if v == 0 {
		return loss.Matrix{}, fmt.Errorf("--logits %s: shape %s has V = 0 classes", path, fmtShape(a.Shape))
	}
	switch a.DType {
	case npy.Float32:
		data, err := a.Float32s()
		if err != nil {
			return loss.Matrix{}, fmt.Errorf("--logits %s: %w", path, err)
		}
		return loss.F32(data, n, v), nil
	case npy.Float16:
		bits, err := a.Uint16s()
		if err != nil {
			return loss.Matrix{}, fmt.Errorf("--logits %s: %w", path, err)
		}
		return loss.F16(bits, n, v), nil
	}
	return loss.Matrix{}, fmt.Errorf("--logits %s: dtype %s is not supported; want float32 or float16 (e.g. logits.astype(np.float32))",
		path, a.DType)
}

// readTargets reads the class indices: an integer .npy file of shape [n]
// whose values fit in int32.
func readTargets(path string, n int) ([]int32, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--targets: %w", err)
	}
	switch a.DType {
	case npy.Int32, npy.Int64, npy.Int8, npy.Uint8, npy.Uint16:
	default:
		return nil, fmt.Errorf("--targets %s: dtype %s is not supported; want int32 or int64 class indices", path, a.DType)
	}
	if len(a.Shape) != 1 || a.Shape[0] != n {
		return nil, fmt.Errorf("--targets %s: shape %s; want [N] = [%d] to match the logits", path, fmtShape(a.Shape), n)
	}
	vals, err := a.Int64s()
	if err != nil {
		return nil, fmt.Errorf("--targets %s: %w", path, err)
	}
	out := make([]int32, len(vals))
	for i, c := range vals {
		if c < math.MinInt32 || c > math.MaxInt32 {
			return nil, fmt.Errorf("--targets %s: target %d of row %d does not fit in int32", path, c, i)
		}
		out[i] = int32(c)
	}
	return out, nil
}

// readFloats reads a float32 (or exactly widened float16) .npy file of the
// given shape, described as want in errors.
func readFloats(flag, path string, shape []int, want string) ([]float32, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if a.DType != npy.Float32 && a.DType != npy.Float16 {
		return nil, fmt.Errorf("%s %s: dtype %s is not supported; want float32", flag, path, a.DType)
	}
	if !slices.Equal(a.Shape, shape) {
		return nil, fmt.Errorf("%s %s: shape %s; want %s = %s to match the logits", flag, path, fmtShape(a.Shape), want, fmtShape(shape))
	}
	vals, err := a.Float32s()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	return vals, nil
}

// fmtShape writes a shape as [2, 3].
func fmtShape(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
