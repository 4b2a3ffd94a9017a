package modeldir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/model"
)

// GGUF export. ExportGGUF writes a loaded model as llama.cpp's converter,
// convert_hf_to_gguf.py (conversion/*.py at the llama.cpp commit
// format/gguf's doc names), writes the Hugging Face directory it came
// from, so that llama.cpp loads it:
//
//   - general.architecture: llama (Mistral too, as the converter does:
//     llama.cpp's llama has no sliding window, so a Mistral v0.1 file
//     attends to every position past its window of 4096),
//     qwen2, qwen3, gemma, gemma2, gemma3 (gemma3_text), phi3 or gpt2, and
//     the "<arch>.*" keys each converter class writes, with the same value
//     types (uint32 counts, float32 reals);
//   - the tensors under llama.cpp's names (gguf.FileName), changed as the
//     converter changes them: Llama's Q/K rows permuted (gguf.PermuteRows),
//     Gemma's norm weights stored as 1 + w, GPT-2's Conv1D weights
//     transposed; Llama 3's RoPE as rope_freqs.weight, Phi-3's longrope
//     as rope_factors_long/short.weight;
//   - the tokenizer as tokenizer.ggml.* keys (exportVocab).
//
// The tensor types follow the converter's --outtype: one-dimensional
// tensors, norms, biases and GPT-2's position embedding stay f32, every
// other matrix takes the chosen type; a q8_0 matrix whose rows are not
// whole blocks of 32 falls back to f16, as the converter falls back.

// ggufArchs maps a model_type to the general.architecture llama.cpp's
// converter gives it.
var ggufArchs = map[string]string{
	model.Llama: "llama", model.Mistral: "llama", model.Qwen2: "qwen2", model.Qwen3: "qwen3",
	model.Gemma: "gemma", model.Gemma2: "gemma2", model.Gemma3Text: "gemma3", model.Phi3: "phi3", model.GPT2: "gpt2",
}

// GGUFFileTypes are the --type values ExportGGUF writes, with their
// general.file_type (llama_ftype).
var GGUFFileTypes = map[string]struct {
	Type     gguf.Type
	FileType uint32
}{"f32": {gguf.F32, 0}, "f16": {gguf.F16, 1}, "bf16": {gguf.BF16, 32}, "q8_0": {gguf.Q8_0, 7}}

// GGUFExport says what ExportGGUF wrote.
type GGUFExport struct {
	Arch      string // general.architecture
	Vocab     string // tokenizer.ggml.model: gpt2 or llama
	Pre       string // tokenizer.ggml.pre
	Tensors   int
	Bytes     int64 // the file's size
	TypeCount map[gguf.Type]int
	// Notes say where llama.cpp will compute otherwise than xent on
	// the source model, as it does on the converter's file.
	Notes []string
}

// ExportGGUF writes p to path as a GGUF file whose matrices are of type
// typ ("f32", "f16", "bf16" or "q8_0"), atomically. It refuses a path
// that does not end in .gguf, and an existing file unless force.
func ExportGGUF(p *Pretrained, path, typ string, force bool) (GGUFExport, error) {
	if !IsGGUF(path) {
		return GGUFExport{}, fmt.Errorf("modeldir: %s: a GGUF file's name ends in .gguf", path)
	}
	if fi, err := os.Lstat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return GGUFExport{}, fmt.Errorf("modeldir: %s exists and is not a file", path)
		}
		if !force {
			return GGUFExport{}, fmt.Errorf("modeldir: %s exists; --force to replace it", path)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return GGUFExport{}, fmt.Errorf("modeldir: %w", err)
	}
	// general.name: the source's directory (or file) name, as the
	// converter falls back to it. llama.cpp keys some vocabulary quirks on
	// it (a name holding "phi-3" makes it look up "</s>", <unk>, <s> and
	// <|endoftext|> by text, and fail on a vocabulary without them).
	// A GGUF source keeps its own.
	name := strings.TrimSuffix(filepath.Base(filepath.Clean(p.Dir)), ".gguf")
	if p.Kind == GGUF {
		if f, err := gguf.Open(p.Dir); err == nil {
			if n, err := f.String("general.name"); err == nil {
				name = n
			}
			f.Close()
		}
	}
	kv, ts, info, err := ggufExport(p, typ, name)
	if err != nil {
		return GGUFExport{}, err
	}
	if err := gguf.WriteFile(path, kv, ts); err != nil {
		return GGUFExport{}, fmt.Errorf("modeldir: %w", err)
	}
	if fi, err := os.Stat(path); err == nil {
		info.Bytes = fi.Size()
	}
	return info, nil
}

