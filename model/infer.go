package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
)

// # Inference-only models
//
// NewInference (and LoadInference) build a model that only scores: it
// holds no gradients and no training activations, and its weight
// matrices stay in the dtype they were stored in: float32, bfloat16
// ([]uint16 bits) or a Matrix of the caller's (GGUF's quantized blocks).
// Norm weights and biases are float32; an embedding row is widened to
// float32 when it is looked up, and a tied head reads the embedding in its
// stored dtype. The bfloat16 matrices of the layers are packed once
// (gemm.PackBF16, where the machine has the AVX-512 kernels) into the
// layout the products read, in the stored bytes: the lean forward then
// never packs them, with the bits it had without packing. Such a
// model runs Hidden, HeadLogits, Forward,
// TokenLogProbs and Decoders through the lean forward (lean.go); the
// training calls (ForwardBackward, the backward passes) return an error,
// and Params, Grads, ParamBuffer and GradBuffer are empty.

// Matrix is a weight matrix W [out, in] (nn.Linear's layout) held in a form only it knows
// (GGUF's quantized blocks). MulT sets y[i·ldy+j] = Σ_k x[i·ldx+k]·W[j,k] + beta·y[i·ldy+j], i<n, j<out.
type Matrix interface {
	Dims() (out, in int)
	MulT(x []float32, n, ldx int, y []float32, ldy int, beta float32, threads int)
	Row(r int, dst []float32) // widens row r of W into dst [in]
	Bytes() int64             // bytes held
}

// Weight is one tensor's stored data for NewInference: exactly one of
// F32, BF16 (bfloat16 bits) and Matrix. F32 and BF16 hold the tensor as
// the checkpoint lays it out (row-major, GPT-2's Conv1D weights [in, out]);
// a Matrix is always W [out, in], the transpose of a Conv1D weight, and
// only a two-dimensional weight may be one.
type Weight struct {
	F32    []float32
	BF16   []uint16
	Matrix Matrix
	packed *gemm.Packed // BF16 packed in place (packable); only NewInference sets it
}

// bytes is the memory the weight holds.
func (w Weight) bytes() int64 {
	switch {
	case w.Matrix != nil:
		return w.Matrix.Bytes()
	case w.packed != nil:
		return w.packed.Bytes()
	case w.BF16 != nil:
		return 2 * int64(len(w.BF16))
	}
	return 4 * int64(len(w.F32))
}

// errInference is what the training calls of an inference model return.
var errInference = errors.New("model: an inference-only model (loaded without gradients) cannot be trained; load it for training")

// NewInference returns an inference-only model of config cfg over the
// caller's weights, keyed by Hugging Face name (Config.ParamShapes lists
// them): no random init, no gradients, each matrix kept as given (the
// slices are not copied: the caller must not change them). The layers'
// bfloat16 matrices are packed in place where they can be (gemm.PackBF16):
// the caller must not read those slices afterwards. A name the
// config has no place for, a missing tensor, a length that does not match
// the shape, or a Matrix of the wrong dimensions is an error naming the
// tensor. One-dimensional tensors (norm weights, biases) given as BF16 are
// widened to float32 here; Phi-3's fused matrices cannot be a Matrix.
func NewInference(cfg Config, weights map[string]Weight) (*Model, error) {
	d, specs, _, err := cfg.bounded()
	if err != nil {
		return nil, err
	}
	known := map[string]spec{}
	for _, s := range specs {
		known[s.name] = s
	}
	for name := range weights {
		if _, ok := known[name]; !ok {
			return nil, fmt.Errorf("model: tensor %q has no place in the %s config (%d layers)", name, cfg.ModelType, d.L)
		}
	}
	inf := make(map[string]Weight, len(specs))
	for _, s := range specs {
		w, ok := weights[s.name]
		if !ok {
			return nil, fmt.Errorf("model: no tensor %q, which the %s config needs", s.name, cfg.ModelType)
		}
		if w, err = checkWeight(s, w, d); err != nil {
			return nil, err
		}
		inf[s.name] = w
	}
	for _, s := range specs { // only once every tensor is known good
		if w := inf[s.name]; w.BF16 != nil && packable(s, d) {
			if pk := gemm.PackBF16(w.BF16, s.shape[1], 0); pk != nil {
				inf[s.name] = Weight{packed: pk}
			}
		}
	}
	cfg.TieWordEmbeddings = d.tied
	m := &Model{Config: cfg, d: d, specs: specs, byName: known, inf: inf}
	m.bind()
	return m, nil
}

// checkWeight checks one caller's tensor against its spec and returns it
// as the model holds it (a BF16 vector widened).
func checkWeight(s spec, w Weight, d dims) (Weight, error) {
	n := 0
	for _, set := range []bool{w.F32 != nil, w.BF16 != nil, w.Matrix != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return w, fmt.Errorf("model: tensor %q needs exactly one of float32, bfloat16 or a Matrix, not %d", s.name, n)
	}
	switch {
	case w.Matrix != nil:
		if len(s.shape) != 2 {
			return w, fmt.Errorf("model: tensor %q of shape %v cannot be a Matrix: only matrices can", s.name, s.shape)
		}
		if d.fam.fused {
			return w, fmt.Errorf("model: tensor %q: Phi-3's fused matrices cannot be a Matrix", s.name)
		}
		out, in := s.shape[0], s.shape[1]
		if !d.llama && conv1D(s.name) {
			out, in = in, out // the Matrix is W [out, in], Conv1D stores [in, out]
		}
		if o, i := w.Matrix.Dims(); o != out || i != in {
			return w, fmt.Errorf("model: tensor %q is a [%d, %d] Matrix, the config needs [%d, %d] (out, in)", s.name, o, i, out, in)
		}
	case w.BF16 != nil:
		if len(w.BF16) != s.size() {
			return w, fmt.Errorf("model: tensor %q holds %d bfloat16 values, its shape %v needs %d", s.name, len(w.BF16), s.shape, s.size())
		}
		if len(s.shape) == 1 {
			f := make([]float32, len(w.BF16))
			kernels.BF16ToF32(f, w.BF16)
			return Weight{F32: f}, nil
		}
	default:
		if len(w.F32) != s.size() {
			return w, fmt.Errorf("model: tensor %q holds %d float32 values, its shape %v needs %d", s.name, len(w.F32), s.shape, s.size())
		}
	}
	return w, nil
}

