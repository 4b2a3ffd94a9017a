package data

import (
	"fmt"
	"math/rand/v2"
)

// Batches samples [B, T] windows of a token stream for teacher forcing:
// inputs tokens[s : s+T] and targets tokens[s+1 : s+T+1] for random starts s,
// from a seeded generator, so a seed gives the same batches.
type Batches struct {
	tokens []int32
	b, t   int
	src    *rand.PCG
	rng    *rand.Rand
}

// NewBatches checks that the stream holds at least one window of T+1 tokens.
func NewBatches(tokens []int32, b, t int, seed uint64) (*Batches, error) {
	if b < 1 || t < 1 {
		return nil, fmt.Errorf("data: batch %d × %d; need B, T ≥ 1", b, t)
	}
	if len(tokens) < t+1 {
		return nil, fmt.Errorf("data: %d tokens are too few for one window of T+1 = %d", len(tokens), t+1)
	}
	src := rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	return &Batches{tokens: tokens, b: b, t: t, src: src, rng: rand.New(src)}, nil
}

// Next fills inputs and targets, each [B, T].
func (s *Batches) Next(inputs, targets []int32) {
	for i := range s.b {
		start := s.rng.IntN(len(s.tokens) - s.t)
		copy(inputs[i*s.t:(i+1)*s.t], s.tokens[start:start+s.t])
		copy(targets[i*s.t:(i+1)*s.t], s.tokens[start+1:start+s.t+1])
	}
}

// State returns the generator's state for a checkpoint; Restore puts it back.
func (s *Batches) State() ([]byte, error) { return s.src.MarshalBinary() }

// Restore sets the generator from State's bytes.
func (s *Batches) Restore(state []byte) error {
	return s.src.UnmarshalBinary(state)
}

// Windows cuts a held-out stream into consecutive [T+1]-token windows that
// overlap by one token, so every token after the first is a target exactly
// once: the evaluation batches. The last window may be shorter.
func Windows(tokens []int32, t int) [][]int32 {
	var out [][]int32
	for s := 0; s+1 < len(tokens); s += t {
		out = append(out, tokens[s:min(len(tokens), s+t+1)])
	}
	return out
}
