package prefs

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// goldens mirrors testdata/goldens.json, written by testdata/gen.py from
// PyTorch 1.13 autograd in float64 (TRL v0.24.0 and OpenRLHF v0.9.9
// formulas).
type goldens struct {
	SeqLogp []struct {
		Name            string
		B, T            int
		Average         bool
		TokenLogps      []float64 `json:"token_logps"`
		Mask            []bool
		Upstream, Logps []float64
		Lengths         []int
		Grad            []float64
	}
	DPO []struct {
		Name            string
		Beta            float64
		Type            string
		LabelSmoothing  float64   `json:"label_smoothing"`
		ReferenceFree   bool      `json:"reference_free"`
		PolicyChosen    []float64 `json:"policy_chosen"`
		PolicyRejected  []float64 `json:"policy_rejected"`
		RefChosen       []float64 `json:"ref_chosen"`
		RefRejected     []float64 `json:"ref_rejected"`
		Losses          []float64
		ChosenRewards   []float64 `json:"chosen_rewards"`
		RejectedRewards []float64 `json:"rejected_rewards"`
		Loss            float64
		GradChosen      []float64 `json:"grad_chosen"`
		GradRejected    []float64 `json:"grad_rejected"`
	}
	KTO []struct {
		Name              string
		Beta              float64
		DesirableWeight   float64 `json:"desirable_weight"`
		UndesirableWeight float64 `json:"undesirable_weight"`
		Policy, Ref       []float64
		Desirable         []bool
		PolicyKL          []float64 `json:"policy_kl"`
		RefKL             []float64 `json:"ref_kl"`
		Losses, Rewards   []float64
		KL, Loss          float64
		Grad              []float64
	}
	ORPO []struct {
		Name            string
		Lambda          float64   `json:"lambda_"`
		PolicyChosen    []float64 `json:"policy_chosen"`
		PolicyRejected  []float64 `json:"policy_rejected"`
		ChosenLengths   []int     `json:"chosen_lengths"`
		Losses          []float64
		ChosenRewards   []float64 `json:"chosen_rewards"`
		RejectedRewards []float64 `json:"rejected_rewards"`
		NLL, Loss       float64
		LogOddsRatio    float64   `json:"log_odds_ratio"`
		LogOddsChosen   float64   `json:"log_odds_chosen"`
		GradChosen      []float64 `json:"grad_chosen"`
		GradRejected    []float64 `json:"grad_rejected"`
	}
	CPO []struct {
		Name            string
		Beta, Gamma     float64
		LabelSmoothing  float64 `json:"label_smoothing"`
		Alpha           float64
		SimPO           bool
		PolicyChosen    []float64 `json:"policy_chosen"`
		PolicyRejected  []float64 `json:"policy_rejected"`
		ChosenLengths   []int     `json:"chosen_lengths"`
		Losses          []float64
		ChosenRewards   []float64 `json:"chosen_rewards"`
		RejectedRewards []float64 `json:"rejected_rewards"`
		NLL, Loss       float64
		GradChosen      []float64 `json:"grad_chosen"`
		GradRejected    []float64 `json:"grad_rejected"`
	}
	KL []struct {
		Name, Estimator string
		Logp            []float64
		RefLogp         []float64 `json:"ref_logp"`
		Upstream, KL    []float64
		Grad            []float64
	}
	Shaped []struct {
		Name      string
		B, T      int
		Coef      float64
		Score, KL []float64
		Mask      []bool
		Rewards   []float64
	}
	PPO []struct {
		Name         string
		B, T         int
		Logp         []float64
		OldLogp      []float64 `json:"old_logp"`
		Advantages   []float64
		Mask         []bool
		ClipLow      float64 `json:"clip_low"`
		ClipHigh     float64 `json:"clip_high"`
		DualClip     float64 `json:"dual_clip"`
		SequenceMean bool    `json:"sequence_mean"`
		Loss         float64
		ClipFraction float64 `json:"clip_fraction"`
		ApproxKL     float64 `json:"approx_kl"`
		Grad         []float64
	}
	Value []struct {
		Name         string
		B, T         int
		Values       []float64
		OldValues    []float64 `json:"old_values"`
		Returns      []float64
		Mask         []bool
		Clip         float64
		SequenceMean bool `json:"sequence_mean"`
		Loss         float64
		Grad         []float64
	}
	InfoNCE []struct {
		Name        string
		N, K        int
		Temperature float64
		Sim         []float64
		Losses      []float64
		Loss        float64
		Grad        []float64
	}
}

