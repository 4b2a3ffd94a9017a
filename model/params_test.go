package model

import "testing"

// TestNumParams: a config's count is the length of the buffer New
// allocates, for GPT-2 and Llama shapes (tied and untied, grouped-query
// attention), and GPT-2 small's 124,439,808 without allocating it.
func TestNumParams(t *testing.T) {
	for name, c := range map[string]Config{
		"gpt2":         {ModelType: GPT2, VocabSize: 97, NEmbd: 16, NLayer: 2, NHead: 2, NPositions: 32},
		"gpt2 n_inner": {ModelType: GPT2, VocabSize: 50, NEmbd: 8, NLayer: 1, NHead: 2, NPositions: 8, NInner: 24},
		"llama tied": {ModelType: Llama, VocabSize: 60, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 2,
			NumAttentionHeads: 4, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 16, TieWordEmbeddings: true},
		"llama gqa untied": {ModelType: Llama, VocabSize: 60, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 2,
			NumAttentionHeads: 4, NumKeyValueHeads: 2, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 16},
	} {
		m, err := New(c, 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := c.NumParams(); err != nil || got != len(m.ParamBuffer()) {
			t.Errorf("%s: NumParams %d (%v), New allocates %d", name, got, err, len(m.ParamBuffer()))
		}
	}
	small := Config{ModelType: GPT2, VocabSize: 50257, NEmbd: 768, NLayer: 12, NHead: 12, NPositions: 1024}
	if got, err := small.NumParams(); err != nil || got != 124439808 {
		t.Errorf("GPT-2 small: %d parameters (%v), want 124439808", got, err)
	}
	if _, err := (Config{ModelType: GPT2, VocabSize: 10}).NumParams(); err == nil {
		t.Error("an invalid config counted")
	}
}
