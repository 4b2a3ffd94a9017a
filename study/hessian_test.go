package study_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/study"
)

// quadratic is L(θ) = ½ θᵀAθ with A = Q diag(eig) Qᵀ for a random
// orthogonal Q (a product of Householder reflections): its Hessian is A,
// with the eigenvalues eig, everywhere.
func quadratic(eig []float64, seed uint64) (study.GradFunc, [][]float64) {
	n := len(eig)
	rng := rand.New(rand.NewPCG(seed, 3))
	q := make([][]float64, n) // starts as I
	for i := range q {
		q[i] = make([]float64, n)
		q[i][i] = 1
	}
	for range 3 { // Q ← (I − 2uuᵀ) Q
		u := make([]float64, n)
		var s float64
		for i := range u {
			u[i] = rng.NormFloat64()
			s += u[i] * u[i]
		}
		s = math.Sqrt(s)
		for j := range n {
			var d float64
			for i := range n {
				d += u[i] / s * q[i][j]
			}
			for i := range n {
				q[i][j] -= 2 * u[i] / s * d
			}
		}
	}
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, n)
		for j := range a[i] {
			for k := range n {
				a[i][j] += q[i][k] * eig[k] * q[j][k]
			}
		}
	}
	grad := func(theta, g []float32) (float64, error) {
		var l float64
		for i := range a {
			var s float64
			for j, x := range theta {
				s += a[i][j] * float64(x)
			}
			g[i] = float32(s)
			l += 0.5 * float64(theta[i]) * s
		}
		return l, nil
	}
	return grad, a
}

func TestHessianVectorQuadratic(t *testing.T) {
	eig := []float64{5, -2, 1, 0.5, 0.25, 3, -1, 0}
	grad, a := quadratic(eig, 1)
	n := len(eig)
	theta, v := make([]float32, n), make([]float32, n)
	rng := rand.New(rand.NewPCG(2, 2))
	var s float64
	for i := range theta {
		theta[i] = float32(rng.NormFloat64())
		v[i] = float32(rng.NormFloat64())
		s += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(s))
	}
	hv := make([]float64, n)
	if err := study.HessianVector(grad, theta, v, 1e-2, hv, make([]float32, n), make([]float32, n)); err != nil {
		t.Fatal(err)
	}
	for i := range a {
		var want float64
		for j := range a[i] {
			want += a[i][j] * float64(v[j])
		}
		// Exact for a quadratic but for float32 gradients: their rounding
		// (≈ 6e-8 of |Aθ| ≈ 10) over 2h.
		if math.Abs(hv[i]-want) > 1e-4 {
			t.Errorf("(Hv)[%d] = %.7f, want %.7f", i, hv[i], want)
		}
	}
}

func TestPowerIterationQuadratic(t *testing.T) {
	for _, c := range []struct {
		name          string
		eig           []float64
		top, max, min float64 // largest magnitude, largest, smallest
		tolerance     float64
	}{
		{"positive", []float64{4, 1, 0.5, 0.1, 2, 0, 3}, 4, 4, 0, 1e-4},
		{"negative dominates", []float64{-6, 1, 0.5, 2.5, -1, 0, 3}, -6, 3, -6, 1e-4},
	} {
		t.Run(c.name, func(t *testing.T) {
			grad, _ := quadratic(c.eig, 7)
			theta := make([]float32, len(c.eig))
			for i := range theta {
				theta[i] = float32(i) - 2
			}
			// A quadratic's central difference is exact at any h; a long step
			// keeps the float32 gradients' rounding small beside it.
			o := study.EigenOptions{Iters: 500, Tol: 1e-6, Seed: 1, Step: 0.5}
			top, err := study.TopEigenvalue(grad, theta, o)
			if err != nil {
				t.Fatal(err)
			}
			if !top.Converged || math.Abs(top.Value-c.top) > c.tolerance*math.Abs(c.top) {
				t.Errorf("TopEigenvalue = %+v, want %g", top, c.top)
			}
			if top.Residual > 1e-3 {
				t.Errorf("residual %g at the converged eigenvector", top.Residual)
			}
			ends, err := study.Extremes(grad, theta, study.EigenOptions{Iters: 50, Tol: 1e-5, Seed: 1, Step: 0.5})
			if err != nil {
				t.Fatal(err)
			}
			// Seven eigenvalues: the Krylov space is all of it by the 7th product.
			if !ends.Converged || ends.Iters > len(c.eig) || math.Abs(ends.Max-c.max) > c.tolerance*math.Abs(c.max) || math.Abs(ends.Min-c.min) > c.tolerance*math.Max(math.Abs(c.min), 1) {
				t.Errorf("Extremes = %+v, want %g and %g", ends, c.max, c.min)
			}
			again, err := study.Extremes(grad, theta, study.EigenOptions{Iters: 50, Tol: 1e-5, Seed: 1, Step: 0.5})
			if err != nil || again != ends {
				t.Errorf("the same seed gave %+v, then %+v (%v)", ends, again, err)
			}
		})
	}
}

