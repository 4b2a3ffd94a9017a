package modeldir

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/xent-dev/xent/format/gguf"
)

// TestGGUFMatrix: every q8_0 matrix of a llama-architecture file, kept
// as blocks, widens row by row to the values the file holds in Hugging
// Face's order (Q and K rows unpermuted); f32 matrices are matrices too,
// vectors are not.
func TestGGUFMatrix(t *testing.T) {
	ref := tinyModel(t, "smollm2-135m", 5)
	path := filepath.Join(t.TempDir(), "m.gguf")
	held := writeTestGGUF(t, ref, "llama", gguf.Q8_0, path, nil)
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := f.Hyper()
	if err != nil {
		t.Fatal(err)
	}
	matrices := 0
	for _, ti := range f.Tensors {
		m, ok, err := ggufMatrix(f, h, ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		if ok != (ti.Type == gguf.Q8_0 || ti.Type == gguf.F32 && len(ti.Dims) == 2) {
			t.Fatalf("%s (%s): a matrix %v", ti.Name, ti.Type, ok)
		}
		if !ok {
			continue
		}
		matrices++
		hf, err := gguf.HFName("llama", ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		out, in := m.Dims()
		want := held[hf]
		row := make([]float32, in)
		for r := range out {
			m.Row(r, row)
			for k, v := range row {
				if v != want[r*in+k] {
					t.Fatalf("%s row %d [%d] = %g, the file holds %g", ti.Name, r, k, v, want[r*in+k])
				}
			}
		}
	}
	if matrices == 0 {
		t.Fatal("no q8_0 matrix in the file")
	}
}

// TestGGUFBlocks: a GGUF file loaded with its matrices kept as blocks
// scores as the same file widened to float32 (--dtype f32): identical
// logits where every matrix is f32, and within the rounding of the
// activations to the weights' vec_dot_type (q8_0's ~1/254 of each block's
// largest value, f16's 2⁻¹¹) otherwise.
func TestGGUFBlocks(t *testing.T) {
	for _, name := range []string{"smollm2-135m", "gpt2"} { // Llama's Q/K rows, GPT-2's Conv1D
		for _, typ := range []gguf.Type{gguf.F32, gguf.F16, gguf.Q8_0} {
			t.Run(name+"/"+typ.String(), func(t *testing.T) {
				ref := tinyModel(t, name, 7)
				path := filepath.Join(t.TempDir(), "m.gguf")
				writeTestGGUF(t, ref, ggufArch[name], typ, path, nil)
				wide, err := LoadWith(path, Options{Inference: true, F32: true})
				if err != nil {
					t.Fatal(err)
				}
				blocks, err := LoadWith(path, Options{Inference: true})
				if err != nil {
					t.Fatal(err)
				}
				ids := []int32{50256, 464, 1893, 286, 262, 9427, 318, 13, 50256, 40, 5}
				got, err := blocks.Model.Logits(ids, 1, len(ids))
				if err != nil {
					t.Fatal(err)
				}
				exp, err := wide.Model.Logits(ids, 1, len(ids))
				if err != nil {
					t.Fatal(err)
				}
				var worst, scale float64
				for i := range got {
					worst = max(worst, math.Abs(float64(got[i]-exp[i])))
					scale = max(scale, math.Abs(float64(exp[i])))
				}
				tol := map[gguf.Type]float64{gguf.F32: 0, gguf.F16: 2e-3, gguf.Q8_0: 3e-2}[typ] * max(1, scale)
				if worst > tol {
					t.Errorf("logits differ from the float32 model's by up to %.3g (largest %.3g, tolerance %.3g)", worst, scale, tol)
				}
				t.Logf("largest logit difference %.3g of %.3g", worst, scale)
			})
		}
	}
}
