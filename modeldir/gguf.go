package modeldir

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// GGUF is the Kind of a model loaded from a GGUF file.
const GGUF = "gguf"

// IsGGUF reports whether path names a GGUF file (by its extension), which
// Load reads as a whole model instead of a directory.
func IsGGUF(path string) bool {
	return strings.HasSuffix(strings.ToLower(path), ".gguf")
}

// loadGGUF reads a GGUF file as a model: its hyper-parameters as the
// config of the family its general.architecture names (llama, qwen2,
// qwen3, gemma, gemma2, gemma3, phi3, gpt2; ggufConfig), its f16 and
// quantized matrices kept as their blocks (quant.Matrix, ggufMatrix)
// unless opt.F32, every other tensor dequantized to float32, all under
// their Hugging Face names (gguf.HFName), with
// the converter's changes undone (Llama's Q/K row permutation, Gemma's
// 1 + w norms, GPT-2's transposed Conv1D weights), and the tokenizer
// from its tokenizer.ggml.* keys. The head is tied when the
// file has no output.weight, as llama.cpp ties it.
func loadGGUF(path string, opt Options) (*Pretrained, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %w", err)
	}
	defer f.Close()
	h, cfg, err := ggufModelConfig(f)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	weights, err := ggufWeights(f, h, cfg, !opt.F32)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	m, err := model.NewInference(cfg, weights)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	tok, err := ggufTokenizer(f)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	if tok.VocabSize() > m.VocabSize() {
		return nil, fmt.Errorf("modeldir: %s: the tokenizer has %d tokens, the model only %d", path, tok.VocabSize(), m.VocabSize())
	}
	p := &Pretrained{Model: m, Tokenizer: tok, Dir: path, Kind: GGUF, BOSTokenID: -1}
	if id, ok, err := ggufTokenID(f, "tokenizer.ggml.bos_token_id", m.VocabSize()); err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	} else if ok {
		p.BOSTokenID = id
	}
	if id, ok, err := ggufTokenID(f, "tokenizer.ggml.eos_token_id", m.VocabSize()); err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	} else if ok {
		p.EOSTokenIDs = []int32{id}
	}
	if p.AddBOS, err = ggufAddsBOS(f); err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	return p, nil
}

// ggufModelConfig reads a file's hyper-parameters and the model config
// they stand for (ggufConfig), validated.
func ggufModelConfig(f *gguf.File) (gguf.Hyper, model.Config, error) {
	h, err := f.Hyper()
	if err != nil {
		return h, model.Config{}, err
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok || len(emb.Dims) != 2 {
		return h, model.Config{}, fmt.Errorf("no two-dimensional tensor \"token_embd.weight\"")
	}
	cfg, err := ggufConfig(f, h, int(emb.Dims[1]))
	if err != nil {
		return h, model.Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return h, model.Config{}, err
	}
	return h, cfg, nil
}

// ggufWeights reads every tensor the config needs (Config.ParamShapes)
// from the file, dequantized to float32 in Hugging Face's layout
// (ggufTensor), or with blocks the f16 and quantized matrices kept as
// they are (ggufMatrix), for model.NewInference, and refuses a file tensor the
// model has no place for. Nothing is initialised at random: every value
// is the file's.
func ggufWeights(f *gguf.File, h gguf.Hyper, cfg model.Config, blocks bool) (map[string]model.Weight, error) {
	shapes, err := cfg.ParamShapes()
	if err != nil {
		return nil, err
	}
	used := map[string]bool{"rope_freqs.weight": true, "rope_factors_short.weight": true, "rope_factors_long.weight": true} // read by ggufRope
	weights := make(map[string]model.Weight, len(shapes))
	for _, p := range shapes {
		name, err := gguf.FileName(h.Arch, p.Name)
		if err != nil {
			return nil, err
		}
		used[name] = true
		if blocks && h.Arch != "phi3" { // NewInference takes Phi-3's fused matrices as float32 only
			m, ok, err := ggufMatrix(f, h, name)
			if err != nil {
				return nil, err
			}
			if ok {
				if out, in := m.Dims(); len(p.Shape) != 2 || out*in != p.Shape[0]*p.Shape[1] {
					t, _ := f.Tensor(name)
					return nil, fmt.Errorf("tensor %q has dims %v, %s needs shape %v", name, t.Dims, p.Name, p.Shape)
				}
				weights[p.Name] = model.Weight{Matrix: m}
				continue
			}
		}
		n := 1
		for _, d := range p.Shape {
			n *= d
		}
		if t, ok := f.Tensor(name); !ok || t.Len() != int64(n) { // before allocating what the file may not hold
			if err := ggufTensor(f, h, name, p); err != nil {
				return nil, err
			}
		}
		p.Data = make([]float32, n)
		if err := ggufTensor(f, h, name, p); err != nil {
			return nil, err
		}
		weights[p.Name] = model.Weight{F32: p.Data}
	}
	for _, t := range f.Tensors {
		if !used[t.Name] {
			return nil, fmt.Errorf("tensor %q has no place in the %s model xent builds from the file", t.Name, h.Arch)
		}
	}
	return weights, nil
}

// ggufParams reads the GGUF file at path as the parameters of its model,
// in Config.ParamShapes's order (for ExportGGUF, as an inference model
// keeps no Params).
func ggufParams(path string) ([]model.Tensor, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %w", err)
	}
	defer f.Close()
	h, cfg, err := ggufModelConfig(f)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	weights, err := ggufWeights(f, h, cfg, false)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	shapes, err := cfg.ParamShapes()
	if err != nil {
		return nil, err
	}
	for i := range shapes {
		shapes[i].Data = weights[shapes[i].Name].F32
	}
	return shapes, nil
}

