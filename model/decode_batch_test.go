package model

import (
	"strings"
	"testing"
)

// TestBatchDecoderMatchesStepInto steps B decoders together, each with its
// own tokens and started at its own step (so that they sit at different
// positions, and join and leave), and checks every decoder's logits
// against its own token-by-token decoding, bit for bit, in every tiny
// family (GPT-2, Llama, Qwen3's q/k norms, Gemma's soft-capping, the
// sliding window, ...) and with every kernel set.
func TestBatchDecoderMatchesStepInto(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for _, tc := range tinyConfigs {
			for _, form := range []string{"train", "f32", "bf16", "matrix", "bf16-compute"} {
				t.Run(tc.name+"/"+form, func(t *testing.T) {
					m := batchModel(t, tc.cfg, form)
					if m == nil {
						return
					}
					T, V := m.MaxSeqLen(), m.VocabSize()
					const B = 4
					seqs := make([][]int32, B)
					want := make([][]float32, B)
					for i := range B {
						seqs[i] = randomTokens(T-i, V, uint64(20+i)) // decoder i runs steps i .. T−1
						want[i] = decodeAll(t, NewDecoder(m), seqs[i])
					}
					bd := NewBatchDecoder(m, B)
					decs := make([]*Decoder, B)
					for i := range decs {
						decs[i] = NewDecoder(m)
					}
					logits := make([]float32, B*V)
					for step := range T {
						var active []*Decoder
						var toks []int32
						var who []int
						for i := range B {
							if p := step - i; p >= 0 && p < len(seqs[i]) {
								active, toks, who = append(active, decs[i]), append(toks, seqs[i][p]), append(who, i)
							}
						}
						if err := bd.Step(active, toks, logits); err != nil {
							t.Fatal(err)
						}
						for r, i := range who {
							p := step - i
							if !sameBits(logits[r*V:(r+1)*V], want[i][p*V:(p+1)*V]) {
								t.Fatalf("step %d: decoder %d at position %d differs from its own decoding by %.3g", step, i, p,
									maxAbsDiff(logits[r*V:(r+1)*V], want[i][p*V:(p+1)*V]))
							}
						}
					}
				})
			}
		}
	})
}

// batchModel is cfg's model from seed 7: trainable, or an inference model
// over its weights held as float32, bfloat16 (with float32 or bfloat16
// compute) or a Matrix; nil where the form cannot hold the family.
func batchModel(t *testing.T, cfg Config, form string) *Model {
	t.Helper()
	m, err := New(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	if form == "train" {
		return m
	}
	weights := strings.TrimSuffix(form, "-compute")
	if weights == "matrix" && m.d.fam.fused {
		return nil
	}
	inf, err := NewInference(cfg, inferenceWeights(m, weights))
	if err != nil {
		t.Fatal(err)
	}
	if form == "bf16-compute" {
		if err := inf.SetCompute(ComputeBF16); err != nil {
			t.Fatal(err)
		}
	}
	return inf
}

// A batch step refuses what it cannot do, and moves no decoder then.
func TestBatchDecoderRefuses(t *testing.T) {
	tc := tinyConfigs[0]
	m, err := New(tc.cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := New(tc.cfg, 8)
	V := m.VocabSize()
	bd := NewBatchDecoder(m, 2)
	a, b := NewDecoder(m), NewDecoder(m)
	logits := make([]float32, 3*V)
	for _, c := range []struct {
		decs []*Decoder
		toks []int32
		want string
	}{
		{[]*Decoder{a, b, NewDecoder(m)}, []int32{1, 2, 3}, "at most 2"},
		{[]*Decoder{a, b}, []int32{1}, "2 decoders"},
		{[]*Decoder{a, a}, []int32{1, 2}, "twice"},
		{[]*Decoder{a, NewDecoder(other)}, []int32{1, 2}, "another model's"},
		{[]*Decoder{a, NewDecoderBF16(m)}, []int32{1, 2}, "bfloat16"},
		{[]*Decoder{a, b}, []int32{1, int32(V)}, "outside the vocabulary"},
	} {
		if err := bd.Step(c.decs, c.toks, logits); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error with %q", c.toks, err, c.want)
		}
		if a.Pos() != 0 || b.Pos() != 0 {
			t.Fatalf("a refused step moved a decoder")
		}
	}
}
