package model

import (
	"testing"
)

// leanTol bounds |HiddenLean − Hidden| on the final norm's output (values
// of order 1). The two passes share every product and differ only in
// attention's softmax: exp against a running maximum, rescaled, and a
// float64 sum divided at the end, against exp against the row's maximum
// and a division of each probability. Each is within a few float32
// roundings (2⁻²⁴ ≈ 6·10⁻⁸ relative) of the exact softmax; through a few
// layers and a norm that can amplify them, the tests see at most
// 2.7·10⁻⁶ (Gemma 2, whose output norms amplify most; the others
// 2–7·10⁻⁷, a few units in the last place): 10⁻⁵ leaves a margin of 4×
// (TestLeanMatchesTraining logs the largest difference).
const leanTol = 1e-5

// withSmallBlocks runs f with attention blocks of 3 queries and 4 keys,
// so that the tiny models' sequences cross several blocks of both.
func withSmallBlocks(f func()) {
	q, k := leanQueries, leanKeys
	leanQueries, leanKeys = 3, 4
	defer func() { leanQueries, leanKeys = q, k }()
	f()
}

// TestLeanMatchesTraining checks the lean forward against the training
// forward on every family, with the default blocks and with small ones,
// and that it gives the same bits for 1, 2 and 3 threads.
func TestLeanMatchesTraining(t *testing.T) {
	for _, tc := range tinyConfigs {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, 9)
			if err != nil {
				t.Fatal(err)
			}
			const B = 2
			T := m.MaxSeqLen()
			tokens := randomTokens(B*T, tc.cfg.VocabSize, 4)
			h, err := m.Hidden(tokens, B, T)
			if err != nil {
				t.Fatal(err)
			}
			want := append([]float32(nil), h...)
			var worst float64
			for _, small := range []bool{false, true} {
				var first []float32
				for th := 1; th <= 3; th++ {
					m.Threads = th
					var got []float32
					run := func() {
						g, err := m.HiddenLean(tokens, B, T)
						if err != nil {
							t.Fatal(err)
						}
						got = append([]float32(nil), g...)
					}
					if small {
						withSmallBlocks(run)
					} else {
						run()
					}
					if first == nil {
						first = got
						d := maxAbsDiff(got, want)
						worst = max(worst, d)
						if d > leanTol {
							t.Fatalf("small blocks %v: lean differs from the training forward by %.3g > %g", small, d, leanTol)
						}
					} else if !sameBits(got, first) {
						t.Fatalf("small blocks %v: %d threads give other bits than 1", small, th)
					}
				}
			}
			t.Logf("largest difference %.3g", worst)
		})
	}
}

// TestPrefill checks Decoder.Prefill against StepInto over the same
// prompt: the logits after it and after each later step within leanTol.
func TestPrefill(t *testing.T) {
	for _, tc := range tinyConfigs {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, 6)
			if err != nil {
				t.Fatal(err)
			}
			T := m.MaxSeqLen()
			tokens := randomTokens(T, tc.cfg.VocabSize, 8)
			want := decodeAll(t, NewDecoder(m), tokens)
			V, n := tc.cfg.VocabSize, T/2+1
			dec := NewDecoder(m)
			got := make([]float32, V)
			withSmallBlocks(func() {
				if err := dec.Prefill(tokens[:n], got); err != nil {
					t.Fatal(err)
				}
			})
			if dec.Pos() != n {
				t.Fatalf("Pos %d after a prefill of %d", dec.Pos(), n)
			}
			for i := n; ; i++ {
				if d := maxAbsDiff(got, want[(i-1)*V:i*V]); d > leanTol {
					t.Fatalf("position %d: logits differ from stepping by %.3g", i-1, d)
				}
				if i == T {
					break
				}
				if err := dec.StepInto(tokens[i], got); err != nil {
					t.Fatal(err)
				}
			}
			if err := dec.Prefill(tokens[:1], got); err == nil {
				t.Fatal("Prefill in mid-sequence succeeded")
			}
		})
	}
}
