package model

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCheckFields checks that fields which would change the arithmetic in
// a way the package does not compute are refused by name (they were
// ignored before), and that the fields of published configs are not.
func TestCheckFields(t *testing.T) {
	llama := `"model_type": "llama", "hidden_size": 16, "num_attention_heads": 4, "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 9, "max_position_embeddings": 8`
	gpt2 := `"model_type": "gpt2", "n_embd": 16, "n_head": 4, "n_layer": 1, "n_positions": 8, "vocab_size": 9`
	for _, tc := range []struct{ name, js, want string }{
		{"quantized", llama + `, "quantization_config": {"quant_method": "gptq"}`, `field "quantization_config" is not known to xent`},
		{"experts", llama + `, "num_experts": 8, "num_experts_per_tok": 2`, `fields "num_experts", "num_experts_per_tok" are not known`},
		{"untied gpt2", gpt2 + `, "tie_word_embeddings": false`, "a GPT-2 head untied from the embedding"},
		{"untied gemma", `"model_type": "gemma", "tie_word_embeddings": false`, "a Gemma head untied from the embedding"},
		{"mrope", llama + `, "use_mrope": true`, "use_mrope true is not supported"},
		{"partial rope", llama + `, "partial_rotary_factor": 0.5`, "partial_rotary_factor 0.5 is not supported"},
		{"custom code", `"model_type": "x", "auto_map": {"AutoModelForCausalLM": "modeling_x.X"}, "rope_type_x": 1`, `field "rope_type_x" is not known`},
	} {
		err := CheckFields([]byte("{" + tc.js + "}"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error mentioning %q", tc.name, err, tc.want)
		}
	}
	for _, js := range []string{
		gpt2 + `, "scale_attn_weights": true, "scale_attn_by_inverse_layer_idx": false, "reorder_and_upcast_attn": false, "attn_pdrop": 0.1`,
		gpt2 + `, "tie_word_embeddings": false, "xent": {}`, // xent's own GPT-2 checkpoints said false before
		llama + `, "layer_types": ["full_attention", "full_attention"], "partial_rotary_factor": 1.0, "use_mrope": false`,
		llama + `, "_commit_hash": "x", "torch_dtype": "bfloat16", "eos_token_id": [1, 2], "pretraining_tp": 1`,
	} {
		if err := CheckFields([]byte("{" + js + "}")); err != nil {
			t.Errorf("%s: %v", js, err)
		}
	}
}

// TestGPT2ConfigSaysTied checks that a GPT-2 model's config says its head
// is tied, so that a saved config.json loads in transformers with the
// embedding as its head (xent wrote "tie_word_embeddings": false, and
// transformers would draw a random head).
func TestGPT2ConfigSaysTied(t *testing.T) {
	cfg := tinyConfigs[0].cfg
	cfg.TieWordEmbeddings = false
	m, err := New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m.Config)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"tie_word_embeddings":true`) {
		t.Errorf("config %s does not say the head is tied", b)
	}
}
