package modeldir

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/model"
)

// FuzzGGUFConfig feeds GGUF files to the path from metadata to model
// (ggufModelConfig, ggufWeights, model.NewInference, ggufTokenizer,
// ggufAddsBOS): no input may make it panic, and a file it accepts must
// give a model whose config validates. The seeds are the metadata
// ExportGGUF writes for every tinyhf family, shrunk to a vocabulary of 8
// with only the embedding and the generated RoPE tensors (so most seeds
// stop at a missing tensor, past the config), and one whole tiny file.
func FuzzGGUFConfig(f *testing.F) {
	tokens := []string{"a", "b", "c", "d", "e", "f", "ab", "<s>"}
	for _, s := range tinyhf.Specs {
		raw, err := json.Marshal(s.Config)
		if err != nil {
			f.Fatal(err)
		}
		var c model.Config
		if err := json.Unmarshal(raw, &c); err != nil {
			f.Fatal(err)
		}
		c.VocabSize = len(tokens)
		arch := ggufArchs[c.ModelType]
		h, err := exportHyper(c, arch)
		if err != nil {
			f.Fatal(err)
		}
		kv := append([]gguf.KV{str("general.architecture", arch)}, h.kv...)
		kv = append(kv, str("tokenizer.ggml.model", "gpt2"), str("tokenizer.ggml.pre", "gpt-2"),
			gguf.KV{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: tokens}},
			gguf.KV{Key: "tokenizer.ggml.merges", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: []string{"a b"}}},
			u32("tokenizer.ggml.bos_token_id", 7))
		width := c.HiddenSize + c.NEmbd
		ts := []gguf.TensorData{{Name: "token_embd.weight", Type: gguf.F32, Dims: []int64{int64(width), int64(len(tokens))}, Data: make([]byte, 4*width*len(tokens))}}
		for _, e := range h.tensors {
			data, _ := gguf.Encode(gguf.F32, e.vals)
			ts = append(ts, gguf.TensorData{Name: e.name, Type: gguf.F32, Dims: []int64{int64(len(e.vals))}, Data: data})
		}
		var buf bytes.Buffer
		if err := gguf.Write(&buf, kv, ts); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	// A whole one-layer llama file of width 8.
	c := model.Config{ModelType: model.Llama, VocabSize: len(tokens), HiddenSize: 8, IntermediateSize: 8, NumHiddenLayers: 1,
		NumAttentionHeads: 2, NumKeyValueHeads: 1, MaxPositionEmbeddings: 16, RMSNormEps: 1e-5, TieWordEmbeddings: true}
	m, err := model.New(c, 1)
	if err != nil {
		f.Fatal(err)
	}
	h, err := exportHyper(c, "llama")
	if err != nil {
		f.Fatal(err)
	}
	kv := append([]gguf.KV{str("general.architecture", "llama")}, h.kv...)
	kv = append(kv, str("tokenizer.ggml.model", "gpt2"), str("tokenizer.ggml.pre", "llama-bpe"),
		gguf.KV{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: tokens}},
		gguf.KV{Key: "tokenizer.ggml.merges", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: []string{"a b"}}})
	var ts []gguf.TensorData
	for _, p := range m.Params() {
		td, err := exportTensor("llama", h, p, gguf.F32)
		if err != nil {
			f.Fatal(err)
		}
		ts = append(ts, td)
	}
	var whole bytes.Buffer
	if err := gguf.Write(&whole, kv, ts); err != nil {
		f.Fatal(err)
	}
	f.Add(whole.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := gguf.Parse(data)
		if err != nil {
			return
		}
		h, cfg, err := ggufModelConfig(file)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ggufModelConfig accepted a config that does not validate: %v", err)
		}
		if h.ContextLength > 1<<12 {
			return // a legitimate config whose RoPE table (context × head size) would slow the fuzzer down
		}
		if w, err := ggufWeights(file, h, cfg, true); err == nil {
			if _, err := model.NewInference(cfg, w); err != nil {
				t.Fatalf("ggufWeights's tensors do not make a model: %v", err)
			}
		}
		if _, err := ggufTokenizer(file); err != nil {
			return
		}
		_, _ = ggufAddsBOS(file)
	})
}
