package prefs

import "math"

// softplus is log(1 + eˣ), exact for any finite x.
func softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// logSigmoid is log σ(x) = −softplus(−x).
func logSigmoid(x float64) float64 { return -softplus(-x) }

// sigmoid is σ(x) = 1/(1 + e⁻ˣ), computed so that neither branch overflows:
// σ(−x) is the exact 1 − σ(x), never a rounded difference.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// log1mexp is log(1 − eˣ) for x < 0 (Mächler 2012): log(−expm1(x)) near 0,
// where 1 − eˣ is a small difference, and log1p(−eˣ) below −ln 2.
func log1mexp(x float64) float64 {
	if x > -math.Ln2 {
		return math.Log(-math.Expm1(x))
	}
	return math.Log1p(-math.Exp(x))
}

// smoothedSigmoid is the conservative (label-smoothed) logistic loss of a
// scaled margin u = βz,
//
//	ℓ(u) = −(1−ε)·log σ(u) − ε·log σ(−u),
//
// and its derivative dℓ/du = −(1−ε)·σ(−u) + ε·σ(u). DPO's sigmoid loss and
// CPO/SimPO share it.
func smoothedSigmoid(u, eps float64) (loss, dloss float64) {
	loss = -(1-eps)*logSigmoid(u) - eps*logSigmoid(-u)
	dloss = -(1-eps)*sigmoid(-u) + eps*sigmoid(u)
	return loss, dloss
}

// Mean is the average of xs (0 for none), summed in order: the batch means
// the training logs report.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// MeanWhere is the average of xs over the examples whose label equals want
// (NaN when there are none): KTO's desirable and undesirable means.
func MeanWhere(xs []float64, labels []bool, want bool) float64 {
	s, n := 0.0, 0
	for i, l := range labels {
		if l == want {
			s += xs[i]
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}
