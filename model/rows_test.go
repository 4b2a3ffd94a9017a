package model

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/loss"
)

// TestTokenLogProbs checks the per-token log-probabilities against a
// float64 log-softmax of Logits, and their backward against
// ForwardBackward: with dlogp = −1/count on the scored rows, Σ dlogp·logp is
// the mean cross-entropy, so the two gradients must agree.
func TestTokenLogProbs(t *testing.T) {
	for _, tc := range tinyConfigs {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(tc.cfg, filepath.Join("testdata", tc.name, "init.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			B, T, V := 2, 5, tc.cfg.VocabSize
			tokens := randomTokens(B*T, V, 3)
			targets := nextTokens(tokens, B, T)
			targets[2] = loss.DefaultIgnoreIndex
			logp := make([]float32, B*T)
			if err := m.TokenLogProbs(tokens, B, T, targets, loss.DefaultIgnoreIndex, logp); err != nil {
				t.Fatal(err)
			}
			logits, err := m.Logits(tokens, B, T)
			if err != nil {
				t.Fatal(err)
			}
			count := 0
			for i, y := range targets {
				if y == loss.DefaultIgnoreIndex {
					if logp[i] != 0 {
						t.Errorf("row %d is ignored but has log-probability %g", i, logp[i])
					}
					continue
				}
				count++
				row := logits[i*V : (i+1)*V]
				mx := float64(slices.Max(row))
				sum := 0.0
				for _, z := range row {
					sum += math.Exp(float64(z) - mx)
				}
				want := float64(row[y]) - mx - math.Log(sum)
				if math.Abs(float64(logp[i])-want) > 1e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("row %d: log-probability %.7g, log-softmax %.7g", i, logp[i], want)
				}
			}

			m.ZeroGrads()
			if _, err := m.ForwardBackward(tokens, B, T, targets, loss.Options{}); err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(m.GradBuffer())
			if err := m.TokenLogProbs(tokens, B, T, targets, loss.DefaultIgnoreIndex, logp); err != nil {
				t.Fatal(err)
			}
			dlogp := make([]float32, B*T)
			for i := range dlogp {
				dlogp[i] = -1 / float32(count)
			}
			m.ZeroGrads()
			if err := m.BackwardTokenLogProbs(dlogp); err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(m.GradBuffer(), want); d > 1e-6 {
				t.Errorf("gradient differs from ForwardBackward's by up to %g", d)
			}
		})
	}
}

func TestBackwardTokenLogProbsNeedsItsPass(t *testing.T) {
	tc := tinyConfigs[0]
	m, err := Load(tc.cfg, filepath.Join("testdata", tc.name, "init.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	tokens := randomTokens(4, tc.cfg.VocabSize, 1)
	targets := nextTokens(tokens, 1, 4)
	if err := m.BackwardTokenLogProbs(make([]float32, 4)); err == nil || !strings.Contains(err.Error(), "without a TokenLogProbs pass") {
		t.Errorf("no pass: error %v", err)
	}
	if err := m.TokenLogProbs(tokens, 1, 4, targets, loss.DefaultIgnoreIndex, make([]float32, 4)); err != nil {
		t.Fatal(err)
	}
	if err := m.BackwardTokenLogProbs(make([]float32, 3)); err == nil || !strings.Contains(err.Error(), "3 gradients") {
		t.Errorf("wrong length: error %v", err)
	}
	if _, err := m.Forward(tokens, 1, 4, targets, loss.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := m.BackwardTokenLogProbs(make([]float32, 4)); err == nil {
		t.Error("a Forward in between replaced the activations, but the backward ran")
	}
	if err := m.TokenLogProbs(tokens, 1, 4, targets, loss.DefaultIgnoreIndex, make([]float32, 2)); err == nil || !strings.Contains(err.Error(), "2 log-probabilities") {
		t.Errorf("short logp: error %v", err)
	}
}

// TestBackwardLogits checks BackwardLogits against ForwardBackward: with
// dlogits = (softmax(logits) − onehot(target))/N, the gradient of the mean
// cross-entropy with respect to the logits, both must give the same
// parameter gradient (through the soft-cap where a family has one).
func TestBackwardLogits(t *testing.T) {
	for _, tc := range tinyConfigs {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(tc.cfg, filepath.Join("testdata", tc.name, "init.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			B, T, V := 2, 5, tc.cfg.VocabSize
			N := B * T
			tokens := randomTokens(N, V, 5)
			targets := nextTokens(tokens, B, T)
			m.ZeroGrads()
			if _, err := m.ForwardBackward(tokens, B, T, targets, loss.Options{}); err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(m.GradBuffer())
			logits, err := m.Logits(tokens, B, T)
			if err != nil {
				t.Fatal(err)
			}
			dlogits := make([]float32, N*V)
			for i := range N {
				row := logits[i*V : (i+1)*V]
				mx := float64(slices.Max(row))
				sum := 0.0
				for _, z := range row {
					sum += math.Exp(float64(z) - mx)
				}
				for c, z := range row {
					dlogits[i*V+c] = float32(math.Exp(float64(z)-mx) / sum / float64(N))
				}
				dlogits[i*V+int(targets[i])] -= 1 / float32(N)
			}
			m.ZeroGrads()
			if err := m.BackwardLogits(dlogits); err != nil {
				t.Fatal(err)
			}
			scale := 0.0
			for _, g := range want {
				scale = math.Max(scale, math.Abs(float64(g)))
			}
			if d := maxAbsDiff(m.GradBuffer(), want); d > 1e-6*math.Max(1, scale) {
				t.Errorf("gradient differs from ForwardBackward's by up to %g (largest component %g)", d, scale)
			}
			if err := m.BackwardLogits(dlogits[1:]); err == nil {
				t.Error("BackwardLogits took a gradient of the wrong length")
			}
		})
	}
}
