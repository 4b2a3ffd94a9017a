package modeldir

import (
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
// qwen3, gpt2), every tensor dequantized to float32 under its Hugging
// Face name (gguf.HFName), with the converter's changes undone (Llama's
// Q/K row permutation, GPT-2's transposed Conv1D weights), and the
// tokenizer from its tokenizer.ggml.* keys. The head is tied when the
// file has no output.weight, as llama.cpp ties it.
func loadGGUF(path string) (*Pretrained, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %w", err)
	}
	defer f.Close()
	h, err := f.Hyper()
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok || len(emb.Dims) != 2 {
		return nil, fmt.Errorf("modeldir: %s: no two-dimensional tensor \"token_embd.weight\"", path)
	}
	cfg, err := ggufConfig(f, h, int(emb.Dims[1]))
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	m, err := model.New(cfg, 0)
	if err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", path, err)
	}
	used := map[string]bool{}
	for _, p := range m.Params() {
		name, err := gguf.FileName(h.Arch, p.Name)
		if err != nil {
			return nil, fmt.Errorf("modeldir: %s: %w", path, err)
		}
		if err := ggufTensor(f, h, name, p); err != nil {
			return nil, fmt.Errorf("modeldir: %s: %w", path, err)
		}
		used[name] = true
	}
	for _, t := range f.Tensors {
		if !used[t.Name] {
			return nil, fmt.Errorf("modeldir: %s: tensor %q has no place in the %s model xent builds from the file", path, t.Name, h.Arch)
		}
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

// ggufConfig is the model config a file's hyper-parameters stand for.
// vocab is token_embd's row count (llama.cpp's n_vocab may differ from
// the tokenizer's length; the model's is the embedding's).
func ggufConfig(f *gguf.File, h gguf.Hyper, vocab int) (model.Config, error) {
	if h.RopeScalingFactor != 0 && h.RopeScalingFactor != 1 {
		return model.Config{}, fmt.Errorf("key %q: RoPE scaling %s by %g is not read yet", h.Arch+".rope.scaling.factor", h.RopeScaling, h.RopeScalingFactor)
	}
	if _, ok := f.Tensor("rope_freqs.weight"); ok {
		return model.Config{}, fmt.Errorf("tensor \"rope_freqs.weight\" (Llama 3's RoPE frequency factors) is not read yet")
	}
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
	cfg := model.Config{ModelType: h.Arch, VocabSize: vocab, HiddenSize: h.EmbeddingLength, IntermediateSize: h.FeedForwardLength,
		NumHiddenLayers: h.BlockCount, NumAttentionHeads: h.HeadCount, NumKeyValueHeads: h.HeadCountKV,
		RMSNormEps: h.NormEpsilon, RopeTheta: h.RopeFreqBase, MaxPositionEmbeddings: h.ContextLength,
		TieWordEmbeddings: !hasOutput, HiddenAct: "silu", MLPBias: hasMLPBias}
	if h.HeadCount > 0 && h.KeyLength != h.EmbeddingLength/h.HeadCount {
		cfg.HeadDim = h.KeyLength
	}
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
	}
	return cfg, nil
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
