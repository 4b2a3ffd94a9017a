package loss

import (
	"math"
)

// refCE is a direct float64 transcription of the documented formulas, used
// to check the kernels under every combination of options. It returns the
// reduced loss, the row losses and dloss/dlogits (upstream gradient 1).
func refCE(x []float32, n, v int, t Targets, opt Options) (loss float64, rows []float64, grad []float64) {
	eps, z := float64(opt.LabelSmoothing), float64(opt.ZLoss)
	w := func(c int) float64 {
		if opt.Weights == nil {
			return 1
		}
		return float64(opt.Weights[c])
	}
	rows = make([]float64, n)
	grad = make([]float64, n*v)
	dRow := make([][]float64, n) // d rowCE / d y (capped logits), d rowZ / d y
	dZ := make([][]float64, n)
	var ceSum, zSum, denom float64
	count := 0
	for i := range n {
		y := make([]float64, v)
		for c := range v {
			y[c] = float64(x[i*v+c])
			if opt.SoftCap > 0 {
				y[c] = float64(opt.SoftCap) * math.Tanh(y[c]/float64(opt.SoftCap))
			}
		}
		m := math.Inf(-1)
		for _, yc := range y {
			m = math.Max(m, yc)
		}
		var s float64
		for _, yc := range y {
			s += math.Exp(yc - m)
		}
		lse := m + math.Log(s)
		q := make([]float64, v) // the target distribution, weighted
		if t.Index != nil {
			tc := int(t.Index[i])
			if tc == opt.Ignored() {
				continue
			}
			for c := range v {
				q[c] = eps / float64(v) * w(c)
			}
			q[tc] += (1 - eps) * w(tc)
			denom += w(tc)
		} else {
			for c := range v {
				q[c] = ((1-eps)*float64(t.Probs[i*v+c]) + eps/float64(v)) * w(c)
			}
			denom++
		}
		count++
		var ce, qSum float64
		for c := range v {
			if q[c] != 0 {
				ce += q[c] * (lse - y[c])
				qSum += q[c]
			}
		}
		rows[i] = ce + z*lse*lse
		ceSum += ce
		zSum += z * lse * lse
		dRow[i] = make([]float64, v)
		dZ[i] = make([]float64, v)
		for c := range v {
			p := math.Exp(y[c] - lse)
			dRow[i][c] = qSum*p - q[c]
			dZ[i][c] = 2 * z * lse * p
			if opt.SoftCap > 0 {
				r := y[c] / float64(opt.SoftCap)
				dRow[i][c] *= 1 - r*r
				dZ[i][c] *= 1 - r*r
			}
		}
	}
	sCE, sZ := 1.0, 1.0
	switch opt.Reduction {
	case Mean:
		if count == 0 {
			return 0, rows, grad
		}
		sCE, sZ = 1/denom, 1/float64(count)
		loss = ceSum/denom + zSum/float64(count)
	default:
		loss = ceSum + zSum
	}
	for i := range n {
		for c := 0; c < v && dRow[i] != nil; c++ {
			grad[i*v+c] = sCE*dRow[i][c] + sZ*dZ[i][c]
		}
	}
	return loss, rows, grad
}
