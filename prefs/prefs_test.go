package prefs

import (
	"math"
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	ok := Pairs{PolicyChosen: []float64{-1, -2}, PolicyRejected: []float64{-3, -4}, RefChosen: []float64{-1, -2}, RefRejected: []float64{-3, -4}, ChosenLengths: []int{2, 3}}
	with := func(f func(p *Pairs)) Pairs {
		p := ok
		f(&p)
		return p
	}
	cases := []struct {
		name string
		l    PairLoss
		p    Pairs
		want string
	}{
		{"no pairs", DPO{Beta: 0.1}, Pairs{}, "no pairs"},
		{"short rejected", DPO{Beta: 0.1}, with(func(p *Pairs) { p.PolicyRejected = []float64{-1} }), "policy_rejected has 1 values for 2 pairs"},
		{"missing reference", DPO{Beta: 0.1}, with(func(p *Pairs) { p.RefChosen = nil }), "ref_chosen has 0 values"},
		{"NaN", DPO{Beta: 0.1}, with(func(p *Pairs) { p.RefRejected = []float64{-1, math.NaN()} }), "ref_rejected[1] = NaN"},
		{"-Inf", DPO{Beta: 0.1}, with(func(p *Pairs) { p.PolicyChosen = []float64{math.Inf(-1), -1} }), "policy_chosen[0] = -Inf"},
		{"beta 0", DPO{}, ok, "DPO beta = 0"},
		{"robust eps 0.5", DPO{Beta: 0.1, Type: DPORobust, LabelSmoothing: 0.5}, ok, "must lie in [0, 0.5)"},
		{"robust eps negative", DPO{Beta: 0.1, Type: DPORobust, LabelSmoothing: -0.1}, ok, "must lie in [0, 0.5)"},
		{"cdpo eps 0.6", DPO{Beta: 0.1, LabelSmoothing: 0.6}, ok, "must lie in [0, 0.5]"},
		{"hinge eps", DPO{Beta: 0.1, Type: DPOHinge, LabelSmoothing: 0.1}, ok, "hinge takes no label smoothing"},
		{"orpo probability 1", ORPO{Lambda: 0.1}, with(func(p *Pairs) { p.PolicyRejected = []float64{-1, 0} }), "policy_rejected[1] = 0"},
		{"orpo positive", ORPO{Lambda: 0.1}, with(func(p *Pairs) { p.PolicyChosen = []float64{0.5, -1} }), "policy_chosen[0] = 0.5"},
		{"orpo lengths", ORPO{Lambda: 0.1}, with(func(p *Pairs) { p.ChosenLengths = nil }), "chosen lengths has 0 values"},
		{"orpo empty completion", ORPO{Lambda: 0.1}, with(func(p *Pairs) { p.ChosenLengths = []int{2, 0} }), "chosen length 0 at pair 1"},
		{"cpo gamma", CPO{Beta: 0.1, Gamma: 0.5}, ok, "γ belongs to SimPO"},
		{"simpo negative alpha", CPO{Beta: 2, SimPO: true, Alpha: -1}, ok, "CPO alpha = -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.l.Forward(c.p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Forward: error %v, want one containing %q", err, c.want)
			}
			if _, err := c.l.Backward(c.p); err == nil {
				t.Fatal("Backward accepted what Forward rejected")
			}
		})
	}
}

func TestBadInputOthers(t *testing.T) {
	errs := map[string]error{}
	_, errs["kto beta"] = KTO{DesirableWeight: 1, UndesirableWeight: 1}.Forward(Unpaired{Policy: []float64{-1}, Ref: []float64{-1}, Desirable: []bool{true}})
	_, errs["kto labels"] = KTO{Beta: 0.1, DesirableWeight: 1, UndesirableWeight: 1}.Forward(Unpaired{Policy: []float64{-1}, Ref: []float64{-1}})
	_, errs["kto weight"] = KTO{Beta: 0.1, DesirableWeight: -1, UndesirableWeight: 1}.Forward(Unpaired{Policy: []float64{-1}, Ref: []float64{-1}, Desirable: []bool{true}})
	_, errs["kto kl"] = KTO{Beta: 0.1, DesirableWeight: 1, UndesirableWeight: 1}.Forward(Unpaired{Policy: []float64{-1}, Ref: []float64{-1}, Desirable: []bool{true}, PolicyKL: []float64{-1}})
	_, _, errs["seq empty"] = SequenceLogProbs([]float32{-1, -2}, []bool{false, false}, 1, 2, true)
	_, _, errs["seq nan"] = SequenceLogProbs([]float64{-1, math.NaN()}, []bool{true, true}, 1, 2, false)
	_, _, errs["seq shape"] = SequenceLogProbs([]float64{-1}, []bool{true, true}, 1, 2, false)
	_, errs["kl estimator"] = KLEstimator(7).Forward([]float64{-1}, []float64{-1})
	_, errs["shaped no action"] = ShapedRewards([]float64{1}, []float64{0, 0}, []bool{false, false}, 0.1, 1, 2)
	_, errs["ppo clip"] = PPO{ClipLow: 1.5}.Forward(RolloutBatch{LogP: []float64{-1}, OldLogP: []float64{-1}, Advantages: []float64{1}, Mask: []bool{true}, B: 1, T: 1})
	_, errs["ppo dual"] = PPO{ClipLow: 0.2, ClipHigh: 0.2, DualClip: 0.5}.Forward(RolloutBatch{LogP: []float64{-1}, OldLogP: []float64{-1}, Advantages: []float64{1}, Mask: []bool{true}, B: 1, T: 1})
	_, errs["ppo overflow"] = PPO{ClipLow: 0.2, ClipHigh: 0.2}.Forward(RolloutBatch{LogP: []float64{-1}, OldLogP: []float64{-1001}, Advantages: []float64{-1}, Mask: []bool{true}, B: 1, T: 1})
	_, errs["ppo empty mask"] = PPO{ClipLow: 0.2, ClipHigh: 0.2}.Forward(RolloutBatch{LogP: []float64{-1}, OldLogP: []float64{-1}, Advantages: []float64{1}, Mask: []bool{false}, B: 1, T: 1})
	_, errs["value clip"] = ValueLoss{Clip: -1}.Forward(ValueBatch{Values: []float64{1}, OldValues: []float64{1}, Returns: []float64{1}, Mask: []bool{true}, B: 1, T: 1})
	_, _, errs["infonce tau"] = InfoNCE{}.Forward([]float64{1, 2}, 1, 1)
	_, _, errs["infonce shape"] = InfoNCE{Temperature: 1}.Forward([]float64{1, 2, 3}, 1, 1)
	for name, err := range errs {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "prefs: ") {
			t.Errorf("%s: error %q does not say where it comes from", name, err)
		}
	}
}

