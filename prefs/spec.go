package prefs

import "fmt"

// Spec names a preference loss and its knobs the way command-line flags
// give them.
type Spec struct {
	Type              string  // dpo, kto, orpo, simpo or cpo
	Beta              float64 // β (λ for orpo); 0: 0.1, or 2 for simpo (the SimPO paper's)
	DPOType           DPOType
	LabelSmoothing    float64
	ReferenceFree     bool    // dpo
	Gamma             float64 // simpo's margin γ
	Alpha             float64 // cpo and simpo: weight of the chosen NLL term
	DesirableWeight   float64 // kto's w_d (TRL's default 1)
	UndesirableWeight float64 // kto's w_u (TRL's default 1)
}

// beta is the spec's β or the loss's default.
func (s Spec) beta() float64 {
	switch {
	case s.Beta != 0:
		return s.Beta
	case s.Type == "simpo":
		return 2
	}
	return 0.1
}

// PairLoss builds a pairwise loss: dpo, orpo, simpo or cpo.
func (s Spec) PairLoss() (PairLoss, error) {
	switch s.Type {
	case "dpo":
		return DPO{Beta: s.beta(), Type: s.DPOType, LabelSmoothing: s.LabelSmoothing, ReferenceFree: s.ReferenceFree}, nil
	case "orpo":
		return ORPO{Lambda: s.beta()}, nil
	case "simpo":
		return CPO{Beta: s.beta(), Gamma: s.Gamma, LabelSmoothing: s.LabelSmoothing, Alpha: s.Alpha, SimPO: true}, nil
	case "cpo":
		return CPO{Beta: s.beta(), LabelSmoothing: s.LabelSmoothing, Alpha: s.Alpha}, nil
	}
	return nil, fmt.Errorf("prefs: %q is not a pairwise loss (dpo, orpo, simpo or cpo)", s.Type)
}

// KTO builds the KTO loss.
func (s Spec) KTO() KTO {
	return KTO{Beta: s.beta(), DesirableWeight: s.DesirableWeight, UndesirableWeight: s.UndesirableWeight}
}
