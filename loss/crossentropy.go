package loss

import (
	"fmt"
	"math"

	"github.com/xent-dev/xent/internal/kernels"
)

// CrossEntropy computes the loss of logits [N, V] against targets: one
// pass over each row for its softmax statistics, nothing written.
func CrossEntropy(logits Matrix, targets Targets, opt Options) (Result, error) {
	j, err := newJob(logits, targets, opt, nil, Matrix{}, nil)
	if err != nil {
		return Result{}, err
	}
	return j.run()
}

// CrossEntropyForwardBackward computes the loss and writes dlogits, the
// gradient of the reduced loss times dloss, into grad [N, V] (any dtype).
// grad may be logits itself: the gradient then overwrites the logits in
// place, each row after its own statistics are taken.
//
// dloss is the upstream gradient: one value, or for Reduction None one per
// row ([N]); for None a single value scales the gradient of the sum of row
// losses. Each row is read twice (statistics, then gradient, the second
// read from cache) and written once.
//
// On error the loss is not reported and grad is left partly written.
func CrossEntropyForwardBackward(logits Matrix, targets Targets, opt Options, dloss []float32, grad Matrix) (Result, error) {
	j, err := newJob(logits, targets, opt, dloss, grad, nil)
	if err != nil {
		return Result{}, err
	}
	return j.run()
}

// CrossEntropyBackward writes dlogits from the log-sum-exp a previous
// CrossEntropy call reported (res.LSE), reading each row once. It trusts
// that call's checks: non-finite logits are not detected again.
func CrossEntropyBackward(logits Matrix, targets Targets, opt Options, lse []float64, dloss []float32, grad Matrix) error {
	if len(lse) != logits.Rows {
		return fmt.Errorf("loss: %d log-sum-exp values for N = %d rows", len(lse), logits.Rows)
	}
	if opt.Emulate.Format != nil {
		return fmt.Errorf("loss: the emulated %s arithmetic computes the gradient with the loss: call CrossEntropyForwardBackward", opt.Emulate.Format.Name)
	}
	j, err := newJob(logits, targets, opt, dloss, grad, lse)
	if err != nil {
		return err
	}
	return forRows(j.n, j.v, opt.threads(), j.backwardRow)
}

// ceJob is one validated cross-entropy call.
type ceJob struct {
	x      Matrix
	t      Targets
	opt    Options
	n, v   int
	ignore int
	eps    float64 // label smoothing
	z      float64 // z-loss coefficient
	capAt  float32 // soft-cap (0: none)
	w      []float32
	wSum   float64 // Σ_c weight_c (V without weights)

	count int     // kept rows
	denom float64 // Mean's denominator for the cross-entropy term

	grad    Matrix
	hasGrad bool
	up      []float32 // upstream gradient: [1] or [N]

	lseIn []float64 // backward only: the forward's log-sum-exp

	rowLoss, lse []float64 // outputs [N]
}

func newJob(x Matrix, t Targets, opt Options, dloss []float32, grad Matrix, lseIn []float64) (*ceJob, error) {
	if err := x.check("logits"); err != nil {
		return nil, err
	}
	j, err := newTargetsJob(x.Rows, x.Cols, t, opt)
	if err != nil {
		return nil, err
	}
	j.x, j.lseIn = x, lseIn
	if dloss != nil {
		if err := grad.check("gradient"); err != nil {
			return nil, err
		}
		if grad.Rows != j.n || grad.Cols != j.v {
			return nil, fmt.Errorf("loss: gradient is [%d, %d], logits are [%d, %d]", grad.Rows, grad.Cols, j.n, j.v)
		}
		if grad.aliases(x) && grad.DType != x.DType {
			return nil, fmt.Errorf("loss: in-place gradient must keep the logits' dtype %v, not %v", x.DType, grad.DType)
		}
		if err := j.setUpstream(dloss); err != nil {
			return nil, err
		}
		j.grad = grad
	}
	return j, nil
}

// newTargetsJob validates the options and targets of N rows over V classes
// and counts the kept rows; the logits come later.
func newTargetsJob(n, v int, t Targets, opt Options) (*ceJob, error) {
	if err := opt.check(v); err != nil {
		return nil, err
	}
	j := &ceJob{
		t: t, opt: opt, n: n, v: v,
		ignore: opt.Ignored(),
		eps:    float64(opt.LabelSmoothing),
		z:      float64(opt.ZLoss),
		capAt:  opt.SoftCap,
		w:      opt.Weights,
		wSum:   float64(v),
	}
	if err := t.check(n, v, j.ignore); err != nil {
		return nil, err
	}
	if opt.Emulate.Format != nil && t.Probs != nil {
		return nil, fmt.Errorf("loss: the emulated %s arithmetic takes class-index targets, not probabilities", opt.Emulate.Format.Name)
	}
	if j.w != nil {
		j.wSum = 0
		for _, w := range j.w {
			j.wSum += float64(w)
		}
	}
	if err := j.countTargets(); err != nil {
		return nil, err
	}
	return j, nil
}