// ggufModelTypes maps a general.architecture to the model_type xent
// builds for it.
var ggufModelTypes = map[string]string{
	"llama": model.Llama, "qwen2": model.Qwen2, "qwen3": model.Qwen3, "gemma": model.Gemma,
	"gemma2": model.Gemma2, "gemma3": model.Gemma3Text, "phi3": model.Phi3, "gpt2": model.GPT2,
}

// ggufConfig is the model config a file's hyper-parameters stand for, as
// llama.cpp reads them (llama_model::load_hparams and each
// architecture's load_arch_hparams). vocab is token_embd's row count
// (llama.cpp's n_vocab may differ from the tokenizer's length; the
// model's is the embedding's).
//
// What llama.cpp computes and xent's families hold differently is
// translated: Llama 3's rope_freqs.weight (per-dimension divisors of the
// RoPE frequencies) and Phi-3's rope_factors_short/long.weight become a
// longrope rope_scaling, whose short_factor divides the frequencies the
// same way (ggufRope); Gemma 2 and 3's attention scale, which llama.cpp
// takes from the head size (hidden_size / heads for the 27B models),
// becomes query_pre_attn_scalar; Gemma 2's default window of 4096 and
// soft-caps of 50 and 30 apply when the keys are absent, as in
// llama.cpp. llama.cpp gives llama (Mistral's files too) and phi3 no
// sliding window (it warns for phi3), and neither does xent reading
// them. What llama.cpp would compute and xent cannot (a sliding-window
// pattern Gemma 2 has no place for, YaRN's extra keys, partial rotary
// embeddings) is refused by key.
func ggufConfig(f *gguf.File, h gguf.Hyper, vocab int) (model.Config, error) {
	if h.KeyLength != h.ValueLength {
		return model.Config{}, fmt.Errorf("key length %d differs from value length %d, which xent's models do not allow", h.KeyLength, h.ValueLength)
	}
	if h.Arch == "gpt2" {
		return model.Config{ModelType: model.GPT2, VocabSize: vocab, NEmbd: h.EmbeddingLength, NInner: h.FeedForwardLength,
			NLayer: h.BlockCount, NHead: h.HeadCount, NPositions: h.ContextLength, LayerNormEpsilon: h.NormEpsilon,
			ActivationFunction: "gelu_new"}, nil
	}
	if h.RopeDims != h.KeyLength {
		return model.Config{}, fmt.Errorf("key %q is %d: partial rotary embeddings are not supported (head size %d)", h.Arch+".rope.dimension_count", h.RopeDims, h.KeyLength)
	}
	_, hasOutput := f.Tensor("output.weight")
	_, hasBias := f.Tensor("blk.0.attn_q.bias")
	_, hasOBias := f.Tensor("blk.0.attn_output.bias")
	_, hasMLPBias := f.Tensor("blk.0.ffn_up.bias")
	cfg := model.Config{ModelType: ggufModelTypes[h.Arch], VocabSize: vocab, HiddenSize: h.EmbeddingLength, IntermediateSize: h.FeedForwardLength,
		NumHiddenLayers: h.BlockCount, NumAttentionHeads: h.HeadCount, NumKeyValueHeads: h.HeadCountKV,
		RMSNormEps: h.NormEpsilon, RopeTheta: h.RopeFreqBase, MaxPositionEmbeddings: h.ContextLength,
		TieWordEmbeddings: !hasOutput, HiddenAct: "silu", MLPBias: hasMLPBias}
	if _, ok := f.Value(h.Arch + ".attention.key_length"); ok || h.HeadCount > 0 && h.KeyLength != h.EmbeddingLength/h.HeadCount {
		cfg.HeadDim = h.KeyLength // head_dim, as config.json gave it to the converter
	}
	var err error
	if cfg.RopeScaling, cfg.OriginalMaxPositionEmbeddings, err = ggufRope(f, h); err != nil {
		return model.Config{}, err
	}
	k := func(s string) string { return h.Arch + "." + s }
	switch h.Arch {
	case "llama":
		if hasBias != hasOBias {
			return model.Config{}, fmt.Errorf("a llama model with biases on q, k and v but not on o (or the reverse) is not supported")
		}
		cfg.AttentionBias = hasBias
	case "qwen2":
		if !hasBias {
			return model.Config{}, fmt.Errorf("a qwen2 model without q, k and v biases (no \"blk.0.attn_q.bias\") is not supported")
		}
	case "qwen3":
		cfg.AttentionBias = hasBias
	case "phi3":
		if hasBias || hasMLPBias {
			return model.Config{}, fmt.Errorf("a phi3 model with biases is not supported")
		}
	case "gemma", "gemma2", "gemma3":
		if hasMLPBias {
			return model.Config{}, fmt.Errorf("a %s model with MLP biases is not supported", h.Arch)
		}
		if hasOutput {
			return model.Config{}, fmt.Errorf("tensor \"output.weight\": xent's %s models tie the head to the embedding", h.Arch)
		}
		cfg.AttentionBias, cfg.TieWordEmbeddings, cfg.HiddenAct = hasBias, true, ""
		cfg.HiddenActivation = "gelu_pytorch_tanh"
	}
	if h.Arch == "gemma2" || h.Arch == "gemma3" {
		cfg.QueryPreAttnScalar = float64(h.KeyLength)
		if h.BlockCount == 46 || h.BlockCount == 62 { // the 27B models
			cfg.QueryPreAttnScalar = float64(h.EmbeddingLength / h.HeadCount)
		}
	}
	switch h.Arch {
	case "gemma2":
		window, pattern := 4096, 2
		if h.SlidingWindow != 0 {
			window = h.SlidingWindow
		}
		if h.SlidingWindowPattern != 0 {
			pattern = h.SlidingWindowPattern
		}
		if pattern != 2 {
			return model.Config{}, fmt.Errorf("key %q is %d: xent's gemma2 slides on every other layer", k("attention.sliding_window_pattern"), pattern)
		}
		if h.RopeFreqBaseSWA != 0 && h.RopeFreqBaseSWA != h.RopeFreqBase {
			return model.Config{}, fmt.Errorf("key %q is %g: xent's gemma2 has one RoPE theta, %g", k("rope.freq_base_swa"), h.RopeFreqBaseSWA, h.RopeFreqBase)
		}
		if len(cfg.RopeScaling) > 0 {
			return model.Config{}, fmt.Errorf("key %q: xent's gemma2 scales the RoPE of no layer", k("rope.scaling.type"))
		}
		cfg.SlidingWindow = &window
		cfg.AttnLogitSoftcapping, cfg.FinalLogitSoftcapping = 50, 30
		if _, ok := f.Value(k("attn_logit_softcapping")); ok {
			cfg.AttnLogitSoftcapping = h.AttnSoftcap
		}
		if _, ok := f.Value(k("final_logit_softcapping")); ok {
			cfg.FinalLogitSoftcapping = h.FinalSoftcap
		}
	case "gemma3":
		if h.AttnSoftcap != 0 {
			return model.Config{}, fmt.Errorf("key %q: llama.cpp's gemma3 soft-caps no attention scores", k("attn_logit_softcapping"))
		}
		cfg.FinalLogitSoftcapping = h.FinalSoftcap
		cfg.RopeLocalBaseFreq = 10000
		if h.RopeFreqBaseSWA != 0 {
			cfg.RopeLocalBaseFreq = h.RopeFreqBaseSWA
		}
		if h.SlidingWindow > 0 {
			pattern := 6
			if h.SlidingWindowPattern != 0 {
				pattern = h.SlidingWindowPattern
			}
			window := h.SlidingWindow
			cfg.SlidingWindow, cfg.SlidingWindowPattern = &window, pattern
		} else { // no window: every layer global, with the global theta
			cfg.LayerTypes = slices.Repeat([]string{"full_attention"}, h.BlockCount)
		}
	case "gemma":
		if len(cfg.RopeScaling) > 0 {
			return model.Config{}, fmt.Errorf("key %q: xent's gemma scales no RoPE", k("rope.scaling.type"))
		}
	}
	for key, ok := range map[string]bool{
		"attention.sliding_window_pattern": h.Arch == "gemma2" || h.Arch == "gemma3",
		"rope.freq_base_swa":               h.Arch == "gemma2" || h.Arch == "gemma3",
		"attn_logit_softcapping":           h.Arch == "gemma2" || h.Arch == "gemma3",
		"final_logit_softcapping":          h.Arch == "gemma2" || h.Arch == "gemma3",
	} {
		if _, has := f.Value(k(key)); has && !ok {
			return model.Config{}, fmt.Errorf("key %q: llama.cpp's %s does not read it, and xent will not guess what it was meant to change", k(key), h.Arch)
		}
	}
	return cfg, nil
}

