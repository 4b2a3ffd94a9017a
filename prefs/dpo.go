package prefs

import (
	"fmt"
	"math"
)

// DPOType selects DPO's loss on the margin z.
type DPOType int

const (
	DPOSigmoid DPOType = iota // −(1−ε)·log σ(βz) − ε·log σ(−βz): DPO, cDPO with ε > 0
	DPORobust                 // (−(1−ε)·log σ(βz) + ε·log σ(−βz)) / (1−2ε): robust DPO
	DPOHinge                  // max(0, 1 − βz): SLiC's hinge
	DPOIPO                    // (z − 1/(2β))², on length-averaged log-probabilities
)

var dpoTypeNames = []string{"sigmoid", "robust", "hinge", "ipo"}

func (t DPOType) String() string {
	if int(t) < len(dpoTypeNames) {
		return dpoTypeNames[t]
	}
	return fmt.Sprintf("DPOType(%d)", int(t))
}

// ParseDPOType reads sigmoid, robust, hinge or ipo.
func ParseDPOType(s string) (DPOType, error) {
	for i, name := range dpoTypeNames {
		if s == name {
			return DPOType(i), nil
		}
	}
	return 0, fmt.Errorf("prefs: DPO loss type %q: want sigmoid, robust, hinge or ipo", s)
}

// DPO is Direct Preference Optimization (Rafailov et al. 2023) as TRL
// v0.24.0's DPOTrainer.dpo_loss computes it. With the margin
//
//	z = (π_c − π_r) − (ref_c − ref_r)
//
// (ref_c = ref_r = 0 when ReferenceFree), the per-pair loss is Type's
// function of z, the rewards are β·(π − ref), and Loss is the mean.
type DPO struct {
	Beta float64
	Type DPOType
	// LabelSmoothing is ε: cDPO's label-flip rate for sigmoid (0 ≤ ε ≤ 0.5),
	// the noise rate for robust (0 ≤ ε < 0.5); hinge and IPO take none.
	LabelSmoothing float64
	// ReferenceFree compares the policy's margin with 0 instead of the
	// reference's.
	ReferenceFree bool
}

// NeedsReference reports whether ref_chosen and ref_rejected are needed.
func (d DPO) NeedsReference() bool { return !d.ReferenceFree }

// Averaged reports whether the loss wants length-averaged log-probabilities
// (IPO does, as TRL divides by the completion length for "ipo").
func (d DPO) Averaged() bool { return d.Type == DPOIPO }

// NeedsLengths is false: DPO has no NLL term.
func (d DPO) NeedsLengths() bool { return false }

func (d DPO) check() error {
	if err := checkBeta("DPO beta", d.Beta); err != nil {
		return err
	}
	eps := d.LabelSmoothing
	switch d.Type {
	case DPOSigmoid:
		if !(eps >= 0 && eps <= 0.5) {
			return fmt.Errorf("prefs: DPO sigmoid label smoothing %v: must lie in [0, 0.5]", eps)
		}
	case DPORobust:
		if !(eps >= 0 && eps < 0.5) {
			return fmt.Errorf("prefs: DPO robust label smoothing %v: must lie in [0, 0.5)", eps)
		}
	case DPOHinge, DPOIPO:
		if eps != 0 {
			return fmt.Errorf("prefs: DPO %v takes no label smoothing (got %v)", d.Type, eps)
		}
	default:
		return fmt.Errorf("prefs: unknown DPO loss type %d", int(d.Type))
	}
	return nil
}

// margin is z for pair i and the reference's log-probabilities (0, 0 when
// reference-free).
func (d DPO) margin(p Pairs, i int) (z, refC, refR float64) {
	if !d.ReferenceFree {
		refC, refR = p.RefChosen[i], p.RefRejected[i]
	}
	return (p.PolicyChosen[i] - p.PolicyRejected[i]) - (refC - refR), refC, refR
}

// lossAt is the per-pair loss at margin z and its derivative dℓ/dz.
func (d DPO) lossAt(z float64) (loss, dz float64) {
	b, eps := d.Beta, d.LabelSmoothing
	switch d.Type {
	case DPOSigmoid:
		l, du := smoothedSigmoid(b*z, eps)
		return l, b * du
	case DPORobust:
		u := b * z
		l := (-(1-eps)*logSigmoid(u) + eps*logSigmoid(-u)) / (1 - 2*eps)
		du := (-(1-eps)*sigmoid(-u) - eps*sigmoid(u)) / (1 - 2*eps)
		return l, b * du
	case DPOHinge:
		if h := 1 - b*z; h > 0 {
			return h, -b
		}
		return 0, 0
	default: // DPOIPO
		r := z - 1/(2*b)
		return r * r, 2 * r
	}
}

// Forward computes the per-pair losses, the rewards and their mean.
func (d DPO) Forward(p Pairs) (Result, error) {
	n, err := d.validate(p)
	if err != nil {
		return Result{}, err
	}
	r := Result{Losses: make([]float64, n), ChosenRewards: make([]float64, n), RejectedRewards: make([]float64, n)}
	for i := range n {
		z, refC, refR := d.margin(p, i)
		r.Losses[i], _ = d.lossAt(z)
		r.ChosenRewards[i] = d.Beta * (p.PolicyChosen[i] - refC)
		r.RejectedRewards[i] = d.Beta * (p.PolicyRejected[i] - refR)
	}
	r.Loss = Mean(r.Losses)
	return r, nil
}

// Backward computes the gradient of the mean loss with respect to the
// policy's chosen and rejected log-probabilities: dℓ_i/dz_i / N and its
// negative.
func (d DPO) Backward(p Pairs) (PairGrads, error) {
	n, err := d.validate(p)
	if err != nil {
		return PairGrads{}, err
	}
	g := PairGrads{Chosen: make([]float64, n), Rejected: make([]float64, n)}
	for i := range n {
		z, _, _ := d.margin(p, i)
		_, dz := d.lossAt(z)
		g.Chosen[i], g.Rejected[i] = dz/float64(n), -dz/float64(n)
	}
	return g, nil
}

func (d DPO) validate(p Pairs) (int, error) {
	if err := d.check(); err != nil {
		return 0, err
	}
	n, err := p.check(d.NeedsReference(), false)
	if err != nil {
		return 0, err
	}
	for i := range n {
		if z, _, _ := d.margin(p, i); math.IsInf(z, 0) {
			return 0, fmt.Errorf("prefs: DPO margin of pair %d overflows float64", i)
		}
	}
	return n, nil
}
