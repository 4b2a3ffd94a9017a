package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// ropeSpec is a rotary embedding: the angle of channel pair i at position
// p is p·inv[i], and cos and sin are multiplied by scale (YaRN's attention
// factor; 1 otherwise).
type ropeSpec struct {
	inv   []float64 // [D/2]
	scale float64
	limit int // the longest sequence the spec holds for (longrope); 0: any
}

// ropeKeys are the fields each rope_type reads, beside rope_type (or its
// older name, type). A field outside its type's list could change the
// arithmetic in some transformers version, so it is refused by name.
var ropeKeys = map[string][]string{
	"default":  {},
	"linear":   {"factor"},
	"dynamic":  {"factor", "original_max_position_embeddings"},
	"yarn":     {"factor", "attention_factor", "beta_fast", "beta_slow"},
	"llama3":   {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"},
	"longrope": {"short_factor", "long_factor", "factor", "attention_factor"},
}

// ropeSpec computes the RoPE frequencies of a config with head size D
// and context maxT, as transformers' modeling_rope_utils.py does (v4.46,
// commit 0044e3b3): theta from rope_theta or transformers v5's
// rope_parameters, and the variant from rope_scaling or rope_parameters:
//
//   - default: inv[i] = θ^(−2i/D);
//   - linear: inv / factor;
//   - dynamic (NTK): θ is rescaled only for sequences longer than
//     max_position_embeddings, which this package never runs, so it is
//     the default;
//   - yarn: a ramp between inv/factor and inv over the dimensions whose
//     wavelength lies between beta_fast and beta_slow rotations in the
//     context, and cos and sin times attention_factor (0.1·ln factor + 1
//     by default);
//   - llama3: inv/factor for wavelengths over original/low_freq_factor,
//     inv under original/high_freq_factor, and a smooth mix between;
//   - longrope (su): Phi-3's, within its original context (longrope).
//
// It returns the theta it used. Other variants are refused by name, as
// are fields a variant does not read.
func (c Config) ropeSpec(theta float64, D, maxT int) (float64, ropeSpec, error) {
	where := "rope_scaling"
	scaling := map[string]any{}
	if err := decodeObject(c.RopeScaling, &scaling); err != nil {
		return 0, ropeSpec{}, fmt.Errorf("model: %s config: rope_scaling: %w", c.ModelType, err)
	}
	params := map[string]any{}
	if err := decodeObject(c.RopeParameters, &params); err != nil {
		return 0, ropeSpec{}, fmt.Errorf("model: %s config: rope_parameters: %w", c.ModelType, err)
	}
	if v, ok := params["rope_theta"]; ok {
		t, ok := v.(float64)
		if !ok || !(t > 0) {
			return 0, ropeSpec{}, fmt.Errorf("model: %s config: rope_parameters.rope_theta is %v, must be a positive number", c.ModelType, v)
		}
		if c.RopeTheta != 0 && c.RopeTheta != t {
			return 0, ropeSpec{}, fmt.Errorf("model: %s config: rope_theta %g and rope_parameters.rope_theta %g differ", c.ModelType, c.RopeTheta, t)
		}
		theta = t
		delete(params, "rope_theta")
	}
	if len(params) > 0 {
		if len(scaling) > 0 {
			return 0, ropeSpec{}, fmt.Errorf("model: %s config: both rope_scaling and rope_parameters name a RoPE variant", c.ModelType)
		}
		scaling, where = params, "rope_parameters"
	}
	kind := "default"
	for _, k := range []string{"type", "rope_type"} {
		if v, ok := scaling[k]; ok {
			s, ok := v.(string)
			if !ok {
				return 0, ropeSpec{}, fmt.Errorf("model: %s config: %s.%s is %v, not a name", c.ModelType, where, k, v)
			}
			kind = s
			delete(scaling, k)
		}
	}
	if kind == "su" { // Phi-3's first name for longrope
		kind = "longrope"
	}
	keys, known := ropeKeys[kind]
	if !known {
		return 0, ropeSpec{}, fmt.Errorf("model: %s config: %s rope_type %q is not supported (only default, linear, dynamic, yarn, llama3 and longrope)", c.ModelType, where, kind)
	}
	var extra []string
	for k := range scaling {
		if !slices.Contains(keys, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return 0, ropeSpec{}, fmt.Errorf("model: %s config: %s: rope_type %q with %s is not supported (it reads only %s)", c.ModelType, where, kind, strings.Join(extra, ", "), strings.Join(keys, ", "))
	}
	// num reads a numeric field, keeping the first error in ferr.
	var ferr error
	num := func(name string, def float64, required bool) float64 {
		v, ok := scaling[name]
		switch f, isNum := v.(float64); {
		case ferr != nil:
		case (!ok || v == nil) && required:
			ferr = fmt.Errorf("model: %s config: %s: rope_type %q needs %s", c.ModelType, where, kind, name)
		case !ok || v == nil:
			return def
		case !isNum || math.IsInf(f, 0) || math.IsNaN(f):
			ferr = fmt.Errorf("model: %s config: %s.%s is %v, not a number", c.ModelType, where, name, v)
		default:
			return f
		}
		return def
	}
	if !(theta > 0) || math.IsInf(theta, 0) {
		return 0, ropeSpec{}, fmt.Errorf("model: %s config: rope_theta %g must be positive and finite", c.ModelType, theta)
	}
	r := plainRope(theta, D)
	var factor float64
	if kind == "longrope" {
		return c.longrope(theta, D, maxT, scaling, where)
	}
	if kind != "default" {
		factor = num("factor", 0, true)
		if ferr == nil && !(factor >= 1) {
			ferr = fmt.Errorf("model: %s config: %s.factor is %g, must be at least 1", c.ModelType, where, factor)
		}
	}
	switch kind {
	case "linear":
		for i := range r.inv {
			r.inv[i] /= factor
		}
	case "yarn":
		af := num("attention_factor", 0.1*math.Log(factor)+1, false)
		fast, slow := num("beta_fast", 32, false), num("beta_slow", 1, false)
		if fast == 0 { // transformers: `or 32`, `or 1`
			fast = 32
		}
		if slow == 0 {
			slow = 1
		}
		corr := func(rot float64) float64 {
			return float64(D) * math.Log(float64(maxT)/(rot*2*math.Pi)) / (2 * math.Log(theta))
		}
		lo, hi := max(math.Floor(corr(fast)), 0), min(math.Ceil(corr(slow)), float64(D-1))
		if lo == hi {
			hi += 0.001
		}
		for i := range r.inv {
			ramp := min(max((float64(i)-lo)/(hi-lo), 0), 1)
			extra := 1 - ramp // the share of the unscaled frequency
			r.inv[i] = r.inv[i]/factor*(1-extra) + r.inv[i]*extra
		}
		r.scale = af
	case "llama3":
		low, high := num("low_freq_factor", 0, true), num("high_freq_factor", 0, true)
		orig := num("original_max_position_embeddings", 0, true)
		if ferr == nil && (!(high > low) || !(low > 0) || !(orig > 0)) {
			ferr = fmt.Errorf("model: %s config: %s: llama3 needs 0 < low_freq_factor < high_freq_factor and a positive original_max_position_embeddings", c.ModelType, where)
		}
		lowWave, highWave := orig/low, orig/high
		for i, f := range r.inv {
			wave := 2 * math.Pi / f
			switch {
			case wave < highWave:
			case wave > lowWave:
				r.inv[i] = f / factor
			default:
				s := (orig/wave - low) / (high - low)
				r.inv[i] = (1-s)*f/factor + s*f
			}
		}
	}
	if ferr != nil {
		return 0, ropeSpec{}, ferr
	}
	return theta, r, nil
}

// longrope is Phi-3's LongRoPE as transformers computes it since it
// chooses the factors by sequence length (modeling_rope_utils.py's
// _compute_longrope_parameters with _longrope_frequency_update):
// inv[i] = 1/(short_factor[i]·θ^(2i/D)) for sequences up to the original
// context (config.json's original_max_position_embeddings, else
// max_position_embeddings), long_factor past it; cos and sin times
// attention_factor, by default √(1 + ln f / ln original) with f =
// max_position_embeddings / original (or rope_scaling's factor without
// the top-level field), 1 for f ≤ 1. Past the original context the
// factors change with the sequence's length, so a parallel pass and a KV
// cache would disagree: sequences are bounded by the original context
// (limit), and long_factor is checked but never used.
func (c Config) longrope(theta float64, D, maxT int, scaling map[string]any, where string) (float64, ropeSpec, error) {
	factors := func(name string) ([]float64, error) {
		list, ok := scaling[name].([]any)
		if !ok || len(list) != D/2 {
			return nil, fmt.Errorf("model: %s config: %s.%s must be a list of %d numbers (head_dim / 2)", c.ModelType, where, name, D/2)
		}
		out := make([]float64, len(list))
		for i, v := range list {
			f, ok := v.(float64)
			if !ok || !(f > 0) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("model: %s config: %s.%s[%d] is %v, not a positive number", c.ModelType, where, name, i, v)
			}
			out[i] = f
		}
		return out, nil
	}
	short, err := factors("short_factor")
	if err != nil {
		return 0, ropeSpec{}, err
	}
	if _, err := factors("long_factor"); err != nil {
		return 0, ropeSpec{}, err
	}
	orig, factor := maxT, 1.0
	if c.OriginalMaxPositionEmbeddings > 0 {
		orig, factor = c.OriginalMaxPositionEmbeddings, float64(maxT)/float64(c.OriginalMaxPositionEmbeddings)
	} else if f, ok := scaling["factor"].(float64); ok {
		factor = f
	}
	af := 1.0
	if factor > 1 {
		af = math.Sqrt(1 + math.Log(factor)/math.Log(float64(orig)))
	}
	if v, ok := scaling["attention_factor"]; ok && v != nil {
		f, ok := v.(float64)
		if !ok || !(f > 0) || math.IsInf(f, 0) {
			return 0, ropeSpec{}, fmt.Errorf("model: %s config: %s.attention_factor is %v, not a positive number", c.ModelType, where, v)
		}
		af = f
	}
	r := plainRope(theta, D)
	for i := range r.inv {
		r.inv[i] /= short[i]
	}
	r.scale, r.limit = af, orig
	return theta, r, nil
}

// plainRope is RoPE without a variant: inv[i] = θ^(−2i/D), scale 1.
func plainRope(theta float64, D int) ropeSpec {
	r := ropeSpec{inv: make([]float64, D/2), scale: 1}
	for i := range r.inv {
		r.inv[i] = math.Pow(theta, -float64(2*i)/float64(D))
	}
	return r
}

// decodeObject decodes a JSON object into v; empty or null leaves v as it is.
func decodeObject(raw json.RawMessage, v *map[string]any) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	return nil
}
