package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// Family names an architecture, as Hugging Face's model_type does.
// Mistral, Qwen2, Qwen3, Phi3, Gemma, Gemma2 and Gemma3Text are Llama
// with the differences families.go lists.
const (
	GPT2    = "gpt2"
	Llama   = "llama"
	Mistral = "mistral"
	Qwen2   = "qwen2"
	Qwen3   = "qwen3"
	Phi3    = "phi3"
	Gemma   = "gemma"
	Gemma2  = "gemma2"
	// Gemma3Text is Gemma 3's text model (gemma-3-1b; the larger ones nest
	// it in a multimodal config, model_type gemma3, which TextConfig reads).
	Gemma3Text = "gemma3_text"
)

// Config is a model's shape in Hugging Face config.json fields; each family
// reads its own.
type Config struct {
	ModelType string `json:"model_type"` // GPT2, Llama, Mistral, Qwen2, Qwen3, Phi3, Gemma, Gemma2 or Gemma3Text
	VocabSize int    `json:"vocab_size"`

	// GPT-2 (the head is tied).
	NEmbd            int     `json:"n_embd,omitempty"`
	NInner           int     `json:"n_inner,omitempty"` // MLP width; 0 (null): 4·n_embd
	NLayer           int     `json:"n_layer,omitempty"`
	NHead            int     `json:"n_head,omitempty"`
	NPositions       int     `json:"n_positions,omitempty"`
	LayerNormEpsilon float64 `json:"layer_norm_epsilon,omitempty"`

	// Llama and the families like it.
	HiddenSize            int     `json:"hidden_size,omitempty"`
	IntermediateSize      int     `json:"intermediate_size,omitempty"`
	NumHiddenLayers       int     `json:"num_hidden_layers,omitempty"`
	NumAttentionHeads     int     `json:"num_attention_heads,omitempty"`
	NumKeyValueHeads      int     `json:"num_key_value_heads,omitempty"` // 0: as many as attention heads
	RMSNormEps            float64 `json:"rms_norm_eps,omitempty"`
	RopeTheta             float64 `json:"rope_theta,omitempty"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings,omitempty"`
	TieWordEmbeddings     bool    `json:"tie_word_embeddings"`
	HeadDim               int     `json:"head_dim,omitempty"`       // 0 (absent): hidden_size / num_attention_heads
	AttentionBias         bool    `json:"attention_bias,omitempty"` // Llama, Qwen3: biases on q, k, v and o_proj
	MLPBias               bool    `json:"mlp_bias,omitempty"`       // Llama: biases on gate, up and down_proj
	// RopeScaling is a RoPE variant (rope.go's ropeScaling); RopeParameters
	// is transformers v5's field for rope_theta and the variant together.
	RopeScaling    json.RawMessage `json:"rope_scaling,omitempty"`
	RopeParameters json.RawMessage `json:"rope_parameters,omitempty"`
	// SlidingWindow (Mistral): each position attends to itself and the
	// window − 1 before it; null or absent: all of them. Qwen2 and Qwen3
	// carry one too, used only when UseSlidingWindow is set, on the layers
	// from MaxWindowLayers on (or as LayerTypes says); Phi3's bounds the
	// sequence length (families.go).
	SlidingWindow    *int `json:"sliding_window,omitempty"`
	UseSlidingWindow bool `json:"use_sliding_window,omitempty"`
	MaxWindowLayers  *int `json:"max_window_layers,omitempty"` // Qwen2, Qwen3: the first sliding layer (null or absent: 28)
	// Phi-3: the context before longrope's extension.
	OriginalMaxPositionEmbeddings int `json:"original_max_position_embeddings,omitempty"`
	// Gemma 2: the attention scale's denominator squared, and the
	// soft-caps of the attention scores and the logits (0 or null: none).
	QueryPreAttnScalar    float64 `json:"query_pre_attn_scalar,omitempty"`
	AttnLogitSoftcapping  float64 `json:"attn_logit_softcapping,omitempty"`
	FinalLogitSoftcapping float64 `json:"final_logit_softcapping,omitempty"`
	// Gemma 3: the sliding layers' RoPE theta, and which layers slide.
	RopeLocalBaseFreq    float64  `json:"rope_local_base_freq,omitempty"`
	SlidingWindowPattern int      `json:"sliding_window_pattern,omitempty"`
	LayerTypes           []string `json:"layer_types,omitempty"`

	// Variants this package does not implement; a config that asks for one
	// is rejected rather than run wrongly.
	// GPT-2 (modeling_gpt2.py's GPT2Attention._attn): scores divided by
	// √head_dim unless scale_attn_weights is false, and layer l's by l + 1
	// too under scale_attn_by_inverse_layer_idx.
	ScaleAttnWeights           *bool `json:"scale_attn_weights,omitempty"`
	ScaleAttnByInverseLayerIdx bool  `json:"scale_attn_by_inverse_layer_idx,omitempty"`

	ActivationFunction string `json:"activation_function,omitempty"` // GPT-2: gelu_new (tanh GELU) only
	HiddenAct          string `json:"hidden_act,omitempty"`          // Llama: silu only; Gemma: ignored
	HiddenActivation   string `json:"hidden_activation,omitempty"`   // Gemma: gelu_pytorch_tanh (the default) only
}