// ggufExport builds the file's metadata and tensors.
func ggufExport(p *Pretrained, typ, name string) ([]gguf.KV, []gguf.TensorData, GGUFExport, error) {
	ft, ok := GGUFFileTypes[typ]
	if !ok {
		return nil, nil, GGUFExport{}, fmt.Errorf("modeldir: GGUF type %q: xent writes f32, f16, bf16 and q8_0", typ)
	}
	c := p.Model.Config
	arch, ok := ggufArchs[c.ModelType]
	if !ok {
		return nil, nil, GGUFExport{}, fmt.Errorf("modeldir: model_type %q has no GGUF architecture xent writes", c.ModelType)
	}
	h, err := exportHyper(c, arch)
	if err != nil {
		return nil, nil, GGUFExport{}, fmt.Errorf("modeldir: %s: %w", p.Dir, err)
	}
	kv := []gguf.KV{
		str("general.architecture", arch),
		{Key: "general.type", Value: gguf.Value{Type: gguf.String, V: "model"}},
		str("general.name", name),
	}
	kv = append(kv, h.kv...)
	kv = append(kv, u32("general.quantization_version", 2), u32(gguf.FileTypeKey, int(ft.FileType)))
	vkv, vinfo, err := exportVocab(p)
	if err != nil {
		return nil, nil, GGUFExport{}, fmt.Errorf("modeldir: %s: %w", p.Dir, err)
	}
	kv = append(kv, vkv...)
	info := GGUFExport{Arch: arch, Vocab: vinfo.model, Pre: vinfo.pre, TypeCount: map[gguf.Type]int{}}
	if (c.ModelType == model.Mistral || c.ModelType == model.Phi3) && c.SlidingWindow != nil && *c.SlidingWindow < c.MaxPositionEmbeddings {
		info.Notes = append(info.Notes, fmt.Sprintf("%s's sliding_window of %d: llama.cpp's %s attends to every position, so past %d tokens its numbers differ from xent's on the source", c.ModelType, *c.SlidingWindow, arch, *c.SlidingWindow))
	}
	var ts []gguf.TensorData
	add := func(t gguf.TensorData) {
		ts = append(ts, t)
		info.TypeCount[t.Type]++
	}
	for _, extra := range h.tensors {
		data, err := gguf.Encode(gguf.F32, extra.vals)
		if err != nil {
			return nil, nil, GGUFExport{}, fmt.Errorf("modeldir: tensor %q: %w", extra.name, err)
		}
		add(gguf.TensorData{Name: extra.name, Type: gguf.F32, Dims: []int64{int64(len(extra.vals))}, Data: data})
	}
	params := p.Model.Params()
	if p.Model.Inference() {
		if p.Kind != GGUF {
			return nil, nil, GGUFExport{}, fmt.Errorf("modeldir: %s: an inference-only model keeps no parameters to export; load it with Load", p.Dir)
		}
		if params, err = ggufParams(p.Dir); err != nil {
			return nil, nil, GGUFExport{}, err
		}
	}
	for _, prm := range params {
		t, err := exportTensor(arch, h, prm, ft.Type)
		if err != nil {
			return nil, nil, GGUFExport{}, fmt.Errorf("modeldir: %s: %w", p.Dir, err)
		}
		add(t)
	}
	info.Tensors = len(ts)
	return kv, ts, info, nil
}

func str(key, v string) gguf.KV { return gguf.KV{Key: key, Value: gguf.Value{Type: gguf.String, V: v}} }
func u32(key string, v int) gguf.KV {
	return gguf.KV{Key: key, Value: gguf.Value{Type: gguf.Uint32, V: uint32(v)}}
}
func f32(key string, v float64) gguf.KV {
	return gguf.KV{Key: key, Value: gguf.Value{Type: gguf.Float32, V: float32(v)}}
}

// exported is a model's hyper-parameters as GGUF keys, the tensors the
// converter generates (RoPE factors), and what the tensors need.
type exported struct {
	kv             []gguf.KV
	tensors        []extraTensor
	heads, kvHeads int
}

