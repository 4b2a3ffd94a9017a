package gguf

import (
	"fmt"
	"slices"
	"strings"
)

// Hyper is a model's shape as a GGUF file states it in its
// general.architecture and "<arch>.*" keys, with the defaults llama.cpp's
// loader gives the optional ones (llama_model::load_hparams in
// src/llama-model.cpp and load_arch_hparams in src/models/<arch>.cpp, at
// the commit named in doc.go).
type Hyper struct {
	Arch              string // general.architecture
	ContextLength     int    // context_length: the training context
	EmbeddingLength   int    // embedding_length
	BlockCount        int    // block_count
	FeedForwardLength int    // feed_forward_length; 0 when absent
	HeadCount         int    // attention.head_count; 0 when absent
	HeadCountKV       int    // attention.head_count_kv, else HeadCount
	KeyLength         int    // attention.key_length, else EmbeddingLength/HeadCount
	ValueLength       int    // attention.value_length, else EmbeddingLength/HeadCount
	RopeDims          int    // rope.dimension_count, else KeyLength
	RopeFreqBase      float64
	// RopeScaling is rope.scaling.type, else "linear", with its factor
	// rope.scaling.factor (or the older rope.scale_linear), 0 for none.
	RopeScaling       string
	RopeScalingFactor float64
	// NormEpsilon is attention.layer_norm_rms_epsilon for the RMSNorm
	// families (llama, qwen2, qwen3), attention.layer_norm_epsilon for
	// gpt2; llama.cpp requires it.
	NormEpsilon float64
	// VocabSize is vocab_size, else the length of tokenizer.ggml.tokens,
	// else 0.
	VocabSize int
	// RopeOrigContext is rope.scaling.original_context_length (YaRN's and
	// Phi-3's original context), 0 when absent; RopeAttnFactor is
	// rope.scaling.attn_factor, 0 when absent.
	RopeOrigContext int
	RopeAttnFactor  float64
	// Yarn holds the rope.scaling.yarn_* keys the file has, by the name
	// after "yarn_" (ext_factor, attn_factor, beta_fast, beta_slow,
	// log_multiplier); nil when it has none.
	Yarn map[string]float64
	// RopeFreqBaseSWA is rope.freq_base_swa, the sliding layers' theta
	// (Gemma 2 and 3); 0 when absent.
	RopeFreqBaseSWA float64
	// SlidingWindow is attention.sliding_window, 0 when absent;
	// SlidingWindowPattern is attention.sliding_window_pattern, the period
	// of the sliding layers (every period-th layer is global), 0 when
	// absent.
	SlidingWindow        int
	SlidingWindowPattern int
	// AttnSoftcap and FinalSoftcap are attn_logit_softcapping and
	// final_logit_softcapping (Gemma 2, 3), 0 when absent.
	AttnSoftcap, FinalSoftcap float64
}

// rmsNorm lists the architectures whose NormEpsilon is RMSNorm's.
var rmsNorm = map[string]bool{"llama": true, "qwen2": true, "qwen3": true, "gemma": true, "gemma2": true, "gemma3": true, "phi3": true}

