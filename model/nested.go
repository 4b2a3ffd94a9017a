package model

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Gemma3 is the model_type of Gemma 3's multimodal checkpoints
// (Gemma3ForConditionalGeneration: gemma-3-4b, 12b, 27b): a Gemma3Text
// language model beside a SigLIP vision tower. TextConfig reads the
// language model out of them; the vision side is not read.
const Gemma3 = "gemma3"

// gemma3TextDefaults are Gemma3TextConfig's defaults (transformers v4.50,
// configuration_gemma3.py, the same through v4.57) for the fields that
// change the arithmetic. transformers fills a field config.json omits
// with them, and the multimodal checkpoints omit most: gemma-3-4b's
// text_config gives only hidden_size, intermediate_size,
// num_hidden_layers, rope_scaling and sliding_window.
var gemma3TextDefaults = map[string]any{
	"vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
	"num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
	"max_position_embeddings": 131072, "rms_norm_eps": 1e-6, "tie_word_embeddings": true, "rope_theta": 1e6,
	"query_pre_attn_scalar": 256, "sliding_window": 4096, "rope_local_base_freq": 10000.0,
	"sliding_window_pattern": 6,
}

// gemma3Wrapper are Gemma3Config's own fields: the image side (the vision
// tower's config, the image tokens, how many an image takes) and
// bookkeeping. None changes the logits of text, so they go with the
// wrapper; any other top-level field is kept and checked as the text
// model's (CheckFields).
var gemma3Wrapper = []string{
	"model_type", "architectures", "text_config", "vision_config", "boi_token_index", "eoi_token_index",
	"image_token_index", "mm_tokens_per_image", "initializer_range", "transformers_version",
}

// TextConfig returns the config.json of the text model that raw, a
// config.json, describes. For a gemma3_text config that is raw with
// Gemma3TextConfig's defaults in the fields it omits; for a multimodal
// Gemma 3 config (model_type gemma3) it is text_config over those
// defaults, with the top-level fields that are not the wrapper's own
// (token ids, torch_dtype) on top, and model_type gemma3_text; the
// weights then load from either layout of the checkpoint (TextTensorName).
// Any other config is raw itself.
func TextConfig(raw []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("model: config.json: %w", err)
	}
	var kind string
	if mt, ok := top["model_type"]; ok {
		if err := json.Unmarshal(mt, &kind); err != nil {
			return nil, fmt.Errorf("model: config.json: model_type: %w", err)
		}
	}
	switch kind {
	case Gemma3Text:
		return withDefaults(top, raw)
	case Gemma3:
	default:
		return raw, nil
	}
	text := map[string]json.RawMessage{}
	if tc, ok := top["text_config"]; ok && string(tc) != "null" {
		if err := json.Unmarshal(tc, &text); err != nil {
			return nil, fmt.Errorf("model: config.json: text_config: %w", err)
		}
	}
	if mt, ok := text["model_type"]; ok && string(mt) != `"gemma3_text"` {
		return nil, fmt.Errorf("model: config.json: a gemma3 checkpoint's text_config has model_type %s, not \"gemma3_text\"", mt)
	}
	for k, v := range top {
		if !slices.Contains(gemma3Wrapper, k) {
			text[k] = v
		}
	}
	text["model_type"] = json.RawMessage(`"gemma3_text"`)
	b, err := json.Marshal(text)
	if err != nil {
		return nil, fmt.Errorf("model: config.json: %w", err)
	}
	return withDefaults(text, b)
}

// withDefaults is a gemma3_text config with gemma3TextDefaults in the
// fields it omits (not in those it gives as null); raw unchanged when it
// omits none.
func withDefaults(fields map[string]json.RawMessage, raw []byte) ([]byte, error) {
	missing := false
	for k := range gemma3TextDefaults {
		_, ok := fields[k]
		missing = missing || !ok
	}
	if !missing {
		return raw, nil
	}
	out := maps.Clone(fields)
	for k, v := range gemma3TextDefaults {
		if _, ok := out[k]; !ok {
			b, _ := json.Marshal(v) // numbers, strings and bools always marshal
			out[k] = b
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("model: config.json: %w", err)
	}
	return b, nil
}

// TextTensorName maps a tensor name of a Gemma 3 checkpoint to the text
// model's Hugging Face name. Multimodal checkpoints store the language
// model as language_model.model.* and its head as language_model.lm_head.*
// (transformers up to v4.51, as google published them), or as
// model.language_model.* and lm_head.* (v4.52 on: its
// _checkpoint_conversion_mapping reads the first as the second); both
// become model.* and lm_head.*. read is false for the vision side
// (vision_tower.*, multi_modal_projector.*, under model. or not), which
// text never passes through. Other names, and every name of other
// families, are returned as they are.
func (c Config) TextTensorName(stored string) (name string, read bool) {
	if c.ModelType != Gemma3Text {
		return stored, true
	}
	for _, p := range []string{"vision_tower.", "multi_modal_projector.", "model.vision_tower.", "model.multi_modal_projector."} {
		if strings.HasPrefix(stored, p) {
			return "", false
		}
	}
	for from, to := range map[string]string{"language_model.model.": "model.", "model.language_model.": "model.", "language_model.lm_head.": "lm_head."} {
		if rest, ok := strings.CutPrefix(stored, from); ok {
			return to + rest, true
		}
	}
	return stored, true
}