// exportHyper is the "<arch>.*" keys of c, in the order and with the
// value types the converter's classes write them: TextModel's
// set_gguf_parameters for llama, qwen2 and qwen3 (plus LlamaModel's
// vocab_size and rope.dimension_count), GemmaModel's, Gemma2Model's,
// Gemma3Model's, Phi3MiniModel's and GPT2Model's own. A setting that
// llama.cpp would compute differently is refused by name.
func exportHyper(c model.Config, arch string) (exported, error) {
	var e exported
	k := func(s string) string { return arch + "." + s }
	if arch == "gpt2" {
		f := c.NInner
		if f == 0 {
			f = 4 * c.NEmbd
		}
		eps := c.LayerNormEpsilon
		if eps == 0 {
			eps = 1e-5
		}
		if c.ScaleAttnWeights != nil && !*c.ScaleAttnWeights || c.ScaleAttnByInverseLayerIdx {
			return e, fmt.Errorf("gpt2 with scale_attn_weights false or scale_attn_by_inverse_layer_idx: llama.cpp scales every layer's scores by 1/√head_dim")
		}
		e.kv = []gguf.KV{u32(k("block_count"), c.NLayer), u32(k("context_length"), c.NPositions),
			u32(k("embedding_length"), c.NEmbd), u32(k("feed_forward_length"), f),
			u32(k("attention.head_count"), c.NHead), f32(k("attention.layer_norm_epsilon"), eps)}
		e.heads, e.kvHeads = c.NHead, c.NHead
		return e, nil
	}
	heads, kvHeads := c.NumAttentionHeads, c.NumKeyValueHeads
	if kvHeads == 0 {
		kvHeads = heads
	}
	e.heads, e.kvHeads = heads, kvHeads
	eps, theta := c.RMSNormEps, c.RopeTheta
	if eps == 0 {
		eps = 1e-6
	}
	if theta == 0 {
		theta = 10000
	}
	headDim := c.HeadDim
	if headDim == 0 {
		headDim = c.HiddenSize / heads
	}
	rope, err := exportRope(c, arch, theta, headDim)
	if err != nil {
		return e, err
	}
	if rope.theta != 0 {
		theta = rope.theta
	}
	e.tensors = rope.tensors
	ctx := c.MaxPositionEmbeddings
	switch arch {
	case "llama", "qwen2", "qwen3":
		e.kv = []gguf.KV{u32(k("block_count"), c.NumHiddenLayers), u32(k("context_length"), ctx),
			u32(k("embedding_length"), c.HiddenSize), u32(k("feed_forward_length"), c.IntermediateSize),
			u32(k("attention.head_count"), heads), u32(k("attention.head_count_kv"), kvHeads)}
		e.kv = append(e.kv, rope.kv...)
		e.kv = append(e.kv, f32(k("rope.freq_base"), theta), f32(k("attention.layer_norm_rms_epsilon"), eps))
		if c.HeadDim != 0 {
			e.kv = append(e.kv, u32(k("attention.key_length"), c.HeadDim), u32(k("attention.value_length"), c.HeadDim))
		}
		if arch == "llama" {
			e.kv = append(e.kv, u32(k("vocab_size"), c.VocabSize), u32(k("rope.dimension_count"), headDim))
		}
		if (arch == "qwen2" || arch == "qwen3") && c.UseSlidingWindow {
			return e, fmt.Errorf("%s with use_sliding_window: llama.cpp's %s has no sliding window", c.ModelType, arch)
		}
	case "gemma", "gemma2":
		e.kv = []gguf.KV{u32(k("context_length"), ctx), u32(k("embedding_length"), c.HiddenSize),
			u32(k("block_count"), c.NumHiddenLayers), u32(k("feed_forward_length"), c.IntermediateSize),
			u32(k("attention.head_count"), heads), u32(k("attention.head_count_kv"), kvHeads),
			f32(k("attention.layer_norm_rms_epsilon"), eps),
			u32(k("attention.key_length"), headDim), u32(k("attention.value_length"), headDim)}
		if len(rope.kv) > 0 {
			return e, fmt.Errorf("%s with rope_scaling: the converter writes no RoPE scaling for %s", c.ModelType, arch)
		}
		if theta != 10000 { // the converter writes none; llama.cpp reads it
			e.kv = append(e.kv, f32(k("rope.freq_base"), theta))
		}
		if arch == "gemma2" {
			if want := gemmaQueryScalar(c.NumHiddenLayers, c.HiddenSize, heads, headDim); c.QueryPreAttnScalar != 0 && c.QueryPreAttnScalar != want {
				return e, fmt.Errorf("gemma2 with query_pre_attn_scalar %g: llama.cpp scales the scores by 1/√%g", c.QueryPreAttnScalar, want)
			}
			e.kv = append(e.kv, f32(k("attn_logit_softcapping"), c.AttnLogitSoftcapping),
				f32(k("final_logit_softcapping"), c.FinalLogitSoftcapping))
			e.kv = append(e.kv, u32(k("attention.sliding_window"), windowOrContext(c)))
		}
	case "gemma3":
		e.kv = []gguf.KV{u32(k("block_count"), c.NumHiddenLayers), u32(k("context_length"), ctx),
			u32(k("embedding_length"), c.HiddenSize), u32(k("feed_forward_length"), c.IntermediateSize),
			u32(k("attention.head_count"), heads), u32(k("attention.head_count_kv"), kvHeads)}
		e.kv = append(e.kv, rope.kv...)
		e.kv = append(e.kv, f32(k("rope.freq_base"), theta), f32(k("attention.layer_norm_rms_epsilon"), eps),
			u32(k("attention.key_length"), headDim), u32(k("attention.value_length"), headDim))
		if want := gemmaQueryScalar(c.NumHiddenLayers, c.HiddenSize, heads, headDim); c.QueryPreAttnScalar != 0 && c.QueryPreAttnScalar != want {
			return e, fmt.Errorf("gemma3_text with query_pre_attn_scalar %g: llama.cpp scales the scores by 1/√%g", c.QueryPreAttnScalar, want)
		}
		if c.AttnLogitSoftcapping != 0 {
			return e, fmt.Errorf("gemma3_text with attn_logit_softcapping: llama.cpp's gemma3 has none")
		}
		if c.FinalLogitSoftcapping != 0 {
			e.kv = append(e.kv, f32(k("final_logit_softcapping"), c.FinalLogitSoftcapping))
		}
		local := c.RopeLocalBaseFreq
		if local == 0 {
			local = 10000
		}
		e.kv = append(e.kv, f32(k("rope.freq_base_swa"), local))
		period, err := gemma3Period(c)
		if err != nil {
			return e, err
		}
		if period != 1 {
			e.kv = append(e.kv, u32(k("attention.sliding_window"), windowOrContext(c)))
			if period != 6 { // llama.cpp's default; the converter writes none
				e.kv = append(e.kv, u32(k("attention.sliding_window_pattern"), period))
			}
		}
	case "phi3":
		orig := c.OriginalMaxPositionEmbeddings
		if orig == 0 {
			orig = ctx
		}
		e.kv = []gguf.KV{u32(k("context_length"), ctx), u32(k("rope.scaling.original_context_length"), orig),
			u32(k("embedding_length"), c.HiddenSize), u32(k("feed_forward_length"), c.IntermediateSize),
			u32(k("block_count"), c.NumHiddenLayers), u32(k("attention.head_count"), heads),
			u32(k("attention.head_count_kv"), kvHeads), f32(k("attention.layer_norm_rms_epsilon"), eps),
			u32(k("rope.dimension_count"), headDim), f32(k("rope.freq_base"), theta)}
		window := 0
		if c.SlidingWindow != nil {
			window = *c.SlidingWindow
		}
		e.kv = append(e.kv, u32(k("attention.sliding_window"), window))
		e.kv = append(e.kv, rope.kv...)
	}
	return e, nil
}