func loadGoldens(t *testing.T) goldens {
	t.Helper()
	raw, err := os.ReadFile("testdata/goldens.json")
	if err != nil {
		t.Fatal(err)
	}
	var g goldens
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// goldenTol is the bar: 1e-6 relative on losses and gradients.
const goldenTol = 1e-6

// near reports whether got is within goldenTol of want, relative to |want|
// (exact zeros must match exactly).
func near(got, want float64) bool {
	return math.Abs(got-want) <= goldenTol*math.Abs(want)
}

func checkScalar(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %.17g, want %.17g", what, got, want)
	}
}

func checkSlice(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("%s[%d] = %.17g, want %.17g", what, i, got[i], want[i])
		}
	}
}

func TestGoldenSequenceLogProbs(t *testing.T) {
	for _, c := range loadGoldens(t).SeqLogp {
		t.Run(c.Name, func(t *testing.T) {
			logps, lengths, err := SequenceLogProbs(c.TokenLogps, c.Mask, c.B, c.T, c.Average)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "logps", logps, c.Logps)
			for i := range lengths {
				if lengths[i] != c.Lengths[i] {
					t.Errorf("length[%d] = %d, want %d", i, lengths[i], c.Lengths[i])
				}
			}
			grad := make([]float64, c.B*c.T)
			if err := SequenceLogProbsBackward(c.Upstream, c.Mask, c.B, c.T, c.Average, grad); err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "grad", grad, c.Grad)
		})
	}
}

func checkPairLoss(t *testing.T, l PairLoss, p Pairs, losses, chosenRewards, rejectedRewards []float64, loss, nll float64, gradC, gradR []float64) Result {
	t.Helper()
	r, err := l.Forward(p)
	if err != nil {
		t.Fatal(err)
	}
	checkSlice(t, "losses", r.Losses, losses)
	checkSlice(t, "chosen rewards", r.ChosenRewards, chosenRewards)
	checkSlice(t, "rejected rewards", r.RejectedRewards, rejectedRewards)
	checkScalar(t, "loss", r.Loss, loss)
	checkScalar(t, "nll", r.NLL, nll)
	g, err := l.Backward(p)
	if err != nil {
		t.Fatal(err)
	}
	checkSlice(t, "grad chosen", g.Chosen, gradC)
	checkSlice(t, "grad rejected", g.Rejected, gradR)
	return r
}

func TestGoldenDPO(t *testing.T) {
	for _, c := range loadGoldens(t).DPO {
		t.Run(c.Name, func(t *testing.T) {
			typ, err := ParseDPOType(c.Type)
			if err != nil {
				t.Fatal(err)
			}
			d := DPO{Beta: c.Beta, Type: typ, LabelSmoothing: c.LabelSmoothing, ReferenceFree: c.ReferenceFree}
			p := Pairs{PolicyChosen: c.PolicyChosen, PolicyRejected: c.PolicyRejected}
			if !c.ReferenceFree {
				p.RefChosen, p.RefRejected = c.RefChosen, c.RefRejected
			}
			checkPairLoss(t, d, p, c.Losses, c.ChosenRewards, c.RejectedRewards, c.Loss, 0, c.GradChosen, c.GradRejected)
		})
	}
}

func TestGoldenKTO(t *testing.T) {
	for _, c := range loadGoldens(t).KTO {
		t.Run(c.Name, func(t *testing.T) {
			k := KTO{Beta: c.Beta, DesirableWeight: c.DesirableWeight, UndesirableWeight: c.UndesirableWeight}
			u := Unpaired{Policy: c.Policy, Ref: c.Ref, Desirable: c.Desirable, PolicyKL: c.PolicyKL, RefKL: c.RefKL}
			r, err := k.Forward(u)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "losses", r.Losses, c.Losses)
			checkSlice(t, "rewards", r.Rewards, c.Rewards)
			checkScalar(t, "kl", r.KL, c.KL)
			checkScalar(t, "loss", r.Loss, c.Loss)
			g, err := k.Backward(u)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "grad", g, c.Grad)
		})
	}
}