// ggufRope is the rope_scaling a file's RoPE keys and tensors stand for,
// and the original context it names (Phi-3's), as llama.cpp computes
// them: rope.scaling.type (default linear) with rope.scaling.factor (none,
// 0 or 1: no scaling) is linear or yarn (yarn with llama.cpp's defaults:
// its original context must be the context, as xent's YaRN reads it, and
// of its yarn_* keys only beta_fast and beta_slow are read); a
// rope_freqs.weight (Llama 3) divides each frequency by its value, which
// is longrope's short_factor with an attention factor of 1 and no
// original context; Phi-3's rope_factors_short/long.weight (which the
// converter writes without a rope.scaling.type) are longrope's factors,
// with rope.scaling.attn_factor and rope.scaling.original_context_length:
// llama.cpp, like xent within the original context, uses the short ones.
func ggufRope(f *gguf.File, h gguf.Hyper) (json.RawMessage, int, error) {
	k := func(s string) string { return h.Arch + "." + s }
	factors := func(name string) ([]float32, bool, error) {
		t, ok := f.Tensor(name)
		if !ok {
			return nil, false, nil
		}
		if t.Len() != int64(h.RopeDims/2) || len(t.Dims) != 1 {
			return nil, true, fmt.Errorf("tensor %q has dims %v, want [%d] (half the rotated dimensions)", name, t.Dims, h.RopeDims/2)
		}
		data, err := f.Data(name)
		if err != nil {
			return nil, true, err
		}
		vals := make([]float32, t.Len())
		if err := gguf.Dequantize(t.Type, data, vals); err != nil {
			return nil, true, fmt.Errorf("tensor %q: %w", name, err)
		}
		for i, v := range vals {
			if !(v > 0) || math.IsInf(float64(v), 0) {
				return nil, true, fmt.Errorf("tensor %q: value %d is %v, not a positive divisor", name, i, v)
			}
		}
		return vals, true, nil
	}
	scaled := h.RopeScalingFactor != 0 && h.RopeScalingFactor != 1
	kind := h.RopeScaling
	if kind == "linear" && !scaled || kind == "none" {
		kind = ""
	}
	if h.Yarn != nil && kind != "yarn" {
		return nil, 0, fmt.Errorf("key %q under rope.scaling.type %q: llama.cpp reads yarn_* keys only for yarn", k("rope.scaling.yarn_*"), h.RopeScaling)
	}
	out := map[string]any{}
	freqs, hasFreqs, err := factors("rope_freqs.weight")
	if err != nil {
		return nil, 0, err
	}
	if hasFreqs {
		if kind != "" {
			return nil, 0, fmt.Errorf("tensor \"rope_freqs.weight\" with rope.scaling.type %s: xent applies one of them, not both", h.RopeScaling)
		}
		out = map[string]any{"rope_type": "longrope", "short_factor": freqs, "long_factor": freqs, "attention_factor": 1}
		raw, err := json.Marshal(out)
		return raw, 0, err
	}
	orig := 0
	_, hasShort := f.Tensor("rope_factors_short.weight")
	if hasShort && kind == "" {
		kind = "longrope" // Phi3MiniModel writes the factors and no rope.scaling.type
	}
	if kind == "longrope" && h.Arch != "phi3" {
		return nil, 0, fmt.Errorf("rope.scaling.type longrope (or tensor \"rope_factors_short.weight\") in a %s file: llama.cpp reads the factors only for phi3", h.Arch)
	}
	switch kind {
	case "":
		return nil, 0, nil
	case "linear":
		out = map[string]any{"rope_type": "linear", "factor": h.RopeScalingFactor}
	case "yarn":
		if h.RopeOrigContext != 0 && h.RopeOrigContext != h.ContextLength {
			return nil, 0, fmt.Errorf("key %q is %d: xent's YaRN takes the context, %d, as the original", k("rope.scaling.original_context_length"), h.RopeOrigContext, h.ContextLength)
		}
		if !scaled {
			return nil, 0, fmt.Errorf("rope.scaling.type yarn without a factor above 1 (key %q)", k("rope.scaling.factor"))
		}
		out = map[string]any{"rope_type": "yarn", "factor": h.RopeScalingFactor}
		for name, v := range h.Yarn {
			switch name {
			case "beta_fast", "beta_slow":
				out[name] = v
			default:
				return nil, 0, fmt.Errorf("key %q is not read: its effect beside llama.cpp's defaults is not checked", k("rope.scaling.yarn_"+name))
			}
		}
	case "longrope":
		short, okS, err := factors("rope_factors_short.weight")
		if err != nil {
			return nil, 0, err
		}
		long, okL, err := factors("rope_factors_long.weight")
		if err != nil {
			return nil, 0, err
		}
		if !okS || !okL {
			return nil, 0, fmt.Errorf("rope.scaling.type longrope without tensors \"rope_factors_short.weight\" and \"rope_factors_long.weight\"")
		}
		out = map[string]any{"rope_type": "longrope", "short_factor": short, "long_factor": long}
		if h.RopeAttnFactor != 0 {
			out["attention_factor"] = h.RopeAttnFactor
		}
		orig = h.RopeOrigContext
	default:
		return nil, 0, fmt.Errorf("key %q: RoPE scaling %q is not supported (linear, yarn, longrope)", k("rope.scaling.type"), h.RopeScaling)
	}
	raw, err := json.Marshal(out)
	return raw, orig, err
}