func TestPowerIterationBadInput(t *testing.T) {
	grad, _ := quadratic([]float64{1, 2}, 1)
	theta := []float32{1, 1}
	for _, o := range []study.EigenOptions{{Iters: 0}, {Iters: 5, Tol: -1}, {Iters: 5, Step: math.NaN()}, {Iters: 5, Step: -1}} {
		if _, err := study.TopEigenvalue(grad, theta, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
		if _, err := study.Extremes(grad, theta, o); err == nil {
			t.Errorf("Extremes %+v: no error", o)
		}
	}
	if _, err := study.TopEigenvalue(grad, nil, study.EigenOptions{Iters: 5}); err == nil {
		t.Error("no parameters: no error")
	}
	nan := func(theta, g []float32) (float64, error) {
		for i := range g {
			g[i] = float32(math.NaN())
		}
		return math.NaN(), nil
	}
	if _, err := study.TopEigenvalue(nan, theta, study.EigenOptions{Iters: 5}); err == nil {
		t.Error("a NaN gradient: no error")
	}
	if _, err := study.Extremes(nan, theta, study.EigenOptions{Iters: 5}); err == nil {
		t.Error("Extremes, a NaN gradient: no error")
	}
	zero := func(theta, g []float32) (float64, error) { clear(g); return 0, nil }
	if _, err := study.TopEigenvalue(zero, theta, study.EigenOptions{Iters: 5}); err == nil {
		t.Error("a zero Hessian: no error")
	}
}

// tinyLlama is model/testdata/llama-tied: its weights, batch, and
// PyTorch's exact Hessian-vector product and spectrum of its loss
// (study/testdata/hessian/gen.py).
func tinyLlama(t *testing.T) (*model.Model, study.LossBatches, *safetensors.File) {
	t.Helper()
	dir := filepath.Join("..", "model", "testdata", "llama-tied")
	cfg, err := model.ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(cfg, filepath.Join(dir, "init.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		B, T            int
		Tokens, Targets []int32
	}
	raw, err := os.ReadFile(filepath.Join(dir, "batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	golden, err := safetensors.ReadFile(filepath.Join("testdata", "hessian", "golden.safetensors"))
	if err != nil {
		t.Fatalf("%v (run /usr/bin/python3 study/testdata/hessian/gen.py)", err)
	}
	return m, study.LossBatches{B: in.B, T: in.T, Inputs: [][]int32{in.Tokens}, Targets: [][]int32{in.Targets}}, golden
}

func goldenTensor(t *testing.T, f *safetensors.File, name string) []float32 {
	t.Helper()
	tt, ok := f.Tensor(name)
	if !ok {
		t.Fatalf("golden has no %q", name)
	}
	x, err := tt.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestHessianVectorMatchesPyTorch checks the finite-difference product
// on a tiny Llama against PyTorch's double backward in float64, for the
// default step and its neighbours, and the power iteration's λ_max (and
// its unshifted eigenvalue of largest magnitude, negative at these random
// weights) against the dense Hessian's spectrum. Along the extreme
// eigenvectors the curvature changes fast: central differences at the
// default h = 1e-3 give both eigenvalues 0.4% low (PyTorch's own central
// differences in float64 do too), hence the 1% bound.
func TestHessianVectorMatchesPyTorch(t *testing.T) {
	m, lb, golden := tinyLlama(t)
	theta := append([]float32(nil), m.ParamBuffer()...)
	var v []float32
	var want []float64
	for _, p := range m.Params() {
		v = append(v, goldenTensor(t, golden, "v."+p.Name)...)
		for _, x := range goldenTensor(t, golden, "hv."+p.Name) {
			want = append(want, float64(x))
		}
	}
	n := len(theta)
	if len(v) != n {
		t.Fatalf("golden direction has %d elements for %d parameters", len(v), n)
	}
	grad := lb.Grad(m)
	l, err := grad(theta, make([]float32, n))
	if err != nil {
		t.Fatal(err)
	}
	if wantLoss := float64(goldenTensor(t, golden, "loss")[0]); math.Abs(l-wantLoss) > 1e-5 {
		t.Fatalf("loss %.7f, PyTorch %.7f", l, wantLoss)
	}
	hv := make([]float64, n)
	for _, h := range []float64{3e-4, study.DefaultHVPStep, 3e-3} {
		if err := study.HessianVector(grad, theta, v, h, hv, make([]float32, n), make([]float32, n)); err != nil {
			t.Fatal(err)
		}
		var d2, w2 float64
		for i := range hv {
			d2 += (hv[i] - want[i]) * (hv[i] - want[i])
			w2 += want[i] * want[i]
		}
		rel := math.Sqrt(d2 / w2)
		t.Logf("h %g: ‖Hv − Hv_torch‖/‖Hv_torch‖ = %.2e (‖Hv‖ %.4g)", h, rel, math.Sqrt(w2))
		if rel > 4e-3 {
			t.Errorf("h %g: relative error %.2e of the Hessian-vector product", h, rel)
		}
	}
	lmax := float64(goldenTensor(t, golden, "lambda_max")[0])
	lmin := float64(goldenTensor(t, golden, "lambda_min")[0])
	o := study.EigenOptions{Iters: 400, Tol: 1e-7, Seed: 1}
	top, err := study.TopEigenvalue(grad, theta, o)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(top.Value-lmin) > 1e-2*math.Abs(lmin) {
		t.Errorf("TopEigenvalue %+v; PyTorch's eigenvalue of largest magnitude is λ_min %.4f", top, lmin)
	}
	ends, err := study.Extremes(grad, theta, study.EigenOptions{Iters: 60, Tol: 1e-3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("power iteration: %.4f after %d products; Lanczos: λ_max %.4f ± %.1e (PyTorch %.4f), λ_min %.4f ± %.1e (PyTorch %.4f) after %d",
		top.Value, top.Iters, ends.Max, ends.MaxResidual, lmax, ends.Min, ends.MinResidual, lmin, ends.Iters)
	if !ends.Converged || math.Abs(ends.Max-lmax) > 1e-2*lmax || math.Abs(ends.Min-lmin) > 1e-2*math.Abs(lmin) {
		t.Errorf("Extremes %+v; PyTorch's λ_max %.4f, λ_min %.4f", ends, lmax, lmin)
	}
}
