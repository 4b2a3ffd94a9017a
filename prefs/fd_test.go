package prefs

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// checkFD compares grad with central finite differences of f at x.
func checkFD(t *testing.T, what string, f func(x []float64) float64, x, grad []float64) {
	t.Helper()
	for i := range x {
		h := 1e-6 * math.Max(1, math.Abs(x[i]))
		xp, xm := slices.Clone(x), slices.Clone(x)
		xp[i] += h
		xm[i] -= h
		fd := (f(xp) - f(xm)) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-6+1e-5*math.Abs(grad[i]) {
			t.Errorf("%s: d/dx[%d] = %.10g, finite difference %.10g", what, i, grad[i], fd)
		}
	}
}

func randIn(r *rand.Rand, n int, lo, hi float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo + (hi-lo)*r.Float64()
	}
	return xs
}

// pairLossFD checks a pairwise loss's gradient against finite differences
// in both the chosen and the rejected log-probabilities.
func pairLossFD(t *testing.T, name string, l PairLoss, p Pairs) {
	t.Helper()
	g, err := l.Backward(p)
	if err != nil {
		t.Fatal(err)
	}
	loss := func(q Pairs) float64 {
		r, err := l.Forward(q)
		if err != nil {
			t.Fatal(err)
		}
		return r.Loss
	}
	checkFD(t, name+" chosen", func(x []float64) float64 { q := p; q.PolicyChosen = x; return loss(q) }, p.PolicyChosen, g.Chosen)
	checkFD(t, name+" rejected", func(x []float64) float64 { q := p; q.PolicyRejected = x; return loss(q) }, p.PolicyRejected, g.Rejected)
}

func TestFiniteDifferencesPairLosses(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 6
	lengths := []int{3, 1, 17, 8, 5, 40}
	sums := Pairs{PolicyChosen: randIn(r, n, -40, -2), PolicyRejected: randIn(r, n, -40, -2),
		RefChosen: randIn(r, n, -40, -2), RefRejected: randIn(r, n, -40, -2), ChosenLengths: lengths}
	avgs := Pairs{PolicyChosen: randIn(r, n, -3, -0.01), PolicyRejected: randIn(r, n, -3, -0.01),
		RefChosen: randIn(r, n, -3, -0.01), RefRejected: randIn(r, n, -3, -0.01), ChosenLengths: lengths}
	// hinge away from its kink: margins of ±(≥ 1) beyond it
	hinge := Pairs{PolicyChosen: []float64{-5, -5, -5}, PolicyRejected: []float64{-20, -12, -3}, RefChosen: []float64{-3, -3, -3}, RefRejected: []float64{-3, -3, -3}}
	cases := []struct {
		name string
		l    PairLoss
		p    Pairs
	}{
		{"dpo sigmoid", DPO{Beta: 0.1}, sums},
		{"cdpo", DPO{Beta: 0.3, LabelSmoothing: 0.15}, sums},
		{"robust", DPO{Beta: 0.2, Type: DPORobust, LabelSmoothing: 0.3}, sums},
		{"hinge", DPO{Beta: 0.1, Type: DPOHinge}, hinge},
		{"ipo", DPO{Beta: 0.5, Type: DPOIPO}, avgs},
		{"reference-free", DPO{Beta: 0.1, ReferenceFree: true}, sums},
		{"orpo", ORPO{Lambda: 0.5}, avgs},
		{"cpo", CPO{Beta: 0.1, Alpha: 1}, sums},
		{"simpo", CPO{Beta: 2, Gamma: 0.8, SimPO: true, LabelSmoothing: 0.1, Alpha: 0.5}, avgs},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { pairLossFD(t, c.name, c.l, c.p) })
	}
}

func TestFiniteDifferencesKTO(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 7
	u := Unpaired{Policy: randIn(r, n, -30, -2), Ref: randIn(r, n, -30, -2),
		Desirable: []bool{true, false, true, true, false, false, true},
		PolicyKL:  randIn(r, 4, -30, -2), RefKL: randIn(r, 4, -30, -2)}
	for i := range u.PolicyKL {
		u.PolicyKL[i] = u.RefKL[i] + 2 // KL = 2 > 0
	}
	k := KTO{Beta: 0.3, DesirableWeight: 1.2, UndesirableWeight: 0.7}
	g, err := k.Backward(u)
	if err != nil {
		t.Fatal(err)
	}
	checkFD(t, "kto", func(x []float64) float64 {
		v := u
		v.Policy = x
		res, err := k.Forward(v)
		if err != nil {
			t.Fatal(err)
		}
		return res.Loss
	}, u.Policy, g)
}

