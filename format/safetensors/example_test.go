package safetensors_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/xent-dev/xent/format/safetensors"
)

func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	w := safetensors.FromFloat32("ln_f.weight", []int{2, 2}, []float32{1, 2, 3, 4})
	if err := safetensors.WriteFile(path, []safetensors.Tensor{w}, map[string]string{"format": "pt"}); err != nil {
		fmt.Println(err)
		return
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	t, _ := f.Tensor("ln_f.weight")
	x, _ := t.Float32s()
	fmt.Println(t.DType, t.Shape, x, f.Metadata["format"])
	// Output: F32 [2 2] [1 2 3 4] pt
}
