package model

import (
	"strings"
	"testing"

	"github.com/xent-dev/xent/loss"
)

// TestPhi3WindowBoundsTheSequence checks that a phi3 model refuses to
// score a sequence longer than its sliding_window rather than guess how
// transformers applies it, and says so by name.
func TestPhi3WindowBoundsTheSequence(t *testing.T) {
	var cfg Config
	for _, tc := range tinyConfigs {
		if tc.name == "phi3" {
			cfg = tc.cfg
		}
	}
	m, err := New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	w := *cfg.SlidingWindow
	if m.MaxSeqLen() != w {
		t.Errorf("MaxSeqLen %d, want the window %d", m.MaxSeqLen(), w)
	}
	tokens := randomTokens(w+1, cfg.VocabSize, 1)
	_, err = m.Forward(tokens, 1, w+1, nextTokens(tokens, 1, w+1), loss.Options{})
	if err == nil || !strings.Contains(err.Error(), "longer than the phi3 sliding_window of 12") {
		t.Errorf("Forward over %d tokens: %v; want a refusal naming the sliding_window", w+1, err)
	}
	if _, err := m.Forward(tokens[:w], 1, w, nextTokens(tokens[:w], 1, w), loss.Options{}); err != nil {
		t.Errorf("Forward over the window: %v", err)
	}
}

// TestLongropeBoundsTheSequence checks that LongRoPE refuses a sequence
// past its original context, where transformers switches to long_factor,
// and that the decoder stops there too.
func TestLongropeBoundsTheSequence(t *testing.T) {
	var cfg Config
	for _, tc := range tinyConfigs {
		if tc.name == "phi3-longrope" {
			cfg = tc.cfg
		}
	}
	m, err := New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.OriginalMaxPositionEmbeddings
	if m.MaxSeqLen() != n {
		t.Errorf("MaxSeqLen %d, want the original context %d", m.MaxSeqLen(), n)
	}
	if err := m.CheckBatch(1, n+1); err == nil || !strings.Contains(err.Error(), "longer than longrope's original context of 12") {
		t.Errorf("CheckBatch(1, %d): %v", n+1, err)
	}
	dec := NewDecoder(m)
	for range n {
		if _, err := dec.Step(1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dec.Step(1); err == nil || !strings.Contains(err.Error(), "decoding past longrope's original context") {
		t.Errorf("a step past the original context: %v", err)
	}
}
