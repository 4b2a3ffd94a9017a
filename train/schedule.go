package train

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of step s (0-based) of Total steps.
type Schedule interface {
	LR(step int) float64
}

// Cosine is linear warmup to Peak over Warmup steps, then a half cosine
// down to Peak·MinRatio at step Total (and MinRatio·Peak after it).
type Cosine struct {
	Peak     float64
	Warmup   int
	Total    int
	MinRatio float64
}

// LR implements Schedule.
func (c Cosine) LR(step int) float64 {
	if step < c.Warmup {
		return c.Peak * float64(step+1) / float64(c.Warmup)
	}
	floor := c.Peak * c.MinRatio
	if step >= c.Total || c.Total <= c.Warmup {
		return floor
	}
	frac := float64(step-c.Warmup) / float64(c.Total-c.Warmup)
	return floor + (c.Peak-floor)*0.5*(1+math.Cos(math.Pi*frac))
}

// WSD is warmup-stable-decay (Hu et al. 2024, MiniCPM): linear warmup to
// Peak, a constant stage, then the last DecayFrac of Total steps decays to
// Peak·MinRatio, linearly or, with Sqrt, as 1 − √x (Hägele et al. 2024).
type WSD struct {
	Peak      float64
	Warmup    int
	Total     int
	DecayFrac float64
	MinRatio  float64
	Sqrt      bool
}

// LR implements Schedule.
func (w WSD) LR(step int) float64 {
	if step < w.Warmup {
		return w.Peak * float64(step+1) / float64(w.Warmup)
	}
	decay := int(math.Round(w.DecayFrac * float64(w.Total)))
	start := w.Total - decay
	if step < start {
		return w.Peak
	}
	floor := w.Peak * w.MinRatio
	if step >= w.Total || decay == 0 {
		return floor
	}
	x := float64(step-start) / float64(decay)
	shape := 1 - x
	if w.Sqrt {
		shape = 1 - math.Sqrt(x)
	}
	return floor + (w.Peak-floor)*shape
}

// ParseSchedule builds "cosine" or "wsd" (with decay fraction 0.2 and the
// 1−√x shape) from the common settings.
func ParseSchedule(name string, peak float64, warmup, total int, minRatio float64) (Schedule, error) {
	switch {
	case !(peak > 0) || math.IsInf(peak, 0):
		return nil, fmt.Errorf("train: learning rate %g must be finite and > 0", peak)
	case warmup < 0 || total < 1:
		return nil, fmt.Errorf("train: %d warmup steps of %d; need warmup ≥ 0 and steps ≥ 1", warmup, total)
	case !(minRatio >= 0 && minRatio <= 1):
		return nil, fmt.Errorf("train: minimum learning-rate ratio %g is outside [0, 1]", minRatio)
	}
	switch name {
	case "cosine":
		return Cosine{Peak: peak, Warmup: warmup, Total: total, MinRatio: minRatio}, nil
	case "wsd":
		return WSD{Peak: peak, Warmup: warmup, Total: total, DecayFrac: 0.2, MinRatio: minRatio, Sqrt: true}, nil
	}
	return nil, fmt.Errorf("train: unknown schedule %q (want cosine or wsd)", name)
}
