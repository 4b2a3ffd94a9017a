package loss

import (
	"fmt"
	"math"

	"github.com/xent-dev/xent/loss/emulate"
)

// emulatedRow is forwardRow in the arithmetic of Options.Emulate: row i's
// loss, log-sum-exp and, with a gradient, dlogits from emulate.CrossEntropy,
// the gradient's format values widened to float32 and scaled there.
func (j *ceJob) emulatedRow(i int, ws *workspace) error {
	x, err := j.row(i, ws)
	if err != nil {
		return err
	}
	if err := nonFinite(x, i); err != nil {
		return err
	}
	kept := j.kept(i)
	allInf := true
	for _, v := range x {
		if !math.IsInf(float64(v), -1) {
			allInf = false
			break
		}
	}
	if allInf {
		if kept {
			return fmt.Errorf("loss: row %d: every logit is -Inf, but its target is kept", i)
		}
		j.lse[i], j.rowLoss[i] = math.Inf(-1), 0
		return j.storeEmulatedGrad(i, ws, nil, 0)
	}
	t := 0 // an ignored row's loss is computed against class 0, then dropped
	if kept {
		t = int(j.t.Index[i])
	}
	ws.f64 = grow(ws.f64, j.v)
	e := j.opt.Emulate
	rowLoss, lse := emulate.CrossEntropy(e.Format, e.Sum, x, t, ws.f64)
	if math.IsNaN(lse) || math.IsInf(lse, 0) {
		return fmt.Errorf("loss: row %d: its log-sum-exp overflows %s (a logit of magnitude %g)", i, e.Format.Name, largest(x))
	}
	j.lse[i], j.rowLoss[i] = lse, 0
	if !kept {
		return j.storeEmulatedGrad(i, ws, nil, 0)
	}
	w := float64(j.weight(t))
	if w != 0 { // 0·∞ (a target at −Inf) would be NaN
		j.rowLoss[i] = w * rowLoss
	}
	if !j.hasGrad {
		return nil
	}
	sCE, _ := j.scales(i)
	return j.storeEmulatedGrad(i, ws, ws.f64, sCE*w)
}

// storeEmulatedGrad writes row i of dlogits: float32(g·scale) for the
// emulated gradient g, or zeros when g is nil. It does nothing without a
// gradient to write.
func (j *ceJob) storeEmulatedGrad(i int, ws *workspace, g []float64, scale float64) error {
	if !j.hasGrad {
		return nil
	}
	out := j.grad.f32Row(i)
	if out == nil {
		ws.grad = grow(ws.grad, j.v)
		out = ws.grad
	}
	if g == nil {
		clear(out)
	} else {
		s := float32(scale)
		for c, v := range g {
			out[c] = float32(v) * s // v is a format value: float32 holds it exactly
		}
	}
	j.grad.storeRow(i, out)
	return nil
}

// largest is the largest |xᵢ|.
func largest(x []float32) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(float64(v)))
	}
	return m
}
