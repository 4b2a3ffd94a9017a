package study

import (
	"fmt"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
)

// LossBatches are a fixed set of [B, T] batches: inputs and their
// next-token targets. The landscape study measures every model, every
// point of the line and of the slice, and every Hessian on the same set,
// so that their training losses are one function of the weights.
type LossBatches struct {
	B, T    int
	Inputs  [][]int32 // each [B·T]
	Targets [][]int32 // each [B·T], −100 ignored
}

// FixedBatches draws n batches of B windows of T+1 tokens from tokens
// (data.Batches, seeded by seed: the same seed gives the same batches).
func FixedBatches(tokens []int32, n, B, T int, seed uint64) (LossBatches, error) {
	if n < 1 {
		return LossBatches{}, fmt.Errorf("study: %d loss batches; need ≥ 1", n)
	}
	bs, err := data.NewBatches(tokens, B, T, seed)
	if err != nil {
		return LossBatches{}, err
	}
	lb := LossBatches{B: B, T: T}
	for range n {
		in, tg := make([]int32, B*T), make([]int32, B*T)
		bs.Next(in, tg)
		lb.Inputs, lb.Targets = append(lb.Inputs, in), append(lb.Targets, tg)
	}
	return lb, nil
}

// Tokens is the number of scored positions (B·T per batch).
func (lb LossBatches) Tokens() int { return len(lb.Inputs) * lb.B * lb.T }

// Loss is m's mean cross-entropy over the batches (the mean of the
// batches' means), forward only.
func (lb LossBatches) Loss(m *model.Model) (float64, error) {
	var total float64
	for i, in := range lb.Inputs {
		l, err := m.Forward(in, lb.B, lb.T, lb.Targets[i], loss.Options{})
		if err != nil {
			return 0, fmt.Errorf("study: loss batch %d: %w", i, err)
		}
		total += l
	}
	return total / float64(len(lb.Inputs)), nil
}

// Grad is the GradFunc of Loss for m: it copies θ into m's parameters,
// leaves them there, and writes the gradient of the mean loss.
func (lb LossBatches) Grad(m *model.Model) GradFunc {
	return func(theta, grad []float32) (float64, error) {
		p := m.ParamBuffer()
		if len(theta) != len(p) || len(grad) != len(p) {
			return 0, fmt.Errorf("study: θ %d and gradient %d for a model of %d parameters", len(theta), len(grad), len(p))
		}
		copy(p, theta)
		m.ZeroGrads()
		var total float64
		for i, in := range lb.Inputs {
			l, err := m.ForwardBackward(in, lb.B, lb.T, lb.Targets[i], loss.Options{})
			if err != nil {
				return 0, fmt.Errorf("study: loss batch %d: %w", i, err)
			}
			total += l
		}
		k := float32(1) / float32(len(lb.Inputs))
		for i, g := range m.GradBuffer() {
			grad[i] = g * k
		}
		return total / float64(len(lb.Inputs)), nil
	}
}
