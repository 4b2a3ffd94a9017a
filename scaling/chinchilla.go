package scaling

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/optimize"
)

// Options configure a fit.
type Options struct {
	// Delta is the Huber loss's δ (default 1e-3, Hoffmann et al.'s).
	Delta float64
	// MaxIterations caps L-BFGS iterations per start (default 500).
	MaxIterations int
	// Grid is the initialisation grid (default: [HoffmannGrid]).
	Grid *Grid
	// Bootstrap is the number of resamples for the intervals (0: none).
	Bootstrap int
	// Level is the intervals' coverage (default 0.95).
	Level float64
	// Seed seeds the bootstrap's PCG generator.
	Seed uint64
	// Threads bounds the goroutines (0: GOMAXPROCS). Results do not
	// depend on it.
	Threads int
}

func (o Options) withDefaults() Options {
	if o.Delta == 0 {
		o.Delta = 1e-3
	}
	if o.MaxIterations == 0 {
		o.MaxIterations = 500
	}
	if o.Grid == nil {
		g := HoffmannGrid()
		o.Grid = &g
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	return o
}

func (o Options) validate() error {
	switch {
	case !(o.Delta > 0) || math.IsInf(o.Delta, 0):
		return fmt.Errorf("Huber δ = %v, want a finite positive number", o.Delta)
	case o.MaxIterations < 1:
		return fmt.Errorf("iteration cap %d, want at least 1", o.MaxIterations)
	case o.Bootstrap < 0:
		return fmt.Errorf("bootstrap resamples %d, want 0 or more", o.Bootstrap)
	case !(o.Level > 0 && o.Level < 1):
		return fmt.Errorf("interval level %v, want a number strictly between 0 and 1", o.Level)
	}
	return nil
}

// Grid is a set of L-BFGS starting points for Approach 3, the product of
// its axes; the log-space parameters are a = log A, b = log B, e = log E.
type Grid struct {
	Alpha, Beta, E, A, B []float64
}

// HoffmannGrid is Hoffmann et al.'s grid: α, β ∈ {0, 0.5, …, 2},
// e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25}.
func HoffmannGrid() Grid {
	steps := func(from, step float64, n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = from + step*float64(i)
		}
		return xs
	}
	return Grid{Alpha: steps(0, 0.5, 5), Beta: steps(0, 0.5, 5), E: steps(-1, 0.5, 5), A: steps(0, 5, 6), B: steps(0, 5, 6)}
}

// Points lists the grid's starts as θ = (a, b, e, α, β), α varying
// slowest and b fastest.
func (g Grid) Points() [][5]float64 {
	var pts [][5]float64
	for _, alpha := range g.Alpha {
		for _, beta := range g.Beta {
			for _, e := range g.E {
				for _, a := range g.A {
					for _, b := range g.B {
						pts = append(pts, [5]float64{a, b, e, alpha, beta})
					}
				}
			}
		}
	}
	return pts
}

// Interval is a percentile bootstrap interval.
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// ChinchillaIntervals are the bootstrap intervals of a Chinchilla fit.
type ChinchillaIntervals struct {
	Level     float64  `json:"level"`
	Resamples int      `json:"resamples"` // resamples whose fit succeeded
	E         Interval `json:"E"`
	A         Interval `json:"A"`
	B         Interval `json:"B"`
	Alpha     Interval `json:"alpha"`
	Beta      Interval `json:"beta"`
	G         Interval `json:"G"`
	ExpN      Interval `json:"a"` // N_opt ∝ C^a
	ExpD      Interval `json:"b"` // D_opt ∝ C^b
}

// ChinchillaFit is the result of [FitChinchilla].
type ChinchillaFit struct {
	Law        Chinchilla           `json:"chinchilla"`
	Allocation *Allocation          `json:"allocation,omitempty"` // nil when α or β ≤ 0
	Objective  float64              `json:"objective"`            // Huber sum at the optimum
	Runs       int                  `json:"runs"`
	Starts     int                  `json:"starts"`
	Converged  int                  `json:"converged"` // starts that met a convergence test
	Intervals  *ChinchillaIntervals `json:"intervals,omitempty"`
}

// huberLSE is Approach 3's objective over fixed runs: the sum of
// Huber_δ(LSE(a − α·log N, b − β·log D, e) − log L).
type huberLSE struct {
	logN, logD, logL []float64 // [runs]
	delta            float64
}

func newHuberLSE(runs []Run, delta float64) *huberLSE {
	h := &huberLSE{delta: delta}
	for _, r := range runs {
		h.logN = append(h.logN, math.Log(r.N))
		h.logD = append(h.logD, math.Log(r.D))
		h.logL = append(h.logL, math.Log(r.Loss))
	}
	return h
}

