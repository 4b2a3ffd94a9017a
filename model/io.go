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
// model.safetensors.index.json names), read one at a time: each is parsed,
// its tensors widened into the parameters, and dropped before the next, so
// that at most one shard's bytes are held beside the model. Every
// parameter must be in exactly one shard.
func LoadShards(cfg Config, paths []string) (*Model, error) {
	m, err := alloc(cfg)
	if err != nil {
		return nil, err
	}
	from := map[string]string{} // parameter name: the shard it came from
	for _, path := range paths {
		if err := m.loadShard(path, from); err != nil {
			return nil, err
		}
	}
	for _, p := range m.Params() {
		if _, ok := from[p.Name]; !ok {
			where := paths[0]
			if len(paths) > 1 {
				where = fmt.Sprintf("%d shards (%s, …)", len(paths), paths[0])
			}
			return nil, fmt.Errorf("model: %s: no tensor %q, which the %s config needs", where, p.Name, cfg.ModelType)
		}
	}
	return m, nil
}

// loadShard copies the tensors of one file into m's parameters, recording
// in from which file filled each.
func (m *Model) loadShard(path string, from map[string]string) error {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	for _, t := range f.Tensors {
		name := t.Name
		if _, ok := m.byName[name]; !ok && !m.d.llama {
			name = strings.TrimPrefix(name, "transformer.")
		}
		s, ok := m.byName[name]
		if !ok {
			if (m.d.tied && strings.HasSuffix(t.Name, "lm_head.weight")) ||
				slices.ContainsFunc(ignorable, func(s string) bool { return strings.HasSuffix(t.Name, s) }) {
				continue
			}
			return fmt.Errorf("model: %s: tensor %q has no place in the %s config (%d layers)", path, t.Name, m.Config.ModelType, m.d.L)
		}
		if prev, dup := from[name]; dup {
			return fmt.Errorf("model: %s: tensor %q is also in %s", path, t.Name, prev)
		}
		if !slices.Equal(t.Shape, s.shape) {
			return fmt.Errorf("model: %s: tensor %q has shape %v, the config needs %v", path, t.Name, t.Shape, s.shape)
		}
		x, err := t.Float32s()
		if err != nil {
			return fmt.Errorf("model: %s: %w", path, err)
		}
		copy(m.view(m.params, name), x)
		from[name] = path
	}
	return nil
}