func TestGoldenORPO(t *testing.T) {
	for _, c := range loadGoldens(t).ORPO {
		t.Run(c.Name, func(t *testing.T) {
			p := Pairs{PolicyChosen: c.PolicyChosen, PolicyRejected: c.PolicyRejected, ChosenLengths: c.ChosenLengths}
			r := checkPairLoss(t, ORPO{Lambda: c.Lambda}, p, c.Losses, c.ChosenRewards, c.RejectedRewards, c.Loss, c.NLL, c.GradChosen, c.GradRejected)
			checkScalar(t, "log odds ratio", r.LogOddsRatio, c.LogOddsRatio)
			checkScalar(t, "log odds chosen", r.LogOddsChosen, c.LogOddsChosen)
		})
	}
}

func TestGoldenCPO(t *testing.T) {
	for _, c := range loadGoldens(t).CPO {
		t.Run(c.Name, func(t *testing.T) {
			l := CPO{Beta: c.Beta, Gamma: c.Gamma, LabelSmoothing: c.LabelSmoothing, Alpha: c.Alpha, SimPO: c.SimPO}
			p := Pairs{PolicyChosen: c.PolicyChosen, PolicyRejected: c.PolicyRejected, ChosenLengths: c.ChosenLengths}
			checkPairLoss(t, l, p, c.Losses, c.ChosenRewards, c.RejectedRewards, c.Loss, c.NLL, c.GradChosen, c.GradRejected)
		})
	}
}

func TestGoldenKL(t *testing.T) {
	for _, c := range loadGoldens(t).KL {
		t.Run(c.Name, func(t *testing.T) {
			e, err := ParseKLEstimator(c.Estimator)
			if err != nil {
				t.Fatal(err)
			}
			kl, err := e.Forward(c.Logp, c.RefLogp)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "kl", kl, c.KL)
			g, err := e.Backward(c.Logp, c.RefLogp, c.Upstream)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "grad", g, c.Grad)
		})
	}
}

func TestGoldenShapedRewards(t *testing.T) {
	for _, c := range loadGoldens(t).Shaped {
		t.Run(c.Name, func(t *testing.T) {
			r, err := ShapedRewards(c.Score, c.KL, c.Mask, c.Coef, c.B, c.T)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "rewards", r, c.Rewards)
		})
	}
}

func TestGoldenPPO(t *testing.T) {
	for _, c := range loadGoldens(t).PPO {
		t.Run(c.Name, func(t *testing.T) {
			p := PPO{ClipLow: c.ClipLow, ClipHigh: c.ClipHigh, DualClip: c.DualClip, SequenceMean: c.SequenceMean}
			b := RolloutBatch{LogP: c.Logp, OldLogP: c.OldLogp, Advantages: c.Advantages, Mask: c.Mask, B: c.B, T: c.T}
			r, err := p.Forward(b)
			if err != nil {
				t.Fatal(err)
			}
			checkScalar(t, "loss", r.Loss, c.Loss)
			checkScalar(t, "clip fraction", r.ClipFraction, c.ClipFraction)
			checkScalar(t, "approx kl", r.ApproxKL, c.ApproxKL)
			g, err := p.Backward(b)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "grad", g, c.Grad)
		})
	}
}

func TestGoldenValueLoss(t *testing.T) {
	for _, c := range loadGoldens(t).Value {
		t.Run(c.Name, func(t *testing.T) {
			v := ValueLoss{Clip: c.Clip, SequenceMean: c.SequenceMean}
			b := ValueBatch{Values: c.Values, OldValues: c.OldValues, Returns: c.Returns, Mask: c.Mask, B: c.B, T: c.T}
			loss, err := v.Forward(b)
			if err != nil {
				t.Fatal(err)
			}
			checkScalar(t, "loss", loss, c.Loss)
			g, err := v.Backward(b)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "grad", g, c.Grad)
		})
	}
}

func TestGoldenInfoNCE(t *testing.T) {
	for _, c := range loadGoldens(t).InfoNCE {
		t.Run(c.Name, func(t *testing.T) {
			l := InfoNCE{Temperature: c.Temperature}
			losses, loss, err := l.Forward(c.Sim, c.N, c.K)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "losses", losses, c.Losses)
			checkScalar(t, "loss", loss, c.Loss)
			g, err := l.Backward(c.Sim, c.N, c.K)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "grad", g, c.Grad)
		})
	}
}
