package model

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

// decodeAll feeds tokens to a fresh decoder from newDec and returns every
// step's logits, one after the other.
func decodeAll(t *testing.T, dec *Decoder, tokens []int32) []float32 {
	t.Helper()
	var out []float32
	for _, tok := range tokens {
		logits, err := dec.Step(tok)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, logits...)
	}
	return out
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// TestDecoderBF16 checks that a bfloat16 decoder gives exactly the logits
// of a float32 decoder over a copy of the model whose weight matrices were
// rounded to bfloat16, and that those differ from the unrounded model's by
// no more than bfloat16's precision suggests.
func TestDecoderBF16(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for _, tc := range tinyConfigs {
			t.Run(tc.name, func(t *testing.T) {
				m, err := New(tc.cfg, 5)
				if err != nil {
					t.Fatal(err)
				}
				rounded, err := New(tc.cfg, 5)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range rounded.Params() {
					if len(p.Shape) == 2 { // a matrix: rounded; norms and biases stay float32
						bits := make([]uint16, len(p.Data))
						kernels.F32ToBF16(bits, p.Data)
						kernels.BF16ToF32(p.Data, bits)
					}
				}
				tokens := randomTokens(m.MaxSeqLen(), tc.cfg.VocabSize, 11)
				got := decodeAll(t, NewDecoderBF16(m), tokens)
				want := decodeAll(t, NewDecoder(rounded), tokens)
				if !sameBits(got, want) {
					t.Fatalf("bfloat16 decoder differs from float32 decoding of the rounded weights by %.3g", maxAbsDiff(got, want))
				}
				exact := decodeAll(t, NewDecoder(m), tokens)
				diff, scale := maxAbsDiff(got, exact), maxAbsDiff(exact, make([]float32, len(exact)))
				t.Logf("bfloat16 against float32 weights: max |Δ| = %.3g over logits up to %.3g", diff, scale)
				if !(diff <= 0.02*scale) {
					t.Errorf("bfloat16 logits are off by %.3g over logits up to %.3g", diff, scale)
				}
			})
		}
	})
}

// TestDecoderStepInto: StepInto writes what Step returns; Truncate takes
// tokens back so that they can be fed again, to the same logits; any
// thread count gives the same bits.
func TestDecoderStepInto(t *testing.T) {
	for _, tc := range tinyConfigs {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			T, V := m.MaxSeqLen(), m.VocabSize()
			tokens := randomTokens(T, V, 4)
			m.Threads = 1
			want := decodeAll(t, NewDecoder(m), tokens)
			m.Threads = 3
			dec := NewDecoder(m)
			logits := make([]float32, V+1)
			logits[V] = 42 // past V: untouched
			for pos, tok := range tokens {
				if err := dec.StepInto(tok, logits); err != nil {
					t.Fatal(err)
				}
				if !sameBits(logits[:V], want[pos*V:(pos+1)*V]) {
					t.Fatalf("position %d: StepInto with 3 threads differs from Step with 1", pos)
				}
			}
			if logits[V] != 42 {
				t.Errorf("StepInto wrote past the vocabulary")
			}
			back := T / 2
			if err := dec.Truncate(back); err != nil || dec.Pos() != back {
				t.Fatalf("Truncate(%d): %v at position %d", back, err, dec.Pos())
			}
			if again := decodeAll(t, dec, tokens[back:]); !sameBits(again, want[back*V:]) {
				t.Errorf("decoding again after Truncate(%d) gave other logits", back)
			}
			for _, n := range []int{-1, T + 1} {
				if err := dec.Truncate(n); err == nil || !strings.Contains(err.Error(), "cannot truncate") {
					t.Errorf("Truncate(%d) with %d tokens: %v", n, T, err)
				}
			}
			dec.Reset()
			if err := dec.StepInto(tokens[0], logits[:V-1]); err == nil || !strings.Contains(err.Error(), "logits buffer") {
				t.Errorf("StepInto with a short buffer: %v", err)
			}
		})
	}
}