// ggufTensor fills the parameter p from the file's tensor name, undoing
// what llama.cpp's converter did to it.
func ggufTensor(f *gguf.File, h gguf.Hyper, name string, p model.Tensor) error {
	t, ok := f.Tensor(name)
	if !ok {
		return fmt.Errorf("no tensor %q, which the %s model needs for %s", name, h.Arch, p.Name)
	}
	if t.Len() != int64(len(p.Data)) {
		return fmt.Errorf("tensor %q has dims %v, %s needs shape %v", name, t.Dims, p.Name, p.Shape)
	}
	transposed := h.Arch == "gpt2" && len(p.Shape) == 2 && !strings.HasPrefix(p.Name, "w")
	want := p.Shape
	if transposed {
		want = []int{p.Shape[1], p.Shape[0]}
	}
	if !slices.Equal(t.Shape(), want) {
		return fmt.Errorf("tensor %q has shape %v, %s needs %v", name, t.Shape(), p.Name, want)
	}
	data, err := f.Data(name)
	if err != nil {
		return err
	}
	if h.Arch == "llama" {
		heads := 0
		if strings.HasPrefix(name, "blk.") && strings.Contains(name, ".attn_q.") {
			heads = h.HeadCount
		} else if strings.HasPrefix(name, "blk.") && strings.Contains(name, ".attn_k.") {
			heads = h.HeadCountKV
		}
		if heads > 0 {
			row := t.RowBytes()
			if len(t.Dims) == 1 {
				if t.Type.BlockSize() != 1 {
					return fmt.Errorf("tensor %q: a %s vector cannot be unpermuted element by element", name, t.Type)
				}
				row = int64(t.Type.TypeSize())
			}
			if data, err = gguf.UnpermuteRows(data, int(row), heads); err != nil {
				return fmt.Errorf("tensor %q: %w", name, err)
			}
		}
	}
	dst := p.Data
	if transposed {
		dst = make([]float32, len(p.Data))
	}
	if err := gguf.Dequantize(t.Type, data, dst); err != nil {
		return fmt.Errorf("tensor %q: %w", name, err)
	}
	if strings.HasPrefix(h.Arch, "gemma") && strings.HasSuffix(name, "norm.weight") {
		for i := range dst {
			dst[i]-- // the file holds 1 + w (see gguf.HFName)
		}
	}
	if transposed { // dst is [out, in]; p is Conv1D's [in, out]
		in, out := p.Shape[0], p.Shape[1]
		for o := range out {
			for i := range in {
				p.Data[i*out+o] = dst[o*in+i]
			}
		}
	}
	for i, x := range p.Data {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("tensor %q: value %d is %v", name, i, x)
		}
	}
	return nil
}

