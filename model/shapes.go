package model

import "fmt"

// SmallConfig is the shape of a model trained from scratch: arch "llama"
// (RMSNorm, RoPE with θ = 10000, SwiGLU, tied embeddings) or "gpt2"; vocab
// tokens, the given width, layers and heads, and ctx positions. Llama's
// MLP width is 8/3 of the model width rounded up to a multiple of 64, as
// Llama's own rule has it (with multiple_of = 64).
func SmallConfig(arch string, vocab, width, layers, heads, ctx int) (Config, error) {
	switch arch {
	case Llama:
		return Config{ModelType: Llama, VocabSize: vocab, HiddenSize: width, IntermediateSize: (8*width/3 + 63) / 64 * 64,
			NumHiddenLayers: layers, NumAttentionHeads: heads, RMSNormEps: 1e-5, RopeTheta: 10000,
			MaxPositionEmbeddings: ctx, TieWordEmbeddings: true}, nil
	case GPT2:
		return Config{ModelType: GPT2, VocabSize: vocab, NEmbd: width, NLayer: layers, NHead: heads,
			NPositions: ctx, LayerNormEpsilon: 1e-5}, nil
	}
	return Config{}, fmt.Errorf("model: architecture %q: want llama or gpt2", arch)
}
