package gguf

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestHyperGGUFPy(t *testing.T) {
	f, err := Open(filepath.Join("testdata", "ggufpy.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := f.Hyper()
	if err != nil {
		t.Fatal(err)
	}
	want := Hyper{Arch: "llama", ContextLength: 512, EmbeddingLength: 64, BlockCount: 2, HeadCount: 4, HeadCountKV: 2,
		KeyLength: 16, ValueLength: 16, RopeDims: 16, RopeFreqBase: 10000, RopeScaling: "linear",
		NormEpsilon: float64(float32(1e-5)), VocabSize: 5}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("got  %+v\nwant %+v", h, want)
	}
}

// hyperFile is a file of the given metadata, parsed.
func hyperFile(t *testing.T, kv ...KV) *File {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, kv, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func u32(key string, v uint32) KV  { return KV{key, Value{Type: Uint32, V: v}} }
func str(key, v string) KV         { return KV{key, Value{Type: String, V: v}} }
func f32(key string, v float32) KV { return KV{key, Value{Type: Float32, V: v}} }
func i32s(key string, v ...int32) KV {
	return KV{key, Value{Type: Array, Elem: Int32, V: v}}
}

func TestHyper(t *testing.T) {
	base := func(arch string, extra ...KV) []KV {
		return append([]KV{str("general.architecture", arch), u32(arch+".context_length", 2048),
			u32(arch+".embedding_length", 128), u32(arch+".block_count", 3)}, extra...)
	}
	gpt2, err := hyperFile(t, base("gpt2", u32("gpt2.attention.head_count", 4), f32("gpt2.attention.layer_norm_epsilon", 1e-5), u32("gpt2.feed_forward_length", 512))...).Hyper()
	if err != nil || gpt2.NormEpsilon != float64(float32(1e-5)) || gpt2.HeadCountKV != 4 || gpt2.KeyLength != 32 || gpt2.FeedForwardLength != 512 {
		t.Errorf("gpt2: %+v, %v", gpt2, err)
	}
	qwen, err := hyperFile(t, base("qwen2", i32s("qwen2.attention.head_count", 8, 8, 8), u32("qwen2.attention.head_count_kv", 2),
		f32("qwen2.attention.layer_norm_rms_epsilon", 1e-6), f32("qwen2.rope.freq_base", 1e6), u32("qwen2.attention.key_length", 64),
		str("qwen2.rope.scaling.type", "yarn"), f32("qwen2.rope.scaling.factor", 4))...).Hyper()
	if err != nil || qwen.HeadCount != 8 || qwen.HeadCountKV != 2 || qwen.KeyLength != 64 || qwen.ValueLength != 16 || qwen.RopeDims != 64 ||
		qwen.RopeFreqBase != 1e6 || qwen.RopeScaling != "yarn" || qwen.RopeScalingFactor != 4 {
		t.Errorf("qwen2: %+v, %v", qwen, err)
	}
	g2, err := hyperFile(t, base("gemma2", u32("gemma2.attention.head_count", 4), f32("gemma2.attention.layer_norm_rms_epsilon", 1e-6),
		u32("gemma2.attention.sliding_window", 4096), u32("gemma2.attention.sliding_window_pattern", 2), f32("gemma2.rope.freq_base_swa", 10000),
		f32("gemma2.attn_logit_softcapping", 50), f32("gemma2.final_logit_softcapping", 30), u32("gemma2.rope.scaling.original_context_length", 1024),
		f32("gemma2.rope.scaling.attn_factor", 1.5), f32("gemma2.rope.scaling.yarn_beta_fast", 16))...).Hyper()
	if err != nil || g2.SlidingWindow != 4096 || g2.SlidingWindowPattern != 2 || g2.RopeFreqBaseSWA != 10000 || g2.AttnSoftcap != 50 ||
		g2.FinalSoftcap != 30 || g2.RopeOrigContext != 1024 || g2.RopeAttnFactor != 1.5 || !reflect.DeepEqual(g2.Yarn, map[string]float64{"beta_fast": 16}) {
		t.Errorf("gemma2: %+v, %v", g2, err)
	}
	for _, tc := range []struct {
		kv   []KV
		want string
	}{
		{base("gemma3", u32("gemma3.attention.head_count", 4), f32("gemma3.attention.layer_norm_rms_epsilon", 1e-6), i32s("gemma3.attention.sliding_window", 1, 2)), `key "gemma3.attention.sliding_window" is an array`},
		{[]KV{str("general.architecture", "mamba")}, `architecture "mamba": xent reads the shapes of gemma, gemma2, gemma3, gpt2, llama, phi3, qwen2, qwen3 models`},
		{nil, `no metadata key "general.architecture"`},
		{base("qwen3")[:3], `no metadata key "qwen3.block_count"`},
		{base("qwen3", u32("qwen3.attention.head_count", 4)), `no metadata key "qwen3.attention.layer_norm_rms_epsilon"`},
		{base("llama", i32s("llama.attention.head_count", 8, 8, 4)), `key "llama.attention.head_count" varies across layers (4 to 8)`},
		{base("llama", i32s("llama.attention.head_count", 8, 8)), `key "llama.attention.head_count" has 2 entries for 3 blocks`},
		{base("llama", u32("llama.attention.head_count", 4), u32("llama.rope.dimension_count", 16)), `key "llama.rope.dimension_count" is 16, but a llama model rotates whole heads of 32`},
		{base("llama", KV{"llama.attention.head_count", Value{Type: Int32, V: int32(-4)}}), `key "llama.attention.head_count" is -4, not a count`},
		{append(base("llama")[:3], u32("llama.block_count", 0)), `key "llama.block_count" is 0`},
		{base("llama", str("llama.attention.head_count", "4")), `key "llama.attention.head_count" is a string, want an integer`},
	} {
		if _, err := hyperFile(t, tc.kv...).Hyper(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.kv, err, tc.want)
		}
	}
}