// checkSupported rejects the config fields that ask for a variant this
// package does not implement.
func (c Config) checkSupported() error {
	switch {
	case c.ModelType == GPT2 && c.ActivationFunction != "" && c.ActivationFunction != "gelu_new" && c.ActivationFunction != "gelu_pytorch_tanh":
		return fmt.Errorf("model: activation_function %q is not supported (only the tanh GELU, gelu_new)", c.ActivationFunction)
	case c.ModelType != GPT2 && c.ModelType != Gemma && c.ModelType != Gemma2 && c.ModelType != Gemma3Text && c.HiddenAct != "" && c.HiddenAct != "silu":
		return fmt.Errorf("model: hidden_act %q is not supported (only silu)", c.HiddenAct)
	}
	return nil
}

// ReadConfig reads a Hugging Face config.json, the text model's where it
// nests one (TextConfig), and validates it, its fields too (CheckFields).
func ReadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("model: %w", err)
	}
	if b, err = TextConfig(b); err != nil {
		return Config{}, fmt.Errorf("%w (in %s)", err, path)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("model: %s: %w", path, err)
	}
	if err := CheckFields(b); err != nil {
		return Config{}, fmt.Errorf("%w (in %s)", err, path)
	}
	if _, err := c.dims(); err != nil {
		return Config{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return c, nil
}

// ParamShapes lists the parameters of a model of config c as New lays
// them out, in Hugging Face naming and in the same order, with nil Data:
// what a writer of random or converted weights needs, without allocating
// them.
func (c Config) ParamShapes() ([]Tensor, error) {
	d, err := c.dims()
	if err != nil {
		return nil, err
	}
	specs, _ := layout(d)
	out := make([]Tensor, len(specs))
	for i, s := range specs {
		out[i] = Tensor{Name: s.name, Shape: s.shape}
	}
	return out, nil
}

// Validate reports a config that cannot describe a model.
func (c Config) Validate() error {
	_, err := c.dims()
	return err
}

// dims is a validated config in the package's notation.
type dims struct {
	llama bool
	V     int // vocabulary
	L     int // layers
	C     int // channels
	H, K  int // query heads, key/value heads
	D     int // channels per head
	F     int // MLP hidden units
	maxT  int // context length
	eps   float32
	theta float64
	tied  bool
	fam   family   // Llama-like families' differences (families.go)
	rope  ropeSpec // the rotary embedding's frequencies (rope.go)
}

// qkv is the width of a row of queries, keys and values.
func (d dims) qkv() int { return (d.H + 2*d.K) * d.D }

func (c Config) dims() (dims, error) {
	var d dims
	switch c.ModelType {
	case GPT2:
		eps := c.LayerNormEpsilon
		if eps == 0 {
			eps = 1e-5
		}
		f := c.NInner
		if f == 0 {
			f = 4 * c.NEmbd
		}
		d = dims{V: c.VocabSize, L: c.NLayer, C: c.NEmbd, H: c.NHead, K: c.NHead, F: f,
			maxT: c.NPositions, eps: float32(eps), tied: true}
	case Llama, Mistral, Qwen2, Qwen3, Phi3, Gemma, Gemma2, Gemma3Text:
		eps, theta, k := c.RMSNormEps, c.RopeTheta, c.NumKeyValueHeads
		if eps == 0 {
			eps = 1e-6
		}
		if theta == 0 {
			theta = 10000
		}
		if k == 0 {
			k = c.NumAttentionHeads
		}
		d = dims{llama: true, V: c.VocabSize, L: c.NumHiddenLayers, C: c.HiddenSize, H: c.NumAttentionHeads, K: k,
			F: c.IntermediateSize, maxT: c.MaxPositionEmbeddings, eps: float32(eps), theta: theta,
			tied: c.TieWordEmbeddings || c.ModelType == Gemma || c.ModelType == Gemma2 || c.ModelType == Gemma3Text} // Gemma's head is the embedding (CheckFields refuses an explicit false)
	default:
		return dims{}, fmt.Errorf("model: model_type %q is not supported (only %q, %q, %q, %q, %q, %q, %q, %q and %q)", c.ModelType, GPT2, Llama, Mistral, Qwen2, Qwen3, Phi3, Gemma, Gemma2, Gemma3Text)
	}
	if err := c.checkSupported(); err != nil {
		return dims{}, err
	}
	if err := c.checkBounds(d); err != nil {
		return dims{}, err
	}
	if d.C%d.H != 0 && (!d.llama || c.HeadDim == 0) {
		return dims{}, fmt.Errorf("model: width %d is not a multiple of the %d heads", d.C, d.H)
	}
	if d.H%d.K != 0 {
		return dims{}, fmt.Errorf("model: %d attention heads are not a multiple of the %d key/value heads", d.H, d.K)
	}
	d.D = d.C / d.H
	if d.llama {
		var err error
		if d.fam, err = c.family(); err != nil {
			return dims{}, err
		}
		if c.HeadDim != 0 {
			if c.HeadDim < 1 || c.HeadDim > maxWidth {
				return dims{}, fmt.Errorf("model: %s config: head_dim is %d, must be in [1, %d]", c.ModelType, c.HeadDim, maxWidth)
			}
			d.D = c.HeadDim
		}
		if d.theta, d.rope, err = c.ropeSpec(d.theta, d.D, d.maxT); err != nil {
			return dims{}, err
		}
		if d.rope.limit > 0 && d.rope.limit < d.maxT {
			d.fam.bound(d.rope.limit, fmt.Sprintf("longrope's original context of %d, past which transformers switches to long_factor", d.rope.limit))
		}
		if c.ModelType == Gemma3Text {
			local := c.RopeLocalBaseFreq
			if local == 0 {
				local = 10000
			}
			if !(local > 0) || math.IsInf(local, 0) {
				return dims{}, fmt.Errorf("model: gemma3_text config: rope_local_base_freq %g must be positive and finite", local)
			}
			d.fam.localRope = plainRope(local, d.D)
		}
	}
	if d.fam.attnScale == 0 {
		d.fam.attnScale = float32(1 / math.Sqrt(float64(d.D)))
	}
	if c.ModelType == GPT2 {
		if c.ScaleAttnWeights != nil && !*c.ScaleAttnWeights {
			d.fam.attnScale = 1
		}
		d.fam.inverseLayer = c.ScaleAttnByInverseLayerIdx
	} else if c.ScaleAttnWeights != nil || c.ScaleAttnByInverseLayerIdx {
		return dims{}, fmt.Errorf("model: %s config: scale_attn_weights and scale_attn_by_inverse_layer_idx are GPT-2's, not part of %s models", c.ModelType, c.ModelType)
	}
	if d.llama && d.maxT*d.D > maxRopeTable {
		return dims{}, fmt.Errorf("model: max_position_embeddings %d with heads of %d channels needs a RoPE table of %d values, more than the %d supported", d.maxT, d.D, d.maxT*d.D, maxRopeTable)
	}
	if d.llama && d.D%2 != 0 {
		return dims{}, fmt.Errorf("model: RoPE needs an even head size, have %d", d.D)
	}
	if !(d.eps > 0) || math.IsInf(float64(d.eps), 0) || !(d.theta >= 0) || math.IsInf(d.theta, 0) {
		return dims{}, fmt.Errorf("model: norm epsilon %g and rope_theta %g must be positive and finite", d.eps, d.theta)
	}
	return d, nil
}

// Bounds on a config's sizes, far above any published model's, so that
// arithmetic on them cannot overflow and a hostile or mistyped config.json
// is refused by name before anything is allocated. The parameter count is
// bounded too (maxParams), as is the RoPE table.
const (
	maxVocab   = 1 << 24 // 16,777,216 tokens
	maxLayers  = 1 << 12 // 4096
	maxWidth   = 1 << 17 // 131,072 channels
	maxMLP     = 1 << 20 // 1,048,576 hidden units
	maxContext = 1 << 24 // 16,777,216 positions
	// maxRopeTable bounds context × head size, the cos and sin of a Llama
	// model's rotary embedding (1 GiB of float32 at the bound).
	maxRopeTable = 1 << 28
)

// checkBounds refuses a size outside [1, its bound], naming the field of
// config.json it came from.
func (c Config) checkBounds(d dims) error {
	names := map[string][5]string{ // vocabulary, layers, width, heads, key/value heads; MLP and context below
		GPT2: {"vocab_size", "n_layer", "n_embd", "n_head", "n_head"},
	}[c.ModelType]
	if c.ModelType != GPT2 {
		names = [5]string{"vocab_size", "num_hidden_layers", "hidden_size", "num_attention_heads", "num_key_value_heads"}
	}
	mlp, ctx := "intermediate_size", "max_position_embeddings"
	if c.ModelType == GPT2 {
		mlp, ctx = "n_inner (0: 4·n_embd)", "n_positions"
	}
	for _, f := range []struct {
		name  string
		v, hi int
	}{
		{names[0], d.V, maxVocab}, {names[1], d.L, maxLayers}, {names[2], d.C, maxWidth},
		{names[3], d.H, maxWidth}, {names[4], d.K, maxWidth}, {mlp, d.F, maxMLP}, {ctx, d.maxT, maxContext},
	} {
		if f.v < 1 || f.v > f.hi {
			return fmt.Errorf("model: %s config: %s is %d, must be in [1, %d]", c.ModelType, f.name, f.v, f.hi)
		}
	}
	return nil
}
