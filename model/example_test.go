package model_test

import (
	"fmt"
	"slices"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
)

// A tiny GPT-2 learns a repeating sequence with teacher forcing (one
// parallel pass scores every position) and then continues it token by
// token with the KV cache.
func Example() {
	cfg := model.Config{ModelType: model.GPT2, VocabSize: 8, NEmbd: 32, NLayer: 2, NHead: 4, NPositions: 32}
	m, err := model.New(cfg, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	const B, T = 1, 24
	seq := make([]int32, T+1) // 0 1 2 ... 7 0 1 2 ...
	for i := range seq {
		seq[i] = int32(i % 8)
	}
	tokens, targets := seq[:T], seq[1:]
	var first, last float64
	for step := range 100 {
		m.ZeroGrads()
		l, err := m.ForwardBackward(tokens, B, T, targets, loss.Options{}) // mean cross-entropy
		if err != nil {
			fmt.Println(err)
			return
		}
		if step == 0 {
			first = l
		}
		last = l
		// Plain SGD on the flat buffers.
		grads := m.GradBuffer()
		for i, p := range m.ParamBuffer() {
			m.ParamBuffer()[i] = p - 0.1*grads[i]
		}
	}
	fmt.Println("loss fell below a tenth:", last < first/10)

	// Greedy decoding from token 3.
	dec := model.NewDecoder(m)
	tok, out := int32(3), []int32{}
	for range 10 {
		logits, err := dec.Step(tok)
		if err != nil {
			fmt.Println(err)
			return
		}
		tok = int32(slices.Index(logits, slices.Max(logits)))
		out = append(out, tok)
	}
	fmt.Println(out)
	// Output:
	// loss fell below a tenth: true
	// [4 5 6 7 0 1 2 3 4 5]
}

func ExampleModel_Params() {
	cfg := model.Config{ModelType: model.Llama, VocabSize: 100, HiddenSize: 8, IntermediateSize: 16,
		NumHiddenLayers: 1, NumAttentionHeads: 2, NumKeyValueHeads: 1, MaxPositionEmbeddings: 64}
	m, _ := model.New(cfg, 1)
	for _, p := range m.Params() {
		fmt.Println(p.Name, p.Shape)
	}
	// Output:
	// model.embed_tokens.weight [100 8]
	// model.layers.0.input_layernorm.weight [8]
	// model.layers.0.self_attn.q_proj.weight [8 8]
	// model.layers.0.self_attn.k_proj.weight [4 8]
	// model.layers.0.self_attn.v_proj.weight [4 8]
	// model.layers.0.self_attn.o_proj.weight [8 8]
	// model.layers.0.post_attention_layernorm.weight [8]
	// model.layers.0.mlp.gate_proj.weight [16 8]
	// model.layers.0.mlp.up_proj.weight [16 8]
	// model.layers.0.mlp.down_proj.weight [8 16]
	// model.norm.weight [8]
	// lm_head.weight [100 8]
}
