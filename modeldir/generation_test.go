package modeldir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/tinyhf"
)

// TestEndTokens checks that the ids that end a generation come from
// generation_config.json as an int or a list, else from config.json, and
// that one outside the vocabulary is refused by file and value.
func TestEndTokens(t *testing.T) {
	spec, err := tinyhf.Find("llama-3.1-8b") // eos_token_id [50256, 50255] in both files
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := tinyhf.Write(dir, spec, 1); err != nil {
		t.Fatal(err)
	}
	write := func(name string, v map[string]any) {
		b, _ := json.Marshal(v)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		gen  map[string]any // nil: no generation_config.json
		want []int32
		err  string
	}{
		{"list", map[string]any{"eos_token_id": []int{50256, 50255}}, []int32{50256, 50255}, ""},
		{"int", map[string]any{"eos_token_id": 7}, []int32{7}, ""},
		{"from config", nil, []int32{50256, 50255}, ""},
		{"null", map[string]any{"eos_token_id": nil}, []int32{50256, 50255}, ""},
		{"outside", map[string]any{"eos_token_id": []int{3, 60000}}, nil, "generation_config.json: eos_token_id 60000 is outside the vocabulary [0, 50304)"},
		{"not ids", map[string]any{"eos_token_id": "</s>"}, nil, "not a token id or a list of them"},
	} {
		os.Remove(filepath.Join(dir, GenerationFile))
		if tc.gen != nil {
			write(GenerationFile, tc.gen)
		}
		p, err := Load(dir)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v; want an error mentioning %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(p.EOSTokenIDs, tc.want) {
			t.Errorf("%s: EOSTokenIDs %v, want %v", tc.name, p.EOSTokenIDs, tc.want)
		}
	}
}

// TestSaveNamesTheClass checks that a saved config.json names the
// transformers class and dtype that load it (xent wrote neither).
func TestSaveNamesTheClass(t *testing.T) {
	spec, err := tinyhf.Find("qwen3-0.6b")
	if err != nil {
		t.Fatal(err)
	}
	src, out := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "out")
	if err := tinyhf.Write(src, spec, 1); err != nil {
		t.Fatal(err)
	}
	p, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(out, p.Model, p.Tokenizer, nil); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Architectures []string `json:"architectures"`
		TorchDType    string   `json:"torch_dtype"`
		Tied          bool     `json:"tie_word_embeddings"`
	}
	b, err := os.ReadFile(filepath.Join(out, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Architectures, []string{"Qwen3ForCausalLM"}) || cfg.TorchDType != "float32" || !cfg.Tied {
		t.Errorf("saved config: %+v", cfg)
	}
	if _, err := Load(out); err != nil {
		t.Errorf("the saved directory does not load: %v", err)
	}
}
