package model

import (
	"fmt"
	"testing"

	"github.com/xent-dev/xent/loss"
)

// BenchmarkForwardBackward measures one training step's forward and
// backward (no optimizer) and reports tokens/s.
func BenchmarkForwardBackward(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
		B, T int
	}{
		{"gpt2-tiny", Config{ModelType: GPT2, VocabSize: 512, NEmbd: 128, NLayer: 4, NHead: 4, NPositions: 256}, 8, 128},
		{"llama-tiny", Config{ModelType: Llama, VocabSize: 512, HiddenSize: 128, IntermediateSize: 344, NumHiddenLayers: 4,
			NumAttentionHeads: 4, NumKeyValueHeads: 2, MaxPositionEmbeddings: 256}, 8, 128},
		{"gpt2-124M", Config{ModelType: GPT2, VocabSize: 50257, NEmbd: 768, NLayer: 12, NHead: 12, NPositions: 1024}, 4, 64},
	} {
		b.Run(fmt.Sprintf("%s,B=%d,T=%d", bc.name, bc.B, bc.T), func(b *testing.B) {
			m, err := New(bc.cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			tokens := randomTokens(bc.B*bc.T, bc.cfg.VocabSize, 1)
			targets := nextTokens(tokens, bc.B, bc.T)
			for b.Loop() {
				if _, err := m.ForwardBackward(tokens, bc.B, bc.T, targets, loss.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*bc.B*bc.T)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
