package model

import (
	"testing"

	"github.com/xent-dev/xent/internal/gemm"
)

// Packing the layers' bfloat16 matrices once (gemm.PackBF16) changes no
// bit of anything a model computes: the lean forward with float32 and
// bfloat16 compute at any thread count, a decoding step (one row) and a
// batched step (several), against the same model with its matrices as
// stored. The shapes are whole 32-row slivers, so that every matrix of a
// layer is packed, and the packed model's qkv and gate|up products are
// stacked (one product each).
func TestPackedWeightsSameBits(t *testing.T) {
	if !gemm.CanPack() {
		t.Skip("packing needs the AVX-512 kernels")
	}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"llama", Config{ModelType: Llama, VocabSize: 37, HiddenSize: 64, IntermediateSize: 96, NumHiddenLayers: 2,
			NumAttentionHeads: 2, NumKeyValueHeads: 1, MaxPositionEmbeddings: 16, RMSNormEps: 1e-5, RopeTheta: 10000}},
		{"qwen2", Config{ModelType: Qwen2, VocabSize: 37, HiddenSize: 64, IntermediateSize: 160, NumHiddenLayers: 2,
			NumAttentionHeads: 4, NumKeyValueHeads: 2, MaxPositionEmbeddings: 16, RMSNormEps: 1e-6, RopeTheta: 1e4, TieWordEmbeddings: true}},
		{"gemma", Config{ModelType: Gemma, VocabSize: 37, HiddenSize: 64, IntermediateSize: 96, NumHiddenLayers: 2,
			NumAttentionHeads: 2, NumKeyValueHeads: 1, HeadDim: 32, MaxPositionEmbeddings: 16, RMSNormEps: 1e-6, RopeTheta: 1e4,
			HiddenAct: "gelu", HiddenActivation: "gelu_pytorch_tanh", TieWordEmbeddings: true}},
		{"qwen3", Config{ModelType: Qwen3, VocabSize: 37, HiddenSize: 32, IntermediateSize: 64, NumHiddenLayers: 2,
			NumAttentionHeads: 4, NumKeyValueHeads: 2, HeadDim: 16, MaxPositionEmbeddings: 16, RMSNormEps: 1e-6, RopeTheta: 1e4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := New(tc.cfg, 5)
			if err != nil {
				t.Fatal(err)
			}
			build := func(pack bool) *Model {
				packWeights = pack
				defer func() { packWeights = true }()
				m, err := NewInference(tc.cfg, inferenceWeights(src, "bf16"))
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			packed, plain := build(true), build(false)
			if packed.blocks[0].down.pk == nil || packed.blocks[1].qkvStack == nil || packed.blocks[1].upStack == nil || plain.blocks[0].down.pk != nil {
				t.Fatal("the packed model's matrices are not packed, or the plain one's are")
			}
			if packed.WeightBytes() != plain.WeightBytes() || packed.WeightDType() != "bf16" {
				t.Fatalf("packed: %d bytes (%s), stored: %d", packed.WeightBytes(), packed.WeightDType(), plain.WeightBytes())
			}
			const B, T = 2, 12
			tokens := randomTokens(B*T, tc.cfg.VocabSize, 9)
			for _, c := range []Compute{ComputeF32, ComputeBF16} {
				for _, th := range []int{1, 3} {
					for _, m := range []*Model{packed, plain} {
						m.Threads = th
						if err := m.SetCompute(c); err != nil {
							t.Fatal(err)
						}
					}
					want, _ := plain.Logits(tokens, B, T)
					got, _ := packed.Logits(tokens, B, T)
					if !sameBits(got, want) {
						t.Fatalf("compute %s, %d threads: the packed model's logits differ by %.3g", c, th, maxAbsDiff(got, want))
					}
					want = decodeAll(t, NewDecoder(plain), tokens[:T])
					got = decodeAll(t, NewDecoder(packed), tokens[:T])
					if !sameBits(got, want) {
						t.Fatalf("compute %s, %d threads: the packed model's decoder differs by %.3g", c, th, maxAbsDiff(got, want))
					}
					step := func(m *Model) []float32 {
						bd, decs := NewBatchDecoder(m, 3), []*Decoder{NewDecoder(m), NewDecoder(m), NewDecoder(m)}
						var out []float32
						logits := make([]float32, 3*tc.cfg.VocabSize)
						for i := range T {
							if err := bd.Step(decs, []int32{tokens[i], tokens[T+i], tokens[(i+5)%T]}, logits); err != nil {
								t.Fatal(err)
							}
							out = append(out, logits...)
						}
						return out
					}
					if want, got := step(plain), step(packed); !sameBits(got, want) {
						t.Fatalf("compute %s, %d threads: the packed model's batched steps differ by %.3g", c, th, maxAbsDiff(got, want))
					}
				}
			}
		})
	}
}
