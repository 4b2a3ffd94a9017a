package model

import (
	"fmt"
	"math"
	"slices"
)

// family is how a Llama-like model_type differs from Llama, each as
// transformers' modeling_<type>.py computes it (v4.51):
//
//   - llama: attention_bias puts a bias on q, k, v and o_proj, mlp_bias on
//     gate, up and down_proj;
//
//   - mistral: Llama without biases, with sliding_window: position i
//     attends to keys j with i − window < j ≤ i (a band);
//
//   - qwen2: biases on q, k and v_proj (never o_proj); sliding_window
//     counts only under use_sliding_window, and then on layers
//     max_window_layers (default 28) and later, or on those layer_types
//     names sliding_attention (configuration_qwen2.py, v4.53 on, where the
//     mask is the same for every attention implementation; before, only
//     flash attention honoured max_window_layers);
//
//   - qwen3: attention_bias as Llama, and an RMSNorm over each head's
//     queries and keys (q_norm, k_norm, weights [head_dim]) before RoPE;
//     its sliding window as qwen2's;
//
//   - phi3: Llama without biases whose q, k and v projections are one
//     matrix, qkv_proj [(H+2K)·D, C], and gate and up one, gate_up_proj
//     [2F, C] (the first half the gate): the layers read row ranges of
//     them, so gradients and saves keep the fused names. Its
//     sliding_window is applied differently across transformers versions,
//     so a sequence longer than the window is refused (CheckBatch), never
//     scored with a guess.
//
//   - gemma (modeling_gemma.py): GELU(gate)·up with the tanh GELU
//     (hidden_activation; hidden_act is ignored, as transformers ignores
//     it), RMSNorm x·rstd·(1 + w) with w stored (and initialised) as 0 for
//     1, the input embeddings times √hidden_size in float32 (transformers
//     rounds that factor to the model's dtype: 45.25 for 45.2548 in
//     bfloat16), attention_bias as Llama, and the head always tied.
//
//   - gemma2 (modeling_gemma2.py): gemma, plus RMSNorms of the attention's
//     output (post_attention_layernorm) and of the MLP's
//     (post_feedforward_layernorm) before the residual adds them, the MLP
//     reading pre_feedforward_layernorm; scores scaled by
//     1/√query_pre_attn_scalar and soft-capped, cap·tanh(s/cap) with
//     attn_logit_softcapping, before the mask; the logits soft-capped with
//     final_logit_softcapping; sliding_window on layers 0, 2, 4, … only.
//
//   - gemma3_text (modeling_gemma3.py, the text model): gemma2 with q_norm
//     and k_norm ((1 + w) RMSNorms over each head) before RoPE, the
//     sliding window on the layers layer_types names sliding_attention
//     (without it, all but every sliding_window_pattern-th), those layers'
//     RoPE plain with rope_local_base_freq, the others' with rope_theta and
//     rope_scaling.
//
// head_dim, where given, sets the channels per head of every family.
type family struct {
	qkvBias, oBias, mlpBias bool
	qkNorm                  bool
	fused                   bool     // phi3's qkv_proj and gate_up_proj
	geglu                   bool     // gemma: GELU(gate)·up
	normOffset              float32  // gemma: RMSNorm weights are stored less 1
	embedScale              float32  // gemma: embeddings times √hidden_size; 0: none
	window                  int      // keys a position attends to, itself included; 0: all
	windowEven              bool     // gemma2: the window applies to layers 0, 2, 4, … only
	slidingLayers           []bool   // gemma3_text: the layers the window applies to; nil: all (or windowEven)
	localRope               ropeSpec // gemma3_text: the sliding layers' RoPE (rope_local_base_freq); inv nil: the model's
	maxSeq                  int      // the longest sequence accepted; 0: the context
	maxSeqWhy               string   // what sets maxSeq, for the refusal
	sandwich                bool     // gemma2: RMSNorms of the attention's and MLP's outputs
	attnScale               float32  // scores are q·k times this: 1/√head_dim, gemma2 1/√query_pre_attn_scalar
	attnCap, finalCap       float32  // gemma2: soft-caps of the attention scores and of the logits; 0: none
	inverseLayer            bool     // gpt2: layer l's scores divided by l + 1 too
}

