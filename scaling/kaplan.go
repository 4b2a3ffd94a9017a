package scaling

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Variable is the quantity a Kaplan law is a power law in.
type Variable int

const (
	ByN Variable = iota // L(N)
	ByD                 // L(D)
	ByC                 // L(C)
)

func (v Variable) String() string { return [...]string{"N", "D", "C"}[v] }

// form is the variable's form name, as the CLI's --form spells it.
func (v Variable) form() string { return [...]string{"kaplan-n", "kaplan-d", "kaplan-c"}[v] }

// Of is the run's value of the variable.
func (v Variable) Of(r Run) float64 { return [...]float64{r.N, r.D, r.C}[v] }

// KaplanFit is the result of [FitKaplan].
type KaplanFit struct {
	Variable  string         `json:"variable"` // N, D or C
	Law       PowerLaw       `json:"law"`
	Points    []Run          `json:"points"` // the envelope the law was fitted to
	RMSLog    float64        `json:"rms_log_residual"`
	Intervals *PowerLawRange `json:"intervals,omitempty"`
}

// PowerLawRange are the bootstrap intervals of a Kaplan fit.
type PowerLawRange struct {
	Level     float64  `json:"level"`
	Resamples int      `json:"resamples"`
	Alpha     Interval `json:"alpha"`
	Scale     Interval `json:"scale"`
}

// kaplanEnvelope returns the runs a Kaplan law in v is fitted to, in
// increasing v: for N and D the lowest-loss run at each distinct value
// (the run least limited by the other variable), for C the compute
// frontier ([Frontier]).
func kaplanEnvelope(runs []Run, v Variable) []Run {
	if v == ByC {
		return Frontier(runs)
	}
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b Run) int { return cmp.Compare(v.Of(a), v.Of(b)) })
	var env []Run
	for _, r := range sorted {
		if n := len(env); n > 0 && v.Of(env[n-1]) == v.Of(r) {
			if r.Loss < env[n-1].Loss {
				env[n-1] = r
			}
			continue
		}
		env = append(env, r)
	}
	return env
}

// Frontier returns the compute frontier, in increasing C: the runs whose
// loss is lower than that of every run with less or equal compute (the
// envelope of minimum loss per FLOP).
func Frontier(runs []Run) []Run {
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b Run) int {
		return cmp.Or(cmp.Compare(a.C, b.C), cmp.Compare(a.Loss, b.Loss))
	})
	var front []Run
	for _, r := range sorted {
		if len(front) == 0 || r.Loss < front[len(front)-1].Loss {
			if n := len(front); n > 0 && front[n-1].C == r.C {
				continue // same compute, higher loss (sorted by loss within C)
			}
			front = append(front, r)
		}
	}
	return front
}

// lineFit is ordinary least squares y = p + q·x.
func lineFit(xs, ys []float64) (p, q float64) {
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	n := float64(len(xs))
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	q = sxy / sxx
	return my - q*mx, q
}

// fitPowerLaw fits log L = α·log X_c − α·log X by least squares to the
// envelope of runs in v.
func fitPowerLaw(runs []Run, v Variable) (PowerLaw, []Run, float64, error) {
	env := kaplanEnvelope(runs, v)
	if len(env) < 3 {
		return PowerLaw{}, env, 0, fmt.Errorf("the L(%s) envelope of the runs has %d points (distinct %s values; for C, runs on the compute frontier): a power law needs at least 3", v, len(env), v)
	}
	xs, ys := make([]float64, len(env)), make([]float64, len(env))
	for i, r := range env {
		xs[i], ys[i] = math.Log(v.Of(r)), math.Log(r.Loss)
	}
	p, q := lineFit(xs, ys)
	if !(q < 0) {
		return PowerLaw{}, env, 0, fmt.Errorf("the loss does not fall with %s on the envelope (log-log slope %.4g): no power law L = (%s_c/%s)^α with α > 0", v, q, v, v)
	}
	law := PowerLaw{Alpha: -q, Scale: math.Exp(p / -q)}
	var ss float64
	for i := range xs {
		r := ys[i] - (p + q*xs[i])
		ss += r * r
	}
	return law, env, math.Sqrt(ss / float64(len(xs))), nil
}

// FitKaplan fits Kaplan's L(X) = (X_c/X)^α_X, X = N, D or C, by least
// squares of log L on log X over the envelope of the runs (see the package
// doc); the envelope needs at least 3 points. With opt.Bootstrap > 0 it
// adds percentile intervals from resampling the runs (the envelope is
// recomputed for each resample). Only Bootstrap, Level and Seed of opt are
// used.
func FitKaplan(runs []Run, v Variable, opt Options) (KaplanFit, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return KaplanFit{}, err
	}
	if err := checkRuns(runs, 3, v.form()); err != nil {
		return KaplanFit{}, err
	}
	law, env, rms, err := fitPowerLaw(runs, v)
	if err != nil {
		return KaplanFit{}, err
	}
	fit := KaplanFit{Variable: v.String(), Law: law, Points: env, RMSLog: rms}
	if opt.Bootstrap > 0 {
		var alphas, scales []float64
		for _, idx := range resampleIndices(len(runs), opt.Bootstrap, opt.Seed) {
			if l, _, _, err := fitPowerLaw(pick(runs, idx), v); err == nil {
				alphas = append(alphas, l.Alpha)
				scales = append(scales, l.Scale)
			}
		}
		if len(alphas) < 2 {
			return KaplanFit{}, fmt.Errorf("only %d of %d bootstrap resamples had an envelope a power law fits: too few runs for intervals", len(alphas), opt.Bootstrap)
		}
		fit.Intervals = &PowerLawRange{Level: opt.Level, Resamples: len(alphas),
			Alpha: percentileInterval(alphas, opt.Level), Scale: percentileInterval(scales, opt.Level)}
	}
	return fit, nil
}
