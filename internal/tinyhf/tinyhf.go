// Package tinyhf writes tiny random-weight Hugging Face model directories
// laid out as the real checkpoints of each family are: config.json with
// the family's real fields (sizes shrunk, everything else as published),
// weights in the published dtype under the exact tensor names, split into
// shards with model.safetensors.index.json where the real checkpoint is
// sharded, generation_config.json, and a tokenizer.json (GPT-2's byte-level
// BPE for every family: the vocabulary is not what these directories test).
//
// They stand in for real checkpoints in tests and in the README's worked
// examples: nothing is downloaded. The weights are normal(0, 0.02) (norm
// weights that scale by 1 ± 0.1, biases normal(0, 0.02)) from a seed, so a
// directory is the same every time.
package tinyhf

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// Spec is one family's directory: its config.json, the dtype and shard
// count of its weights, and its generation_config.json.
type Spec struct {
	Name       string         // e.g. "qwen2.5-0.5b"
	Config     map[string]any // config.json, as the real checkpoint's with smaller sizes
	DType      safetensors.DType
	Shards     int            // 1: model.safetensors; more: model-0000i-of-0000n.safetensors and the index
	Generation map[string]any // generation_config.json
}

// vocab is every tiny model's vocabulary: GPT-2's 50,257 tokens padded to
// a multiple of 64, as real checkpoints pad theirs past the tokenizer
// (GPT-2 itself excepted).
const vocab = 50304

