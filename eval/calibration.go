package eval

import "math"

// CalibrationBins is the number of equal-width confidence bins, as in Guo
// et al. 2017, "On Calibration of Modern Neural Networks".
const CalibrationBins = 15

// Calibration accumulates the top-1 next-token prediction's confidence
// against whether it was right. A model trained with cross-entropy, a
// proper scoring rule, should be calibrated: among predictions made with
// confidence ≈ c, a share ≈ c should be correct.
//
// Bins follow Guo et al.: bin m of M holds confidences in ((m−1)/M, m/M]
// (a confidence of exactly 0 goes to the first bin).
type Calibration struct {
	count   [CalibrationBins]int64
	conf    [CalibrationBins]float64 // Σ confidence
	correct [CalibrationBins]int64
}

// Add records one prediction.
func (c *Calibration) Add(confidence float64, correct bool) {
	m := int(math.Ceil(confidence*CalibrationBins)) - 1
	m = min(max(m, 0), CalibrationBins-1)
	c.count[m]++
	c.conf[m] += confidence
	if correct {
		c.correct[m]++
	}
}

// Bin is one bin of a reliability diagram.
type Bin struct {
	Lo         float64 `json:"lo"` // confidences in (Lo, Hi]
	Hi         float64 `json:"hi"`
	Count      int64   `json:"count"`
	Confidence float64 `json:"confidence"` // mean confidence; 0 when empty
	Accuracy   float64 `json:"accuracy"`   // share correct; 0 when empty
}

// CalibrationReport holds the calibration errors over n predictions:
//
//	ECE = Σ_m |B_m|/n · |acc(B_m) − conf(B_m)|
//	MCE = max_m |acc(B_m) − conf(B_m)|          over non-empty bins
//	RMS = √(Σ_m |B_m|/n · (acc(B_m) − conf(B_m))²)
type CalibrationReport struct {
	ECE  float64 `json:"ece"`
	MCE  float64 `json:"mce"`
	RMS  float64 `json:"rms"`
	Bins []Bin   `json:"bins"`
}

// Report computes the calibration errors and the bins.
func (c *Calibration) Report() CalibrationReport {
	var n int64
	for _, k := range c.count {
		n += k
	}
	r := CalibrationReport{Bins: make([]Bin, CalibrationBins)}
	var sq float64
	for m := range CalibrationBins {
		b := Bin{Lo: float64(m) / CalibrationBins, Hi: float64(m+1) / CalibrationBins, Count: c.count[m]}
		if b.Count > 0 {
			b.Confidence = c.conf[m] / float64(b.Count)
			b.Accuracy = float64(c.correct[m]) / float64(b.Count)
			gap := math.Abs(b.Accuracy - b.Confidence)
			w := float64(b.Count) / float64(n)
			r.ECE += w * gap
			sq += w * gap * gap
			r.MCE = max(r.MCE, gap)
		}
		r.Bins[m] = b
	}
	r.RMS = math.Sqrt(sq)
	return r
}