// windowOrContext is a Gemma 2 or 3 config's sliding_window, or where it
// has none the context: llama.cpp gives Gemma 2 a window of 4096 where the
// file names none, and Gemma 3 no sliding layers (so no local RoPE
// either), while xent's Gemma without a window attends to every position
// and keeps the local RoPE; a window as long as the context masks nothing.
func windowOrContext(c model.Config) int {
	if c.SlidingWindow != nil {
		return *c.SlidingWindow
	}
	return c.MaxPositionEmbeddings
}

// gemmaQueryScalar is the query_pre_attn_scalar llama.cpp assumes for a
// Gemma 2 or 3 model: the head size, or hidden_size / heads for the 27B
// models (46 and 62 layers; llama_model_gemma2/3::load_arch_hparams).
func gemmaQueryScalar(layers, hidden, heads, headDim int) float64 {
	if layers == 46 || layers == 62 {
		return float64(hidden / heads)
	}
	return float64(headDim)
}

// gemma3Period is the sliding-window period of a gemma3_text config as
// llama.cpp holds it (every period-th layer global, the others sliding;
// 1: none slide), refusing layer_types that no period describes.
func gemma3Period(c model.Config) (int, error) {
	if c.LayerTypes == nil {
		if c.SlidingWindowPattern == 0 {
			return 6, nil
		}
		return c.SlidingWindowPattern, nil
	}
	period := 0
	for i, t := range c.LayerTypes {
		if t == "full_attention" {
			period = i + 1
			break
		}
	}
	if period == 0 {
		return 0, fmt.Errorf("gemma3_text whose layer_types slide on every layer: llama.cpp's pattern always has a global layer")
	}
	for i, t := range c.LayerTypes {
		if want := (i+1)%period != 0; (t == "sliding_attention") != want {
			return 0, fmt.Errorf("gemma3_text layer_types[%d] is %s, which llama.cpp's every-%d-th-layer pattern cannot say", i, t, period)
		}
	}
	return period, nil
}

