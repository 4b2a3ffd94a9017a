package model

import (
	"encoding/json"
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
	{"gpt2", Config{ModelType: GPT2, VocabSize: 37, NEmbd: 16, NLayer: 2, NHead: 4, NPositions: 16, TieWordEmbeddings: true}},
	{"llama", Config{ModelType: Llama, VocabSize: 37, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, MaxPositionEmbeddings: 16, RMSNormEps: 1e-5, RopeTheta: 10000}},
	{"llama-tied", Config{ModelType: Llama, VocabSize: 37, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 1, MaxPositionEmbeddings: 16, RMSNormEps: 1e-5, RopeTheta: 500, TieWordEmbeddings: true}},
	// Llama with every bias, head_dim beside hidden_size / heads, and
	// Llama 3.1's RoPE scaling with its three frequency bands (wavelengths
	// 6.3, 29 and 135 against 8/4 and 8/1), scored past its original context.
	{"llama-bias-llama3", Config{ModelType: Llama, VocabSize: 37, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, HeadDim: 6, MaxPositionEmbeddings: 40, RMSNormEps: 1e-5, RopeTheta: 100,
		AttentionBias: true, MLPBias: true,
		RopeScaling: json.RawMessage(`{"rope_type":"llama3","factor":4.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8}`)}},
	// Qwen2: q, k and v biases, tied, YaRN (default attention factor and betas).
	{"qwen2-yarn", Config{ModelType: Qwen2, VocabSize: 37, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, MaxPositionEmbeddings: 16, RMSNormEps: 1e-6, RopeTheta: 1e4, TieWordEmbeddings: true,
		RopeScaling: json.RawMessage(`{"type":"yarn","factor":4.0}`)}},
	// Qwen3: q_norm and k_norm, head_dim 8 over a width of 16 with 4 heads,
	// rope_theta and linear scaling given the transformers v5 way.
	{"qwen3", Config{ModelType: Qwen3, VocabSize: 37, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, HeadDim: 8, MaxPositionEmbeddings: 16, RMSNormEps: 1e-6,
		RopeParameters: json.RawMessage(`{"rope_type":"linear","factor":2.0,"rope_theta":1000.0}`)}},
	// Mistral: a sliding window of 5 over sequences of 12; dynamic NTK
	// scaling, which changes nothing within the context.
	{"mistral-window", Config{ModelType: Mistral, VocabSize: 37, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 1, MaxPositionEmbeddings: 16, RMSNormEps: 1e-5, RopeTheta: 1e4, SlidingWindow: ptr(5),
		RopeScaling: json.RawMessage(`{"rope_type":"dynamic","factor":2.0}`)}},
	// Phi-3: fused qkv_proj and gate_up_proj, a sliding window that bounds
	// the sequence length.
	{"phi3", Config{ModelType: Phi3, VocabSize: 37, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, MaxPositionEmbeddings: 16, RMSNormEps: 1e-5, RopeTheta: 1e4, SlidingWindow: ptr(12)}},
	// Gemma: GELU(gate)·up, (1 + w) norms, embeddings times √16, head_dim
	// 8 over a width of 16 with 4 heads, a tied head.
	{"gemma", Config{ModelType: Gemma, VocabSize: 37, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 1, HeadDim: 8, MaxPositionEmbeddings: 16, RMSNormEps: 1e-6, RopeTheta: 1e4,
		HiddenAct: "gelu", HiddenActivation: "gelu_pytorch_tanh", TieWordEmbeddings: true}},
	// Gemma 2: output norms, 1/√query_pre_attn_scalar, soft-capped scores
	// and logits (caps low enough to bite), a window of 3 on layer 0 only,
	// over sequences of 10.
	{"gemma2", Config{ModelType: Gemma2, VocabSize: 37, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, HeadDim: 8, MaxPositionEmbeddings: 16, RMSNormEps: 1e-6, RopeTheta: 1e4,
		HiddenActivation: "gelu_pytorch_tanh", TieWordEmbeddings: true, SlidingWindow: ptr(3), QueryPreAttnScalar: 12,
		AttnLogitSoftcapping: 3, FinalLogitSoftcapping: 5}},
	// Gemma 3's text model: gemma2 without caps, q_norm and k_norm, layers
	// 0 and 1 sliding (a window of 3) with RoPE at rope_local_base_freq and
	// layer 2 global with linear scaling, over sequences of 10.
	{"gemma3-text", Config{ModelType: Gemma3Text, VocabSize: 37, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 3,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, HeadDim: 8, MaxPositionEmbeddings: 16, RMSNormEps: 1e-6, RopeTheta: 1e6,
		RopeLocalBaseFreq: 100, SlidingWindowPattern: 3, RopeScaling: json.RawMessage(`{"rope_type":"linear","factor":8.0}`),
		HiddenActivation: "gelu_pytorch_tanh", TieWordEmbeddings: true, SlidingWindow: ptr(3), QueryPreAttnScalar: 8}},
	// GPT-2 with scores not divided by √head_dim and layer l's divided by
	// l + 1 (scale_attn_weights false, scale_attn_by_inverse_layer_idx).
	{"gpt2-scaling", Config{ModelType: GPT2, VocabSize: 37, NEmbd: 16, NLayer: 2, NHead: 4, NPositions: 16, TieWordEmbeddings: true,
		ScaleAttnWeights: ptr(false), ScaleAttnByInverseLayerIdx: true}},
	// Phi-3 with LongRoPE (its old name, su): short_factor within the
	// original context of 12, the attention factor √(1 + ln(16/12) / ln 12).
	{"phi3-longrope", Config{ModelType: Phi3, VocabSize: 37, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, MaxPositionEmbeddings: 16, OriginalMaxPositionEmbeddings: 12, RMSNormEps: 1e-5,
		RopeTheta: 1e4, RopeScaling: json.RawMessage(`{"type":"su","short_factor":[1.5,3.0],"long_factor":[4.0,9.0]}`)}},
	// Qwen2 under use_sliding_window: a window of 5 over sequences of 12
	// on layers 1 and 2 (max_window_layers 1), layer 0 full.
	{"qwen2-window", Config{ModelType: Qwen2, VocabSize: 37, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 3,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, MaxPositionEmbeddings: 16, RMSNormEps: 1e-6, RopeTheta: 1e4,
		UseSlidingWindow: true, SlidingWindow: ptr(5), MaxWindowLayers: ptr(1)}},
}

func ptr[T any](v T) *T { return &v }

// goldenT is a golden case's sequence length: past the original context
// of a scaled RoPE, and past a sliding window.
var goldenT = map[string]int{"llama-bias-llama3": 20, "mistral-window": 12, "gemma2": 10, "gemma3-text": 10, "qwen2-window": 12}

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
