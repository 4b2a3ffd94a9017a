package loss

import (
	"math/rand/v2"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

// BenchmarkRowScorer scores one GPT-2-sized row (V = 50257), alone and
// against a base row; the statistics pass alone is the floor.
func BenchmarkRowScorer(b *testing.B) {
	const V = 50257
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := make([]float32, V), make([]float32, V)
	for k := range x {
		x[k] = 3 * float32(rng.NormFloat64())
		y[k] = x[k] + 0.1*float32(rng.NormFloat64())
	}
	s := RowScorer{Rank: true, Entropy: true}
	b.Run("stats", func(b *testing.B) {
		for range b.N {
			kernels.Stats(x)
		}
	})
	b.Run("row, rank and entropy", func(b *testing.B) {
		for range b.N {
			s.Score(x, nil, 7)
		}
	})
	b.Run("row+base", func(b *testing.B) {
		for range b.N {
			s.Score(x, y, 7)
		}
	})
}
