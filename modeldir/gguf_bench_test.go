package modeldir

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/model"
)

// BenchmarkEvalGGUF: tokens/s of one 512-token window (the causal pass
// and the head's logits, 256 rows at a time as eval runs them: its headRows) of a
// SmolLM2-135M- and a Qwen2.5-0.5B-shaped GGUF file with random weights,
// in f32, f16, q8_0 and q4_K_M (benchGGUF's mix), as Load reads them. The
// Qwen2.5-0.5B files run without -short only, and not in f32 (a 2 GB file
// built in memory: time xent eval on an f32 file instead). tokens/cpu-s divides by
// the process's CPU time instead of the wall clock: what a loaded
// machine leaves comparable (with -cpu 1, one thread's work).
func BenchmarkEvalGGUF(b *testing.B) {
	const ctx, chunk = 512, 256
	for _, fam := range []string{"smollm2-135m", "qwen2.5-0.5b"} {
		for _, typ := range []string{"f32", "f16", "q8_0", "q4_K_M"} {
			b.Run(fmt.Sprintf("%s/%s", fam, typ), func(b *testing.B) {
				if fam != "smollm2-135m" && testing.Short() {
					b.Skip("the Qwen2.5-0.5B shape runs without -short")
				}
				if fam != "smollm2-135m" && typ == "f32" {
					b.Skip("the Qwen2.5-0.5B f32 file is too large to build in memory here")
				}
				path := filepath.Join(b.TempDir(), "m.gguf")
				size := benchGGUF(b, fam, typ, path)
				p, err := Load(path)
				if err != nil {
					b.Fatal(err)
				}
				m := p.Model
				rng := rand.New(rand.NewPCG(1, 2))
				ids := make([]int32, ctx)
				for i := range ids {
					ids[i] = int32(rng.IntN(256))
				}
				V := m.VocabSize()
				logits := make([]float32, chunk*V)
				runtime.GC()
				b.ResetTimer()
				cpu0 := cpuSeconds()
				for b.Loop() {
					h, err := m.Hidden(ids, 1, ctx)
					if err != nil {
						b.Fatal(err)
					}
					C := len(h) / ctx
					for r := 0; r < ctx; r += chunk {
						m.HeadLogits(h[r*C:], chunk, logits)
					}
				}
				b.ReportMetric(float64(ctx)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
				if cpu := cpuSeconds() - cpu0; cpu > 0 {
					b.ReportMetric(float64(ctx)*float64(b.N)/cpu, "tokens/cpu-s")
				}
				b.ReportMetric(float64(size)/(1<<20), "fileMiB")
			})
		}
	}
}

// benchGGUF writes a GGUF file of family fam's full-size shape (tinyhf)
// with random weights of type typ to path and returns its size: f16 or
// q8_0 for every matrix, or q4_K_M's mix as llama-quantize makes it for
// these shapes: q6_K for the (tied) embedding and for attn_v and ffn_down
// in llama-quantize's use_more_bits layers, q4_K elsewhere, each falling
// back (q4_K to q5_0, q6_K to q8_0) where a row is not whole blocks of
// 256. Norms stay f32. The tokenizer is the 256 byte tokens (and control
// tokens to the vocabulary's size, the first of them BOS and EOS).
func benchGGUF(b testing.TB, fam, typ, path string) int64 {
	spec, err := tinyhf.Find(fam)
	if err != nil {
		b.Fatal(err)
	}
	if spec, err = spec.FullSize(); err != nil {
		b.Fatal(err)
	}
	js, _ := json.Marshal(spec.Config)
	var c model.Config
	if err := json.Unmarshal(js, &c); err != nil {
		b.Fatal(err)
	}
	arch := map[string]string{"smollm2-135m": "llama", "qwen2.5-0.5b": "qwen2"}[fam]
	u32 := func(k string, v int) gguf.KV {
		return gguf.KV{Key: arch + "." + k, Value: gguf.Value{Type: gguf.Uint32, V: uint32(v)}}
	}
	f32 := func(k string, v float64) gguf.KV {
		return gguf.KV{Key: arch + "." + k, Value: gguf.Value{Type: gguf.Float32, V: float32(v)}}
	}
	// The 256 byte tokens, then control tokens up to the embedding's rows
	// (llama.cpp takes its vocabulary size from the token list).
	tokens, types := make([]string, c.VocabSize), make([]int32, c.VocabSize)
	for i := range tokens {
		tokens[i], types[i] = fmt.Sprintf("<pad%d>", i), 3
		if i < 256 {
			tokens[i], types[i] = byteToken(byte(i)), 1
		}
	}
	kv := []gguf.KV{{Key: "general.architecture", Value: gguf.Value{Type: gguf.String, V: arch}},
		u32("context_length", c.MaxPositionEmbeddings), u32("embedding_length", c.HiddenSize),
		u32("feed_forward_length", c.IntermediateSize), u32("block_count", c.NumHiddenLayers),
		u32("attention.head_count", c.NumAttentionHeads), u32("attention.head_count_kv", c.NumKeyValueHeads),
		f32("rope.freq_base", c.RopeTheta), f32("attention.layer_norm_rms_epsilon", c.RMSNormEps),
		{Key: "tokenizer.ggml.model", Value: gguf.Value{Type: gguf.String, V: "gpt2"}},
		{Key: "tokenizer.ggml.pre", Value: gguf.Value{Type: gguf.String, V: "gpt-2"}},
		{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: tokens}},
		{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Type: gguf.Array, Elem: gguf.Int32, V: types}},
		{Key: "tokenizer.ggml.merges", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: []string{}}},
		{Key: "tokenizer.ggml.bos_token_id", Value: gguf.Value{Type: gguf.Uint32, V: uint32(256)}},
		{Key: "tokenizer.ggml.eos_token_id", Value: gguf.Value{Type: gguf.Uint32, V: uint32(256)}},
	}
	shapes, err := c.ParamShapes()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var tensors []gguf.TensorData
	var size int64
	for _, s := range shapes {
		name, err := gguf.FileName(arch, s.Name)
		if err != nil {
			b.Fatal(err)
		}
		dims := make([]int64, len(s.Shape))
		for i, d := range s.Shape {
			dims[len(dims)-1-i] = int64(d)
		}
		t := gguf.F32
		if len(dims) == 2 {
			t = benchType(typ, name, int(dims[0]), c.NumHiddenLayers)
		}
		var n int64 = 1
		for _, d := range dims {
			n *= d
		}
		data := randomBlocks(t, int(n), len(dims) == 1, rng)
		size += int64(len(data))
		tensors = append(tensors, gguf.TensorData{Name: name, Type: t, Dims: dims, Data: data})
	}
	if err := gguf.WriteFile(path, kv, tensors); err != nil {
		b.Fatal(err)
	}
	return size
}