// TestExtremeStaysFinite pushes every loss far past ±1e3 log-ratios and
// checks the values against their exact limits.
func TestExtremeStaysFinite(t *testing.T) {
	big := Pairs{PolicyChosen: []float64{-1, -1e6}, PolicyRejected: []float64{-1e6, -1}, RefChosen: []float64{-3, -3}, RefRejected: []float64{-3, -3}, ChosenLengths: []int{1, 1}}
	for _, l := range []PairLoss{DPO{Beta: 1}, DPO{Beta: 1, LabelSmoothing: 0.1}, DPO{Beta: 1, Type: DPORobust, LabelSmoothing: 0.2}, DPO{Beta: 1, Type: DPOHinge}, CPO{Beta: 1, Alpha: 1}} {
		r, err := l.Forward(big)
		if err != nil {
			t.Fatal(err)
		}
		g, err := l.Backward(big)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range append(append(append([]float64{r.Loss}, r.Losses...), g.Chosen...), g.Rejected...) {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%T %+v: non-finite value %v", l, l, x)
			}
		}
	}
	// plain DPO: the winning pair costs e^{-z}·… → 0 exactly, the losing one z.
	r, _ := DPO{Beta: 1}.Forward(big)
	if r.Losses[0] != 0 || math.Abs(r.Losses[1]-(1e6-1)) > 1e-9*1e6 {
		t.Errorf("DPO losses at ±1e6 margins = %v, want [0, 999999]", r.Losses)
	}
	// ORPO with the chosen probability within 1e-300 of 1: exact log odds.
	p := Pairs{PolicyChosen: []float64{-1e-300}, PolicyRejected: []float64{-math.Ln2}, ChosenLengths: []int{1}}
	o, err := ORPO{Lambda: 1}.Forward(p)
	if err != nil {
		t.Fatal(err)
	}
	// log odds(p_c) = −log(1e-300) + O(1e-300); log odds(½) = 0.
	if want := 300 * math.Ln10; math.Abs(o.LogOddsChosen-want) > 1e-12*want {
		t.Errorf("ORPO log odds near 1 = %.17g, want %.17g", o.LogOddsChosen, want)
	}
	g, err := ORPO{Lambda: 1}.Backward(p)
	if err != nil {
		t.Fatal(err)
	}
	// d/dx_c [−log σ(lo)] = −σ(−lo)/(1−p_c) → −(1−p_r)/p_r·… = −1 at p_r = ½; plus the NLL's −1.
	if math.Abs(g.Chosen[0]-(-2)) > 1e-12 {
		t.Errorf("ORPO gradient near p = 1: %v, want -2", g.Chosen[0])
	}
	// InfoNCE with a positive 1e3/τ above the negatives: loss e^{-1e4}·K → 0, gradient exact zeros.
	losses, _, err := InfoNCE{Temperature: 0.1}.Forward([]float64{1000, 0, -1000}, 1, 2)
	if err != nil || losses[0] != 0 {
		t.Errorf("InfoNCE dominated positive: %v %v", losses, err)
	}
}

func TestAccuracyAndMargin(t *testing.T) {
	r := Result{ChosenRewards: []float64{1, 0, 3, -1}, RejectedRewards: []float64{0, 0, 1, 2}}
	if got := r.Accuracy(); got != 0.5 {
		t.Errorf("accuracy %v, want 0.5 (ties do not count)", got)
	}
	if got := r.Margin(); got != (3.0-3.0)/4 {
		t.Errorf("margin %v, want 0", got)
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"sigmoid", "robust", "hinge", "ipo"} {
		d, err := ParseDPOType(s)
		if err != nil || d.String() != s {
			t.Errorf("ParseDPOType(%q) = %v, %v", s, d, err)
		}
	}
	if _, err := ParseDPOType("exo_pair"); err == nil {
		t.Error("ParseDPOType accepted exo_pair")
	}
	for _, s := range []string{"k1", "k2", "k3"} {
		e, err := ParseKLEstimator(s)
		if err != nil || e.String() != s {
			t.Errorf("ParseKLEstimator(%q) = %v, %v", s, e, err)
		}
	}
	if _, err := ParseKLEstimator("k4"); err == nil {
		t.Error("ParseKLEstimator accepted k4")
	}
}