// Hyper reads the model's shape for the architectures whose tensor names
// HFName maps (Archs), refusing others by name. Head
// counts may be per-layer arrays in GGUF; one that varies across layers
// is refused, as xent's models have one count for all layers.
func (f *File) Hyper() (Hyper, error) {
	arch, err := f.String("general.architecture")
	if err != nil {
		return Hyper{}, err
	}
	if _, ok := stems[arch]; !ok {
		return Hyper{}, fmt.Errorf("gguf: architecture %q: xent reads the shapes of %s models", arch, strings.Join(Archs(), ", "))
	}
	h := Hyper{Arch: arch, RopeFreqBase: 10000, RopeScaling: "linear"}
	k := func(name string) string { return arch + "." + name }
	for _, r := range []struct {
		key string
		dst *int
	}{{"context_length", &h.ContextLength}, {"embedding_length", &h.EmbeddingLength}, {"block_count", &h.BlockCount}} {
		if *r.dst, err = f.count(k(r.key)); err != nil {
			return Hyper{}, err
		}
	}
	if h.BlockCount == 0 {
		return Hyper{}, fmt.Errorf("gguf: key %q is 0", k("block_count"))
	}
	if h.FeedForwardLength, err = f.perLayer(k("feed_forward_length"), h.BlockCount); err != nil {
		return Hyper{}, err
	}
	if h.HeadCount, err = f.perLayer(k("attention.head_count"), h.BlockCount); err != nil {
		return Hyper{}, err
	}
	h.HeadCountKV = h.HeadCount
	if _, ok := f.Value(k("attention.head_count_kv")); ok {
		if h.HeadCountKV, err = f.perLayer(k("attention.head_count_kv"), h.BlockCount); err != nil {
			return Hyper{}, err
		}
	}
	if h.HeadCount > 0 {
		h.KeyLength, h.ValueLength = h.EmbeddingLength/h.HeadCount, h.EmbeddingLength/h.HeadCount
		for _, r := range []struct {
			key string
			dst *int
		}{{"attention.key_length", &h.KeyLength}, {"attention.value_length", &h.ValueLength}} {
			if _, ok := f.Value(k(r.key)); ok {
				if *r.dst, err = f.count(k(r.key)); err != nil {
					return Hyper{}, err
				}
			}
		}
		h.RopeDims = h.KeyLength
		if _, ok := f.Value(k("rope.dimension_count")); ok {
			if h.RopeDims, err = f.count(k("rope.dimension_count")); err != nil {
				return Hyper{}, err
			}
		}
		if arch == "llama" && h.RopeDims != h.KeyLength {
			return Hyper{}, fmt.Errorf("gguf: key %q is %d, but a llama model rotates whole heads of %d (llama.cpp refuses it too)", k("rope.dimension_count"), h.RopeDims, h.KeyLength)
		}
	}
	if _, ok := f.Value(k("rope.freq_base")); ok {
		if h.RopeFreqBase, err = f.Float(k("rope.freq_base")); err != nil {
			return Hyper{}, err
		}
	}
	if _, ok := f.Value(k("rope.scaling.type")); ok {
		if h.RopeScaling, err = f.String(k("rope.scaling.type")); err != nil {
			return Hyper{}, err
		}
	}
	for _, key := range []string{k("rope.scaling.factor"), k("rope.scale_linear")} {
		if _, ok := f.Value(key); ok {
			if h.RopeScalingFactor, err = f.Float(key); err != nil {
				return Hyper{}, err
			}
			break
		}
	}
	eps := k("attention.layer_norm_epsilon")
	if rmsNorm[arch] {
		eps = k("attention.layer_norm_rms_epsilon")
	}
	if h.NormEpsilon, err = f.Float(eps); err != nil {
		return Hyper{}, err
	}
	if _, ok := f.Value(k("vocab_size")); ok {
		if h.VocabSize, err = f.count(k("vocab_size")); err != nil {
			return Hyper{}, err
		}
	} else if v, ok := f.Value("tokenizer.ggml.tokens"); ok {
		if s, ok := v.V.([]string); ok {
			h.VocabSize = len(s)
		}
	}
	for _, r := range []struct {
		key string
		dst *int
	}{{"rope.scaling.original_context_length", &h.RopeOrigContext}, {"attention.sliding_window", &h.SlidingWindow},
		{"attention.sliding_window_pattern", &h.SlidingWindowPattern}} {
		if _, ok := f.Value(k(r.key)); ok {
			if *r.dst, err = f.count(k(r.key)); err != nil {
				return Hyper{}, err
			}
		}
	}
	for _, r := range []struct {
		key string
		dst *float64
	}{{"rope.scaling.attn_factor", &h.RopeAttnFactor}, {"rope.freq_base_swa", &h.RopeFreqBaseSWA},
		{"attn_logit_softcapping", &h.AttnSoftcap}, {"final_logit_softcapping", &h.FinalSoftcap}} {
		if _, ok := f.Value(k(r.key)); ok {
			if *r.dst, err = f.Float(k(r.key)); err != nil {
				return Hyper{}, err
			}
		}
	}
	for _, name := range []string{"ext_factor", "attn_factor", "beta_fast", "beta_slow", "log_multiplier"} {
		key := k("rope.scaling.yarn_" + name)
		if _, ok := f.Value(key); ok {
			v, err := f.Float(key)
			if err != nil {
				return Hyper{}, err
			}
			if h.Yarn == nil {
				h.Yarn = map[string]float64{}
			}
			h.Yarn[name] = v
		}
	}
	return h, nil
}

// count reads a non-negative integer that fits an int32 (llama.cpp holds
// these as uint32 or int32).
func (f *File) count(key string) (int, error) {
	n, err := f.Int(key)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 1<<31-1 {
		return 0, fmt.Errorf("gguf: key %q is %d, not a count", key, n)
	}
	return int(n), nil
}

// perLayer reads an optional count that may be given once or per layer;
// a per-layer array must have one entry per block and one value.
func (f *File) perLayer(key string, blocks int) (int, error) {
	v, ok := f.Value(key)
	if !ok {
		return 0, nil
	}
	if v.Type != Array {
		return f.count(key)
	}
	s, err := f.Ints(key)
	if err != nil {
		return 0, err
	}
	if len(s) != blocks {
		return 0, fmt.Errorf("gguf: key %q has %d entries for %d blocks", key, len(s), blocks)
	}
	if slices.Min(s) != slices.Max(s) {
		return 0, fmt.Errorf("gguf: key %q varies across layers (%d to %d), and xent's models have one value for all", key, slices.Min(s), slices.Max(s))
	}
	if s[0] < 0 || s[0] > 1<<31-1 {
		return 0, fmt.Errorf("gguf: key %q is %d, not a count", key, s[0])
	}
	return int(s[0]), nil
}