func TestFiniteDifferencesSequenceLogProbs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	B, T := 3, 5
	tok := randIn(r, B*T, -5, 0)
	mask := []bool{false, true, true, true, false, true, true, true, true, true, false, false, false, true, false}
	up := randIn(r, B, -1, 1)
	for _, average := range []bool{false, true} {
		g := make([]float64, B*T)
		if err := SequenceLogProbsBackward(up, mask, B, T, average, g); err != nil {
			t.Fatal(err)
		}
		checkFD(t, "seqlogp", func(x []float64) float64 {
			s, _, err := SequenceLogProbs(x, mask, B, T, average)
			if err != nil {
				t.Fatal(err)
			}
			total := 0.0
			for b := range s {
				total += up[b] * s[b]
			}
			return total
		}, tok, g)
	}
}

func TestFiniteDifferencesRLHF(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	B, T := 2, 6
	mask := []bool{true, true, true, true, false, false, false, true, true, true, true, true}
	old := randIn(r, B*T, -4, -0.1)
	logp := make([]float64, B*T)
	for i := range logp {
		logp[i] = old[i] + 0.7*(r.Float64()-0.5) // ratios on both sides of the clip
	}
	adv := randIn(r, B*T, -2, 2)
	for _, p := range []PPO{{ClipLow: 0.2, ClipHigh: 0.2}, {ClipLow: 0.1, ClipHigh: 0.3, SequenceMean: true}, {ClipLow: 0.2, ClipHigh: 0.2, DualClip: 1.1}} {
		b := RolloutBatch{LogP: logp, OldLogP: old, Advantages: adv, Mask: mask, B: B, T: T}
		g, err := p.Backward(b)
		if err != nil {
			t.Fatal(err)
		}
		checkFD(t, "ppo", func(x []float64) float64 {
			c := b
			c.LogP = x
			res, err := p.Forward(c)
			if err != nil {
				t.Fatal(err)
			}
			return res.Loss
		}, logp, g)
	}
	vals := randIn(r, B*T, -1, 1)
	oldV := randIn(r, B*T, -1, 1)
	ret := randIn(r, B*T, -1, 1)
	for _, v := range []ValueLoss{{}, {Clip: 0.2}, {Clip: 0.1, SequenceMean: true}} {
		b := ValueBatch{Values: vals, OldValues: oldV, Returns: ret, Mask: mask, B: B, T: T}
		g, err := v.Backward(b)
		if err != nil {
			t.Fatal(err)
		}
		checkFD(t, "value", func(x []float64) float64 {
			c := b
			c.Values = x
			loss, err := v.Forward(c)
			if err != nil {
				t.Fatal(err)
			}
			return loss
		}, vals, g)
	}
	ref := randIn(r, B*T, -4, -0.1)
	up := randIn(r, B*T, -1, 1)
	for _, e := range []KLEstimator{K1, K2, K3} {
		g, err := e.Backward(logp, ref, up)
		if err != nil {
			t.Fatal(err)
		}
		checkFD(t, e.String(), func(x []float64) float64 {
			kl, err := e.Forward(x, ref)
			if err != nil {
				t.Fatal(err)
			}
			total := 0.0
			for i := range kl {
				total += up[i] * kl[i]
			}
			return total
		}, logp, g)
	}
}

func TestFiniteDifferencesInfoNCE(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	N, K := 3, 4
	sim := randIn(r, N*(1+K), -1, 1)
	l := InfoNCE{Temperature: 0.1}
	g, err := l.Backward(sim, N, K)
	if err != nil {
		t.Fatal(err)
	}
	checkFD(t, "infonce", func(x []float64) float64 {
		_, loss, err := l.Forward(x, N, K)
		if err != nil {
			t.Fatal(err)
		}
		return loss
	}, sim, g)
}
