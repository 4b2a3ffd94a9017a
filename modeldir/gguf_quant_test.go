package modeldir

import (
	"path/filepath"
	"testing"

	"github.com/xent-dev/xent/format/gguf"
)

// TestGGUFMatrix: every q8_0 matrix of a llama-architecture file, kept
// as blocks, widens row by row to the values the file holds in Hugging
// Face's order (Q and K rows unpermuted); vectors and f32 tensors are
// not matrices.
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
		if ok != (ti.Type == gguf.Q8_0) {
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
