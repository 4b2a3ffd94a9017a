package tinyhf

import (
	"encoding/json"
	"testing"

	"github.com/xent-dev/xent/model"
)

// TestFullSizeParams checks each full size's parameter count against the
// count Hugging Face publishes for the real checkpoint (the model card's
// safetensors parameter count: the tied embedding counted once).
func TestFullSizeParams(t *testing.T) {
	want := map[string]int{
		"llama-3.2-1b": 1235814400,
		"smollm2-135m": 134515008,
		"qwen2.5-0.5b": 494032768,
		"qwen3-0.6b":   596049920,
		"gemma-3-1b":   999885952,
		"gpt2":         124439808,
	}
	for _, s := range Specs {
		full, err := s.FullSize()
		if _, ok := want[s.Name]; !ok {
			if err == nil {
				t.Errorf("%s: has a full size the test does not know", s.Name)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(full.Config)
		if err != nil {
			t.Fatal(err)
		}
		var cfg model.Config
		if err := json.Unmarshal(raw, &cfg); err != nil {
			t.Fatal(err)
		}
		n, err := cfg.NumParams()
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if n != want[s.Name] {
			t.Errorf("%s: %d parameters at full size, the published checkpoint has %d", s.Name, n, want[s.Name])
		}
		if s.Config["hidden_size"] == full.Config["hidden_size"] && s.Config["n_embd"] == full.Config["n_embd"] {
			t.Errorf("%s: FullSize changed the tiny spec's config", s.Name)
		}
	}
}

// TestCutTokenizer checks GPT-2's tokenizer cut to SmolLM2's vocabulary:
// every id below the vocabulary, <|endoftext|> last, and text round trips.
func TestCutTokenizer(t *testing.T) {
	const v = 49152
	tok, err := vocabTokenizer(v)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != v {
		t.Fatalf("vocabulary %d, want %d", tok.VocabSize(), v)
	}
	text := "The quick brown fox jumps over the lazy dog; naïve café, 12345 — ok.<|endoftext|>"
	ids, err := tok.EncodeSpecial([]byte(text), []string{"<|endoftext|>"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id < 0 || id >= v {
			t.Fatalf("id %d outside the vocabulary of %d", id, v)
		}
	}
	if ids[len(ids)-1] != v-1 {
		t.Errorf("<|endoftext|> is %d, want %d", ids[len(ids)-1], v-1)
	}
	back, err := tok.Decode(ids)
	if err != nil || string(back) != text {
		t.Errorf("round trip: %q, %v", back, err)
	}
	s, err := Find("smollm2-135m")
	if err != nil {
		t.Fatal(err)
	}
	full, err := s.FullSize()
	if err != nil {
		t.Fatal(err)
	}
	if full.Config["eos_token_id"] != v-1 || full.Generation["bos_token_id"] != v-1 || s.Config["eos_token_id"] != 50256 {
		t.Errorf("special ids: full %v / %v, tiny %v", full.Config["eos_token_id"], full.Generation["bos_token_id"], s.Config["eos_token_id"])
	}
}
