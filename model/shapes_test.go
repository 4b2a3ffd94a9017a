package model

import "testing"

// SmallConfig's shapes build, with Llama's MLP width rule.
func TestSmallConfig(t *testing.T) {
	for _, tc := range []struct {
		arch       string
		width, mlp int
	}{{"llama", 256, 704}, {"llama", 64, 192}, {"gpt2", 64, 0}} {
		cfg, err := SmallConfig(tc.arch, 100, tc.width, 2, 4, 32)
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(cfg, 1)
		if err != nil {
			t.Fatalf("%s: %v", tc.arch, err)
		}
		if cfg.IntermediateSize != tc.mlp || m.VocabSize() != 100 || m.MaxSeqLen() != 32 {
			t.Errorf("%s width %d: MLP %d, vocabulary %d, context %d; want %d, 100, 32", tc.arch, tc.width, cfg.IntermediateSize, m.VocabSize(), m.MaxSeqLen(), tc.mlp)
		}
	}
	if _, err := SmallConfig("mamba", 100, 64, 2, 4, 32); err == nil {
		t.Error("unknown architecture accepted")
	}
}
