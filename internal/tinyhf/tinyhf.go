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
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/internal/atomicfile"
	"github.com/xent-dev/xent/internal/kernels"
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
	Full       map[string]any // config.json's size fields as published, for FullSize; nil: none here
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
			"temperature": 0.6, "top_p": 0.9, "transformers_version": "4.45.0.dev0"},
		Full: map[string]any{"head_dim": 64, "hidden_size": 2048, "intermediate_size": 8192, "num_attention_heads": 32,
			"num_hidden_layers": 16, "num_key_value_heads": 8, "vocab_size": 128256}},
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
		Generation: map[string]any{"bos_token_id": 50256, "eos_token_id": 50256, "transformers_version": "4.42.3"},
		Full: map[string]any{"hidden_size": 576, "intermediate_size": 1536, "num_attention_heads": 9, "num_hidden_layers": 30,
			"num_key_value_heads": 3, "vocab_size": 49152}},
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
			"max_new_tokens": 2048, "transformers_version": "4.37.0"},
		Full: map[string]any{"hidden_size": 896, "intermediate_size": 4864, "num_attention_heads": 14, "num_hidden_layers": 24,
			"num_key_value_heads": 2, "vocab_size": 151936}},
	{Name: "qwen3-0.6b", DType: safetensors.BF16, Shards: 1, Config: map[string]any{
		"architectures": []string{"Qwen3ForCausalLM"}, "attention_bias": false, "attention_dropout": 0.0,
		"bos_token_id": 50256, "eos_token_id": 50256, "head_dim": 32, "hidden_act": "silu", "hidden_size": 64,
		"initializer_range": 0.02, "intermediate_size": 192, "max_position_embeddings": 40960,
		"max_window_layers": 28, "model_type": "qwen3", "num_attention_heads": 4, "num_hidden_layers": 2,
		"num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_scaling": nil, "rope_theta": 1000000,
		"sliding_window": nil, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
		"transformers_version": "4.51.0", "use_cache": true, "use_sliding_window": false, "vocab_size": vocab},
		Generation: map[string]any{"bos_token_id": 50256, "do_sample": true, "eos_token_id": []int{50256, 50255},
			"pad_token_id": 50256, "temperature": 0.6, "top_k": 20, "top_p": 0.95, "transformers_version": "4.51.0"},
		Full: map[string]any{"head_dim": 128, "hidden_size": 1024, "intermediate_size": 3072, "num_attention_heads": 16,
			"num_hidden_layers": 28, "num_key_value_heads": 8, "vocab_size": 151936}},
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
			"pad_token_id": 50256, "top_k": 64, "top_p": 0.95, "transformers_version": "4.50.0.dev0"},
		Full: map[string]any{"head_dim": 256, "hidden_size": 1152, "intermediate_size": 6912, "num_attention_heads": 4,
			"num_hidden_layers": 26, "num_key_value_heads": 1, "query_pre_attn_scalar": 256, "vocab_size": 262144}},
	{Name: "gpt2", DType: safetensors.F32, Shards: 1, Config: map[string]any{
		"activation_function": "gelu_new", "architectures": []string{"GPT2LMHeadModel"}, "attn_pdrop": 0.1,
		"bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
		"layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 64, "n_head": 4,
		"n_layer": 2, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": nil,
		"summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
		"summary_use_proj": true, "task_specific_params": map[string]any{"text-generation": map[string]any{"do_sample": true, "max_length": 50}},
		"vocab_size": 50257},
		Generation: map[string]any{"bos_token_id": 50256, "eos_token_id": 50256, "transformers_version": "4.26.0.dev0"},
		Full:       map[string]any{"n_embd": 768, "n_head": 12, "n_layer": 12}},
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

// FullSize is the spec at the real checkpoint's size: config.json's size
// fields as published (s.Full), the same dtype, shards and everything
// else, and random weights as the tiny one has. Where the real vocabulary
// is smaller than GPT-2's (SmolLM2's 49,152) the tokenizer is cut to it
// (vocabTokenizer) and the special-token ids follow <|endoftext|> there:
// 50,256 becomes vocab−1 and 50,255 vocab−2.
func (s Spec) FullSize() (Spec, error) {
	if s.Full == nil {
		var have []string
		for _, t := range Specs {
			if t.Full != nil {
				have = append(have, t.Name)
			}
		}
		return Spec{}, fmt.Errorf("tinyhf: %s has no full size here (have %s)", s.Name, strings.Join(have, ", "))
	}
	full := s
	full.Config = maps.Clone(s.Config)
	maps.Copy(full.Config, s.Full)
	full.Generation = maps.Clone(s.Generation)
	v, _ := full.Config["vocab_size"].(int)
	if shift := gpt2Vocab - v; v > 0 && shift > 0 {
		for _, m := range []map[string]any{full.Config, full.Generation} {
			for _, key := range []string{"bos_token_id", "eos_token_id", "pad_token_id"} {
				switch id := m[key].(type) {
				case int:
					m[key] = id - shift
				case []int:
					moved := make([]int, len(id))
					for i, x := range id {
						moved[i] = x - shift
					}
					m[key] = moved
				}
			}
		}
	}
	return full, nil
}