// setUpstream checks and keeps the upstream gradient: [1], or [N] for None.
func (j *ceJob) setUpstream(dloss []float32) error {
	switch {
	case len(dloss) == 1:
	case len(dloss) == j.n && j.opt.Reduction == None:
	default:
		return fmt.Errorf("loss: %d upstream gradients for %v reduction of %d rows (want 1, or N for none)", len(dloss), j.opt.Reduction, j.n)
	}
	for i, g := range dloss {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			return fmt.Errorf("loss: upstream gradient %d is %g", i, g)
		}
	}
	j.hasGrad, j.up = true, dloss
	return nil
}

// countTargets sets the kept-row count and Mean's denominator.
func (j *ceJob) countTargets() error {
	if j.t.Index == nil {
		j.count, j.denom = j.n, float64(j.n)
		return nil
	}
	j.count, j.denom = 0, 0
	for _, c := range j.t.Index {
		if int(c) != j.ignore {
			j.count++
			j.denom += float64(j.weight(int(c)))
		}
	}
	if j.opt.Reduction == Mean && j.count > 0 && j.denom == 0 {
		return fmt.Errorf("loss: mean reduction: the class weights of the %d kept targets sum to 0", j.count)
	}
	return nil
}

func (j *ceJob) weight(c int) float32 {
	if j.w == nil {
		return 1
	}
	return j.w[c]
}

// run does the forward (and fused backward) over all rows and reduces.
func (j *ceJob) run() (Result, error) {
	j.rowLoss = make([]float64, j.n)
	j.lse = make([]float64, j.n)
	if err := forRows(j.n, j.v, j.opt.threads(), j.forwardRow); err != nil {
		return Result{}, err
	}
	return j.reduce(), nil
}

// reduce combines rowLoss and lse into the Result, in row order.
func (j *ceJob) reduce() Result {
	res := Result{Count: j.count, Denominator: j.denom, RowLoss: j.rowLoss, LSE: j.lse}
	var total, zTotal float64
	for i, l := range j.rowLoss {
		total += l
		if j.z > 0 && j.kept(i) {
			zTotal += j.z * j.lse[i] * j.lse[i]
		}
	}
	switch {
	case j.opt.Reduction != Mean:
		res.Loss, res.ZLoss = total, zTotal
	case j.count > 0:
		res.ZLoss = zTotal / float64(j.count)
		res.Loss = (total-zTotal)/j.denom + res.ZLoss
	}
	return res
}

func (j *ceJob) kept(i int) bool {
	return j.t.Index == nil || int(j.t.Index[i]) != j.ignore
}

// row returns row i as float32 with the soft-cap applied. The cap would
// hide a NaN or +Inf logit, so capped rows are checked here.
func (j *ceJob) row(i int, ws *workspace) ([]float32, error) {
	ws.in = grow(ws.in, j.v)
	x := j.x.loadRow(i, ws.in)
	if j.capAt > 0 {
		if err := nonFinite(x, i); err != nil {
			return nil, err
		}
		ws.aux = grow(ws.aux, j.v)
		softCap(ws.in, ws.aux, x, j.capAt)
		x = ws.in
	}
	return x, nil
}

// softCap writes dst = cap·tanh(src/cap) and its derivative
// slope = 1 − tanh²(src/cap) = 1/cosh²(src/cap), both from float64: the
// derivative taken from the rounded dst would lose all its digits where
// tanh is near ±1. dst may be src.
func softCap(dst, slope, src []float32, c float32) {
	inv := 1 / float64(c)
	for k, v := range src {
		u := float64(v) * inv
		ch := math.Cosh(u)
		slope[k] = float32(1 / (ch * ch))
		dst[k] = float32(float64(c) * math.Tanh(u))
	}
}

func (j *ceJob) forwardRow(i int, ws *workspace) error {
	if j.opt.Emulate.Format != nil {
		return j.emulatedRow(i, ws)
	}
	x, err := j.row(i, ws)
	if err != nil {
		return err
	}
	st := kernels.Stats(x)
	if math.IsNaN(st.Sum) || math.IsInf(st.Sum, 0) {
		if err := nonFinite(x, i); err != nil {
			return err
		}
		// Only -Inf logits, or finite ones whose float32 lane sums overflowed:
		// take Σx again in float64.
		st.Sum = 0
		for _, v := range x {
			st.Sum += float64(v)
		}
	}
	lse := st.LogSumExp()
	j.lse[i] = lse
	kept := j.kept(i)
	if kept && math.IsInf(lse, -1) {
		return fmt.Errorf("loss: row %d: every logit is -Inf, but its target is kept", i)
	}
	var rowLoss, pCoef float64 // pCoef: Σ_c weight_c·target_c, the gradient's coefficient on p
	m, logS := float64(st.Max), math.Log(st.SumExp)
	switch {
	case !kept:
	case j.t.Index != nil:
		t := int(j.t.Index[i])
		wt := float64(j.weight(t))
		// A zero coefficient (ε = 1, or a zero class weight) drops the term
		// even when the target's logit is −Inf: 0·∞ would be NaN.
		if coef := (1 - j.eps) * wt; coef != 0 {
			rowLoss = coef * (m - float64(x[t]) + logS)
		}
		if j.eps > 0 {
			var smooth float64 // Σ_c weight_c·(lse − x_c)
			if j.w == nil {
				smooth = float64(j.v)*(m+logS) - st.Sum
			} else {
				for c, w := range j.w {
					if w != 0 {
						smooth += float64(w) * (m - float64(x[c]) + logS)
					}
				}
			}
			rowLoss += j.eps / float64(j.v) * smooth
		}
		pCoef = j.targetMass(i)
	default:
		for c, pc := range j.t.Probs[i*j.v : (i+1)*j.v] {
			wq := float64(j.weight(c)) * j.smoothed(pc)
			if wq != 0 {
				pCoef += wq
				rowLoss += wq * (m - float64(x[c]) + logS)
			}
		}
	}
	if kept {
		rowLoss += j.z * lse * lse
	}
	j.rowLoss[i] = rowLoss
	if !j.hasGrad {
		return nil
	}
	return j.writeGrad(i, ws, x, kept, pCoef, lse, st.Max, 1/st.SumExp)
}

