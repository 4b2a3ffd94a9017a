package scaling

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// truth is the law the synthetic runs are drawn from: Epoch's replication.
var truth = Chinchilla{E: 1.82, A: 482.01, B: 2085.43, Alpha: 0.3478, Beta: 0.3658}

// TestFitChinchillaRecovers fits Approach 3 with Hoffmann's full grid to
// 45 IsoFLOP runs over four decades of compute with 1% noise on the loss,
// and finds the law it was drawn from.
func TestFitChinchillaRecovers(t *testing.T) {
	runs := synthRuns(truth, []float64{1e18, 1e19, 1e20, 1e21, 1e22}, 9, 0.01, 1)
	fit, err := FitChinchilla(runs, Options{Bootstrap: 40, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fit %+v (%d of %d starts converged), allocation %+v, intervals %+v", fit.Law, fit.Converged, fit.Starts, *fit.Allocation, *fit.Intervals)
	if fit.Starts != 4500 || fit.Converged < fit.Starts/2 {
		t.Errorf("starts %d, converged %d: want 4500, most converged", fit.Starts, fit.Converged)
	}
	got, want := fit.Law, truth
	for _, c := range []struct {
		name       string
		got, want  float64
		tol        float64
		relativeTo bool
	}{
		{"E", got.E, want.E, 0.05, false},
		{"alpha", got.Alpha, want.Alpha, 0.05, false},
		{"beta", got.Beta, want.Beta, 0.05, false},
	} {
		if math.Abs(c.got-c.want) > c.tol {
			t.Errorf("%s = %.4f, want %.4f ± %g", c.name, c.got, c.want, c.tol)
		}
	}
	wantAl, _ := truth.Allocation()
	if fit.Allocation == nil || math.Abs(fit.Allocation.A-wantAl.A) > 0.02 {
		t.Errorf("allocation %+v, want a = %.4f ± 0.02", fit.Allocation, wantAl.A)
	}
	// The intervals bracket the estimate's neighbourhood and the truth.
	iv := fit.Intervals
	if iv == nil || iv.Resamples < 30 {
		t.Fatalf("intervals %+v, want most of 40 resamples", iv)
	}
	for _, c := range []struct {
		name  string
		iv    Interval
		truth float64
	}{{"alpha", iv.Alpha, want.Alpha}, {"beta", iv.Beta, want.Beta}, {"a", iv.ExpN, wantAl.A}, {"E", iv.E, want.E}} {
		if !(c.iv.Lo < c.iv.Hi) || c.truth < c.iv.Lo-0.02 || c.truth > c.iv.Hi+0.02 {
			t.Errorf("%s interval [%.4f, %.4f] does not cover %.4f (with 0.02 slack)", c.name, c.iv.Lo, c.iv.Hi, c.truth)
		}
	}
}

// smallGrid keeps the tests that fit many times fast.
var smallGrid = &Grid{Alpha: []float64{0.5, 1}, Beta: []float64{0.5, 1}, E: []float64{0, 0.5}, A: []float64{5, 10}, B: []float64{5, 10}}

// TestFitChinchillaDeterministic: the same runs give the same bits, for
// any thread count, bootstrap included.
func TestFitChinchillaDeterministic(t *testing.T) {
	runs := synthRuns(truth, []float64{1e18, 1e19, 1e20, 1e21}, 7, 0.02, 3)
	var first ChinchillaFit
	for i, threads := range []int{1, 3, 2} {
		fit, err := FitChinchilla(runs, Options{Grid: smallGrid, Bootstrap: 20, Seed: 5, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = fit
			continue
		}
		if fit.Law != first.Law || fit.Objective != first.Objective || *fit.Intervals != *first.Intervals {
			t.Errorf("threads %d: %+v %+v, want %+v %+v", threads, fit.Law, *fit.Intervals, first.Law, *first.Intervals)
		}
	}
}

// TestHuberLSEGradient checks the analytic gradient against central
// differences, at points where residuals sit on both sides of δ.
func TestHuberLSEGradient(t *testing.T) {
	runs := synthRuns(truth, []float64{1e18, 1e20}, 5, 0.01, 2)
	h := newHuberLSE(runs, 1e-3)
	for _, theta := range [][]float64{
		{math.Log(480), math.Log(2000), math.Log(1.8), 0.35, 0.37},
		{5, 7, 0.3, 0.4, 0.2},
		{0, 25, -1, 2, 0.5},
	} {
		grad := make([]float64, 5)
		h.eval(theta, grad)
		for j := range theta {
			const eps = 1e-7
			up, down := append([]float64(nil), theta...), append([]float64(nil), theta...)
			up[j] += eps
			down[j] -= eps
			num := (h.eval(up, nil) - h.eval(down, nil)) / (2 * eps)
			if math.Abs(num-grad[j]) > 1e-6*max(1, math.Abs(num)) {
				t.Errorf("θ = %v, ∂/∂θ%d = %.9g, central difference %.9g", theta, j, grad[j], num)
			}
		}
	}
}

// TestAllocationClosedForm compares N_opt(C) in closed form with a
// numerical minimisation of L(N, C/(6N)) over log N.
func TestAllocationClosedForm(t *testing.T) {
	laws := []Chinchilla{truth, {E: 1.69, A: 406.4, B: 410.7, Alpha: 0.34, Beta: 0.28}, {E: 2, A: 50, B: 9000, Alpha: 0.2, Beta: 0.6}}
	for _, law := range laws {
		for _, c := range []float64{1e15, 1e20, 5.76e23, 1e26} {
			n, d, err := law.Optimal(c)
			if err != nil {
				t.Fatal(err)
			}
			// Golden-section search on log N over a wide bracket.
			f := func(x float64) float64 { return law.Loss(math.Exp(x), c/(6*math.Exp(x))) }
			lo, hi := math.Log(1), math.Log(c/6)
			g := (math.Sqrt(5) - 1) / 2
			for hi-lo > 1e-10 {
				x1, x2 := hi-g*(hi-lo), lo+g*(hi-lo)
				if f(x1) < f(x2) {
					hi = x2
				} else {
					lo = x1
				}
			}
			num := math.Exp((lo + hi) / 2)
			if math.Abs(n-num) > 1e-6*num {
				t.Errorf("%+v at C = %g: closed form N_opt = %.8g, numerical %.8g", law, c, n, num)
			}
			if math.Abs(6*n*d-c) > 1e-9*c {
				t.Errorf("6·N·D = %g, want C = %g", 6*n*d, c)
			}
			dn, err := law.OptimalTokens(n)
			if err != nil || math.Abs(dn-d) > 1e-9*d {
				t.Errorf("OptimalTokens(%g) = %g, %v; want %g", n, dn, err, d)
			}
		}
	}
}

func TestFitKaplanRecovers(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	law := PowerLaw{Alpha: 0.076, Scale: 8.8e13}
	var runs []Run
	for i := range 30 {
		n := 1e6 * math.Pow(10, float64(i)/6) // 1e6 … 1e11
		l := law.Loss(n) * math.Exp(0.005*rng.NormFloat64())
		runs = append(runs, Run{N: n, D: 1e12, C: 6e12 * n, Loss: l})
		// A data-limited run of the same size sits above the envelope.
		runs = append(runs, Run{N: n, D: 1e9, C: 6e9 * n, Loss: l * 1.3})
	}
	fit, err := FitKaplan(runs, ByN, Options{Bootstrap: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fit %+v, intervals %+v", fit.Law, *fit.Intervals)
	if len(fit.Points) != 30 {
		t.Errorf("envelope of %d points, want 30 (one per N)", len(fit.Points))
	}
	if math.Abs(fit.Law.Alpha-law.Alpha) > 0.003 || math.Abs(math.Log(fit.Law.Scale/law.Scale)) > math.Log(3) {
		t.Errorf("fit %+v, want %+v (α ± 0.003, N_c within 3×)", fit.Law, law)
	}
	if iv := fit.Intervals; iv == nil || law.Alpha < iv.Alpha.Lo-0.002 || law.Alpha > iv.Alpha.Hi+0.002 {
		t.Errorf("α interval %+v does not cover %g", fit.Intervals, law.Alpha)
	}
}

// TestApproaches1And2 recovers the allocation exponent from noise-free
// IsoFLOP runs by the envelope and by parabolas, with each budget's sizes
// centred off the optimum (at 1.7·N_opt, 14 sizes: no run sits on it).
func TestApproaches1And2(t *testing.T) {
	runs := synthRunsShifted(truth, []float64{1e18, 1e19, 1e20, 1e21, 1e22}, 14, 1.7, 0, 1)
	want, _ := truth.Allocation()
	a1, err := Envelope(runs)
	if err != nil {
		t.Fatal(err)
	}
	a2, skipped, err := IsoFLOP(runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 || len(a2.Optima) != 5 {
		t.Errorf("approach 2: %d optima, skipped %q; want all 5 budgets", len(a2.Optima), skipped)
	}
	t.Logf("approach 1: a = %.4f; approach 2: a = %.4f; truth a = %.4f", a1.ExpN, a2.ExpN, want.A)
	// The parabola's minimum finds N_opt although no run sits on it (to
	// the Taylor approximation's bias, a few percent here).
	for _, o := range a2.Optima {
		n, _, _ := truth.Optimal(o.C)
		if math.Abs(math.Log(o.N/n)) > 0.05 {
			t.Errorf("approach 2 at C = %g: N_opt %.4g, want %.4g ± 5%%", o.C, o.N, n)
		}
	}
	for _, a := range []AllocationFit{a1, a2} {
		if math.Abs(a.ExpN-want.A) > 0.03 || math.Abs(a.ExpN+a.ExpD-1) > 1e-9 {
			t.Errorf("approach %d: a = %.4f, b = %.4f; want a = %.4f ± 0.03 and a + b = 1", a.Approach, a.ExpN, a.ExpD, want.A)
		}
	}
}

func TestExcludeLargestResidual(t *testing.T) {
	runs := synthRuns(truth, []float64{1e18, 1e19, 1e20}, 5, 0, 1)
	outlier := 7
	runs[outlier].Loss *= 1.5
	kept, dropped, err := ExcludeLargestResidual(runs, runs, 1, func(r Run) float64 { return truth.Loss(r.N, r.D) })
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 1 || dropped[0] != runs[outlier] || len(kept) != len(runs)-1 {
		t.Errorf("dropped %+v, kept %d; want run %d dropped", dropped, len(kept), outlier)
	}
	if _, _, err := ExcludeLargestResidual(runs, runs, len(runs), nil); err == nil {
		t.Error("excluding every run: no error")
	}
}

func TestFitBadInput(t *testing.T) {
	good := synthRuns(truth, []float64{1e18, 1e19}, 4, 0.01, 1)
	withLoss := func(i int, l float64) []Run {
		runs := append([]Run(nil), good...)
		runs[i].Loss = l
		return runs
	}
	sameN := append([]Run(nil), good...)
	for i := range sameN {
		sameN[i].N = 1e6
	}
	for _, c := range []struct {
		name string
		fit  func() error
		want string
	}{
		{"too few chinchilla", func() error { _, err := FitChinchilla(good[:5], Options{}); return err }, "5 runs are too few for the chinchilla form: it needs at least 6"},
		{"too few kaplan", func() error { _, err := FitKaplan(good[:2], ByN, Options{}); return err }, "too few for the kaplan-n form"},
		{"NaN loss", func() error { _, err := FitChinchilla(withLoss(3, math.NaN()), Options{}); return err }, "run 3: loss = NaN"},
		{"zero loss", func() error { _, err := FitKaplan(withLoss(2, 0), ByC, Options{}); return err }, "run 2: loss = 0"},
		{"negative loss, CSV line", func() error {
			runs := withLoss(1, -1)
			runs[1].Line = 3
			_, err := FitChinchilla(runs, Options{})
			return err
		}, "line 3: loss = -1"},
		{"one N", func() error { _, err := FitChinchilla(sameN, Options{}); return err }, "every run has N = 1e+06"},
		{"bad level", func() error { _, err := FitChinchilla(good, Options{Level: 2}); return err }, "interval level 2"},
		{"rising loss", func() error {
			runs := []Run{{N: 1, D: 1, C: 6, Loss: 1}, {N: 2, D: 1, C: 12, Loss: 2}, {N: 3, D: 1, C: 18, Loss: 3}}
			_, err := FitKaplan(runs, ByN, Options{})
			return err
		}, "does not fall with N"},
		{"IsoFLOP groups", func() error {
			_, _, err := IsoFLOP(synthRuns(truth, []float64{1e18, 1e19, 1e20}, 2, 0, 1))
			return err
		}, "IsoFLOP groups with a bracketed minimum"},
	} {
		err := c.fit()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestPercentileInterval(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3} // sorted: 1 2 3 4 5
	if got := percentileInterval(xs, 0.5); got != (Interval{2, 4}) {
		t.Errorf("50%% interval of 1..5 = %+v, want {2 4}", got)
	}
	if got := percentileInterval(xs, 0.9); math.Abs(got.Lo-1.2) > 1e-12 || math.Abs(got.Hi-4.8) > 1e-12 {
		t.Errorf("90%% interval of 1..5 = %+v, want {1.2 4.8}", got)
	}
}