// Specs are the families' directories, after the config.json of
// Llama-3.2-1B, Llama-3.1-8B, SmolLM2-135M, Mistral-7B-v0.1,
// Qwen2.5-0.5B, Qwen3-0.6B, Phi-3-mini-4k-instruct, gemma-2b, gemma-2-2b
// (float32, 3 shards, as published), gemma-3-1b and GPT-2.
var Specs = []Spec{
	{Name: "llama-3.2-1b", DType: safetensors.BF16, Shards: 1, Config: map[string]any{
		"architectures": []string{"LlamaForCausalLM"}, "attention_bias": false, "attention_dropout": 0.0,
		"bos_token_id": 50256, "eos_token_id": 50256, "head_dim": 16, "hidden_act": "silu", "hidden_size": 64,
		"initializer_range": 0.02, "intermediate_size": 256, "max_position_embeddings": 131072, "mlp_bias": false,
		"model_type": "llama", "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2,
		"pretraining_tp": 1, "rms_norm_eps": 1e-05,
		"rope_scaling": map[string]any{"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
			"original_max_position_embeddings": 8192, "rope_type": "llama3"},
		"rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
		"transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "do_sample": true, "eos_token_id": 50256,
			"temperature": 0.6, "top_p": 0.9, "transformers_version": "4.45.0.dev0"}},
	{Name: "llama-3.1-8b", DType: safetensors.BF16, Shards: 2, Config: map[string]any{
		"architectures": []string{"LlamaForCausalLM"}, "attention_bias": false, "attention_dropout": 0.0,
		"bos_token_id": 50256, "eos_token_id": []int{50256, 50255}, "hidden_act": "silu", "hidden_size": 64,
		"initializer_range": 0.02, "intermediate_size": 224, "max_position_embeddings": 131072, "mlp_bias": false,
		"model_type": "llama", "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 1,
		"pretraining_tp": 1, "rms_norm_eps": 1e-05,
		"rope_scaling": map[string]any{"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
			"original_max_position_embeddings": 8192, "rope_type": "llama3"},
		"rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
		"transformers_version": "4.43.0.dev0", "use_cache": true, "vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "do_sample": true, "eos_token_id": []int{50256, 50255},
			"temperature": 0.6, "top_p": 0.9, "transformers_version": "4.43.0.dev0"}},
	{Name: "smollm2-135m", DType: safetensors.BF16, Shards: 1, Config: map[string]any{
		"architectures": []string{"LlamaForCausalLM"}, "attention_bias": false, "attention_dropout": 0.0,
		"bos_token_id": 50256, "eos_token_id": 50256, "hidden_act": "silu", "hidden_size": 48,
		"initializer_range": 0.041666666666666664, "intermediate_size": 128, "is_llama_config": true,
		"max_position_embeddings": 8192, "mlp_bias": false, "model_type": "llama", "num_attention_heads": 3,
		"num_hidden_layers": 2, "num_key_value_heads": 1, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
		"rope_interleaved": false, "rope_scaling": nil, "rope_theta": 100000, "tie_word_embeddings": true,
		"torch_dtype": "bfloat16", "transformers_version": "4.42.3", "use_cache": true, "vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "eos_token_id": 50256, "transformers_version": "4.42.3"}},
	{Name: "mistral-7b-v0.1", DType: safetensors.BF16, Shards: 2, Config: map[string]any{
		"architectures": []string{"MistralForCausalLM"}, "bos_token_id": 50256, "eos_token_id": 50256,
		"hidden_act": "silu", "hidden_size": 64, "initializer_range": 0.02, "intermediate_size": 224,
		"max_position_embeddings": 32768, "model_type": "mistral", "num_attention_heads": 4,
		"num_hidden_layers": 2, "num_key_value_heads": 1, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
		"sliding_window": 4096, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
		"transformers_version": "4.34.0.dev0", "use_cache": true, "vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "eos_token_id": 50256, "transformers_version": "4.34.0.dev0"}},
	{Name: "qwen2.5-0.5b", DType: safetensors.BF16, Shards: 1, Config: map[string]any{
		"architectures": []string{"Qwen2ForCausalLM"}, "attention_dropout": 0.0, "bos_token_id": 50256,
		"eos_token_id": 50256, "hidden_act": "silu", "hidden_size": 56, "initializer_range": 0.02,
		"intermediate_size": 152, "max_position_embeddings": 32768, "max_window_layers": 24, "model_type": "qwen2",
		"num_attention_heads": 7, "num_hidden_layers": 2, "num_key_value_heads": 1, "rms_norm_eps": 1e-06,
		"rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
		"transformers_version": "4.40.1", "use_cache": true, "use_mrope": false, "use_sliding_window": false,
		"vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "do_sample": false, "eos_token_id": 50256,
			"max_new_tokens": 2048, "transformers_version": "4.37.0"}},
	{Name: "qwen3-0.6b", DType: safetensors.BF16, Shards: 1, Config: map[string]any{
		"architectures": []string{"Qwen3ForCausalLM"}, "attention_bias": false, "attention_dropout": 0.0,
		"bos_token_id": 50256, "eos_token_id": 50256, "head_dim": 32, "hidden_act": "silu", "hidden_size": 64,
		"initializer_range": 0.02, "intermediate_size": 192, "max_position_embeddings": 40960,
		"max_window_layers": 28, "model_type": "qwen3", "num_attention_heads": 4, "num_hidden_layers": 2,
		"num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_scaling": nil, "rope_theta": 1000000,
		"sliding_window": nil, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
		"transformers_version": "4.51.0", "use_cache": true, "use_sliding_window": false, "vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "do_sample": true, "eos_token_id": []int{50256, 50255},
			"pad_token_id": 50256, "temperature": 0.6, "top_k": 20, "top_p": 0.95, "transformers_version": "4.51.0"}},
	{Name: "phi-3-mini-4k", DType: safetensors.BF16, Shards: 2, Config: map[string]any{
		"_name_or_path": "Phi-3-mini-4k-instruct", "architectures": []string{"Phi3ForCausalLM"}, "attention_bias": false,
		"attention_dropout": 0.0, "auto_map": map[string]any{"AutoConfig": "configuration_phi3.Phi3Config",
			"AutoModelForCausalLM": "modeling_phi3.Phi3ForCausalLM"},
		"bos_token_id": 50256, "embd_pdrop": 0.0, "eos_token_id": 50256, "hidden_act": "silu", "hidden_size": 64,
		"initializer_range": 0.02, "intermediate_size": 160, "max_position_embeddings": 4096, "model_type": "phi3",
		"num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 4, "original_max_position_embeddings": 4096,
		"pad_token_id": 50256, "resid_pdrop": 0.0, "rms_norm_eps": 1e-05, "rope_scaling": nil, "rope_theta": 10000.0,
		"sliding_window": 2047, "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.40.2",
		"use_cache": true, "vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "eos_token_id": []int{50256, 50255}, "pad_token_id": 50256,
			"transformers_version": "4.40.2"}},
	{Name: "gemma-2b", DType: safetensors.BF16, Shards: 2, Config: map[string]any{
		"architectures": []string{"GemmaForCausalLM"}, "attention_bias": false, "attention_dropout": 0.0,
		"bos_token_id": 50256, "eos_token_id": 50256, "head_dim": 32, "hidden_act": "gelu", "hidden_activation": nil,
		"hidden_size": 64, "initializer_range": 0.02, "intermediate_size": 256, "max_position_embeddings": 8192,
		"model_type": "gemma", "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 1,
		"pad_token_id": 50256, "rms_norm_eps": 1e-06, "rope_scaling": nil, "rope_theta": 10000.0,
		"torch_dtype": "bfloat16", "transformers_version": "4.38.0.dev0", "use_cache": true, "vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "eos_token_id": 50256, "pad_token_id": 50256,
			"transformers_version": "4.38.0.dev0"}},
	{Name: "gemma-2-2b", DType: safetensors.F32, Shards: 3, Config: map[string]any{
		"architectures": []string{"Gemma2ForCausalLM"}, "attention_bias": false, "attention_dropout": 0.0,
		"attn_logit_softcapping": 50.0, "bos_token_id": 50256, "cache_implementation": "hybrid", "eos_token_id": []int{50256, 50255},
		"final_logit_softcapping": 30.0, "head_dim": 32, "hidden_act": "gelu_pytorch_tanh",
		"hidden_activation": "gelu_pytorch_tanh", "hidden_size": 64, "initializer_range": 0.02, "intermediate_size": 256,
		"max_position_embeddings": 8192, "model_type": "gemma2", "num_attention_heads": 4, "num_hidden_layers": 2,
		"num_key_value_heads": 2, "pad_token_id": 50256, "query_pre_attn_scalar": 32, "rms_norm_eps": 1e-06,
		"rope_theta": 10000.0, "sliding_window": 4096, "torch_dtype": "float32", "transformers_version": "4.42.4",
		"use_cache": true, "vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "cache_implementation": "hybrid", "eos_token_id": []int{50256, 50255},
			"pad_token_id": 50256, "transformers_version": "4.42.4"}},
	{Name: "gemma-3-1b", DType: safetensors.BF16, Shards: 1, Config: map[string]any{
		"architectures": []string{"Gemma3ForCausalLM"}, "attention_bias": false, "attention_dropout": 0.0,
		"attn_logit_softcapping": nil, "bos_token_id": 50256, "cache_implementation": "hybrid", "eos_token_id": 50256,
		"final_logit_softcapping": nil, "head_dim": 32, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 48,
		"initializer_range": 0.02, "intermediate_size": 192, "max_position_embeddings": 32768, "model_type": "gemma3_text",
		"num_attention_heads": 4, "num_hidden_layers": 6, "num_key_value_heads": 1, "pad_token_id": 50256,
		"query_pre_attn_scalar": 32, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000, "rope_scaling": nil,
		"rope_theta": 1000000, "sliding_window": 512, "sliding_window_pattern": 6, "torch_dtype": "bfloat16",
		"transformers_version": "4.50.0.dev0", "use_cache": true, "vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "cache_implementation": "hybrid", "eos_token_id": []int{50256, 50255},
			"pad_token_id": 50256, "top_k": 64, "top_p": 0.95, "transformers_version": "4.50.0.dev0"}},
	{Name: "gpt2", DType: safetensors.F32, Shards: 1, Config: map[string]any{
		"activation_function": "gelu_new", "architectures": []string{"GPT2LMHeadModel"}, "attn_pdrop": 0.1,
		"bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
		"layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 64, "n_head": 4,
		"n_layer": 2, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": nil,
		"summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
		"summary_use_proj": true, "task_specific_params": map[string]any{"text-generation": map[string]any{"do_sample": true, "max_length": 50}},
		"vocab_size": 50257},
		Generation: map[string]any{"bos_token_id": 50256, "eos_token_id": 50256, "transformers_version": "4.26.0.dev0"}},
}

// Find returns the spec of the given name.
func Find(name string) (Spec, error) {
	for _, s := range Specs {
		if s.Name == name {
			return s, nil
		}
	}
	var names []string
	for _, s := range Specs {
		names = append(names, s.Name)
	}
	return Spec{}, fmt.Errorf("tinyhf: no family %q (have %s)", name, strings.Join(names, ", "))
}

// Write writes the spec's directory into dir, which must not exist, with
// weights drawn from seed.
func Write(dir string, s Spec, seed uint64) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("tinyhf: %s exists; name a new directory", dir)
	}
	raw, err := json.Marshal(s.Config)
	if err != nil {
		return fmt.Errorf("tinyhf: %w", err)
	}
	var cfg model.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("tinyhf: %s: %w", s.Name, err)
	}
	m, err := model.New(cfg, seed)
	if err != nil {
		return fmt.Errorf("tinyhf: %s: %w", s.Name, err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	params := m.Params()
	for _, p := range params {
		mean, std := float32(0), float32(0.02)
		if strings.Contains(p.Name, "norm") || strings.HasPrefix(p.Name, "ln_") || strings.Contains(p.Name, ".ln_") {
			if strings.HasSuffix(p.Name, ".weight") {
				mean, std = 1, 0.1
				if cfg.ModelType == model.Gemma || cfg.ModelType == model.Gemma2 || cfg.ModelType == model.Gemma3Text {
					mean = 0 // Gemma stores a norm's weight less 1
				}
			}
		}
		for i := range p.Data {
			p.Data[i] = mean + std*float32(rng.NormFloat64())
		}
	}
	tok, err := tokenizer.Builtin("gpt2")
	if err != nil {
		return fmt.Errorf("tinyhf: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tinyhf: %w", err)
	}
	for name, v := range map[string]any{"config.json": s.Config, "generation_config.json": s.Generation} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("tinyhf: %w", err)
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, name), append(b, '\n')); err != nil {
			return fmt.Errorf("tinyhf: %w", err)
		}
	}
	if err := tok.SaveHFFile(filepath.Join(dir, "tokenizer.json")); err != nil {
		return fmt.Errorf("tinyhf: %w", err)
	}
	return writeWeights(dir, params, s)
}

