package gguf

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Tensor names. llama.cpp's converter renames Hugging Face tensors
// (gguf-py's TensorNameMap, gguf-py/gguf/tensor_mapping.py at the commit
// named in doc.go): "model.layers.3.self_attn.q_proj.weight" is
// "blk.3.attn_q.weight" in a file whose general.architecture is "llama".
// HFName and FileName translate for the families xent models: llama
// (Mistral models convert to it too), qwen2, qwen3, gemma, gemma2, gemma3
// (Gemma 3's text model, gemma3_text), phi3 and gpt2, with GPT-2's names
// as xent's model package holds them (no "transformer." prefix).
//
// The names are not the only difference. The converter also changes some
// tensors' data, which a loader must undo:
//   - llama: the rows of attn_q and attn_k are permuted, and so are their
//     biases where a model has them, element by element (UnpermuteRows
//     with the head count, the key/value head count for attn_k;
//     conversion/llama.py, LlamaModel.modify_tensors); qwen2 and qwen3
//     are not.
//   - gpt2: attn_qkv, attn_output, ffn_up and ffn_down hold the transpose
//     of Hugging Face's Conv1D weights ([out, in] rows, as nn.Linear).
//   - gemma, gemma2, gemma3: every tensor whose name ends in "norm.weight"
//     holds 1 + w where Hugging Face holds w (conversion/gemma.py,
//     modify_tensors: Gemma's RMSNorm scales by 1 + w, ggml's by w).
//   - phi3: no change; attn_qkv is qkv_proj (rows q, k, v) and ffn_up is
//     gate_up_proj (rows gate, then up), which llama.cpp splits as
//     transformers does.
//
// The Gemma 2 and 3 blocks have four norms: input_layernorm is attn_norm,
// post_attention_layernorm (of the attention's output) post_attention_norm,
// pre_feedforward_layernorm ffn_norm and post_feedforward_layernorm
// post_ffw_norm. Gemma's head is always the embedding (no output).

// stems maps a family's Hugging Face name stems to the file's; "#" stands
// for the block number. A stem takes .weight and, where the model has
// one, .bias.
var stems = map[string][][2]string{
	"llama":  llamaStems,
	"qwen2":  llamaStems,
	"qwen3":  append(append([][2]string(nil), llamaStems...), qkNormStems...),
	"gemma":  llamaStems[:len(llamaStems)-1], // no lm_head
	"gemma2": gemma2Stems,
	"gemma3": append(append([][2]string(nil), gemma2Stems...), qkNormStems...),
	"phi3": {
		{"model.embed_tokens", "token_embd"},
		{"model.layers.#.input_layernorm", "blk.#.attn_norm"},
		{"model.layers.#.self_attn.qkv_proj", "blk.#.attn_qkv"},
		{"model.layers.#.self_attn.o_proj", "blk.#.attn_output"},
		{"model.layers.#.post_attention_layernorm", "blk.#.ffn_norm"},
		{"model.layers.#.mlp.gate_up_proj", "blk.#.ffn_up"},
		{"model.layers.#.mlp.down_proj", "blk.#.ffn_down"},
		{"model.norm", "output_norm"},
		{"lm_head", "output"},
	},
	"gpt2": {
		{"wte", "token_embd"},
		{"wpe", "position_embd"},
		{"h.#.ln_1", "blk.#.attn_norm"},
		{"h.#.attn.c_attn", "blk.#.attn_qkv"},
		{"h.#.attn.c_proj", "blk.#.attn_output"},
		{"h.#.ln_2", "blk.#.ffn_norm"},
		{"h.#.mlp.c_fc", "blk.#.ffn_up"},
		{"h.#.mlp.c_proj", "blk.#.ffn_down"},
		{"ln_f", "output_norm"},
	},
}

