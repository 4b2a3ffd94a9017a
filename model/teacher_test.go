package model

import (
	"fmt"
	"testing"
)

// TestTeacherForcing is the package's central claim: one parallel causal
// pass over a batch gives, at every position, the logits that decoding the
// sequence token by token with the KV cache gives. Checked for every
// family on random weights and on trained ones, under every sgemm
// implementation.
func TestTeacherForcing(t *testing.T) { forEachImpl(t, checkTeacherForcing) }

func checkTeacherForcing(t *testing.T) {
	const B, tol = 2, 1e-4
	long := []struct {
		name string
		cfg  Config
	}{tinyConfigs[0], tinyConfigs[1]}
	long[0].name, long[0].cfg.NPositions = "gpt2-long", 3*attnRows/2 // more than one block of attention rows
	long[1].name, long[1].cfg.MaxPositionEmbeddings = "llama-long", 3*attnRows/2
	for _, tc := range append(tinyConfigs, long...) {
		for _, trained := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/trained=%v", tc.name, trained), func(t *testing.T) {
				m, err := New(tc.cfg, 7)
				if err != nil {
					t.Fatal(err)
				}
				if trained {
					first, last := train(t, m, 60, 0.5)
					if !(last < first/2) {
						t.Fatalf("training did not learn: loss %.4f → %.4f", first, last)
					}
				}
				T := m.MaxSeqLen()
				tokens := randomTokens(B*T, tc.cfg.VocabSize, 3)
				par, err := m.Logits(tokens, B, T)
				if err != nil {
					t.Fatal(err)
				}
				V := m.VocabSize()
				var worst, scale float64
				dec := NewDecoder(m)
				for b := range B {
					dec.Reset() // the second sequence reuses the cache
					for pos := range T {
						seq, err := dec.Step(tokens[b*T+pos])
						if err != nil {
							t.Fatal(err)
						}
						row := par[(b*T+pos)*V : (b*T+pos+1)*V]
						worst = max(worst, maxAbsDiff(row, seq))
						scale = max(scale, maxAbsDiff(row, make([]float32, V)))
					}
					if _, err := dec.Step(0); err == nil || dec.Pos() != T {
						t.Errorf("decoding past the context: err %v at position %d", err, dec.Pos())
					}
				}
				t.Logf("max |Δ| = %.3g over logits up to %.3g", worst, scale)
				if worst > tol {
					t.Errorf("parallel and incremental logits differ by %.3g > %g", worst, tol)
				}
			})
		}
	}
}
