package modeldir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// IndexFile maps each tensor of a sharded checkpoint to its shard, as
// transformers' save_pretrained writes it.
const IndexFile = "model.safetensors.index.json"

// WeightFiles returns the paths of a model directory's weights, in the
// order they are read: model.safetensors where there is one (as
// transformers prefers it), or else the shards that IndexFile's
// weight_map names, sorted. Shard names must be plain file names in dir.
// A directory with PyTorch's pickled pytorch_model.bin and no safetensors
// is refused with what to do.
func WeightFiles(dir string) ([]string, error) {
	single := filepath.Join(dir, WeightsFile)
	if _, err := os.Stat(single); err == nil {
		return []string{single}, nil
	}
	index := filepath.Join(dir, IndexFile)
	raw, err := os.ReadFile(index)
	if errors.Is(err, fs.ErrNotExist) {
		for _, bin := range []string{"pytorch_model.bin", "pytorch_model.bin.index.json"} {
			if _, err := os.Stat(filepath.Join(dir, bin)); err == nil {
				return nil, fmt.Errorf("modeldir: %s holds %s and no %s: xent reads only safetensors; convert it (transformers: from_pretrained, then save_pretrained(..., safe_serialization=True))", dir, bin, WeightsFile)
			}
		}
		return nil, fmt.Errorf("modeldir: %s has neither %s nor %s", dir, WeightsFile, IndexFile)
	}
	if err != nil {
		return nil, fmt.Errorf("modeldir: %w", err)
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("modeldir: %s: %w", index, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("modeldir: %s: weight_map is empty", index)
	}
	var names []string
	for tensor, name := range idx.WeightMap {
		if name == "" || name != filepath.Base(name) || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
			return nil, fmt.Errorf("modeldir: %s: tensor %q is mapped to %q, not a file name in the directory", index, tensor, name)
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	paths := make([]string, len(names))
	for i, name := range names {
		paths[i] = filepath.Join(dir, name)
		if _, err := os.Stat(paths[i]); err != nil {
			return nil, fmt.Errorf("modeldir: %s names shard %s: %w", index, name, err)
		}
	}
	return paths, nil
}