func (j *ceJob) backwardRow(i int, ws *workspace) error {
	x, err := j.row(i, ws)
	if err != nil {
		return err
	}
	kept := j.kept(i)
	lse := j.lseIn[i]
	if kept && (math.IsNaN(lse) || math.IsInf(lse, 0)) {
		return fmt.Errorf("loss: row %d: log-sum-exp %g is not finite", i, lse)
	}
	// p = exp(x − lse) = exp(x − shift)·exp(shift − lse), with the float32
	// rounding of lse corrected in float64.
	shift := float32(lse)
	return j.writeGrad(i, ws, x, kept, j.targetMass(i), lse, shift, math.Exp(float64(shift)-lse))
}

// smoothed is a probability target after label smoothing: (1−ε)·p + ε/V.
func (j *ceJob) smoothed(p float32) float64 { return (1-j.eps)*float64(p) + j.eps/float64(j.v) }

// targetMass is Σ_c weight_c·q_c over row i's (smoothed) target
// distribution q: the coefficient of the softmax in the row's gradient.
func (j *ceJob) targetMass(i int) float64 {
	if !j.kept(i) {
		return 0
	}
	if j.t.Index != nil {
		return (1-j.eps)*float64(j.weight(int(j.t.Index[i]))) + j.eps*j.wSum/float64(j.v)
	}
	var mass float64
	for c, pc := range j.t.Probs[i*j.v : (i+1)*j.v] {
		mass += float64(j.weight(c)) * j.smoothed(pc)
	}
	return mass
}

// writeGrad writes row i of dlogits. x is the (soft-capped) row, p_c =
// exp(x_c − shift)·pScale its softmax, pCoef the coefficient of p in the
// row's gradient before scaling.
func (j *ceJob) writeGrad(i int, ws *workspace, x []float32, kept bool, pCoef, lse float64, shift float32, pScale float64) error {
	g := j.grad.f32Row(i)
	if g == nil {
		ws.grad = grow(ws.grad, j.v)
		g = ws.grad
	}
	if !kept {
		clear(g)
		j.grad.storeRow(i, g)
		return nil
	}
	sCE, sZ := j.scales(i)
	a := (sCE*pCoef + sZ*2*j.z*lse) * pScale
	var b float64
	if j.t.Index != nil && j.w == nil {
		b = -sCE * j.eps / float64(j.v)
	}
	kernels.ExpAffine(g, x, shift, float32(a), float32(b))
	switch {
	case j.t.Index != nil:
		t := int(j.t.Index[i])
		if j.w != nil && j.eps > 0 {
			s := sCE * j.eps / float64(j.v)
			for c, w := range j.w {
				g[c] -= float32(s * float64(w))
			}
		}
		g[t] -= float32(sCE * (1 - j.eps) * float64(j.weight(t)))
	default:
		for c, pc := range j.t.Probs[i*j.v : (i+1)*j.v] {
			if q := j.smoothed(pc); q != 0 {
				g[c] -= float32(sCE * float64(j.weight(c)) * q)
			}
		}
	}
	if j.capAt > 0 {
		for c, d := range ws.aux[:j.v] {
			g[c] *= d
		}
	}
	j.grad.storeRow(i, g)
	return nil
}

// scales returns the upstream gradient of row i divided by the reduction's
// denominators: for the cross-entropy term and for the z-loss term.
func (j *ceJob) scales(i int) (ce, z float64) {
	up := float64(j.up[0])
	if len(j.up) > 1 {
		up = float64(j.up[i])
	}
	if j.opt.Reduction == Mean {
		return up / j.denom, up / float64(j.count)
	}
	return up, up
}

// nonFinite names the first NaN or +Inf in row i; -Inf is a valid logit
// (a class ruled out) and huge finite values may overflow a sum, so it
// returns nil when there is neither.
func nonFinite(x []float32, i int) error {
	for c, v := range x {
		if v != v || math.IsInf(float64(v), 1) {
			return fmt.Errorf("loss: row %d: logit %d is %g", i, c, v)
		}
	}
	return nil
}
