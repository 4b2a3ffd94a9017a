package model

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/loss"
)

// TestConfigErrors checks that New refuses each kind of bad config by name
// and before allocating anything of its size. The bounds are the defect
// where config.json with max_position_embeddings 1e12 crashed the runtime
// (out of memory in newRope) and num_hidden_layers 1e9 allocated 6 GB
// before any check.
func TestConfigErrors(t *testing.T) {
	gpt := tinyConfigs[0].cfg
	llama := tinyConfigs[1].cfg
	with := func(c Config, f func(*Config)) Config { f(&c); return c }
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"family", with(gpt, func(c *Config) { c.ModelType = "bert" }), `model_type "bert"`},
		{"vocab", with(gpt, func(c *Config) { c.VocabSize = 0 }), "vocab_size is 0"},
		{"layers", with(llama, func(c *Config) { c.NumHiddenLayers = -1 }), "layers is -1"},
		{"heads", with(gpt, func(c *Config) { c.NHead = 5 }), "not a multiple of the 5 heads"},
		{"kv heads", with(llama, func(c *Config) { c.NumKeyValueHeads = 3 }), "not a multiple of the 3 key/value heads"},
		{"odd rope", with(llama, func(c *Config) { c.NumAttentionHeads, c.NumKeyValueHeads = 16, 16 }), "even head size"},
		{"context", with(llama, func(c *Config) { c.MaxPositionEmbeddings = 0 }), "max_position_embeddings is 0"},
		{"eps", with(gpt, func(c *Config) { c.LayerNormEpsilon = -1 }), "epsilon"},
		{"activation", with(gpt, func(c *Config) { c.ActivationFunction = "relu" }), `activation_function "relu"`},
		{"hidden act", with(llama, func(c *Config) { c.HiddenAct = "gelu" }), `hidden_act "gelu"`},
		{"rope scaling", with(llama, func(c *Config) { c.RopeScaling = []byte(`{"type": "linear"}`) }), "rope_scaling"},
		{"longrope", with(llama, func(c *Config) { c.RopeScaling = []byte(`{"rope_type": "longrope", "factor": 2.0}`) }), "rope_scaling.short_factor must be a list of 2 numbers"},
		{"su", with(llama, func(c *Config) { c.RopeScaling = []byte(`{"type": "su", "short_factor": [1, 2], "long_factor": [1]}`) }), "rope_scaling.long_factor must be a list of 2 numbers"},
		{"mrope", with(llama, func(c *Config) { c.RopeScaling = []byte(`{"type": "mrope"}`) }), `rope_type "mrope" is not supported`},
		{"yarn mscale", with(llama, func(c *Config) { c.RopeScaling = []byte(`{"rope_type": "yarn", "factor": 4.0, "mscale": 1.0}`) }), `rope_type "yarn" with mscale is not supported`},
		{"llama3 field", with(llama, func(c *Config) {
			c.RopeScaling = []byte(`{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0}`)
		}), "needs original_max_position_embeddings"},
		{"rope factor", with(llama, func(c *Config) { c.RopeScaling = []byte(`{"rope_type": "linear", "factor": 0.5}`) }), "factor is 0.5, must be at least 1"},
		{"rope json", with(llama, func(c *Config) { c.RopeScaling = []byte(`[1]`) }), "rope_scaling: not a JSON object"},
		{"two thetas", with(llama, func(c *Config) { c.RopeParameters = []byte(`{"rope_type": "default", "rope_theta": 5.0}`) }), "rope_theta 10000 and rope_parameters.rope_theta 5 differ"},
		{"two variants", with(llama, func(c *Config) {
			c.RopeScaling, c.RopeParameters = []byte(`{"rope_type": "linear", "factor": 2.0}`), []byte(`{"rope_type": "linear", "factor": 2.0}`)
		}), "both rope_scaling and rope_parameters"},
		{"mistral bias", with(llama, func(c *Config) { c.ModelType, c.AttentionBias = Mistral, true }), "attention_bias or mlp_bias is not part of mistral models"},
		{"qwen2 window", with(llama, func(c *Config) { c.ModelType, c.UseSlidingWindow, c.SlidingWindow = Qwen2, true, ptr(0) }), "sliding_window is 0"},
		{"window", with(llama, func(c *Config) { c.ModelType, c.SlidingWindow = Mistral, ptr(0) }), "sliding_window is 0"},
		{"head_dim", with(llama, func(c *Config) { c.HeadDim = -4 }), "head_dim is -4"},
		{"family", with(llama, func(c *Config) { c.ModelType = "gemma3" }), `model_type "gemma3" is not supported`},
		{"sliding layers", with(llama, func(c *Config) { c.LayerTypes = []string{"full_attention", "sliding_attention"} }), "layer_types other than full_attention are not supported in llama models"},
		{"gemma3 layer types", with(llama, func(c *Config) { c.ModelType, c.LayerTypes = Gemma3Text, []string{"full_attention"} }), "layer_types has 1 entries for 2 layers"},
		{"gpt2 scale elsewhere", with(llama, func(c *Config) { c.ScaleAttnByInverseLayerIdx = true }), "are GPT-2's, not part of llama models"},
		{"softcap elsewhere", with(llama, func(c *Config) { c.AttnLogitSoftcapping = 50 }), "are Gemma 2's, not part of llama models"},
		{"gemma act", with(llama, func(c *Config) { c.ModelType, c.HiddenActivation = Gemma, "gelu" }), `hidden_activation "gelu" is not supported`},
		{"positions", with(llama, func(c *Config) { c.MaxPositionEmbeddings = 1e12 }), "max_position_embeddings is 1000000000000, must be in [1, 16777216]"},
		{"layers", with(llama, func(c *Config) { c.NumHiddenLayers = 1e9 }), "num_hidden_layers is 1000000000, must be in [1, 4096]"},
		{"gpt2 layers", with(gpt, func(c *Config) { c.NLayer = 1e9 }), "n_layer is 1000000000"},
		{"vocab", with(gpt, func(c *Config) { c.VocabSize = 1 << 40 }), "vocab_size is 1099511627776"},
		{"width", with(gpt, func(c *Config) { c.NEmbd = 1 << 62 }), "n_embd is 4611686018427387904"},
		{"heads", with(llama, func(c *Config) { c.NumAttentionHeads = 1 << 20 }), "num_attention_heads is 1048576"},
		{"kv heads", with(llama, func(c *Config) { c.NumKeyValueHeads = -2 }), "num_key_value_heads is -2"},
		{"mlp", with(llama, func(c *Config) { c.IntermediateSize = 1 << 40 }), "intermediate_size is 1099511627776"},
		{"gpt2 mlp", with(gpt, func(c *Config) { c.NInner = -1 }), "n_inner (0: 4·n_embd) is -1"},
		{"gpt2 positions", with(gpt, func(c *Config) { c.NPositions = 1 << 30 }), "n_positions is 1073741824"},
		{"rope table", with(llama, func(c *Config) { c.MaxPositionEmbeddings, c.HiddenSize = 1<<24, 1024 }), "RoPE table"},
		{"parameters", with(gpt, func(c *Config) { c.NLayer, c.NEmbd, c.NHead = 4096, 1<<16, 1 }), "parameters are more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			m, err := New(tc.cfg, 1)
			runtime.ReadMemStats(&after)
			if err == nil || m != nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: model %v, error %v; want an error mentioning %q", m != nil, err, tc.want)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("allocated %d MiB before refusing", grew>>20)
			}
		})
	}

	dir := t.TempDir()
	// Hugging Face's own config files, abridged, read as they are.
	for name, js := range map[string]string{
		"gpt2": `{"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "layer_norm_epsilon": 1e-05,
			"model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_inner": null, "n_layer": 12,
			"n_positions": 1024, "vocab_size": 50257}`,
		"smollm2": `{"architectures": ["LlamaForCausalLM"], "hidden_act": "silu", "hidden_size": 576, "intermediate_size": 1536,
			"max_position_embeddings": 8192, "model_type": "llama", "num_attention_heads": 9, "num_hidden_layers": 30,
			"num_key_value_heads": 3, "rms_norm_eps": 1e-05, "rope_scaling": null, "rope_theta": 100000,
			"tie_word_embeddings": true, "vocab_size": 49152}`,
	} {
		path := filepath.Join(dir, name+".json")
		os.WriteFile(path, []byte(js), 0o644)
		if _, err := ReadConfig(path); err != nil {
			t.Errorf("ReadConfig(%s): %v", name, err)
		}
	}
	bad := filepath.Join(dir, "config.json")
	os.WriteFile(bad, []byte(`{"model_type": "gpt2", "n_embd": "wide"}`), 0o644)
	if _, err := ReadConfig(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("ReadConfig of malformed JSON: %v", err)
	}
	os.WriteFile(bad, []byte(`{"model_type": "gpt2"}`), 0o644)
	if _, err := ReadConfig(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("ReadConfig of an incomplete config: %v", err)
	}
}

