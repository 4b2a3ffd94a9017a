package study

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// ToyOptions describe the one-dimensional KL toy: a target p that is a
// mixture of two Gaussians, discretised on a fine grid, fitted by a single
// Gaussian q = N(μ, σ²) on the same grid.
type ToyOptions struct {
	Means   [2]float64 `json:"means"`   // the two modes' centres
	Widths  [2]float64 `json:"widths"`  // their standard deviations, > 0
	Weights [2]float64 `json:"weights"` // their mixture weights, ≥ 0, normalised to sum 1
	Points  int        `json:"points"`  // grid points (≥ 101), over the modes ± 8 widths and p's mean ± 8 std
}

// DefaultToy is two well-separated modes of unequal weight, so that the
// reverse fit has one best mode to settle on.
var DefaultToy = ToyOptions{Means: [2]float64{-2, 2}, Widths: [2]float64{0.6, 0.6}, Weights: [2]float64{0.35, 0.65}, Points: 4001}

// Validate reports the first option that cannot describe a toy.
func (o ToyOptions) Validate() error {
	for i := range 2 {
		if math.IsNaN(o.Means[i]) || math.IsInf(o.Means[i], 0) {
			return fmt.Errorf("mode %d: mean %g is not finite", i+1, o.Means[i])
		}
		if !(o.Widths[i] > 0) || math.IsInf(o.Widths[i], 0) {
			return fmt.Errorf("mode %d: width %g must be finite and > 0", i+1, o.Widths[i])
		}
		if !(o.Weights[i] >= 0) || math.IsInf(o.Weights[i], 0) {
			return fmt.Errorf("mode %d: weight %g must be finite and ≥ 0", i+1, o.Weights[i])
		}
	}
	if !(o.Weights[0]+o.Weights[1] > 0) {
		return fmt.Errorf("the mode weights %g and %g sum to 0", o.Weights[0], o.Weights[1])
	}
	if o.Points < 101 || o.Points > 1e6 {
		return fmt.Errorf("grid points %d: want 101 … 1,000,000", o.Points)
	}
	return nil
}

// ToyFit is one Gaussian fit q = N(μ, σ²) of the toy's target p. Every
// figure is on the grid: probabilities are the densities at the grid
// points normalised to sum 1, entropies the differential entropy they
// approximate, −Σ qᵢ log(qᵢ/Δx).
type ToyFit struct {
	Name       string  `json:"name"`
	Mu         float64 `json:"mu"`
	Sigma      float64 `json:"sigma"`
	Entropy    float64 `json:"entropy"`     // of q, nats
	Covered    float64 `json:"covered"`     // p's mass within μ ± 2σ
	ModeMass   float64 `json:"mode_mass"`   // q's mass within 2 widths of mode 1 (second: mode 2)
	ModeMass2  float64 `json:"mode_mass_2"` //
	ForwardKL  float64 `json:"forward_kl"`  // KL(p ‖ q), nats
	ReverseKL  float64 `json:"reverse_kl"`  // KL(q ‖ p), nats
	Iterations int     `json:"iterations"`  // gradient steps of the fit (0: closed form)
}

// Toy is the toy's result: the target's own figures and three fits, the
// closed-form moment match (the forward KL's optimum), and the gradient
// descent fits of forward and reverse KL.
type Toy struct {
	Options       ToyOptions `json:"options"`
	TargetEntropy float64    `json:"target_entropy"` // of p, nats
	TargetMean    float64    `json:"target_mean"`
	TargetStd     float64    `json:"target_std"`
	Moments       ToyFit     `json:"moment_match"`
	Forward       ToyFit     `json:"forward"`
	Reverse       ToyFit     `json:"reverse"`

	x, p []float64 // the grid and p on it, for the figure
	dx   float64
}

// toyGrid is p on the grid.
type toyGrid struct {
	x, p, logp []float64
	dx         float64
}

func newToyGrid(o ToyOptions) toyGrid {
	// Wide enough for every mode's tails and for the moment match's (the
	// widest fit): a Gaussian cut short by the grid would have other
	// moments, and the forward fit would no longer be the moment match.
	w0, w1 := o.Weights[0]/(o.Weights[0]+o.Weights[1]), o.Weights[1]/(o.Weights[0]+o.Weights[1])
	mean := w0*o.Means[0] + w1*o.Means[1]
	std := math.Sqrt(w0*(o.Widths[0]*o.Widths[0]+(o.Means[0]-mean)*(o.Means[0]-mean)) + w1*(o.Widths[1]*o.Widths[1]+(o.Means[1]-mean)*(o.Means[1]-mean)))
	lo := min(o.Means[0]-8*o.Widths[0], o.Means[1]-8*o.Widths[1], mean-8*std)
	hi := max(o.Means[0]+8*o.Widths[0], o.Means[1]+8*o.Widths[1], mean+8*std)
	n := o.Points
	g := toyGrid{x: make([]float64, n), p: make([]float64, n), logp: make([]float64, n), dx: (hi - lo) / float64(n-1)}
	for i := range n {
		x := lo + float64(i)*g.dx
		g.x[i] = x
		// log of the mixture density, by log-sum-exp of its two terms
		// (far from both modes each term underflows on its own).
		a := math.Log(w0) + logNormal(x, o.Means[0], o.Widths[0])
		b := math.Log(w1) + logNormal(x, o.Means[1], o.Widths[1])
		g.logp[i] = logAddExp(a, b)
	}
	normalizeLog(g.logp, g.p)
	return g
}

