package modeldir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/model"
)

// TestLoadFamilies writes every tinyhf family's directory (bf16, sharded
// where the real checkpoint is) and loads it: each parameter must hold
// exactly the stored values, whichever shard held them, and the logits
// of the model must be those of the same weights loaded from one float32
// file.
func TestLoadFamilies(t *testing.T) {
	for _, spec := range tinyhf.Specs {
		t.Run(spec.Name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), spec.Name)
			if err := tinyhf.Write(dir, spec, 7); err != nil {
				t.Fatal(err)
			}
			files, err := WeightFiles(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != spec.Shards {
				t.Fatalf("WeightFiles: %d files %v, want %d", len(files), files, spec.Shards)
			}
			p, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			stored := map[string][]float32{}
			for _, f := range files {
				sf, err := safetensors.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				for _, tt := range sf.Tensors {
					if tt.DType != spec.DType {
						t.Errorf("%s: %s is %s, want %s", f, tt.Name, tt.DType, spec.DType)
					}
					if stored[tt.Name], err = tt.Float32s(); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, prm := range p.Model.Params() {
				if !slices.Equal(prm.Data, stored[prm.Name]) {
					t.Errorf("%s differs from the stored tensor", prm.Name)
				}
			}
			if len(stored) != len(p.Model.Params()) {
				t.Errorf("%d tensors stored, the model has %d parameters", len(stored), len(p.Model.Params()))
			}

			single := filepath.Join(t.TempDir(), "model.safetensors")
			if err := p.Model.Save(single); err != nil {
				t.Fatal(err)
			}
			again, err := model.Load(p.Model.Config, single)
			if err != nil {
				t.Fatal(err)
			}
			tokens := []int32{50256, 464, 2068, 7586, 21831, 18045, 625, 262}
			a, err := p.Model.Logits(tokens, 1, len(tokens))
			if err != nil {
				t.Fatal(err)
			}
			b, err := again.Logits(tokens, 1, len(tokens))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a, b) {
				t.Error("the sharded bfloat16 checkpoint's logits differ from those of its float32 copy")
			}
			if _, err := ModelProvenance(dir); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestWeightFilesErrors checks that a directory without readable weights
// is refused with what is wrong: pickled PyTorch weights, an index naming
// a path outside the directory or a missing shard, no weights at all.
func TestWeightFilesErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"pickle", map[string]string{"pytorch_model.bin": "x"}, "holds pytorch_model.bin and no model.safetensors: xent reads only safetensors; convert it"},
		{"pickle shards", map[string]string{"pytorch_model.bin.index.json": "{}"}, "holds pytorch_model.bin.index.json"},
		{"nothing", map[string]string{"config.json": "{}"}, "has neither model.safetensors nor model.safetensors.index.json"},
		{"escape", map[string]string{IndexFile: `{"weight_map": {"a": "../x.safetensors"}}`}, `tensor "a" is mapped to "../x.safetensors", not a file name`},
		{"missing shard", map[string]string{IndexFile: `{"weight_map": {"a": "model-00001-of-00002.safetensors"}}`}, "names shard model-00001-of-00002.safetensors"},
		{"empty map", map[string]string{IndexFile: `{"weight_map": {}}`}, "weight_map is empty"},
		{"bad json", map[string]string{IndexFile: `{"weight_map": [`}, IndexFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := WeightFiles(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("WeightFiles: %v; want an error mentioning %q", err, tc.want)
			}
		})
	}
}
