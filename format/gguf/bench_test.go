package gguf

import (
	"bytes"
	"testing"
)

// BenchmarkDequantize: values per second of each type's dequantizer, on
// ggml's golden blocks repeated to a 1 Mi-value tensor.
func BenchmarkDequantize(b *testing.B) {
	for _, typ := range dequantOrder {
		b.Run(typ.String(), func(b *testing.B) {
			const n = 1 << 20
			src := make([]byte, n/typ.BlockSize()*typ.TypeSize())
			if typ != F32 {
				g := readGolden(b, typ)
				for i := 0; i < len(src); i += len(g.blocks) {
					copy(src[i:], g.blocks)
				}
			}
			dst := make([]float32, n)
			b.SetBytes(int64(len(src)))
			b.ResetTimer()
			for b.Loop() {
				if err := Dequantize(typ, src, dst); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mvalues/s")
		})
	}
}

// BenchmarkParseVocab: the header of a file with a vocabulary the size of
// Qwen2.5's (151,936 tokens and 151,387 merges), as Parse reads it.
func BenchmarkParseVocab(b *testing.B) {
	const n = 151936
	tokens, merges := make([]string, n), make([]string, n-549)
	for i := range tokens {
		tokens[i] = "Ġtoken" + string(rune('a'+i%26))
	}
	for i := range merges {
		merges[i] = "Ġt oken"
	}
	var buf bytes.Buffer
	kv := []KV{
		{"tokenizer.ggml.tokens", Value{Type: Array, Elem: String, V: tokens}},
		{"tokenizer.ggml.merges", Value{Type: Array, Elem: String, V: merges}},
		{"tokenizer.ggml.token_type", Value{Type: Array, Elem: Int32, V: make([]int32, n)}},
	}
	if err := Write(&buf, kv, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := Parse(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