// Write writes the spec's directory into dir, which must not exist, with
// weights drawn from seed.
func Write(dir string, s Spec, seed uint64) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("tinyhf: %s exists; name a new directory", dir)
	}
	if s.DType != safetensors.F32 && s.DType != safetensors.F16 && s.DType != safetensors.BF16 {
		return fmt.Errorf("tinyhf: %s: weights in %s; want F32, F16 or BF16", s.Name, s.DType)
	}
	raw, err := json.Marshal(s.Config)
	if err != nil {
		return fmt.Errorf("tinyhf: %w", err)
	}
	var cfg model.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("tinyhf: %s: %w", s.Name, err)
	}
	shapes, err := cfg.ParamShapes()
	if err != nil {
		return fmt.Errorf("tinyhf: %s: %w", s.Name, err)
	}
	tok, err := vocabTokenizer(cfg.VocabSize)
	if err != nil {
		return fmt.Errorf("tinyhf: %s: %w", s.Name, err)
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
	gemma := cfg.ModelType == model.Gemma || cfg.ModelType == model.Gemma2 || cfg.ModelType == model.Gemma3Text
	return writeWeights(dir, randomWeights(shapes, s.DType, seed, gemma), s)
}

// randomWeights fills each tensor in dtype d, in order, from one stream
// seeded by seed: normal(0, 0.02), norm weights normal(1, 0.1) (Gemma's
// normal(0, 0.1): it stores a norm's weight less 1). The values are drawn
// and rounded a block at a time, so that only the stored bytes are held.
func randomWeights(shapes []model.Tensor, d safetensors.DType, seed uint64, gemma bool) []safetensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 3))
	ts := make([]safetensors.Tensor, len(shapes))
	block := make([]float32, 1<<16)
	bits := make([]uint16, len(block))
	for i, p := range shapes {
		mean, std := float32(0), float32(0.02)
		if strings.Contains(p.Name, "norm") || strings.HasPrefix(p.Name, "ln_") || strings.Contains(p.Name, ".ln_") {
			if strings.HasSuffix(p.Name, ".weight") {
				mean, std = 1, 0.1
				if gemma {
					mean = 0
				}
			}
		}
		n := 1
		for _, k := range p.Shape {
			n *= k
		}
		t := safetensors.Tensor{Name: p.Name, DType: d, Shape: p.Shape, Data: make([]byte, 0, n*d.Size())}
		for done := 0; done < n; {
			b := block[:min(len(block), n-done)]
			for j := range b {
				b[j] = mean + std*float32(rng.NormFloat64())
			}
			t.Data = appendAs(t.Data, b, d, bits)
			done += len(b)
		}
		ts[i] = t
	}
	return ts
}

// appendAs appends x to dst as little-endian F32, F16 or BF16, rounded to
// nearest, ties to even, as safetensors.FromFloat32As stores them (without
// its per-call buffers: a full-size directory is written a block at a
// time), using bits (len(bits) ≥ len(x)) as scratch.
func appendAs(dst []byte, x []float32, d safetensors.DType, bits []uint16) []byte {
	switch d {
	case safetensors.F32:
		for _, v := range x {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
		}
		return dst
	case safetensors.F16:
		kernels.F32ToF16(bits[:len(x)], x)
	default:
		kernels.F32ToBF16(bits[:len(x)], x)
	}
	for _, b := range bits[:len(x)] {
		dst = binary.LittleEndian.AppendUint16(dst, b)
	}
	return dst
}

// gpt2Vocab is the size of GPT-2's vocabulary, <|endoftext|> last.
const gpt2Vocab = 50257

// vocabTokenizer is GPT-2's tokenizer when the model's vocabulary holds
// it, else GPT-2's cut to the vocabulary: its first vocab−1 tokens (ranks:
// byte-level BPE on a prefix of the ranks is still a tokenizer, the 256
// bytes first) and <|endoftext|> as the last id, vocab−1.
func vocabTokenizer(vocab int) (*tokenizer.Tokenizer, error) {
	tok, err := tokenizer.Builtin("gpt2")
	if err != nil || vocab >= gpt2Vocab {
		return tok, err
	}
	if vocab < 257 {
		return nil, fmt.Errorf("a vocabulary of %d cannot hold the 256 bytes and <|endoftext|>", vocab)
	}
	var ranks bytes.Buffer
	for id := range int32(vocab - 1) {
		b, err := tok.Token(id)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&ranks, "%s %d\n", base64.StdEncoding.EncodeToString(b), id)
	}
	return tokenizer.LoadTiktoken(&ranks, tok.Pattern(), map[string]int32{"<|endoftext|>": int32(vocab - 1)})
}

// writeWeights writes the tensors in s.DType: one model.safetensors, or
// s.Shards files of consecutive tensors of about equal size (none empty)
// and the index
// that maps each tensor to its file, as save_pretrained does.
func writeWeights(dir string, ts []safetensors.Tensor, s Spec) error {
	total := 0
	for _, t := range ts {
		total += len(t.Data)
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