// bound lowers the longest sequence accepted to n, for the reason why.
func (f *family) bound(n int, why string) {
	if f.maxSeq == 0 || n < f.maxSeq {
		f.maxSeq, f.maxSeqWhy = n, why
	}
}

// sliding reports whether the window applies to layer l.
func (f family) sliding(l int) bool {
	switch {
	case f.slidingLayers != nil:
		return f.slidingLayers[l]
	case f.windowEven:
		return l%2 == 0
	}
	return true
}

// family reads the differences of a Llama-like config, refusing the
// fields its model_type has no place for or that this package does not
// implement.
func (c Config) family() (family, error) {
	var f family
	if c.ModelType != Gemma2 && c.ModelType != Gemma3Text && (c.QueryPreAttnScalar != 0 || c.AttnLogitSoftcapping != 0 || c.FinalLogitSoftcapping != 0) {
		return f, fmt.Errorf("model: %s config: query_pre_attn_scalar, attn_logit_softcapping and final_logit_softcapping are Gemma 2's, not part of %s models", c.ModelType, c.ModelType)
	}
	if c.ModelType != Gemma3Text && c.RopeLocalBaseFreq != 0 || c.ModelType != Gemma3Text && c.SlidingWindowPattern != 0 ||
		c.ModelType != Gemma3Text && c.ModelType != Qwen2 && c.ModelType != Qwen3 &&
			slices.ContainsFunc(c.LayerTypes, func(t string) bool { return t != "full_attention" }) {
		return f, fmt.Errorf("model: %s config: rope_local_base_freq, sliding_window_pattern and layer_types other than full_attention are not supported in %s models", c.ModelType, c.ModelType)
	}
	notFor := func(field string) error {
		return fmt.Errorf("model: %s config: %s is not part of %s models (transformers ignores it; remove it or change model_type)", c.ModelType, field, c.ModelType)
	}
	switch c.ModelType {
	case Llama:
		f.qkvBias, f.oBias, f.mlpBias = c.AttentionBias, c.AttentionBias, c.MLPBias
	case Mistral:
		if c.AttentionBias || c.MLPBias {
			return f, notFor("attention_bias or mlp_bias")
		}
		if c.SlidingWindow != nil {
			if *c.SlidingWindow < 1 {
				return f, fmt.Errorf("model: mistral config: sliding_window is %d, must be positive or null", *c.SlidingWindow)
			}
			f.window = *c.SlidingWindow
		}
	case Phi3:
		if c.AttentionBias || c.MLPBias {
			return f, notFor("attention_bias or mlp_bias")
		}
		f.fused = true
		if c.SlidingWindow != nil {
			if *c.SlidingWindow < 1 {
				return f, fmt.Errorf("model: phi3 config: sliding_window is %d, must be positive or null", *c.SlidingWindow)
			}
			f.bound(*c.SlidingWindow, fmt.Sprintf("the phi3 sliding_window of %d, which transformers versions apply differently", *c.SlidingWindow))
		}
	case Gemma, Gemma2, Gemma3Text:
		if c.MLPBias {
			return f, notFor("mlp_bias")
		}
		if c.ModelType == Gemma3Text {
			f.qkNorm = true
			if c.LayerTypes != nil {
				if len(c.LayerTypes) != c.NumHiddenLayers {
					return f, fmt.Errorf("model: gemma3_text config: layer_types has %d entries for %d layers", len(c.LayerTypes), c.NumHiddenLayers)
				}
				f.slidingLayers = make([]bool, len(c.LayerTypes))
				for i, t := range c.LayerTypes {
					if t != "sliding_attention" && t != "full_attention" {
						return f, fmt.Errorf("model: gemma3_text config: layer_types[%d] is %q, not sliding_attention or full_attention", i, t)
					}
					f.slidingLayers[i] = t == "sliding_attention"
				}
			} else {
				p := c.SlidingWindowPattern
				if p == 0 {
					p = 6
				}
				if p < 1 || c.NumHiddenLayers < 0 || c.NumHiddenLayers > maxLayers {
					return f, fmt.Errorf("model: gemma3_text config: sliding_window_pattern %d and num_hidden_layers %d must be positive", p, c.NumHiddenLayers)
				}
				f.slidingLayers = make([]bool, c.NumHiddenLayers)
				for i := range f.slidingLayers {
					f.slidingLayers[i] = (i+1)%p != 0 // transformers: bool((layer_idx + 1) % sliding_window_pattern)
				}
			}
		}
		if c.ModelType != Gemma {
			if c.SlidingWindow != nil {
				if *c.SlidingWindow < 1 {
					return f, fmt.Errorf("model: gemma2 config: sliding_window is %d, must be positive or null", *c.SlidingWindow)
				}
				f.window, f.windowEven = *c.SlidingWindow, c.ModelType == Gemma2
			}
			for _, v := range []struct {
				name string
				x    float64
			}{{"query_pre_attn_scalar", c.QueryPreAttnScalar}, {"attn_logit_softcapping", c.AttnLogitSoftcapping}, {"final_logit_softcapping", c.FinalLogitSoftcapping}} {
				if !(v.x >= 0) || math.IsInf(v.x, 0) {
					return f, fmt.Errorf("model: gemma2 config: %s is %g, must be positive, or null", v.name, v.x)
				}
			}
			f.sandwich = true
			if c.QueryPreAttnScalar > 0 {
				f.attnScale = float32(math.Pow(c.QueryPreAttnScalar, -0.5))
			}
			f.attnCap, f.finalCap = float32(c.AttnLogitSoftcapping), float32(c.FinalLogitSoftcapping)
		}
		switch c.HiddenActivation {
		case "", "gelu_pytorch_tanh", "gelu_new":
		default:
			return f, fmt.Errorf("model: gemma config: hidden_activation %q is not supported (only gelu_pytorch_tanh)", c.HiddenActivation)
		}
		f.qkvBias, f.oBias = c.AttentionBias, c.AttentionBias
		f.geglu, f.normOffset = true, 1
		f.embedScale = float32(math.Sqrt(float64(c.HiddenSize)))
	case Qwen2, Qwen3:
		if err := f.qwenWindow(c); err != nil {
			return f, err
		}
		if c.MLPBias {
			return f, notFor("mlp_bias")
		}
		f.qkvBias = true
		if c.ModelType == Qwen3 {
			f.qkvBias, f.oBias, f.qkNorm = c.AttentionBias, c.AttentionBias, true
		} else if c.AttentionBias {
			return f, notFor("attention_bias")
		}
	}
	return f, nil
}

