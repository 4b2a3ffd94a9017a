package modeldir

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/quant"
	"github.com/xent-dev/xent/model"
)

// ggufMatrix is the GGUF tensor name as a model.Matrix that keeps its
// blocks (internal/quant), for model.NewInference: matrices of f16 and
// the quantized types (q4_0 … q8_0, q2_K … q6_K), with llama's Q/K rows
// unpermuted (whole rows of blocks move). It reports false for a tensor
// that stays float32 or bfloat16 (vectors, f32 and bf16 matrices). The
// data is copied off the file, so the matrix outlives it; its size is the
// file's, not float32's.
func ggufMatrix(f *gguf.File, h gguf.Hyper, name string) (model.Matrix, bool, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, false, fmt.Errorf("no tensor %q", name)
	}
	if len(t.Dims) != 2 || t.Type == gguf.F32 || t.Type == gguf.BF16 || !quant.Supported(t.Type) {
		return nil, false, nil
	}
	data, err := f.Data(name)
	if err != nil {
		return nil, false, err
	}
	if heads := ggufRopeHeads(h, name); heads > 0 {
		if data, err = gguf.UnpermuteRows(data, int(t.RowBytes()), heads); err != nil {
			return nil, false, fmt.Errorf("tensor %q: %w", name, err)
		}
	} else {
		data = bytes.Clone(data)
	}
	m, err := quant.New(t.Type, int(t.Dims[1]), int(t.Dims[0]), data)
	if err != nil {
		return nil, false, fmt.Errorf("tensor %q: %w", name, err)
	}
	return m, true, nil
}

// ggufRopeHeads is the number of heads whose rows llama.cpp's converter
// permuted in tensor name (llama's Q and K projections), 0 for none.
func ggufRopeHeads(h gguf.Hyper, name string) int {
	if h.Arch != "llama" || !strings.HasPrefix(name, "blk.") {
		return 0
	}
	switch {
	case strings.Contains(name, ".attn_q."):
		return h.HeadCount
	case strings.Contains(name, ".attn_k."):
		return h.HeadCountKV
	}
	return 0
}

// ggufInference is the inference-only model (model.NewInference) of
// config cfg over file f: f16 and quantized matrices kept as blocks
// (ggufMatrix; Phi-3's fused matrices excepted, which NewInference takes
// only as float32), every other tensor read to float32 as ggufTensor
// reads it. It returns the file's tensor names it used. Unlike the
// float32 tensors, a matrix's values are not checked for NaN and Inf
// (that would widen it); llama.cpp does not check them either.
func ggufInference(f *gguf.File, h gguf.Hyper, cfg model.Config) (*model.Model, map[string]bool, error) {
	shapes, err := cfg.ParamShapes()
	if err != nil {
		return nil, nil, err
	}
	weights := make(map[string]model.Weight, len(shapes))
	used := map[string]bool{}
	for _, s := range shapes {
		name, err := gguf.FileName(h.Arch, s.Name)
		if err != nil {
			return nil, nil, err
		}
		used[name] = true
		if h.Arch != "phi3" {
			m, ok, err := ggufMatrix(f, h, name)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				weights[s.Name] = model.Weight{Matrix: m}
				continue
			}
		}
		n := 1
		for _, d := range s.Shape {
			n *= d
		}
		p := model.Tensor{Name: s.Name, Shape: s.Shape, Data: make([]float32, n)}
		if err := ggufTensor(f, h, name, p); err != nil {
			return nil, nil, err
		}
		weights[s.Name] = model.Weight{F32: p.Data}
	}
	m, err := model.NewInference(cfg, weights)
	if err != nil {
		return nil, nil, err
	}
	return m, used, nil
}
