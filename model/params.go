package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// Tensor is a named view into the parameter or gradient buffer.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32 // aliases the model's buffer
}

// spec is one parameter's place in the flat buffer and how New fills it.
type spec struct {
	name   string
	shape  []int
	off    int
	init   float64 // standard deviation of the normal init; 0: constant
	filled float32 // the constant when init == 0 (1 for norm weights, else 0)
}

func (s spec) size() int {
	n := 1
	for _, d := range s.shape {
		n *= d
	}
	return n
}

// NumParams is the number of parameters of a model of config c (a tied
// head counted once), from the layout New allocates, without allocating
// them.
func (c Config) NumParams() (int, error) {
	d, err := c.dims()
	if err != nil {
		return 0, err
	}
	_, total := layout(d)
	return total, nil
}

// layout lists the parameters of a config in Hugging Face naming, in the
// order of the flat buffer, and returns their total size.
func layout(d dims) ([]spec, int) {
	var specs []spec
	total := 0
	add := func(name string, init float64, filled float32, shape ...int) {
		s := spec{name: name, shape: shape, off: total, init: init, filled: filled}
		specs = append(specs, s)
		total += s.size()
	}
	const std = 0.02
	resid := std / math.Sqrt(2*float64(d.L)) // projections into the residual stream
	C, F, A, KV := d.C, d.F, d.H*d.D, d.K*d.D
	if !d.llama {
		add("wte.weight", std, 0, d.V, C)
		add("wpe.weight", std, 0, d.maxT, C)
		for i := range d.L {
			p := "h." + strconv.Itoa(i) + "."
			add(p+"ln_1.weight", 0, 1, C)
			add(p+"ln_1.bias", 0, 0, C)
			add(p+"attn.c_attn.weight", std, 0, C, 3*C) // Conv1D: [in, out]
			add(p+"attn.c_attn.bias", 0, 0, 3*C)
			add(p+"attn.c_proj.weight", resid, 0, C, C)
			add(p+"attn.c_proj.bias", 0, 0, C)
			add(p+"ln_2.weight", 0, 1, C)
			add(p+"ln_2.bias", 0, 0, C)
			add(p+"mlp.c_fc.weight", std, 0, C, F)
			add(p+"mlp.c_fc.bias", 0, 0, F)
			add(p+"mlp.c_proj.weight", resid, 0, F, C)
			add(p+"mlp.c_proj.bias", 0, 0, C)
		}
		add("ln_f.weight", 0, 1, C)
		add("ln_f.bias", 0, 0, C)
		return specs, total
	}
	add("model.embed_tokens.weight", std, 0, d.V, C)
	one := 1 - d.fam.normOffset // the stored norm weight that scales by 1 (Gemma stores w − 1)
	for i := range d.L {
		p := "model.layers." + strconv.Itoa(i) + "."
		f := d.fam
		lin := func(name string, std float64, bias bool, out, in int) {
			add(p+name+".weight", std, 0, out, in) // nn.Linear: [out, in]
			if bias {
				add(p+name+".bias", 0, 0, out)
			}
		}
		add(p+"input_layernorm.weight", 0, one, C)
		if f.fused {
			lin("self_attn.qkv_proj", std, false, A+2*KV, C)
		} else {
			lin("self_attn.q_proj", std, f.qkvBias, A, C)
			lin("self_attn.k_proj", std, f.qkvBias, KV, C)
			lin("self_attn.v_proj", std, f.qkvBias, KV, C)
		}
		lin("self_attn.o_proj", resid, f.oBias, C, A)
		if f.qkNorm {
			add(p+"self_attn.q_norm.weight", 0, 1, d.D)
			add(p+"self_attn.k_norm.weight", 0, 1, d.D)
		}
		add(p+"post_attention_layernorm.weight", 0, one, C) // gemma2: of the attention's output
		if f.sandwich {
			add(p+"pre_feedforward_layernorm.weight", 0, one, C)
		}
		if f.fused {
			lin("mlp.gate_up_proj", std, false, 2*F, C)
		} else {
			lin("mlp.gate_proj", std, f.mlpBias, F, C)
			lin("mlp.up_proj", std, f.mlpBias, F, C)
		}
		lin("mlp.down_proj", resid, f.mlpBias, C, F)
		if f.sandwich {
			add(p+"post_feedforward_layernorm.weight", 0, one, C)
		}
	}
	add("model.norm.weight", 0, one, C)
	if !d.tied {
		add("lm_head.weight", std, 0, d.V, C)
	}
	return specs, total
}

// maxParams bounds the parameter count New accepts (64 GiB of float32).
const maxParams = 1 << 34

// initParams fills the buffer GPT-2 style: weights normal(0, 0.02), the
// projections into the residual stream normal(0, 0.02/√(2L)), biases 0,
// norm weights 1. The same seed gives the same weights.
func initParams(specs []spec, buf []float32, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x78656e74)) // "xent"
	for _, s := range specs {
		view := buf[s.off : s.off+s.size()]
		for i := range view {
			if s.init == 0 {
				view[i] = s.filled
			} else {
				view[i] = float32(rng.NormFloat64() * s.init)
			}
		}
	}
}

// views returns the named views of buf.
func views(specs []spec, buf []float32) []Tensor {
	out := make([]Tensor, len(specs))
	for i, s := range specs {
		out[i] = Tensor{Name: s.name, Shape: s.shape, Data: buf[s.off : s.off+s.size() : s.off+s.size()]}
	}
	return out
}

// view returns the named slice of buf; the name must exist (a bug otherwise).
func (m *Model) view(buf []float32, name string) []float32 {
	s, ok := m.byName[name]
	if !ok {
		panic(fmt.Sprintf("model: no parameter %q", name))
	}
	return buf[s.off : s.off+s.size() : s.off+s.size()]
}
