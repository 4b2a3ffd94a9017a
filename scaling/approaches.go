package scaling

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Optimum is a compute budget's best model size, as Approach 1 or 2 found
// it.
type Optimum struct {
	C    float64 `json:"flops"`
	N    float64 `json:"params"`
	D    float64 `json:"tokens"`
	Loss float64 `json:"loss"` // the frontier run's loss, or the parabola's minimum
}

// AllocationFit is Approach 1's or 2's estimate of the compute-optimal
// exponents: N_opt = KN·C^a and D_opt = KD·C^b, by least squares of
// log N_opt and log D_opt on log C over the optima.
type AllocationFit struct {
	Approach int       `json:"approach"`
	Optima   []Optimum `json:"optima"`
	ExpN     float64   `json:"a"`
	ExpD     float64   `json:"b"`
	KN       float64   `json:"kn"`
	KD       float64   `json:"kd"`
}

func allocationFit(approach int, optima []Optimum) AllocationFit {
	xs, ns, ds := make([]float64, len(optima)), make([]float64, len(optima)), make([]float64, len(optima))
	for i, o := range optima {
		xs[i], ns[i], ds[i] = math.Log(o.C), math.Log(o.N), math.Log(o.D)
	}
	pn, a := lineFit(xs, ns)
	pd, b := lineFit(xs, ds)
	return AllocationFit{Approach: approach, Optima: optima, ExpN: a, ExpD: b, KN: math.Exp(pn), KD: math.Exp(pd)}
}

// Envelope is Approach 1 on final losses: the runs on the compute frontier
// ([Frontier]) are each budget's best (N, D), and log N and log D are
// regressed on log C. Hoffmann et al. took the envelope over every point of
// every training curve; with one loss per run, the frontier is its
// counterpart. It needs at least 2 frontier runs of different compute.
func Envelope(runs []Run) (AllocationFit, error) {
	if err := checkRuns(runs, 2, "approach-1"); err != nil {
		return AllocationFit{}, err
	}
	front := Frontier(runs)
	if len(front) < 2 {
		return AllocationFit{}, fmt.Errorf("only %d run on the compute frontier: Approach 1 needs at least 2", len(front))
	}
	optima := make([]Optimum, len(front))
	for i, r := range front {
		optima[i] = Optimum{C: r.C, N: r.N, D: r.D, Loss: r.Loss}
	}
	return allocationFit(1, optima), nil
}

// IsoFLOPTolerance is how far apart (relatively) the compute of runs in
// one IsoFLOP group may be: a group holds the runs whose C is within this
// factor above its smallest.
const IsoFLOPTolerance = 0.1

// IsoFLOPGroups sorts the runs by compute and splits them into groups of
// nearly equal compute (see [IsoFLOPTolerance]).
func IsoFLOPGroups(runs []Run) [][]Run {
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b Run) int { return cmp.Compare(a.C, b.C) })
	var groups [][]Run
	for _, r := range sorted {
		if n := len(groups); n > 0 && r.C <= groups[n-1][0].C*(1+IsoFLOPTolerance) {
			groups[n-1] = append(groups[n-1], r)
			continue
		}
		groups = append(groups, []Run{r})
	}
	return groups
}

// IsoFLOP is Approach 2: for each group of runs of nearly equal compute
// with at least 3 distinct N, the least-squares parabola
// L = p₀ + p₁·x + p₂·x², x = log N, has its minimum at x* = −p₁/(2p₂);
// N_opt = e^x* and D_opt = C/(6·N_opt), C the group's geometric-mean
// compute. Groups whose parabola opens downwards, or whose minimum lies
// outside the group's sizes, are skipped (their minimum is not bracketed).
// It needs at least 2 groups with a minimum.
func IsoFLOP(runs []Run) (AllocationFit, []string, error) {
	if err := checkRuns(runs, 6, "approach-2"); err != nil {
		return AllocationFit{}, nil, err
	}
	var optima []Optimum
	var skipped []string
	for _, g := range IsoFLOPGroups(runs) {
		o, err := parabolaMinimum(g)
		if err != nil {
			skipped = append(skipped, err.Error())
			continue
		}
		optima = append(optima, o)
	}
	if len(optima) < 2 {
		return AllocationFit{}, skipped, fmt.Errorf("%d IsoFLOP groups with a bracketed minimum: Approach 2 needs at least 2 (groups of runs within %g%% of each other's compute, 3 or more model sizes each)", len(optima), 100*IsoFLOPTolerance)
	}
	return allocationFit(2, optima), skipped, nil
}

func parabolaMinimum(g []Run) (Optimum, error) {
	var logC float64
	xs, ys := make([]float64, len(g)), make([]float64, len(g))
	sizes := map[float64]bool{}
	for i, r := range g {
		logC += math.Log(r.C)
		xs[i], ys[i] = math.Log(r.N), r.Loss
		sizes[r.N] = true
	}
	c := math.Exp(logC / float64(len(g)))
	if len(sizes) < 3 {
		return Optimum{}, fmt.Errorf("C ≈ %.3g: %d model sizes, a parabola needs 3", c, len(sizes))
	}
	p0, p1, p2, ok := quadFit(xs, ys)
	if !ok || !(p2 > 0) {
		return Optimum{}, fmt.Errorf("C ≈ %.3g: the parabola in log N does not open upwards", c)
	}
	x := -p1 / (2 * p2)
	if x < slices.Min(xs) || x > slices.Max(xs) {
		return Optimum{}, fmt.Errorf("C ≈ %.3g: the parabola's minimum (N = %.3g) lies outside the group's sizes", c, math.Exp(x))
	}
	n := math.Exp(x)
	return Optimum{C: c, N: n, D: c / (6 * n), Loss: p0 + p1*x + p2*x*x}, nil
}

// quadFit is least squares y = p0 + p1·u + p2·u², u = x − mean(x)
// (centring keeps the design well conditioned), solved by QR; it returns
// the coefficients in x.
func quadFit(xs, ys []float64) (p0, p1, p2 float64, ok bool) {
	var mx float64
	for _, x := range xs {
		mx += x
	}
	mx /= float64(len(xs))
	design := mat.NewDense(len(xs), 3, nil) // [runs, 3]
	for i, x := range xs {
		u := x - mx
		design.SetRow(i, []float64{1, u, u * u})
	}
	var q mat.VecDense
	if err := q.SolveVec(design, mat.NewVecDense(len(ys), slices.Clone(ys))); err != nil {
		return 0, 0, 0, false
	}
	q0, q1, q2 := q.AtVec(0), q.AtVec(1), q.AtVec(2)
	// Back from u = x − mx: q0 + q1(x−mx) + q2(x−mx)².
	return q0 - q1*mx + q2*mx*mx, q1 - 2*q2*mx, q2, true
}