// packable reports whether the matrix s is packed once when held in
// bfloat16: a matrix of a layer (not the embeddings or the head, which
// the decoders and the loss read as stored) of a Llama-style family (GPT-2's
// Conv1D weights are [in, out]) whose matrices are not fused (Phi-3's
// are split into row ranges), of whole 32-row slivers and pairs of
// columns (so that packing adds no bytes), on a machine with the kernels
// to pack for.
func packable(s spec, d dims) bool {
	return packWeights && d.llama && !d.fam.fused && len(s.shape) == 2 && s.shape[0]%32 == 0 && s.shape[1]%2 == 0 &&
		strings.Contains(s.name, ".layers.") && gemm.CanPack()
}

// packWeights turns packing off for the tests that compare the two.
var packWeights = true

// conv1D reports whether a GPT-2 parameter is a Conv1D weight [in, out].
func conv1D(name string) bool {
	for _, suffix := range []string{"attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"} {
		if len(name) >= len(suffix) && name[len(name)-len(suffix):] == suffix {
			return true
		}
	}
	return false
}

// Inference reports whether the model is inference-only (NewInference,
// LoadInference): no gradients, matrices in their stored dtype.
func (m *Model) Inference() bool { return m.inf != nil }

// WeightBytes is the memory the model's weights hold, in their stored
// dtypes (4 bytes a parameter for a trainable model, gradients not counted).
func (m *Model) WeightBytes() int64 {
	if m.inf == nil {
		return 4 * int64(len(m.params))
	}
	var n int64
	for _, w := range m.inf {
		n += w.bytes()
	}
	return n
}

// WeightDType names the form of the model's weight matrices: "f32",
// "bf16" or "quantized" (a Matrix), or the forms joined by "+" where they
// differ (GGUF files keep some matrices in float32).
func (m *Model) WeightDType() string {
	if m.inf == nil {
		return "f32"
	}
	var kinds []string
	for _, s := range m.specs {
		if len(s.shape) != 2 {
			continue
		}
		w, k := m.inf[s.name], "f32"
		switch {
		case w.Matrix != nil:
			k = "quantized"
		case w.BF16 != nil, w.packed != nil:
			k = "bf16"
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	return strings.Join(kinds, "+")
}

// trainable returns errInference for an inference-only model.
func (m *Model) trainable() error {
	if m.inf != nil {
		return errInference
	}
	return nil
}

// Compute says how a model's products over bfloat16 weights run.
type Compute int

const (
	// ComputeF32 widens bfloat16 weights to float32 as they are packed
	// (gemm.SgemmBF16): float32 math on the stored weights, exactly.
	ComputeF32 Compute = iota
	// ComputeBF16 rounds the activations to bfloat16 too and multiplies
	// in bfloat16, adding in float32 (gemm.SgemmBF16Native: VDPBF16PS
	// where the CPU has AVX512_BF16). One-row products (decoding steps)
	// stay float32 math; so do attention, norms and the loss.
	ComputeBF16
)

func (c Compute) String() string {
	if c == ComputeBF16 {
		return "bf16"
	}
	return "f32"
}

// ParseCompute reads "f32" or "bf16".
func ParseCompute(s string) (Compute, error) {
	switch s {
	case "f32":
		return ComputeF32, nil
	case "bf16":
		return ComputeBF16, nil
	}
	return 0, fmt.Errorf("model: compute %q is neither f32 nor bf16", s)
}

// HasBF16 reports whether any of the model's weight matrices is held in
// bfloat16 (ComputeBF16 has something to change).
func (m *Model) HasBF16() bool {
	for _, w := range m.inf {
		if w.BF16 != nil || w.packed != nil {
			return true
		}
	}
	return false
}

// SetCompute sets how the products over bfloat16 weights run (the default
// is ComputeF32). Only an inference model's bfloat16 matrices are
// affected; ComputeBF16 on a model holding none is an error.
func (m *Model) SetCompute(c Compute) error {
	if c == ComputeBF16 && !m.HasBF16() {
		return fmt.Errorf("model: bf16 compute needs bfloat16 weights; this model holds none (load it without --dtype f32)")
	}
	native := c == ComputeBF16
	set := func(l *linear) { l.native = native && (l.wb != nil || l.pk != nil) }
	for i := range m.blocks {
		b := &m.blocks[i]
		for j := range b.qkv {
			set(&b.qkv[j])
		}
		for j := range b.up {
			set(&b.up[j])
		}
		set(&b.proj)
		set(&b.down)
	}
	set(&m.head)
	m.compute = c
	return nil
}

// Compute is how the products over bfloat16 weights run (SetCompute).
func (m *Model) Compute() Compute { return m.compute }
