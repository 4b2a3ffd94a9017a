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
// blocks (internal/quant), for model.NewInference: matrices of f32, f16
// and the quantized types (q4_0 … q8_0, q2_K … q6_K), with llama's Q/K
// rows unpermuted (whole rows of blocks move). It reports false for a
// tensor that stays float32 or bfloat16 (vectors, bf16 matrices). An f32
// matrix multiplies as the float32 model's would (gemm.Sgemm, its bits),
// the rows split over the threads without barriers between them. The
// data is copied off the file, so the matrix outlives it; its size is the
// file's, not float32's.
func ggufMatrix(f *gguf.File, h gguf.Hyper, name string) (model.Matrix, bool, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, false, fmt.Errorf("no tensor %q", name)
	}
	if len(t.Dims) != 2 || t.Type == gguf.BF16 || !quant.Supported(t.Type) {
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
