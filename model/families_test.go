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
