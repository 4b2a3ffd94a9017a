package train

import "math"

// ClipGlobalNorm scales grads so that their L2 norm is at most maxNorm (as
// torch.nn.utils.clip_grad_norm_, scale maxNorm/(norm + 1e-6)), and returns
// the norm before clipping, accumulated in float64. maxNorm ≤ 0 only
// measures. A non-finite norm is returned untouched for the caller to stop
// on.
func ClipGlobalNorm(grads []float32, maxNorm float64) float64 {
	var ss float64
	for _, g := range grads {
		ss += float64(g) * float64(g)
	}
	norm := math.Sqrt(ss)
	if maxNorm <= 0 || !(norm > maxNorm) || math.IsInf(norm, 0) {
		return norm
	}
	s := float32(maxNorm / (norm + 1e-6))
	for i := range grads {
		grads[i] *= s
	}
	return norm
}
