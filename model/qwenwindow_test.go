package model

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestQwenWindowMatters checks that the qwen2-window golden case depends on
// its window: the same weights with use_sliding_window false (the window
// dropped, as transformers drops it) give other logits, and with
// max_window_layers 0 (every layer sliding) others again.
func TestQwenWindowMatters(t *testing.T) {
	dir := filepath.Join("testdata", "qwen2-window")
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	tokens := randomTokens(12, cfg.VocabSize, 9)
	logits := func(c Config) []float32 {
		m, err := Load(c, filepath.Join(dir, "init.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Logits(tokens, 1, 12)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	base := logits(cfg)
	off := cfg
	off.UseSlidingWindow = false
	all := cfg
	all.MaxWindowLayers = ptr(0)
	for name, c := range map[string]Config{"use_sliding_window false": off, "max_window_layers 0": all} {
		if d := maxAbsDiff(logits(c), base); d < 1e-3 {
			t.Errorf("%s: logits within %g of the windowed model's; the case does not test the window", name, d)
		}
	}
}

// TestQwenWindowFields checks which Qwen2/Qwen3 window fields load and
// which are refused by name.
func TestQwenWindowFields(t *testing.T) {
	base := `"model_type":"qwen2","vocab_size":37,"hidden_size":16,"intermediate_size":24,"num_hidden_layers":2,
		"num_attention_heads":4,"num_key_value_heads":2,"max_position_embeddings":16`
	for _, tc := range []struct {
		fields, refusal string
	}{
		{`"use_sliding_window":false,"sliding_window":32768,"max_window_layers":24`, ""}, // Qwen2.5's published config
		{`"use_sliding_window":false,"sliding_window":null,"max_window_layers":28`, ""},  // Qwen3's
		{`"use_sliding_window":true,"sliding_window":4,"max_window_layers":1`, ""},
		{`"use_sliding_window":true,"sliding_window":4,"layer_types":["full_attention","sliding_attention"]`, ""},
		{`"layer_types":["full_attention","full_attention"]`, ""},
		{`"layer_types":["full_attention","sliding_attention"]`, "no window"},
		{`"use_sliding_window":true,"sliding_window":4,"layer_types":["full_attention"]`, "2 layers"},
		{`"use_sliding_window":true,"sliding_window":4,"layer_types":["full_attention","chunked_attention"]`, "chunked_attention"},
		{`"use_sliding_window":true,"sliding_window":0`, "sliding_window is 0"},
	} {
		raw := []byte("{" + base + "," + tc.fields + "}")
		var c Config
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		err := CheckFields(raw)
		if err == nil {
			err = c.Validate()
		}
		switch {
		case tc.refusal == "" && err != nil:
			t.Errorf("%s: %v", tc.fields, err)
		case tc.refusal != "" && (err == nil || !strings.Contains(err.Error(), tc.refusal)):
			t.Errorf("%s: got %v, want a refusal naming %q", tc.fields, err, tc.refusal)
		}
	}
}