// extraTensor is a tensor the converter generates rather than converts.
type extraTensor struct {
	name string
	vals []float32
}

// exportedRope is a config's RoPE variant as the converter writes it:
// keys, generated tensors, and the theta to write where the variant
// names one.
type exportedRope struct {
	kv      []gguf.KV
	tensors []extraTensor
	theta   float64
}

// exportRope writes rope_scaling (or rope_parameters) as TextModel's
// set_gguf_parameters and the families' generate_extra_tensors do:
// linear and yarn as rope.scaling.* keys, llama3 as the tensor
// rope_freqs.weight of per-dimension divisors, longrope (Phi-3) as
// rope_factors_long/short.weight and rope.scaling.attn_factor, dynamic as
// nothing (xent, like llama.cpp within the context, applies none).
func exportRope(c model.Config, arch string, theta float64, D int) (exportedRope, error) {
	var r exportedRope
	scaling := map[string]any{}
	where := "rope_scaling"
	if err := decodeRaw(c.RopeScaling, &scaling); err != nil {
		return r, err
	}
	params := map[string]any{}
	if err := decodeRaw(c.RopeParameters, &params); err != nil {
		return r, err
	}
	if t, ok := params["rope_theta"].(float64); ok {
		r.theta = t
		theta = t
		delete(params, "rope_theta")
	}
	if len(params) > 0 {
		scaling, where = params, "rope_parameters"
	}
	kind := "default"
	for _, key := range []string{"type", "rope_type"} {
		if s, ok := scaling[key].(string); ok {
			kind = s
		}
	}
	k := func(s string) string { return arch + "." + s }
	num := func(name string) (float64, bool) {
		v, ok := scaling[name].(float64)
		return v, ok
	}
	switch kind {
	case "default", "dynamic":
	case "linear":
		f, _ := num("factor")
		r.kv = append(r.kv, str(k("rope.scaling.type"), "linear"), f32(k("rope.scaling.factor"), f))
	case "yarn":
		f, _ := num("factor")
		r.kv = append(r.kv, str(k("rope.scaling.type"), "yarn"), f32(k("rope.scaling.factor"), f),
			u32(k("rope.scaling.original_context_length"), c.MaxPositionEmbeddings))
		if v, ok := num("attention_factor"); ok {
			r.kv = append(r.kv, f32(k("rope.scaling.yarn_attn_factor"), v))
		}
		if v, ok := num("beta_fast"); ok {
			r.kv = append(r.kv, f32(k("rope.scaling.yarn_beta_fast"), v))
		}
		if v, ok := num("beta_slow"); ok {
			r.kv = append(r.kv, f32(k("rope.scaling.yarn_beta_slow"), v))
		}
	case "llama3":
		if arch != "llama" {
			return r, fmt.Errorf("%s rope_type llama3 in a %s model: llama.cpp's %s reads no rope_freqs", where, c.ModelType, arch)
		}
		f, _ := num("factor")
		low, _ := num("low_freq_factor")
		high, _ := num("high_freq_factor")
		orig, _ := num("original_max_position_embeddings")
		vals := make([]float32, D/2)
		for i := range vals {
			// LlamaModel.generate_extra_tensors: the divisor of each
			// frequency, computed here in float64 as model's llama3 RoPE
			// does and rounded once.
			inv := math.Pow(theta, -float64(2*i)/float64(D))
			wave := 2 * math.Pi / inv
			switch {
			case wave < orig/high:
				vals[i] = 1
			case wave > orig/low:
				vals[i] = float32(f)
			default:
				s := (orig/wave - low) / (high - low)
				vals[i] = float32(1 / ((1-s)/f + s))
			}
		}
		r.tensors = append(r.tensors, extraTensor{"rope_freqs.weight", vals})
	case "longrope", "su":
		factors := func(name string) ([]float32, error) {
			list, ok := scaling[name].([]any)
			if !ok || len(list) != D/2 {
				return nil, fmt.Errorf("%s.%s is not a list of %d numbers", where, name, D/2)
			}
			out := make([]float32, len(list))
			for i, v := range list {
				x, _ := v.(float64)
				out[i] = float32(x)
			}
			return out, nil
		}
		long, err := factors("long_factor")
		if err != nil {
			return r, err
		}
		short, err := factors("short_factor")
		if err != nil {
			return r, err
		}
		orig, factor := c.MaxPositionEmbeddings, 1.0
		if c.OriginalMaxPositionEmbeddings > 0 {
			orig, factor = c.OriginalMaxPositionEmbeddings, float64(c.MaxPositionEmbeddings)/float64(c.OriginalMaxPositionEmbeddings)
		} else if f, ok := num("factor"); ok {
			factor = f
		}
		af := 1.0
		if factor > 1 {
			af = math.Sqrt(1 + math.Log(factor)/math.Log(float64(orig)))
		}
		if v, ok := num("attention_factor"); ok {
			af = v
		}
		if arch != "phi3" {
			// Per-dimension divisors alone (what loadGGUF makes of a
			// rope_freqs.weight) are llama.cpp's rope_freqs.
			if arch != "llama" || !slices.Equal(long, short) || af != 1 || c.OriginalMaxPositionEmbeddings != 0 {
				return r, fmt.Errorf("%s rope_type %s in a %s model: llama.cpp reads longrope factors only in phi3, and divisors alone (short_factor = long_factor, attention factor 1) as llama's rope_freqs", where, kind, c.ModelType)
			}
			r.tensors = append(r.tensors, extraTensor{"rope_freqs.weight", short})
			return r, nil
		}
		r.kv = append(r.kv, f32(k("rope.scaling.attn_factor"), af))
		r.tensors = append(r.tensors, extraTensor{"rope_factors_long.weight", long}, extraTensor{"rope_factors_short.weight", short})
	default:
		return r, fmt.Errorf("%s rope_type %q has no GGUF form xent writes", where, kind)
	}
	return r, nil
}

