package train

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Range is a half-open span [Lo, Hi) of a flat parameter buffer.
type Range struct{ Lo, Hi int }

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter 2019),
// step for step as torch.optim.AdamW computes it:
//
//	p ← p·(1 − lr·λ)                       (only inside Decay ranges)
//	m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
//	p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
//
// Weight decay is usually left off norms and biases: Decay lists the ranges
// that decay.
type AdamW struct {
	Beta1, Beta2 float64
	Eps          float64
	WeightDecay  float64
	Decay        []Range // the parts of the buffer that weight decay applies to
	Threads      int     // 0: GOMAXPROCS

	Step int       // completed steps
	M, V []float32 // first and second moments, [len(params)]
}

// NewAdamW returns AdamW with PyTorch's defaults (β = 0.9, 0.999, ε = 1e-8)
// and the given weight decay over decay, for n parameters.
func NewAdamW(n int, weightDecay float64, decay []Range) *AdamW {
	return &AdamW{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay, Decay: decay, M: make([]float32, n), V: make([]float32, n)}
}

// Update applies one step with learning rate lr to params using grads.
func (o *AdamW) Update(params, grads []float32, lr float64) error {
	return o.UpdateScaled(params, grads, lr, 1)
}

// UpdateScaled is Update with every gradient multiplied by scale first (a
// clipping factor, 1/accumulation steps), on the fly: the result is
// bit-identical to scaling grads in place and calling Update, one pass over
// the gradients cheaper.
func (o *AdamW) UpdateScaled(params, grads []float32, lr, scale float64) error {
	if len(params) != len(grads) || len(params) != len(o.M) || len(o.M) != len(o.V) {
		return fmt.Errorf("train: AdamW: %d parameters, %d gradients, moments %d and %d", len(params), len(grads), len(o.M), len(o.V))
	}
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("train: AdamW: learning rate %g", lr)
	}
	if !(scale > 0) || math.IsInf(scale, 0) {
		return fmt.Errorf("train: AdamW: gradient scale %g", scale)
	}
	for _, r := range o.Decay {
		if r.Lo < 0 || r.Hi > len(params) || r.Lo > r.Hi {
			return fmt.Errorf("train: AdamW: decay range [%d, %d) outside the %d parameters", r.Lo, r.Hi, len(params))
		}
	}
	o.Step++
	if o.WeightDecay != 0 {
		f := float32(1 - lr*o.WeightDecay)
		for _, r := range o.Decay {
			for i := r.Lo; i < r.Hi; i++ {
				params[i] *= f
			}
		}
	}
	t := float64(o.Step)
	stepSize := float32(lr / (1 - math.Pow(o.Beta1, t)))
	bc2 := float32(math.Sqrt(1 - math.Pow(o.Beta2, t)))
	b1, b2, eps, gs := float32(o.Beta1), float32(o.Beta2), float32(o.Eps), float32(scale)
	update := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			g := grads[i]
			if gs != 1 {
				g *= gs
			}
			m := b1*o.M[i] + (1-b1)*g
			v := b2*o.V[i] + (1-b2)*g*g
			o.M[i], o.V[i] = m, v
			params[i] -= stepSize * m / (float32(math.Sqrt(float64(v)))/bc2 + eps)
		}
	}
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	n := len(params)
	threads = max(1, min(threads, n>>16))
	var wg sync.WaitGroup
	for k := range threads {
		wg.Go(func() { update(k*n/threads, (k+1)*n/threads) })
	}
	wg.Wait()
	return nil
}

// ClipAndUpdate is the optimizer half of a training step: the gradient
// summed over accum micro-batches is averaged, clipped to maxNorm (as
// torch.nn.utils.clip_grad_norm_; 0: no clipping) and applied, all inside
// the one AdamW pass. It returns the norm of the averaged gradient before
// clipping; a non-finite norm is an error and leaves params untouched.
func (o *AdamW) ClipAndUpdate(params, grads []float32, lr, maxNorm float64, accum int) (float64, error) {
	norm := GlobalNorm(grads) / float64(accum)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("train: gradient norm is %g", norm)
	}
	return norm, o.UpdateScaled(params, grads, lr, ClipScale(norm, maxNorm)/float64(accum))
}
