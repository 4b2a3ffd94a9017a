package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/loss"
)

// forEachImpl runs f as a subtest under every sgemm micro-kernel this
// machine has (with the kernel set of the same name where there is one).
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	g0, k0 := gemm.Active(), kernels.Active()
	defer gemm.Use(g0)
	defer kernels.Use(k0)
	for _, name := range gemm.Implementations() {
		gemm.Use(name)
		if !kernels.Use(name) {
			kernels.Use(k0)
		}
		t.Run(name, f)
	}
}

// tinyConfigs are the test models: both families, tied and untied heads,
// grouped-query attention.
var tinyConfigs = []struct {
	name string
	cfg  Config
}{
	{"gpt2", Config{ModelType: GPT2, VocabSize: 37, NEmbd: 16, NLayer: 2, NHead: 4, NPositions: 16}},
	{"llama", Config{ModelType: Llama, VocabSize: 37, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, MaxPositionEmbeddings: 16, RMSNormEps: 1e-5, RopeTheta: 10000}},
	{"llama-tied", Config{ModelType: Llama, VocabSize: 37, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 1, MaxPositionEmbeddings: 16, RMSNormEps: 1e-5, RopeTheta: 500, TieWordEmbeddings: true}},
}

// randomTokens returns n token ids below v from seed.
func randomTokens(n, v int, seed uint64) []int32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(rng.IntN(v))
	}
	return out
}

// nextTokens returns the language-modelling targets of rows [B, T]:
// each token's successor, and for the last position, 0.
func nextTokens(tokens []int32, B, T int) []int32 {
	out := make([]int32, len(tokens))
	for b := range B {
		copy(out[b*T:], tokens[b*T+1:(b+1)*T])
	}
	return out
}

// train takes steps of plain SGD on a repeated sequence, so that the
// weights move well away from their initialisation; it returns the first
// and last losses.
func train(t *testing.T, m *Model, steps int, lr float32) (first, last float64) {
	t.Helper()
	const B, T = 2, 12
	tokens := make([]int32, B*T)
	for i := range tokens {
		tokens[i] = int32((i * 7) % 11)
	}
	targets := nextTokens(tokens, B, T)
	for s := range steps {
		m.ZeroGrads()
		l, err := m.ForwardBackward(tokens, B, T, targets, loss.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s == 0 {
			first = l
		}
		last = l
		for i, g := range m.GradBuffer() {
			m.params[i] -= lr * g
		}
	}
	return first, last
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}