// loadGGUFTokenizer reads only the tokenizer of the GGUF file at path.
func loadGGUFTokenizer(path string) (*tokenizer.Tokenizer, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %w", err)
	}
	defer f.Close()
	tok, err := ggufTokenizer(f)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	return tok, nil
}

// ggufTokenizer builds the tokenizer from the file's tokenizer.ggml.* keys.
func ggufTokenizer(f *gguf.File) (*tokenizer.Tokenizer, error) {
	var v tokenizer.GGUFVocab
	var err error
	if v.Model, err = f.String("tokenizer.ggml.model"); err != nil {
		return nil, err
	}
	if v.Tokens, err = f.Strings("tokenizer.ggml.tokens"); err != nil {
		return nil, err
	}
	if v.Model == "gpt2" {
		if v.Pre, err = f.String("tokenizer.ggml.pre"); err != nil {
			return nil, err
		}
		if v.Merges, err = f.Strings("tokenizer.ggml.merges"); err != nil {
			return nil, err
		}
	}
	if v.Model == "llama" {
		if v.Scores, err = f.Float32s("tokenizer.ggml.scores"); err != nil {
			return nil, err
		}
		if _, ok := f.Value("tokenizer.ggml.add_space_prefix"); ok {
			add, err := f.Bool("tokenizer.ggml.add_space_prefix")
			if err != nil {
				return nil, err
			}
			v.NoSpacePrefix = !add
		}
	}
	if _, ok := f.Value("tokenizer.ggml.token_type"); ok {
		if v.Types, err = f.Ints("tokenizer.ggml.token_type"); err != nil {
			return nil, err
		}
	}
	return tokenizer.LoadGGUF(v)
}

// ggufAddsBOS is llama.cpp's add_bos for the file: its
// tokenizer.ggml.add_bos_token, else the default of its vocabulary (true
// for a SentencePiece one, for a gpt2 one as its pre name says).
func ggufAddsBOS(f *gguf.File) (bool, error) {
	if _, ok := f.Value("tokenizer.ggml.add_bos_token"); ok {
		return f.Bool("tokenizer.ggml.add_bos_token")
	}
	model, err := f.String("tokenizer.ggml.model")
	if err != nil || model != "gpt2" {
		return model == "llama", err
	}
	pre, err := f.String("tokenizer.ggml.pre")
	return tokenizer.GGUFPreAddsBOS(pre), err
}

// ggufTokenID reads an optional token id key, which must name a token of
// the model's vocabulary.
func ggufTokenID(f *gguf.File, key string, vocab int) (int32, bool, error) {
	if _, ok := f.Value(key); !ok {
		return 0, false, nil
	}
	id, err := f.Int(key)
	if err != nil {
		return 0, false, err
	}
	if id < 0 || id >= int64(vocab) {
		return 0, false, fmt.Errorf("key %q: token %d is outside the vocabulary [0, %d)", key, id, vocab)
	}
	return int32(id), true, nil
}
