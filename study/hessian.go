package study

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// GradFunc evaluates a loss and its gradient at the parameters theta
// [n]: it writes ∇L(θ) into grad [n] and returns L(θ). It must not keep
// theta or grad.
type GradFunc func(theta, grad []float32) (float64, error)

// DefaultHVPStep is the central difference's step h along a unit
// direction (HessianVector): large enough that float32 gradients differ
// by much more than their rounding, small enough that the curvature does
// not change much over ±h. The sharpest directions need it small: on the
// tiny Llama of the tests, the curvature along the top eigenvector is 266
// exactly, 265.0 by central differences at h = 1e-3 and only 111 at
// h = 1e-2 (study/testdata/hessian, PyTorch in float64).
const DefaultHVPStep = 1e-3

// HessianVector approximates the Hessian-vector product H(θ)·v by a
// central difference of gradients,
//
//	Hv ≈ (∇L(θ + h·v) − ∇L(θ − h·v)) / 2h,
//
// whose error is O(h²) (the third derivative's term) plus the gradients'
// rounding over 2h. v [n] should have unit norm, so that h is the step's
// length. It writes Hv into hv [n] (float64: the difference of two
// float32 gradients is exact there) and needs the scratch buffers at [n]
// and g [n], which it overwrites. theta is not changed.
func HessianVector(grad GradFunc, theta, v []float32, h float64, hv []float64, at, g []float32) error {
	n := len(theta)
	if len(v) != n || len(hv) != n || len(at) != n || len(g) != n {
		return fmt.Errorf("study: Hessian-vector product: θ %d, v %d, Hv %d and scratch %d, %d must be equal", n, len(v), len(hv), len(at), len(g))
	}
	if !(h > 0) || math.IsInf(h, 0) {
		return fmt.Errorf("study: Hessian-vector product: step h %g; need a finite h > 0", h)
	}
	for sign := 1.0; sign >= -1; sign -= 2 {
		for i, x := range theta {
			at[i] = float32(float64(x) + sign*h*float64(v[i]))
		}
		if _, err := grad(at, g); err != nil {
			return err
		}
		for i, x := range g {
			if sign > 0 {
				hv[i] = float64(x)
			} else {
				hv[i] = (hv[i] - float64(x)) / (2 * h)
			}
		}
	}
	for i, x := range hv {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("study: Hessian-vector product: element %d is %g (a gradient at θ ± %g·v is not finite)", i, x, h)
		}
	}
	return nil
}

// EigenOptions are the settings of TopEigenvalue's power iteration and
// of Extremes' Lanczos iteration.
type EigenOptions struct {
	Iters int     `json:"iters"` // Hessian-vector products at most (each is two gradients)
	Tol   float64 `json:"tol"`   // the relative change (power) or residual (Lanczos) to stop at
	Step  float64 `json:"h"`     // HessianVector's h (0: DefaultHVPStep)
	Seed  uint64  `json:"seed"`  // the random start vector
}

// Validate reports settings no iteration could use.
func (o EigenOptions) Validate() error {
	if o.Iters < 1 {
		return fmt.Errorf("study: Hessian eigenvalues: %d iterations; need ≥ 1", o.Iters)
	}
	if !(o.Tol >= 0) || math.IsInf(o.Tol, 0) {
		return fmt.Errorf("study: Hessian eigenvalues: tolerance %g; need a finite number ≥ 0", o.Tol)
	}
	if !(o.Step >= 0) || math.IsInf(o.Step, 0) {
		return fmt.Errorf("study: Hessian eigenvalues: step h %g; need a finite h ≥ 0 (0: %g)", o.Step, DefaultHVPStep)
	}
	return nil
}

// start validates o for parameters theta and returns the step h and a
// seeded random start vector [len(theta)].
func (o EigenOptions) start(theta []float32) (float64, []float64, error) {
	if err := o.Validate(); err != nil {
		return 0, nil, err
	}
	if len(theta) == 0 {
		return 0, nil, fmt.Errorf("study: Hessian eigenvalues: no parameters")
	}
	h := o.Step
	if h == 0 {
		h = DefaultHVPStep
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5851f42d4c957f2d))
	v := make([]float64, len(theta))
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return h, v, nil
}