var llamaStems = [][2]string{
	{"model.embed_tokens", "token_embd"},
	{"model.layers.#.input_layernorm", "blk.#.attn_norm"},
	{"model.layers.#.self_attn.q_proj", "blk.#.attn_q"},
	{"model.layers.#.self_attn.k_proj", "blk.#.attn_k"},
	{"model.layers.#.self_attn.v_proj", "blk.#.attn_v"},
	{"model.layers.#.self_attn.o_proj", "blk.#.attn_output"},
	{"model.layers.#.post_attention_layernorm", "blk.#.ffn_norm"},
	{"model.layers.#.mlp.gate_proj", "blk.#.ffn_gate"},
	{"model.layers.#.mlp.up_proj", "blk.#.ffn_up"},
	{"model.layers.#.mlp.down_proj", "blk.#.ffn_down"},
	{"model.norm", "output_norm"},
	{"lm_head", "output"},
}

var qkNormStems = [][2]string{
	{"model.layers.#.self_attn.q_norm", "blk.#.attn_q_norm"},
	{"model.layers.#.self_attn.k_norm", "blk.#.attn_k_norm"},
}

var gemma2Stems = [][2]string{
	{"model.embed_tokens", "token_embd"},
	{"model.layers.#.input_layernorm", "blk.#.attn_norm"},
	{"model.layers.#.self_attn.q_proj", "blk.#.attn_q"},
	{"model.layers.#.self_attn.k_proj", "blk.#.attn_k"},
	{"model.layers.#.self_attn.v_proj", "blk.#.attn_v"},
	{"model.layers.#.self_attn.o_proj", "blk.#.attn_output"},
	{"model.layers.#.post_attention_layernorm", "blk.#.post_attention_norm"},
	{"model.layers.#.pre_feedforward_layernorm", "blk.#.ffn_norm"},
	{"model.layers.#.mlp.gate_proj", "blk.#.ffn_gate"},
	{"model.layers.#.mlp.up_proj", "blk.#.ffn_up"},
	{"model.layers.#.mlp.down_proj", "blk.#.ffn_down"},
	{"model.layers.#.post_feedforward_layernorm", "blk.#.post_ffw_norm"},
	{"model.norm", "output_norm"},
}

// Archs are the architectures whose tensor names HFName and FileName
// map, sorted.
func Archs() []string {
	names := make([]string, 0, len(stems))
	for a := range stems {
		names = append(names, a)
	}
	slices.Sort(names)
	return names
}

// HFName is the Hugging Face name of the tensor a file of architecture
// arch calls name.
func HFName(arch, name string) (string, error) {
	return rename(arch, name, 1, 0)
}

// FileName is the name a file of architecture arch gives the Hugging Face
// tensor hfName.
func FileName(arch, hfName string) (string, error) {
	return rename(arch, hfName, 0, 1)
}

func rename(arch, name string, from, to int) (string, error) {
	table, ok := stems[arch]
	if !ok {
		return "", fmt.Errorf("gguf: architecture %q: xent maps the tensor names of %s", arch, strings.Join(Archs(), ", "))
	}
	stem, suffix, ok := cutSuffix(name)
	if ok {
		for _, s := range table {
			if block, ok := match(s[from], stem); ok {
				return strings.Replace(s[to], "#", block, 1) + suffix, nil
			}
		}
	}
	return "", fmt.Errorf("gguf: tensor %q is not part of a %s model as xent knows it", name, arch)
}

func cutSuffix(name string) (stem, suffix string, ok bool) {
	for _, s := range []string{".weight", ".bias"} {
		if stem, ok := strings.CutSuffix(name, s); ok {
			return stem, s, true
		}
	}
	return "", "", false
}

// match reports whether stem fits pattern, whose "#" (if any) stands for
// a block number written in decimal without leading zeros, and returns
// that number.
func match(pattern, stem string) (string, bool) {
	before, after, hasBlock := strings.Cut(pattern, "#")
	if !hasBlock {
		return "", stem == pattern
	}
	rest, ok := strings.CutPrefix(stem, before)
	if !ok {
		return "", false
	}
	block, ok := strings.CutSuffix(rest, after)
	if !ok || block == "" {
		return "", false
	}
	if n, err := strconv.Atoi(block); err != nil || n < 0 || strconv.Itoa(n) != block {
		return "", false
	}
	return block, true
}
