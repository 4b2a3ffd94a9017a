package train

import (
	"fmt"
	"math"

	"github.com/xent-dev/xent/model"
)

// Optim is how a model is optimised: AdamW's settings and the learning
// rate's schedule, with gradient clipping. Pretraining (Settings) and
// fine-tuning (package tune) embed it, so both validate and build their
// optimizer the same way. The JSON names are those a checkpoint's
// config.json has always used.
type Optim struct {
	LR          float64 `json:"lr"`           // peak learning rate
	MinLRRatio  float64 `json:"min_lr_ratio"` // final learning rate / peak
	Warmup      int     `json:"warmup"`       // warmup steps
	Schedule    string  `json:"schedule"`     // cosine or wsd
	WeightDecay float64 `json:"weight_decay"` // AdamW λ on matrices
	Beta2       float64 `json:"beta2"`        // AdamW β₂
	ClipNorm    float64 `json:"clip_norm"`    // global gradient-norm bound (0: none)
}

// Validate reports settings no run of steps optimizer steps could use.
func (o Optim) Validate(steps int) error {
	switch {
	case !(o.Beta2 > 0 && o.Beta2 < 1):
		return fmt.Errorf("train: β₂ %g is outside (0, 1)", o.Beta2)
	case !(o.WeightDecay >= 0) || math.IsInf(o.WeightDecay, 0):
		return fmt.Errorf("train: weight decay %g must be finite and ≥ 0", o.WeightDecay)
	case !(o.ClipNorm >= 0) || math.IsInf(o.ClipNorm, 0):
		return fmt.Errorf("train: clip norm %g must be finite and ≥ 0 (0: no clipping)", o.ClipNorm)
	}
	_, err := ParseSchedule(o.Schedule, o.LR, o.Warmup, steps, o.MinLRRatio)
	return err
}

// New validates o and builds AdamW over m's parameters (weight decay on
// its matrices only, DecayRanges) and the learning rate's schedule over
// steps optimizer steps.
func (o Optim) New(m *model.Model, steps int) (*AdamW, Schedule, error) {
	if err := o.Validate(steps); err != nil {
		return nil, nil, err
	}
	sched, err := ParseSchedule(o.Schedule, o.LR, o.Warmup, steps, o.MinLRRatio)
	if err != nil {
		return nil, nil, err
	}
	decay, err := DecayRanges(m)
	if err != nil {
		return nil, nil, err
	}
	opt := NewAdamW(len(m.ParamBuffer()), o.WeightDecay, decay)
	opt.Beta2 = o.Beta2
	return opt, sched, nil
}
