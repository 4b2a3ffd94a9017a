package model

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xent-dev/xent/format/safetensors"
)

// Save writes the parameters to a .safetensors file in Hugging Face
// naming, float32, atomically.
func (m *Model) Save(path string) error {
	if m.inf != nil {
		return fmt.Errorf("model: an inference-only model is not saved (its weights are those it was loaded from)")
	}
	ts := make([]safetensors.Tensor, 0, len(m.specs))
	for _, p := range m.Params() {
		ts = append(ts, safetensors.FromFloat32(p.Name, p.Shape, p.Data))
	}
	if err := safetensors.WriteFile(path, ts, map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return nil
}

// ignorable are tensors of Hugging Face checkpoints that hold no
// parameters: GPT-2's causal-mask buffers and Llama's RoPE frequencies.
var ignorable = []string{".attn.bias", ".attn.masked_bias", ".rotary_emb.inv_freq"}

// Load reads a model of the given config from a .safetensors file in
// Hugging Face naming (F32, F16 or BF16; GPT-2's "transformer." prefix is
// optional). Every parameter must be there with its shape; a tensor the
// config has no place for is an error, except buffers that hold no
// parameters and a tied head's copy of the embedding.
func Load(cfg Config, path string) (*Model, error) {
	return LoadShards(cfg, []string{path})
}

// LoadShards is Load from the shards of a checkpoint (the files a
// model.safetensors.index.json names), read one at a time, each tensor
// straight into its parameter's place (widened from F16 or BF16 a chunk
// at a time), so that nothing but the model is held. Every parameter
// must be in exactly one shard.
func LoadShards(cfg Config, paths []string) (*Model, error) {
	m, err := alloc(cfg)
	if err != nil {
		return nil, err
	}
	err = readShards(cfg, m.d, m.specs, paths, func(r *safetensors.Reader, i int, s spec) error {
		return r.Float32s(i, m.view(m.params, s.name))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// LoadOptions say how LoadInference holds the weights.
type LoadOptions struct {
	// F32 widens every weight to float32; otherwise BF16 matrices stay
	// bfloat16 (F16 ones are widened, exactly, and F32 stay float32).
	F32 bool
}

// LoadInference is LoadShards for an inference-only model (NewInference):
// no gradients, and the matrices (embeddings and head included) of a BF16
// checkpoint kept as bfloat16 unless opt.F32; norm weights and biases are
// float32. Each tensor is read straight into its final buffer, one shard
// at a time, so loading holds nothing but the weights.
func LoadInference(cfg Config, paths []string, opt LoadOptions) (*Model, error) {
	d, specs, _, err := cfg.bounded()
	if err != nil {
		return nil, err
	}
	weights := map[string]Weight{}
	err = readShards(cfg, d, specs, paths, func(r *safetensors.Reader, i int, s spec) error {
		if r.Tensors[i].DType == safetensors.BF16 && len(s.shape) == 2 && !opt.F32 {
			w := make([]uint16, s.size())
			weights[s.name] = Weight{BF16: w}
			return r.BF16s(i, w)
		}
		w := make([]float32, s.size())
		weights[s.name] = Weight{F32: w}
		return r.Float32s(i, w)
	})
	if err != nil {
		return nil, err
	}
	return NewInference(cfg, weights)
}

// readShards reads the tensors of the files at paths, one file at a time,
// handing each parameter's tensor to put with its spec; it checks that
// every tensor has a place and a shape in the config and that every
// parameter is in exactly one file.
func readShards(cfg Config, d dims, specs []spec, paths []string, put func(r *safetensors.Reader, i int, s spec) error) error {
	byName := map[string]spec{}
	for _, s := range specs {
		byName[s.name] = s
	}
	from := map[string]string{} // parameter name: the shard it came from
	for _, path := range paths {
		if err := readShard(cfg, d, byName, path, from, put); err != nil {
			return err
		}
	}
	for _, s := range specs {
		if name := s.name; from[name] == "" {
			where := paths[0]
			if len(paths) > 1 {
				where = fmt.Sprintf("%d shards (%s, …)", len(paths), paths[0])
			}
			return fmt.Errorf("model: %s: no tensor %q, which the %s config needs", where, name, cfg.ModelType)
		}
	}
	return nil
}

// readShard reads the tensors of one file, recording in from which file
// filled each parameter.
func readShard(cfg Config, d dims, byName map[string]spec, path string, from map[string]string, put func(r *safetensors.Reader, i int, s spec) error) error {
	r, err := safetensors.Open(path)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	defer r.Close()
	for i, t := range r.Tensors {
		name, read := cfg.TextTensorName(t.Name)
		if !read {
			continue
		}
		if _, ok := byName[name]; !ok && !d.llama {
			name = strings.TrimPrefix(name, "transformer.")
		}
		s, ok := byName[name]
		if !ok {
			if (d.tied && strings.HasSuffix(t.Name, "lm_head.weight")) ||
				slices.ContainsFunc(ignorable, func(s string) bool { return strings.HasSuffix(t.Name, s) }) {
				continue
			}
			return fmt.Errorf("model: %s: tensor %q has no place in the %s config (%d layers)", path, t.Name, cfg.ModelType, d.L)
		}
		if prev, dup := from[name]; dup {
			return fmt.Errorf("model: %s: tensor %q is also in %s", path, t.Name, prev)
		}
		if !slices.Equal(t.Shape, s.shape) {
			return fmt.Errorf("model: %s: tensor %q has shape %v, the config needs %v", path, t.Name, t.Shape, s.shape)
		}
		if err := put(r, i, s); err != nil {
			return fmt.Errorf("model: %w", err)
		}
		from[name] = path
	}
	return nil
}