func decodeRaw(raw json.RawMessage, v *map[string]any) error {
	if s := strings.TrimSpace(string(raw)); s == "" || s == "null" {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// exportTensor is the parameter prm as the file holds it: renamed,
// changed as the converter changes it, and encoded.
func exportTensor(arch string, h exported, prm model.Tensor, typ gguf.Type) (gguf.TensorData, error) {
	name, err := gguf.FileName(arch, prm.Name)
	if err != nil {
		return gguf.TensorData{}, err
	}
	vals, shape := prm.Data, prm.Shape // C order, [out, in] for a matrix
	switch {
	case arch == "gpt2" && len(shape) == 2 && !strings.HasPrefix(prm.Name, "w"):
		in, out := shape[0], shape[1] // Conv1D [in, out]
		tr := make([]float32, len(vals))
		for i := range in {
			for o := range out {
				tr[o*in+i] = vals[i*out+o]
			}
		}
		vals, shape = tr, []int{out, in}
	case strings.HasPrefix(arch, "gemma") && strings.HasSuffix(prm.Name, "norm.weight"):
		plus := make([]float32, len(vals))
		for i, v := range vals {
			plus[i] = v + 1
		}
		vals = plus
	}
	dims := make([]int64, len(shape))
	for i, s := range shape {
		dims[len(dims)-1-i] = int64(s)
	}
	t := typ
	switch {
	case len(dims) <= 1 || strings.HasSuffix(name, "_norm.weight") || !strings.HasSuffix(name, ".weight") || name == "position_embd.weight":
		t = gguf.F32
	case t == gguf.Q8_0 && dims[0]%int64(t.BlockSize()) != 0:
		t = gguf.F16
	}
	data, err := gguf.Encode(t, vals)
	if err != nil {
		return gguf.TensorData{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	if arch == "llama" && strings.HasPrefix(name, "blk.") && (strings.Contains(name, ".attn_q.") || strings.Contains(name, ".attn_k.")) {
		heads := h.heads
		if strings.Contains(name, ".attn_k.") {
			heads = h.kvHeads
		}
		if data, err = gguf.PermuteRows(data, len(data)/shape[0], heads); err != nil {
			return gguf.TensorData{}, fmt.Errorf("tensor %q: %w", name, err)
		}
	}
	return gguf.TensorData{Name: name, Type: t, Dims: dims, Data: data}, nil
}