// eval returns the objective at θ = (a, b, e, α, β) and, when grad is not
// nil, writes its gradient there: with w the LSE's softmax weights and
// h' = clamp(residual, −δ, δ) the Huber slope,
// ∂/∂a = h'·w₁, ∂/∂b = h'·w₂, ∂/∂e = h'·w₃, ∂/∂α = −h'·w₁·log N,
// ∂/∂β = −h'·w₂·log D.
func (h *huberLSE) eval(theta, grad []float64) float64 {
	a, b, e, alpha, beta := theta[0], theta[1], theta[2], theta[3], theta[4]
	if grad != nil {
		clear(grad)
	}
	var f float64
	for i := range h.logL {
		x1 := a - alpha*h.logN[i]
		x2 := b - beta*h.logD[i]
		// The largest term's weight is exp(0) = 1: two exps, not three.
		m := max(x1, x2, e)
		w1, w2, w3 := 1.0, 1.0, 1.0
		if x1 != m {
			w1 = math.Exp(x1 - m)
		}
		if x2 != m {
			w2 = math.Exp(x2 - m)
		}
		if e != m {
			w3 = math.Exp(e - m)
		}
		s := w1 + w2 + w3
		r := m + math.Log(s) - h.logL[i]
		var slope float64
		if math.Abs(r) <= h.delta {
			f += r * r / 2
			slope = r
		} else {
			f += h.delta * (math.Abs(r) - h.delta/2)
			slope = math.Copysign(h.delta, r)
		}
		if grad != nil {
			slope /= s
			grad[0] += slope * w1
			grad[1] += slope * w2
			grad[2] += slope * w3
			grad[3] -= slope * w1 * h.logN[i]
			grad[4] -= slope * w2 * h.logD[i]
		}
	}
	return f
}

// start is one L-BFGS run's end.
type start struct {
	theta     [5]float64
	f         float64
	converged bool
}

// convergedGradient is the gradient's infinity norm under which a start
// whose line search could make no more progress counts as converged: with
// δ = 10⁻³ the Huber slopes are at most 10⁻³, so the gradient's terms are
// of order 10⁻², and 10⁻⁷ is five orders below.
const convergedGradient = 1e-7

// minimize runs L-BFGS from theta0. gonum asks for the value and the
// gradient at the same point in two calls; one evaluation serves both.
func (h *huberLSE) minimize(theta0 [5]float64, maxIter int) start {
	var lastX [5]float64
	var lastF float64
	var lastGrad [5]float64
	have := false
	evalAt := func(x []float64) {
		if have && [5]float64(x) == lastX {
			return
		}
		lastX = [5]float64(x)
		lastF = h.eval(x, lastGrad[:])
		have = true
	}
	p := optimize.Problem{
		Func: func(x []float64) float64 { evalAt(x); return lastF },
		Grad: func(grad, x []float64) { evalAt(x); copy(grad, lastGrad[:]) },
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-9,
		Converger:         &optimize.FunctionConverge{Relative: 1e-12, Iterations: 20},
		MajorIterations:   maxIter,
	}
	res, err := optimize.Minimize(p, theta0[:], settings, &optimize.LBFGS{})
	if res == nil || math.IsNaN(res.F) || math.IsInf(res.F, 0) {
		return start{theta: theta0, f: math.Inf(1)}
	}
	s := start{theta: [5]float64(res.X), f: res.F}
	if law := lawOf(s.theta); !law.finite() {
		return s // A, B or E overflowed: the runs do not pin the law down here
	}
	// A start converged when its gradient vanished or its objective stopped
	// improving; also when its line search could make no more progress
	// (gonum's error) at a point where the gradient is below
	// convergedGradient, which the Huber loss's kinks make common.
	switch {
	case err == nil && (res.Status == optimize.GradientThreshold || res.Status == optimize.FunctionConvergence):
		s.converged = true
	case res.Status == optimize.Failure:
		var grad [5]float64
		h.eval(res.X, grad[:])
		norm := 0.0
		for _, g := range grad {
			norm = max(norm, math.Abs(g))
		}
		s.converged = norm < convergedGradient
	}
	return s
}

// best runs every start, threads at a time, and returns the best converged
// end (ties to the earlier start) and all ends in start order.
func (h *huberLSE) best(starts [][5]float64, maxIter, threads int) (start, []start, int, error) {
	ends := make([]start, len(starts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(threads, len(starts)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(starts) {
					return
				}
				ends[i] = h.minimize(starts[i], maxIter)
			}
		})
	}
	wg.Wait()
	bestIdx, converged := -1, 0
	for i, s := range ends {
		if !s.converged {
			continue
		}
		converged++
		if bestIdx < 0 || s.f < ends[bestIdx].f {
			bestIdx = i
		}
	}
	if bestIdx < 0 {
		return start{}, ends, 0, fmt.Errorf("no L-BFGS start of %d converged (cap %d iterations per start)", len(starts), maxIter)
	}
	return ends[bestIdx], ends, converged, nil
}