func logNormal(x, mu, sigma float64) float64 {
	z := (x - mu) / sigma
	return -0.5*z*z - math.Log(sigma) - 0.5*math.Log(2*math.Pi)
}

func logAddExp(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	m := math.Max(a, b)
	return m + math.Log(math.Exp(a-m)+math.Exp(b-m))
}

// normalizeLog turns the unnormalised log-weights l into the
// log-probabilities l − lse(l), in place, and their probabilities into p.
func normalizeLog(l, p []float64) {
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range l {
		s += math.Exp(v - m)
	}
	lse := m + math.Log(s)
	for i := range l {
		l[i] -= lse
		p[i] = math.Exp(l[i])
	}
}

// gaussian sets q and log q on the grid for N(mu, sigma²).
func (g toyGrid) gaussian(mu, sigma float64, q, logq []float64) {
	for i, x := range g.x {
		z := (x - mu) / sigma
		logq[i] = -0.5 * z * z
	}
	normalizeLog(logq, q)
}

// kls are KL(p ‖ q) and KL(q ‖ p) on the grid, and their gradients with
// respect to (μ, log σ). With q ∝ exp(lᵢ), lᵢ = −(xᵢ − μ)²/2σ²:
//
//	∂KL(p‖q)/∂θ = Σ (qᵢ − pᵢ) ∂lᵢ/∂θ
//	∂KL(q‖p)/∂θ = Σ qᵢ (log qᵢ − log pᵢ − KL(q‖p)) ∂lᵢ/∂θ
//
// with ∂lᵢ/∂μ = (xᵢ − μ)/σ² and ∂lᵢ/∂log σ = (xᵢ − μ)²/σ².
func (g toyGrid) kls(mu, sigma float64, q, logq []float64) (fwd, rev float64, gf, gr [2]float64) {
	g.gaussian(mu, sigma, q, logq)
	for i := range g.x {
		if g.p[i] > 0 {
			fwd += g.p[i] * (g.logp[i] - logq[i])
		}
		if q[i] > 0 {
			rev += q[i] * (logq[i] - g.logp[i])
		}
	}
	s2 := sigma * sigma
	for i, x := range g.x {
		dmu, dls := (x-mu)/s2, (x-mu)*(x-mu)/s2
		gf[0] += (q[i] - g.p[i]) * dmu
		gf[1] += (q[i] - g.p[i]) * dls
		if q[i] > 0 {
			w := q[i] * (logq[i] - g.logp[i] - rev)
			gr[0] += w * dmu
			gr[1] += w * dls
		}
	}
	return fwd, rev, gf, gr
}

// descend minimises one direction's KL over (μ, log σ) from (mu, sigma)
// by natural-gradient descent (the gradient scaled by the inverse Fisher
// information of N(μ, σ²) in these coordinates, diag(σ², 1/2), which makes
// a unit step of the forward KL land on the moment match) with a trust
// region and a backtracking line search, until the natural gradient's
// squared norm is below 1e-14 or no step lowers the KL. It returns the fit
// and the steps taken.
func (g toyGrid) descend(reverse bool, mu, sigma float64) (float64, float64, int) {
	n := len(g.x)
	q, logq := make([]float64, n), make([]float64, n)
	obj := func(mu, ls float64) (float64, [2]float64) {
		f, r, gf, gr := g.kls(mu, math.Exp(ls), q, logq)
		if reverse {
			return r, gr
		}
		return f, gf
	}
	ls := math.Log(sigma)
	f, grad := obj(mu, ls)
	it := 0
	for ; it < 1000; it++ {
		s2 := math.Exp(2 * ls)
		d := [2]float64{s2 * grad[0], grad[1] / 2} // the natural gradient
		dec := grad[0]*d[0] + grad[1]*d[1]         // its squared norm
		if dec < 1e-14 {                           // KL within ~1e-14 of the optimum, (μ, σ) within ~1e-7 σ
			break
		}
		// A trust region: at most σ in μ and a factor e^½ in σ per step.
		// Far from the optimum the Fisher scaling overshoots, and a σ
		// wider than the grid flattens q into a plateau of no gradient.
		if r := max(math.Abs(d[0])/math.Sqrt(s2), 2*math.Abs(d[1])); r > 1 {
			d[0], d[1], dec = d[0]/r, d[1]/r, dec/r
		}
		moved := false
		for step := 1.0; step > 1e-12; step /= 2 {
			nmu, nls := mu-step*d[0], ls-step*d[1]
			if nf, ngrad := obj(nmu, nls); nf < f && nf <= f-1e-4*step*dec {
				mu, ls, f, grad, moved = nmu, nls, nf, ngrad, true
				break
			}
		}
		if !moved {
			break
		}
	}
	return mu, math.Exp(ls), it
}

