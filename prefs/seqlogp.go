package prefs

import (
	"fmt"
	"math"
)

// SequenceLogProbs reduces token log-probabilities to one log-probability
// per sequence, over the completion tokens only:
//
//	logp_b = Σ_t mask[b,t]·tokenLogps[b,t]            (sum)
//	logp_b = Σ_t mask[b,t]·tokenLogps[b,t] / n_b      (average, n_b = Σ_t mask[b,t])
//
// tokenLogps: [B, T] row-major, the log-probability of each position's
// target (prompt and padding positions are ignored whatever they hold).
// mask: [B, T], true on the completion's tokens. It returns logps [B] and
// the completion lengths n [B]. A row with no completion token, and a NaN
// or infinite log-probability under the mask, are errors naming the row.
func SequenceLogProbs[F float32 | float64](tokenLogps []F, mask []bool, B, T int, average bool) (logps []float64, lengths []int, err error) {
	if err := checkTokenShape(len(tokenLogps), len(mask), B, T); err != nil {
		return nil, nil, err
	}
	logps, lengths = make([]float64, B), make([]int, B)
	for b := range B {
		sum, n := 0.0, 0
		for t := range T {
			if !mask[b*T+t] {
				continue
			}
			x := float64(tokenLogps[b*T+t])
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, nil, fmt.Errorf("prefs: token log-probability %v at row %d, position %d", x, b, t)
			}
			sum += x
			n++
		}
		if n == 0 {
			return nil, nil, fmt.Errorf("prefs: row %d has an empty completion (no token under the mask)", b)
		}
		if average {
			sum /= float64(n)
		}
		logps[b], lengths[b] = sum, n
	}
	return logps, lengths, nil
}

// SequenceLogProbsBackward writes into dtoken [B, T] the gradient with
// respect to the token log-probabilities, given dlogps [B], the gradient
// with respect to the sequence log-probabilities of SequenceLogProbs:
// dlogps[b] (or dlogps[b]/n_b when averaged) under the mask, 0 elsewhere.
func SequenceLogProbsBackward[F float32 | float64](dlogps []float64, mask []bool, B, T int, average bool, dtoken []F) error {
	if err := checkTokenShape(len(dtoken), len(mask), B, T); err != nil {
		return err
	}
	if len(dlogps) != B {
		return fmt.Errorf("prefs: %d sequence gradients for %d rows", len(dlogps), B)
	}
	for b := range B {
		g := dlogps[b]
		if average {
			n := 0
			for _, m := range mask[b*T : (b+1)*T] {
				if m {
					n++
				}
			}
			if n == 0 {
				return fmt.Errorf("prefs: row %d has an empty completion (no token under the mask)", b)
			}
			g /= float64(n)
		}
		for t := range T {
			if mask[b*T+t] {
				dtoken[b*T+t] = F(g)
			} else {
				dtoken[b*T+t] = 0
			}
		}
	}
	return nil
}

// checkTokenShape checks a [B, T] buffer and its mask.
func checkTokenShape(n, nmask, B, T int) error {
	if B < 1 || T < 1 {
		return fmt.Errorf("prefs: shape [%d, %d] is empty", B, T)
	}
	if n != B*T || nmask != B*T {
		return fmt.Errorf("prefs: %d values and %d mask entries for shape [%d, %d]", n, nmask, B, T)
	}
	return nil
}