// finite reports whether every parameter is a finite number.
func (c Chinchilla) finite() bool {
	for _, x := range []float64{c.E, c.A, c.B, c.Alpha, c.Beta} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func lawOf(theta [5]float64) Chinchilla {
	return Chinchilla{A: math.Exp(theta[0]), B: math.Exp(theta[1]), E: math.Exp(theta[2]), Alpha: theta[3], Beta: theta[4]}
}

// FitChinchilla fits L(N, D) = E + A/N^α + B/D^β to the runs by Approach 3
// (see the package doc): Huber loss in log space, L-BFGS from every grid
// point, the best converged start kept. It needs at least 6 runs with at
// least two distinct N and two distinct D. With opt.Bootstrap > 0 it adds
// percentile intervals from resampling the runs.
func FitChinchilla(runs []Run, opt Options) (ChinchillaFit, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return ChinchillaFit{}, err
	}
	if err := checkRuns(runs, 6, "chinchilla"); err != nil {
		return ChinchillaFit{}, err
	}
	if err := checkSpread(runs, "N", func(r Run) float64 { return r.N }); err != nil {
		return ChinchillaFit{}, err
	}
	if err := checkSpread(runs, "D", func(r Run) float64 { return r.D }); err != nil {
		return ChinchillaFit{}, err
	}
	starts := opt.Grid.Points()
	if len(starts) == 0 {
		return ChinchillaFit{}, errors.New("the initialisation grid is empty")
	}
	h := newHuberLSE(runs, opt.Delta)
	best, ends, converged, err := h.best(starts, opt.MaxIterations, opt.Threads)
	if err != nil {
		return ChinchillaFit{}, err
	}
	fit := ChinchillaFit{Law: lawOf(best.theta), Objective: best.f, Runs: len(runs), Starts: len(starts), Converged: converged}
	if al, err := fit.Law.Allocation(); err == nil {
		fit.Allocation = &al
	}
	if opt.Bootstrap > 0 {
		warm := bestEnds(ends, bootstrapStarts)
		iv, err := bootstrapChinchilla(runs, warm, opt)
		if err != nil {
			return ChinchillaFit{}, err
		}
		fit.Intervals = iv
	}
	return fit, nil
}

// bootstrapStarts is how many of the full fit's best ends seed each
// bootstrap resample's fit.
const bootstrapStarts = 16

// bestEnds returns the k converged ends with the lowest objective, best
// first (ties to the earlier start).
func bestEnds(ends []start, k int) [][5]float64 {
	idx := make([]int, 0, len(ends))
	for i, s := range ends {
		if s.converged {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmp.Compare(ends[i].f, ends[j].f) })
	top := idx[:min(k, len(idx))]
	out := make([][5]float64, len(top))
	for j, i := range top {
		out[j] = ends[i].theta
	}
	return out
}

func bootstrapChinchilla(runs []Run, warm [][5]float64, opt Options) (*ChinchillaIntervals, error) {
	samples := resampleIndices(len(runs), opt.Bootstrap, opt.Seed)
	laws := make([]*Chinchilla, len(samples))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(opt.Threads, len(samples)) {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= len(samples) {
					return
				}
				h := newHuberLSE(pick(runs, samples[k]), opt.Delta)
				if best, _, _, err := h.best(warm, opt.MaxIterations, 1); err == nil {
					law := lawOf(best.theta)
					laws[k] = &law
				}
			}
		})
	}
	wg.Wait()
	var cols [8][]float64 // E, A, B, α, β, G, a, b
	for _, law := range laws {
		if law == nil {
			continue
		}
		al, err := law.Allocation()
		if err != nil {
			continue // no finite allocation: the resample has no exponents
		}
		for j, x := range []float64{law.E, law.A, law.B, law.Alpha, law.Beta, al.G, al.A, al.B} {
			cols[j] = append(cols[j], x)
		}
	}
	if len(cols[0]) < 2 {
		return nil, fmt.Errorf("only %d of %d bootstrap resamples gave a fit with a finite allocation: too few runs or too little spread for intervals", len(cols[0]), len(samples))
	}
	iv := &ChinchillaIntervals{Level: opt.Level, Resamples: len(cols[0])}
	for j, dst := range []*Interval{&iv.E, &iv.A, &iv.B, &iv.Alpha, &iv.Beta, &iv.G, &iv.ExpN, &iv.ExpD} {
		*dst = percentileInterval(cols[j], opt.Level)
	}
	return iv, nil
}

// checkSpread fails when every run has the same value of a variable: no
// law in it can then be fitted.
func checkSpread(runs []Run, name string, get func(Run) float64) error {
	for _, r := range runs[1:] {
		if get(r) != get(runs[0]) {
			return nil
		}
	}
	return fmt.Errorf("every run has %s = %g: a fit needs at least two different values of %s", name, get(runs[0]), name)
}
