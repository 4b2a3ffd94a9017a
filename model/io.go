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
	m, err := alloc(cfg)
	if err != nil {
		return nil, err
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	used := map[string]bool{}
	for _, p := range m.Params() {
		t, ok := f.Tensor(p.Name)
		if !ok && !m.d.llama {
			t, ok = f.Tensor("transformer." + p.Name)
		}
		if !ok {
			return nil, fmt.Errorf("model: %s: no tensor %q, which the %s config needs", path, p.Name, cfg.ModelType)
		}
		used[t.Name] = true
		if !slices.Equal(t.Shape, p.Shape) {
			return nil, fmt.Errorf("model: %s: tensor %q has shape %v, the config needs %v", path, t.Name, t.Shape, p.Shape)
		}
		x, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("model: %s: %w", path, err)
		}
		copy(p.Data, x)
	}
	for _, t := range f.Tensors {
		if used[t.Name] || (m.d.tied && strings.HasSuffix(t.Name, "lm_head.weight")) ||
			slices.ContainsFunc(ignorable, func(s string) bool { return strings.HasSuffix(t.Name, s) }) {
			continue
		}
		return nil, fmt.Errorf("model: %s: tensor %q has no place in the %s config (%d layers)", path, t.Name, cfg.ModelType, m.d.L)
	}
	return m, nil
}