// TestModelLargerThanMemory checks that a model whose weights and
// gradients do not fit in the machine's memory is refused, not allocated.
func TestModelLargerThanMemory(t *testing.T) {
	defer func(f func() (int64, bool)) { physicalMemory = f }(physicalMemory)
	physicalMemory = func() (int64, bool) { return 1 << 30, true }
	cfg := Config{ModelType: GPT2, VocabSize: 50257, NEmbd: 1024, NLayer: 24, NHead: 16, NPositions: 1024} // 355 M parameters
	if _, err := New(cfg, 1); err == nil || !strings.Contains(err.Error(), "more than this machine's memory (1.0 GiB)") {
		t.Errorf("New = %v, want it refused for memory", err)
	}
}

func TestBatchErrors(t *testing.T) {
	m, err := New(tinyConfigs[0].cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	ok := randomTokens(8, 37, 1)
	long := randomTokens(17, 37, 1)
	for _, tc := range []struct {
		name          string
		tokens        []int32
		B, T          int
		targets, want string
	}{
		{"token too big", []int32{1, 2, 37, 4}, 2, 2, "", "token 37 at batch 1, position 0 is outside the vocabulary [0, 37)"},
		{"negative token", []int32{1, -2, 3, 4}, 1, 4, "", "token -2 at batch 0, position 1"},
		{"too long", long, 1, 17, "", "sequence of 17 tokens is longer than the context of 16"},
		{"count", ok, 3, 3, "", "8 tokens for a batch [3, 3]"},
		{"empty", nil, 0, 4, "", "empty"},
		{"bad target", ok, 2, 4, "bad", "target 40 at batch 1, position 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			targets := make([]int32, len(tc.tokens))
			if tc.targets == "bad" {
				targets[len(targets)-1] = 40
			}
			if _, err := m.Forward(tc.tokens, tc.B, tc.T, targets, loss.Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Forward: %v; want %q", err, tc.want)
			}
			if _, err := m.ForwardBackward(tc.tokens, tc.B, tc.T, targets, loss.Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ForwardBackward: %v; want %q", err, tc.want)
			}
			if tc.targets == "" {
				if _, err := m.Logits(tc.tokens, tc.B, tc.T); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Logits: %v; want %q", err, tc.want)
				}
			}
		})
	}
	if _, err := m.Forward(ok, 2, 4, nil, loss.Options{}); err == nil {
		t.Error("Forward without targets succeeded")
	}
	dec := NewDecoder(m)
	if _, err := dec.Step(99); err == nil || !strings.Contains(err.Error(), "token 99 at position 0") {
		t.Errorf("Step(99): %v", err)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range tinyConfigs {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := New(tc.cfg, 5)
			path := filepath.Join(dir, tc.name+".safetensors")
			if err := m.Save(path); err != nil {
				t.Fatal(err)
			}
			back, err := Load(tc.cfg, path)
			if err != nil {
				t.Fatal(err)
			}
			if maxAbsDiff(m.params, back.params) != 0 {
				t.Error("Save then Load changed the parameters")
			}
		})
	}
}