// writeWeights writes the tensors in s.DType: one model.safetensors, or
// s.Shards files of consecutive tensors of about equal size (none empty)
// and the index
// that maps each tensor to its file, as save_pretrained does.
func writeWeights(dir string, params []model.Tensor, s Spec) error {
	ts := make([]safetensors.Tensor, len(params))
	total := 0
	for i, p := range params {
		ts[i] = safetensors.FromFloat32As(p.Name, p.Shape, p.Data, s.DType)
		total += len(ts[i].Data)
	}
	meta := map[string]string{"format": "pt"}
	if s.Shards <= 1 {
		return safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), ts, meta)
	}
	weightMap := map[string]string{}
	start, size := 0, 0
	for k := range s.Shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", k+1, s.Shards)
		// at least one tensor, and one left for each later shard
		end := start
		for end < len(ts)-(s.Shards-1-k) && (end == start || k == s.Shards-1 || size < total*(k+1)/s.Shards) {
			size += len(ts[end].Data)
			end++
		}
		if err := safetensors.WriteFile(filepath.Join(dir, name), ts[start:end], meta); err != nil {
			return err
		}
		for _, t := range ts[start:end] {
			weightMap[t.Name] = name
		}
		start = end
	}
	index := map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap}
	b, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, "model.safetensors.index.json"), append(b, '\n'))
}
