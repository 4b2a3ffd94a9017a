package model_test

import (
	"fmt"
	"slices"

	"github.com/xent-dev/xent/model"
)

// Greedy decoding into one logits buffer, with the weights in bfloat16;
// Truncate takes back a continuation to try another from the same prefix.
func ExampleDecoder_StepInto() {
	cfg := model.Config{ModelType: model.Llama, VocabSize: 50, HiddenSize: 32, IntermediateSize: 64,
		NumHiddenLayers: 2, NumAttentionHeads: 4, NumKeyValueHeads: 2, MaxPositionEmbeddings: 64}
	m, err := model.New(cfg, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	dec := model.NewDecoderBF16(m)
	logits := make([]float32, m.VocabSize())
	greedy := func(tok int32, n int) []int32 {
		var out []int32
		for range n {
			if err := dec.StepInto(tok, logits); err != nil {
				fmt.Println(err)
				return nil
			}
			tok = int32(slices.Index(logits, slices.Max(logits)))
			out = append(out, tok)
		}
		return out
	}
	first := greedy(7, 5)
	if err := dec.Truncate(0); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(slices.Equal(first, greedy(7, 5)), dec.Pos())
	// Output: true 5
}