// TestLoadErrors: every mismatch between a file and a config is an error
// naming the file and the tensor.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfigs[0].cfg
	m, _ := New(cfg, 5)
	params := func() []safetensors.Tensor {
		var ts []safetensors.Tensor
		for _, p := range m.Params() {
			ts = append(ts, safetensors.FromFloat32(p.Name, p.Shape, p.Data))
		}
		return ts
	}
	write := func(name string, ts []safetensors.Tensor) string {
		path := filepath.Join(dir, name)
		if err := safetensors.WriteFile(path, ts, nil); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.safetensors", params())
	raw, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.safetensors")
	os.WriteFile(truncated, raw[:len(raw)-10], 0o644)

	missing := params()[1:]
	reshaped := params()
	reshaped[4].Shape = []int{reshaped[4].Len()} // h.0.attn.c_attn.weight
	extra := append(params(), safetensors.FromFloat32("h.2.ln_1.weight", []int{16}, make([]float32, 16)))
	ints := params()
	ints[0] = safetensors.Tensor{Name: ints[0].Name, DType: safetensors.I32, Shape: ints[0].Shape, Data: ints[0].Data}
	// What Hugging Face checkpoints carry besides the parameters loads.
	hf := params()
	for i := range hf {
		hf[i].Name = "transformer." + hf[i].Name
	}
	hf = append(hf, safetensors.FromFloat32("h.0.attn.bias", []int{1}, []float32{1}),
		safetensors.FromFloat32("lm_head.weight", []int{37, 16}, m.wte))
	if _, err := Load(cfg, write("hf.safetensors", hf)); err != nil {
		t.Errorf("Load of a Hugging Face style file: %v", err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"truncated", truncated, `truncated.safetensors: tensor "ln_f.bias": truncated`},
		{"missing", write("missing.safetensors", missing), `missing.safetensors: no tensor "wte.weight"`},
		{"shape", write("shape.safetensors", reshaped), `tensor "h.0.attn.c_attn.weight" has shape [768], the config needs [16 48]`},
		{"extra", write("extra.safetensors", extra), `tensor "h.2.ln_1.weight" has no place`},
		{"dtype", write("dtype.safetensors", ints), `"wte.weight" has dtype I32`},
		{"no file", filepath.Join(dir, "nope"), "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(cfg, tc.path)
			if err == nil || m != nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v; want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// TestDeterministic: the same seed and batch give the same bits, run after
// run and for every thread count.
func TestDeterministic(t *testing.T) {
	for _, tc := range tinyConfigs {
		var ref []float32
		var refLoss float64
		for _, threads := range []int{1, 1, 2, 3} {
			m, _ := New(tc.cfg, 11)
			m.Threads = threads
			tokens := randomTokens(3*10, tc.cfg.VocabSize, 4)
			l, err := m.ForwardBackward(tokens, 3, 10, nextTokens(tokens, 3, 10), loss.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref, refLoss = m.grads, l
				continue
			}
			if l != refLoss || maxAbsDiff(m.grads, ref) != 0 {
				t.Errorf("%s: %d threads: loss %v vs %v, gradients differ by %g", tc.name, threads, l, refLoss, maxAbsDiff(m.grads, ref))
			}
		}
	}
}

// TestActivationBytes holds activationBytes to what acts allocates, for
// both families, counting every slice in the buffers by reflection (so a
// new buffer that the estimate forgets fails here).
func TestActivationBytes(t *testing.T) {
	for _, tc := range tinyConfigs {
		m, err := New(tc.cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, bt := range [][2]int{{1, 1}, {3, 5}, {2, 16}} {
			a := m.acts(bt[0], bt[1])
			if got, want := m.activationBytes(bt[0], bt[1]), float64(sliceBytes(reflect.ValueOf(*a))); got != want {
				t.Errorf("%s [%d, %d]: activationBytes %v, acts holds %v", tc.name, bt[0], bt[1], got, want)
			}
		}
	}
}

// sliceBytes sums the bytes of the slices of 4-byte elements in v.
func sliceBytes(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Slice:
		if k := v.Type().Elem().Kind(); k == reflect.Float32 || k == reflect.Int32 {
			return 4 * v.Len()
		}
		n := 0
		for i := range v.Len() {
			n += sliceBytes(v.Index(i))
		}
		return n
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			n += sliceBytes(v.Field(i))
		}
		return n
	}
	return 0
}

// TestBatchLargerThanMemory checks that a batch whose activations do not
// fit in the machine's memory is refused before anything is allocated.
func TestBatchLargerThanMemory(t *testing.T) {
	m, err := New(tinyConfigs[1].cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckBatch(4, 16); err != nil {
		t.Errorf("a small batch: %v", err)
	}
	defer func(f func() (int64, bool)) { physicalMemory = f }(physicalMemory)
	physicalMemory = func() (int64, bool) { return 1 << 30, true }
	want := "model: the activations of a batch [100000000, 16] need"
	if err := m.CheckBatch(1e8, 16); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "more than this machine's memory (1.0 GiB)") {
		t.Errorf("error %v, want one starting %q", err, want)
	}
	if _, err := m.Forward(make([]int32, 1e5*16), 1e5, 16, make([]int32, 1e5*16), loss.Options{}); err == nil || !strings.Contains(err.Error(), "the activations of a batch") {
		t.Errorf("Forward of a batch too big for 1 GiB: error %v", err)
	}
}