// RunToy fits the toy's target by one Gaussian three ways: moment
// matching (the closed form of the forward KL's optimum over Gaussians),
// gradient descent on KL(p ‖ q) from a deliberately poor start (the
// heavier mode's centre and width; it should arrive at the moment match),
// and gradient descent on KL(q ‖ p), from the moment match and from each
// mode, keeping the lowest (reverse KL has a local minimum at each
// well-separated mode).
func RunToy(o ToyOptions) (Toy, error) {
	if err := o.Validate(); err != nil {
		return Toy{}, err
	}
	g := newToyGrid(o)
	t := Toy{Options: o, x: g.x, p: g.p, dx: g.dx}
	var mean, m2 float64
	for i, x := range g.x {
		mean += g.p[i] * x
	}
	for i, x := range g.x {
		m2 += g.p[i] * (x - mean) * (x - mean)
	}
	t.TargetMean, t.TargetStd = mean, math.Sqrt(m2)
	t.TargetEntropy = gridEntropy(g.p, g.logp, g.dx)

	t.Moments = g.fit("moment match", mean, math.Sqrt(m2), 0, o)
	heavy := 0
	if o.Weights[1] > o.Weights[0] {
		heavy = 1
	}
	mu, sigma, it := g.descend(false, o.Means[heavy], o.Widths[heavy])
	t.Forward = g.fit("forward KL(p‖q)", mu, sigma, it, o)

	starts := [][2]float64{{mean, math.Sqrt(m2)}, {o.Means[0], o.Widths[0]}, {o.Means[1], o.Widths[1]}}
	for k, s := range starts {
		mu, sigma, it := g.descend(true, s[0], s[1])
		f := g.fit("reverse KL(q‖p)", mu, sigma, it, o)
		if k == 0 || f.ReverseKL < t.Reverse.ReverseKL {
			t.Reverse = f
		}
	}
	return t, nil
}

func gridEntropy(p, logp []float64, dx float64) float64 {
	var h float64
	for i, pi := range p {
		if pi > 0 {
			h -= pi * (logp[i] - math.Log(dx))
		}
	}
	return h
}

// fit measures the Gaussian N(mu, sigma²) against p.
func (g toyGrid) fit(name string, mu, sigma float64, it int, o ToyOptions) ToyFit {
	n := len(g.x)
	q, logq := make([]float64, n), make([]float64, n)
	fwd, rev, _, _ := g.kls(mu, sigma, q, logq)
	f := ToyFit{Name: name, Mu: mu, Sigma: sigma, ForwardKL: fwd, ReverseKL: rev, Iterations: it, Entropy: gridEntropy(q, logq, g.dx)}
	for i, x := range g.x {
		if math.Abs(x-mu) <= 2*sigma {
			f.Covered += g.p[i]
		}
		if math.Abs(x-o.Means[0]) <= 2*o.Widths[0] {
			f.ModeMass += q[i]
		}
		if math.Abs(x-o.Means[1]) <= 2*o.Widths[1] {
			f.ModeMass2 += q[i]
		}
	}
	return f
}

// WriteTable prints the target and the three fits.
func (t Toy) WriteTable(w io.Writer) {
	o := t.Options
	fmt.Fprintf(w, "Target p: %g·N(%g, %g²) + %g·N(%g, %g²) on %d grid points; mean %.4f, std %.4f, entropy %.4f nats\n\n",
		o.Weights[0]/(o.Weights[0]+o.Weights[1]), o.Means[0], o.Widths[0], o.Weights[1]/(o.Weights[0]+o.Weights[1]), o.Means[1], o.Widths[1],
		o.Points, t.TargetMean, t.TargetStd, t.TargetEntropy)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fit q\tμ\tσ\tH(q)\tp in μ±2σ\tq at mode 1\tq at mode 2\tKL(p‖q)\tKL(q‖p)\tsteps\t")
	for _, f := range []ToyFit{t.Moments, t.Forward, t.Reverse} {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t\n",
			f.Name, f.Mu, f.Sigma, f.Entropy, f.Covered, f.ModeMass, f.ModeMass2, f.ForwardKL, f.ReverseKL, f.Iterations)
	}
	tw.Flush()
	fmt.Fprintln(w, "\n(\"q at mode k\": q's mass within two widths of mode k's centre; steps 0: closed form)")
}
