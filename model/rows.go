package model

import (
	"fmt"
	"math"
	"slices"

	"github.com/xent-dev/xent/loss"
)

// TokenLogProbs runs the causal pass over tokens [B, T] and writes logp
// [B·T], the log-probability of each target under the model: the plain
// log-softmax (no smoothing or z-loss), and 0 where the target is ignore
// (loss.DefaultIgnoreIndex, usually). Sequence-level objectives (preference
// losses, say) are functions of these. The activations stay for
// BackwardTokenLogProbs until the next pass.
func (m *Model) TokenLogProbs(tokens []int32, B, T int, targets []int32, ignore int, logp []float32) error {
	if targets == nil {
		return fmt.Errorf("model: TokenLogProbs needs targets")
	}
	if err := m.checkBatch(tokens, B, T, targets, ignore); err != nil {
		return err
	}
	if len(logp) != B*T {
		return fmt.Errorf("model: %d log-probabilities for a batch [%d, %d]", len(logp), B, T)
	}
	res, err := m.headLoss(m.hidden(tokens, B, T), B*T, targets, m.rowOptions(ignore))
	if err != nil {
		return err
	}
	for i, l := range res.RowLoss {
		logp[i] = float32(-l)
	}
	m.rowTargets, m.rowIgnore = append(m.rowTargets[:0], targets...), ignore
	return nil
}

// BackwardTokenLogProbs adds to the gradient buffer the gradient of
// Σᵢ dlogp[i]·logp[i] [B·T] with respect to every parameter, for the batch
// of the last TokenLogProbs call (call ZeroGrads first unless accumulating).
// The head's logits are recomputed, one matrix product more than
// ForwardBackward, so that the upstream gradient can depend on every row.
func (m *Model) BackwardTokenLogProbs(dlogp []float32) error {
	if err := m.trainable(); err != nil {
		return err
	}
	a := m.a
	if a == nil || len(m.rowTargets) != a.B*a.T {
		return fmt.Errorf("model: BackwardTokenLogProbs without a TokenLogProbs pass before it")
	}
	N := a.B * a.T
	if len(dlogp) != N {
		return fmt.Errorf("model: %d gradients for the %d log-probabilities of the last pass", len(dlogp), N)
	}
	// The row loss is −logp, so its upstream gradient is −dlogp.
	drow := slices.Grow(m.rowGrad[:0], N)[:N]
	m.rowGrad = drow
	for i, g := range dlogp {
		drow[i] = -g
	}
	hd, err := m.lossHead()
	if err != nil {
		return err
	}
	_, err = loss.LinearCrossEntropy(a.lnf, N, hd, loss.Targets{Index: m.rowTargets}, m.rowOptions(m.rowIgnore), drow, a.dln, m.head.dw)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	m.backwardBody(a)
	return nil
}

// BackwardLogits adds to the gradient buffer the gradient, with respect to
// every parameter, of a scalar whose gradient with respect to the logits
// [B·T, V] of the last pass (Logits, Hidden or HeadLogits over all its rows)
// is dlogits [B·T, V] (call ZeroGrads first unless accumulating). It is
// for losses of the whole next-token distribution, such as a distillation
// KL in either direction, whose gradient the fused head cannot form; it
// costs the logits [B·T, V] the caller already holds. Under a soft-capped
// head (Gemma 2) dlogits are taken through the cap.
func (m *Model) BackwardLogits(dlogits []float32) error {
	if err := m.trainable(); err != nil {
		return err
	}
	a := m.a
	if a == nil {
		return fmt.Errorf("model: BackwardLogits without a forward pass before it")
	}
	N, V := a.B*a.T, m.d.V
	if len(dlogits) != N*V {
		return fmt.Errorf("model: %d logit gradients for the [%d, %d] logits of the last pass", len(dlogits), N, V)
	}
	dz := dlogits
	if c := m.d.fam.finalCap; c != 0 {
		// logit = c·tanh(z/c), so dz = dlogit·(1 − (logit/c)²), with the
		// uncapped z recomputed.
		dz = make([]float32, N*V)
		m.head.forward(a.lnf, N, dz, V, false, m.threads())
		for i, z := range dz {
			t := math.Tanh(float64(z / c))
			dz[i] = dlogits[i] * float32(1-t*t)
		}
	}
	m.head.backward(a.lnf, N, dz, V, a.dln, false, a.ones, m.threads())
	m.backwardBody(a)
	return nil
}

// rowOptions are the head's options for plain per-token log-probabilities:
// the ignore index, nothing else.
func (m *Model) rowOptions(ignore int) loss.LinearOptions {
	return loss.LinearOptions{Options: loss.Options{IgnoreIndex: loss.Ignore(ignore), Reduction: loss.None, Threads: m.threads(),
		SoftCap: m.d.fam.finalCap}}
}

// Hidden runs the causal pass over tokens [B, T] and returns the final
// norm's output h [B·T, C], the input of the output head. It aliases the
// model's activation buffers: valid until the next pass. With HeadLogits it
// lets a caller compute the logits a chunk of rows at a time, so that
// [B·T, V] never exists. An inference model runs the lean forward
// (HiddenLean).
func (m *Model) Hidden(tokens []int32, B, T int) ([]float32, error) {
	if err := m.checkBatch(tokens, B, T, nil, 0); err != nil {
		return nil, err
	}
	return m.hidden(tokens, B, T), nil
}

// HeadLogits sets logits [n, V] to the output head applied to n rows of
// hidden states h [n, C].
func (m *Model) HeadLogits(h []float32, n int, logits []float32) {
	m.head.forward(h, n, logits, m.d.V, false, m.threads())
	softCap(logits, 0, n*m.d.V, m.d.fam.finalCap)
}

// Width is the model's width C, the length of a hidden state.
func (m *Model) Width() int { return m.d.C }