// Eigen is the result of a power iteration.
type Eigen struct {
	// Value is the Rayleigh quotient vᵀHv of the last unit vector: once
	// converged, the eigenvalue of largest magnitude, with its sign.
	Value float64 `json:"value"`
	Iters int     `json:"iters"` // Hessian-vector products taken
	// Residual is ‖Hv − λv‖ / |λ| at the last vector: 0 for an exact
	// eigenvector; the iteration's honest error bar.
	Residual  float64 `json:"residual"`
	Converged bool    `json:"converged"` // |λₖ − λₖ₋₁| ≤ Tol·|λₖ| before Iters ran out
}

// TopEigenvalue estimates the eigenvalue of largest magnitude of the
// Hessian of the loss grad evaluates at theta [n], by power iteration on
// HessianVector's finite-difference products: from a seeded random unit
// vector v, repeat λ = vᵀHv, v ← Hv/‖Hv‖ until λ changes by at most
// o.Tol relative, or o.Iters products. Its convergence rate is |λ₂/λ₁|
// per product; Residual says how far from an eigenvector it stopped. At a
// minimum the Hessian's large eigenvalues are positive and this is λ_max;
// elsewhere a larger negative curvature wins, and shifting it away
// (iterating on H − λI) converges at (λ_max − λ₂)/(λ_max − λ), slowly
// when |λ| ≫ λ_max: Extremes (Lanczos) gives both ends instead.
func TopEigenvalue(grad GradFunc, theta []float32, o EigenOptions) (Eigen, error) {
	h, v64, err := o.start(theta)
	if err != nil {
		return Eigen{}, err
	}
	n := len(theta)
	v := make([]float32, n)
	hv := make([]float64, n)
	at, g := make([]float32, n), make([]float32, n)
	var e Eigen
	prev := math.NaN()
	for e.Iters < o.Iters {
		norm := norm2(v64)
		if norm == 0 {
			return e, fmt.Errorf("study: power iteration: Hv is 0 after %d products (a zero Hessian along v)", e.Iters)
		}
		for i, x := range v64 {
			v64[i] = x / norm
			v[i] = float32(v64[i])
		}
		if err := HessianVector(grad, theta, v, h, hv, at, g); err != nil {
			return e, err
		}
		e.Iters++
		var lambda float64
		for i, x := range hv {
			lambda += v64[i] * x
		}
		var r2 float64
		for i, x := range hv {
			d := x - lambda*v64[i]
			r2 += d * d
		}
		e.Value, e.Residual = lambda, math.Sqrt(r2)/math.Abs(lambda)
		if math.Abs(lambda-prev) <= o.Tol*math.Abs(lambda) {
			e.Converged = true
			break
		}
		prev = lambda
		copy(v64, hv)
	}
	return e, nil
}

