package model

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// inertFields are config.json fields that cannot change a forward pass's
// arithmetic, and are ignored: provenance and bookkeeping, token ids (the
// tokenizer's business), dropout (off when scoring), initialisation,
// GPT-2's sequence-classification head, tensor-parallel slicing of the same
// products (pretraining_tp), fields
// transformers itself never reads for these families (rope_interleaved,
// is_llama_config: nanotron's), and what xent itself writes (xent, tune).
var inertFields = []string{
	"_name_or_path", "architectures", "transformers_version", "torch_dtype", "dtype", "model_type",
	"bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "decoder_start_token_id",
	"use_cache", "initializer_range", "attention_dropout", "attn_pdrop", "embd_pdrop", "resid_pdrop",
	"hidden_dropout", "hidden_dropout_prob", "attention_probs_dropout_prob", "mlp_dropout",
	"summary_activation", "summary_first_dropout", "summary_proj_to_labels", "summary_type", "summary_use_proj",
	"task_specific_params", "n_ctx", "pretraining_tp", "rope_interleaved", "is_llama_config",
	"reorder_and_upcast_attn", "id2label", "label2id", "num_labels", "problem_type", "tokenizer_class",
	"output_attentions", "output_hidden_states", "return_dict", "use_return_dict", "torchscript",
	"keys_to_ignore_at_inference", "finetuning_task", "prefix", "chunk_size_feed_forward",
	"is_encoder_decoder", "is_decoder", "tie_encoder_decoder", "xent", "tune",
	// auto_map names remote code, which transformers runs only for a
	// model_type it lacks; xent implements the model_type as transformers
	// does.
	"auto_map",
	// Gemma 2's kind of KV cache for generate(): no arithmetic.
	"cache_implementation",
}

// valuedFields are fields that change the arithmetic with some values: the
// model is refused unless the field holds one that this package computes
// as transformers does (or is null).
var valuedFields = map[string]func(any) bool{
	"add_cross_attention":   func(v any) bool { return v == false },
	"use_mrope":             func(v any) bool { return v == false }, // Qwen2-VL's multimodal RoPE
	"partial_rotary_factor": func(v any) bool { return v == 1.0 },
}

// CheckFields refuses a config.json whose fields could change the
// arithmetic in a way this package does not compute: a field that is
// neither read into Config, nor inert (ignored, as listed in inertFields),
// nor holding an accepted value of valuedFields, names itself. A GPT-2
// config that unties its head (tie_word_embeddings false) is refused too,
// unless xent wrote it (an "xent" or "tune" field: xent's GPT-2 is always
// tied, and saves before modeldir wrote true said false).
func CheckFields(raw []byte) error {
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		return fmt.Errorf("model: config.json: %w", err)
	}
	known := configFields()
	var unknown []string
	for name, v := range fields {
		if ok, valued := valuedFields[name]; valued {
			if v != nil && !ok(v) {
				b, _ := json.Marshal(v)
				return fmt.Errorf("model: config.json: %s %s is not supported", name, b)
			}
			continue
		}
		if !known[name] && !slices.Contains(inertFields, name) && !strings.HasPrefix(name, "_") {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("model: config.json: %s not known to xent and could change the arithmetic (quantization, experts, another variant), so the model is refused", plural(unknown, "field"))
	}
	if fields["model_type"] == GPT2 && fields["tie_word_embeddings"] == false && fields["xent"] == nil && fields["tune"] == nil {
		return fmt.Errorf("model: config.json: a GPT-2 head untied from the embedding (tie_word_embeddings false) is not supported")
	}
	if (fields["model_type"] == Gemma || fields["model_type"] == Gemma2 || fields["model_type"] == Gemma3Text) && fields["tie_word_embeddings"] == false {
		return fmt.Errorf("model: config.json: a Gemma head untied from the embedding (tie_word_embeddings false) is not supported")
	}
	return nil
}

// configFields are the JSON names of Config's fields.
func configFields() map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = true
	}
	return out
}

// plural names a list: `field "a"` or `fields "a", "b"`, with "is" or "are".
func plural(names []string, noun string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return noun + " " + q[0] + " is"
	}
	return noun + "s " + strings.Join(q, ", ") + " are"
}
