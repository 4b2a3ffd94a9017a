package eval

import (
	"math/rand/v2"
	"testing"

	"github.com/xent-dev/xent/loss"
)

// TestBatcherRowsEqualAlone: sequences scored together in one padded
// batch give each position the bits it gets scored alone, and alone the
// bits of an evaluator's window (xent serve's batching changes nothing).
func TestBatcherRowsEqualAlone(t *testing.T) {
	_, m := tinyTokenizerModel(t, 32, 3)
	rng := rand.New(rand.NewPCG(4, 4))
	lens := []int{32, 5, 17, 1, 31}
	seqs := make([][]int32, len(lens))
	for i, n := range lens {
		for range n + 1 {
			seqs[i] = append(seqs[i], int32(rng.IntN(300)))
		}
	}
	b := NewBatcher(m, 2, true)
	alone := make([][]loss.Row, len(seqs))
	for i, s := range seqs {
		err := b.Score(s[:lens[i]], 1, lens[i], []int{lens[i]}, func(_, p int) int32 { return s[p+1] },
			func(_, p int, r loss.Row, _ []float32) { alone[i] = append(alone[i], r) })
		if err != nil {
			t.Fatal(err)
		}
	}
	T := 32
	inputs := make([]int32, len(seqs)*T)
	for i, s := range seqs {
		copy(inputs[i*T:], s[:lens[i]])
	}
	got := 0
	err := b.Score(inputs, len(seqs), T, lens, func(i, p int) int32 { return seqs[i][p+1] },
		func(i, p int, r loss.Row, _ []float32) {
			got++
			if r != alone[i][p] {
				t.Errorf("sequence %d position %d: batched %+v, alone %+v", i, p, r, alone[i][p])
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if got != 32+5+17+1+31 {
		t.Errorf("%d rows", got)
	}
	// The first sequence is a disjoint window of ctx 32 with BOS 299 before it.
	s := seqs[0]
	rep, err := Tokens(t.Context(), m, nil, s[0], s[1:], Options{Ctx: 32})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, r := range alone[0] {
		sum += r.NLL
	}
	if rep.MeanNLL != sum/32 {
		t.Errorf("evaluator %v, batcher %v", rep.MeanNLL, sum/32)
	}
}