func norm2(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

// Spectrum is the two ends of a Hessian's spectrum, from Extremes.
type Spectrum struct {
	Max float64 `json:"lambda_max"` // the largest eigenvalue (most positive curvature)
	Min float64 `json:"lambda_min"` // the smallest (most negative curvature, if < 0)
	// MaxResidual and MinResidual are the Ritz residuals ‖Hy − θy‖ of the
	// two ends' Ritz vectors y: an eigenvalue of the (finite-difference)
	// operator lies within each of its Ritz value. Ritz values lie inside
	// the spectrum: Max approaches λ_max from below, Min λ_min from above,
	// so a Min near 0 means no negative curvature stood out of the bulk.
	MaxResidual float64 `json:"max_residual"`
	MinResidual float64 `json:"min_residual"`
	Iters       int     `json:"iters"` // Hessian-vector products taken
	// Converged: before Iters ran out, MaxResidual ≤ Tol·|Max| and
	// MinResidual ≤ Tol·max(|Max|, |Min|) (λ_min may be near 0).
	Converged bool `json:"converged"`
}

// Extremes estimates the largest and the smallest eigenvalue of the
// Hessian of the loss grad evaluates at theta [n] by the Lanczos
// iteration on HessianVector's finite-difference products: from a seeded
// random unit vector, k products build an orthonormal basis Q of the
// Krylov space span{v, Hv, …, Hᵏ⁻¹v} (each new vector orthogonalised
// against all before it, so rounding and the differences' noise do not
// bring back copies of converged eigenvectors) in which H is the
// tridiagonal T = QᵀHQ; the extreme eigenvalues of T (Ritz values)
// approach H's from inside, both ends at once, much faster than a power
// iteration, which finds only the eigenvalue of largest magnitude
// (TopEigenvalue). It stops when λ_max's Ritz residual is at most o.Tol
// times |λ_max| and λ_min's at most o.Tol times the larger magnitude of
// the two, after o.Iters products, or when the Krylov space is exhausted. It keeps k vectors of n float32.
func Extremes(grad GradFunc, theta []float32, o EigenOptions) (Spectrum, error) {
	h, q, err := o.start(theta)
	if err != nil {
		return Spectrum{}, err
	}
	n := len(theta)
	scale(q, 1/norm2(q))
	var basis [][]float32 // the Lanczos vectors so far
	var alpha, beta []float64
	v := make([]float32, n)
	w := make([]float64, n)
	at, g := make([]float32, n), make([]float32, n)
	var s Spectrum
	for s.Iters < o.Iters {
		for i, x := range q {
			v[i] = float32(x)
		}
		basis = append(basis, append([]float32(nil), v...))
		if err := HessianVector(grad, theta, v, h, w, at, g); err != nil {
			return s, err
		}
		s.Iters++
		var a float64
		for i, x := range w {
			a += q[i] * x
		}
		alpha = append(alpha, a)
		// Full reorthogonalisation, twice (Gram–Schmidt twice is enough).
		for range 2 {
			for _, b := range basis {
				var d float64
				for i, x := range w {
					d += float64(b[i]) * x
				}
				for i, x := range b {
					w[i] -= d * float64(x)
				}
			}
		}
		bnext := norm2(w)
		if s, err = ritzEnds(alpha, beta, bnext, s); err != nil {
			return s, err
		}
		radius := math.Max(math.Abs(s.Max), math.Abs(s.Min))
		if bnext == 0 || (s.Iters > 1 && s.MaxResidual <= o.Tol*math.Abs(s.Max) && s.MinResidual <= o.Tol*radius) {
			s.Converged = true
			break
		}
		beta = append(beta, bnext)
		for i, x := range w {
			q[i] = x / bnext
		}
	}
	return s, nil
}

// ritzEnds fills s's ends from the tridiagonal T of diagonal alpha [k]
// and off-diagonal beta [k−1], with bnext the norm of the next Lanczos
// vector before normalisation: the Ritz residual of the eigenpair (θ, y)
// of T is bnext·|y[k−1]|.
func ritzEnds(alpha, beta []float64, bnext float64, s Spectrum) (Spectrum, error) {
	k := len(alpha)
	t := mat.NewSymDense(k, nil)
	for i, a := range alpha {
		t.SetSym(i, i, a)
		if i+1 < k {
			t.SetSym(i, i+1, beta[i])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(t, true) {
		return s, fmt.Errorf("study: Lanczos: the %d × %d tridiagonal did not factorize", k, k)
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	s.Min, s.Max = vals[0], vals[k-1]
	s.MinResidual = bnext * math.Abs(vecs.At(k-1, 0))
	s.MaxResidual = bnext * math.Abs(vecs.At(k-1, k-1))
	return s, nil
}

func scale(x []float64, c float64) {
	for i := range x {
		x[i] *= c
	}
}
