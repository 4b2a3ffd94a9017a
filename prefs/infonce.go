package prefs

import (
	"fmt"
	"math"
)

// InfoNCE is the contrastive loss of van den Oord et al. (2018) over one
// positive and K negatives per anchor: with similarities s_i [1+K], the
// positive first,
//
//	ℓ_i = −log( e^{s_i0/τ} / Σ_j e^{s_ij/τ} ) = logsumexp(s_i/τ) − s_i0/τ,
//
// the cross-entropy of the logits s/τ with the positive as the target;
// Loss is the mean over the N anchors.
type InfoNCE struct {
	Temperature float64 // τ > 0
}

// softmax returns logsumexp(row/τ) and the softmax of row/τ.
func (c InfoNCE) softmax(row []float64) (lse float64, p []float64) {
	m := math.Inf(-1)
	for _, s := range row {
		m = math.Max(m, s/c.Temperature)
	}
	p = make([]float64, len(row))
	sum := 0.0
	for j, s := range row {
		p[j] = math.Exp(s/c.Temperature - m)
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
	return m + math.Log(sum), p
}

func (c InfoNCE) check(sim []float64, N, K int) error {
	if err := checkBeta("InfoNCE temperature", c.Temperature); err != nil {
		return err
	}
	if N < 1 || K < 1 {
		return fmt.Errorf("prefs: InfoNCE needs at least one anchor and one negative (got N = %d, K = %d)", N, K)
	}
	if len(sim) != N*(1+K) {
		return fmt.Errorf("prefs: %d similarities for [%d, 1+%d]", len(sim), N, K)
	}
	return checkFinite("similarity", sim)
}

// Forward returns the per-anchor losses [N] and their mean. sim: [N, 1+K]
// row-major, column 0 the positive.
func (c InfoNCE) Forward(sim []float64, N, K int) (losses []float64, loss float64, err error) {
	if err := c.check(sim, N, K); err != nil {
		return nil, 0, err
	}
	losses = make([]float64, N)
	for i := range N {
		row := sim[i*(1+K) : (i+1)*(1+K)]
		lse, _ := c.softmax(row)
		losses[i] = lse - row[0]/c.Temperature
	}
	return losses, Mean(losses), nil
}

// Backward returns the gradient of the mean loss with respect to the
// similarities [N, 1+K]: (softmax(s_i/τ) − onehot(0)) / (τN).
func (c InfoNCE) Backward(sim []float64, N, K int) ([]float64, error) {
	if err := c.check(sim, N, K); err != nil {
		return nil, err
	}
	g := make([]float64, len(sim))
	scale := 1 / (c.Temperature * float64(N))
	for i := range N {
		_, p := c.softmax(sim[i*(1+K) : (i+1)*(1+K)])
		p[0] = 0 // p_0 − 1 is exactly −Σ_{j>0} p_j, which keeps its digits when p_0 ≈ 1
		for _, pj := range p[1:] {
			p[0] -= pj
		}
		for j, pj := range p {
			g[i*(1+K)+j] = pj * scale
		}
	}
	return g, nil
}