// qwenWindow reads Qwen2's and Qwen3's sliding window as transformers
// v4.53 on does (configuration_qwen2.py): sliding_window is dropped unless
// use_sliding_window; then layer i slides when layer_types says
// sliding_attention, or, without layer_types, when i ≥ max_window_layers.
func (f *family) qwenWindow(c Config) error {
	window := 0
	if c.UseSlidingWindow && c.SlidingWindow != nil {
		if *c.SlidingWindow < 1 {
			return fmt.Errorf("model: %s config: sliding_window is %d, must be positive or null", c.ModelType, *c.SlidingWindow)
		}
		window = *c.SlidingWindow
	}
	if c.LayerTypes != nil {
		if len(c.LayerTypes) != c.NumHiddenLayers {
			return fmt.Errorf("model: %s config: layer_types has %d entries for %d layers", c.ModelType, len(c.LayerTypes), c.NumHiddenLayers)
		}
		f.slidingLayers = make([]bool, len(c.LayerTypes))
		for i, t := range c.LayerTypes {
			if t != "sliding_attention" && t != "full_attention" {
				return fmt.Errorf("model: %s config: layer_types[%d] is %q, not sliding_attention or full_attention", c.ModelType, i, t)
			}
			if t == "sliding_attention" && window == 0 {
				return fmt.Errorf("model: %s config: layer_types[%d] is sliding_attention, but there is no window (use_sliding_window false or sliding_window null)", c.ModelType, i)
			}
			f.slidingLayers[i] = t == "sliding_attention"
		}
	} else if window > 0 {
		first := 28 // Qwen2Config's and Qwen3Config's default
		if c.MaxWindowLayers != nil {
			first = *c.MaxWindowLayers
		}
		if c.NumHiddenLayers < 0 || c.NumHiddenLayers > maxLayers {
			return fmt.Errorf("model: %s config: num_hidden_layers %d must be in [1, %d]", c.ModelType, c.NumHiddenLayers, maxLayers)
		}
		f.slidingLayers = make([]bool, c.NumHiddenLayers)
		for i := range f.slidingLayers {
			f.slidingLayers[i] = i >= first
		}
	}
	f.window = window
	return nil
}
