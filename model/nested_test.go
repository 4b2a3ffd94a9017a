package model

import (
	"encoding/json"
	"strings"
	"testing"
)

// gemma3MM is the shape of google/gemma-3-4b-it's config.json: a
// text_config that gives five fields and leaves the rest to
// Gemma3TextConfig's defaults.
const gemma3MM = `{
  "architectures": ["Gemma3ForConditionalGeneration"],
  "boi_token_index": 255999, "eoi_token_index": 256000, "eos_token_id": [1, 106],
  "image_token_index": 262144, "initializer_range": 0.02, "mm_tokens_per_image": 256,
  "model_type": "gemma3",
  "text_config": {
    "hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
    "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"}, "sliding_window": 1024
  },
  "torch_dtype": "bfloat16", "transformers_version": "4.50.0.dev0",
  "vision_config": {"hidden_size": 1152, "image_size": 896, "intermediate_size": 4304,
    "model_type": "siglip_vision_model", "num_attention_heads": 16, "num_hidden_layers": 27,
    "patch_size": 14, "vision_use_head": false}
}`

// TestTextConfigGemma3 checks the text model read out of a multimodal
// Gemma 3 config: the fields text_config gives, Gemma3TextConfig's
// defaults for the others (transformers v4.50), the top level's token ids.
func TestTextConfigGemma3(t *testing.T) {
	raw, err := TextConfig([]byte(gemma3MM))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckFields(raw); err != nil {
		t.Fatal(err)
	}
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	want := Config{ModelType: Gemma3Text, VocabSize: 262208, HiddenSize: 2560, IntermediateSize: 10240,
		NumHiddenLayers: 34, NumAttentionHeads: 8, NumKeyValueHeads: 4, HeadDim: 256, QueryPreAttnScalar: 256,
		RopeTheta: 1e6, RopeLocalBaseFreq: 10000, SlidingWindowPattern: 6, RMSNormEps: 1e-6,
		MaxPositionEmbeddings: 131072, TieWordEmbeddings: true, HiddenActivation: "gelu_pytorch_tanh"}
	got := c
	got.RopeScaling, got.SlidingWindow = nil, nil
	if !jsonEqual(t, got, want) {
		t.Errorf("text config\n got %+v\nwant %+v", got, want)
	}
	if c.SlidingWindow == nil || *c.SlidingWindow != 1024 || !strings.Contains(string(c.RopeScaling), `"linear"`) {
		t.Errorf("sliding_window %v, rope_scaling %s: text_config's own values lost", c.SlidingWindow, c.RopeScaling)
	}
	var ids struct {
		EOS []int `json:"eos_token_id"`
	}
	json.Unmarshal(raw, &ids)
	if len(ids.EOS) != 2 || ids.EOS[1] != 106 {
		t.Errorf("eos_token_id %v, want the top level's [1 106]", ids.EOS)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}

	for _, bad := range []string{
		`{"model_type":"gemma3","text_config":{"model_type":"llama"}}`,
		`{"model_type":"gemma3","text_config":[1]}`,
		`{"model_type":"gemma3","text_config":{},"use_bidirectional_attention":true}`,
	} {
		raw, err := TextConfig([]byte(bad))
		if err == nil {
			err = CheckFields(raw)
		}
		if err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	// a text model's config is returned as it is
	plain := []byte(`{"model_type":"llama","hidden_size":8}`)
	if raw, err := TextConfig(plain); err != nil || string(raw) != string(plain) {
		t.Errorf("llama config changed: %s, %v", raw, err)
	}
}

// TestTextTensorName checks the two layouts of multimodal Gemma 3
// checkpoints and the vision tensors left unread.
func TestTextTensorName(t *testing.T) {
	c := Config{ModelType: Gemma3Text}
	for stored, want := range map[string]string{
		"language_model.model.layers.0.self_attn.q_proj.weight":  "model.layers.0.self_attn.q_proj.weight",
		"model.language_model.embed_tokens.weight":               "model.embed_tokens.weight",
		"language_model.lm_head.weight":                          "lm_head.weight",
		"model.norm.weight":                                      "model.norm.weight",
		"vision_tower.vision_model.post_layernorm.weight":        "",
		"model.multi_modal_projector.mm_input_projection_weight": "",
	} {
		name, read := c.TextTensorName(stored)
		if name != want || read != (want != "") {
			t.Errorf("%s: %q, %v; want %q", stored, name, read, want)
		}
	}
	if name, read := (Config{ModelType: Llama}).TextTensorName("vision_tower.x"); name != "vision_tower.x" || !read {
		t.Errorf("llama: %q, %v", name, read)
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	x, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(x) == string(y)
}