// benchType is the type of matrix name (rows of in values) in a file of
// type typ.
func benchType(typ, name string, in, layers int) gguf.Type {
	switch typ {
	case "f32":
		return gguf.F32
	case "f16":
		return gguf.F16
	case "q8_0":
		return gguf.Q8_0
	}
	t := gguf.Q4_K
	layer := -1
	fmt.Sscanf(name, "blk.%d.", &layer)
	moreBits := layer >= 0 && (layer < layers/8 || layer >= 7*layers/8 || (layer-layers/8)%3 == 2)
	if strings.HasPrefix(name, "token_embd") || strings.HasPrefix(name, "output.") ||
		moreBits && (strings.Contains(name, ".attn_v.") || strings.Contains(name, ".ffn_down.")) {
		t = gguf.Q6_K
	}
	if in%256 != 0 {
		t = map[gguf.Type]gguf.Type{gguf.Q4_K: gguf.Q5_0, gguf.Q6_K: gguf.Q8_0}[t]
	}
	return t
}

// randomBlocks is n values of type t: f32 vectors near 1 (norm weights),
// f16 values of a normal's size 0.02, quantized blocks of random quants
// with scales (d, m, dmin) that keep the values near that size.
func randomBlocks(t gguf.Type, n int, vector bool, rng *rand.Rand) []byte {
	data := make([]byte, n/t.BlockSize()*t.TypeSize())
	switch t {
	case gguf.F32:
		for i := 0; i < len(data); i += 4 {
			v := float32(0.02 * rng.NormFloat64())
			if vector {
				v += 1
			}
			binary.LittleEndian.PutUint32(data[i:], math.Float32bits(v))
		}
		return data
	case gguf.F16:
		for i := 0; i < len(data); i += 2 {
			binary.LittleEndian.PutUint16(data[i:], kernels.Float32ToFloat16(float32(0.02*rng.NormFloat64())))
		}
		return data
	}
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	// Where each type keeps its f16 scales, and a size that puts values
	// near ±0.02 (the K types' 6-bit sub-scales multiply d).
	scales := map[gguf.Type][]int{gguf.Q4_0: {0}, gguf.Q5_0: {0}, gguf.Q8_0: {0},
		gguf.Q4_K: {0, 2}, gguf.Q6_K: {208}}[t]
	size := map[gguf.Type]float64{gguf.Q4_0: 0.005, gguf.Q5_0: 0.002, gguf.Q8_0: 2e-4, gguf.Q4_K: 1e-4, gguf.Q6_K: 2e-5}[t]
	ts := t.TypeSize()
	for b := 0; b < len(data); b += ts {
		for _, off := range scales {
			binary.LittleEndian.PutUint16(data[b+off:], kernels.Float32ToFloat16(float32(size*(0.5+rng.Float64()))))
		}
	}
	return data
}

// byteToken is GPT-2's byte-level spelling of byte c (bytes_to_unicode).
func byteToken(c byte) string {
	if c >= '!' && c <= '~' || c >= 0xA1 && c <= 0xAC || c >= 0xAE {
		return string(rune(c))
	}
	n := 0
	for x := 0; x < int(c); x++ {
		if !(x >= '!' && x <= '~' || x >= 0xA1 && x <= 0xAC || x >= 0xAE) {
			n++
		}
	}
	return string(rune(256 + n))
}
