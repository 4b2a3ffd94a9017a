package model

import (
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/loss"
)

var update = flag.Bool("update", false, "rewrite the golden inputs in testdata/ (then rerun testdata/gen.py)")

// batch is a golden case's input tokens and targets [B, T].
type batch struct {
	B, T    int
	Tokens  []int32
	Targets []int32
}

// writeGoldenInputs writes a case's config.json, init.safetensors and
// batch.json. The weights are spread wider than New's (biases and norm
// weights too), so that every path carries a visible signal.
func writeGoldenInputs(t *testing.T, dir string, cfg Config, seed uint64) {
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	for _, s := range m.specs {
		mean, std := float32(0), float32(0.3)
		if s.init == 0 && s.filled == 1 {
			mean, std = 1, 0.1
		}
		for i := range m.view(m.params, s.name) {
			m.params[s.off+i] = mean + std*float32(rng.NormFloat64())
		}
	}
	os.MkdirAll(dir, 0o755)
	if err := m.Save(filepath.Join(dir, "init.safetensors")); err != nil {
		t.Fatal(err)
	}
	B, T := 2, 8
	if n, ok := goldenT[filepath.Base(dir)]; ok {
		T = n
	}
	tokens := randomTokens(B*T, cfg.VocabSize, seed)
	targets := nextTokens(tokens, B, T)
	targets[T-1] = -100 // the ignore index
	targets[2*T-1] = 5
	for name, v := range map[string]any{"config.json": cfg, "batch.json": batch{B, T, tokens, targets}} {
		b, _ := json.MarshalIndent(v, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// relErr is max |got − want| / max |want|.
func relErr(got, want []float32) float64 {
	var scale float64
	for _, w := range want {
		scale = max(scale, math.Abs(float64(w)))
	}
	return maxAbsDiff(got, want) / max(scale, 1e-30)
}

// TestPyTorchGoldens loads the weights testdata/gen.py read, runs the
// forward and backward, and compares the logits, loss and every gradient
// with PyTorch's (float64), to 1e-4 relative to each tensor's largest
// value, under every sgemm implementation.
func TestPyTorchGoldens(t *testing.T) {
	if *update {
		for i, tc := range tinyConfigs {
			writeGoldenInputs(t, filepath.Join("testdata", tc.name), tc.cfg, uint64(100+i))
		}
	}
	forEachImpl(t, checkGoldens)
}

func checkGoldens(t *testing.T) {
	const tol = 1e-4
	for _, tc := range tinyConfigs {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.name)
			cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Load(cfg, filepath.Join(dir, "init.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			var in batch
			b, err := os.ReadFile(filepath.Join(dir, "batch.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &in); err != nil {
				t.Fatal(err)
			}
			golden, err := safetensors.ReadFile(filepath.Join(dir, "golden.safetensors"))
			if err != nil {
				t.Fatalf("%v (run /usr/bin/python3 model/testdata/gen.py)", err)
			}
			want := func(name string) []float32 {
				tt, ok := golden.Tensor(name)
				if !ok {
					t.Fatalf("golden has no %q", name)
				}
				x, err := tt.Float32s()
				if err != nil {
					t.Fatal(err)
				}
				return x
			}

			logits, err := m.Logits(in.Tokens, in.B, in.T)
			if err != nil {
				t.Fatal(err)
			}
			l, err := m.ForwardBackward(in.Tokens, in.B, in.T, in.Targets, loss.Options{})
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			check := func(name string, got, want []float32) {
				if len(got) != len(want) {
					t.Fatalf("%s: %d values, golden has %d", name, len(got), len(want))
				}
				e := relErr(got, want)
				worst = max(worst, e)
				if e > tol {
					t.Errorf("%s: relative error %.3g > %g", name, e, tol)
				}
			}
			check("logits", logits, want("logits"))
			check("loss", []float32{float32(l)}, want("loss"))
			for _, g := range m.Grads() {
				check("grad of "+g.Name, g.Data, want("grad."+g.Name))
			}
			t.Logf("loss %.6f; worst relative error %.3g over logits, loss and %d gradients", l, worst, len(m.specs))
		})
	}
}
