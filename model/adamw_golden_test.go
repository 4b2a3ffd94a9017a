package model_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/train"
)

// One full training step, forward, backward and AdamW, lands on PyTorch's
// weights (model/testdata/gen.py) to 1e-4 relative, for every family.
//
// Adam divides each gradient by its own magnitude, so where the true
// gradient is zero (GPT-2's key biases: a constant added to every key
// leaves the softmax unchanged) it turns rounding noise of 1e-9 into a full
// ±lr step of arbitrary sign, in PyTorch and here alike. Elements whose
// gradient, PyTorch's and ours, is below 1e-5 of their tensor's largest and
// not exactly zero on both sides are left out (exact zeros, as unused
// embedding rows, still check the weight decay).
func TestTrainingStepMatchesPyTorch(t *testing.T) {
	for _, name := range []string{"gpt2", "llama", "llama-tied"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			cfg, err := model.ReadConfig(filepath.Join(dir, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := model.Load(cfg, filepath.Join(dir, "init.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			var in struct {
				B, T            int
				Tokens, Targets []int32
			}
			raw, err := os.ReadFile(filepath.Join(dir, "batch.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &in); err != nil {
				t.Fatal(err)
			}
			golden, err := safetensors.ReadFile(filepath.Join(dir, "golden.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			m.ZeroGrads()
			if _, err := m.ForwardBackward(in.Tokens, in.B, in.T, in.Targets, loss.Options{}); err != nil {
				t.Fatal(err)
			}
			ours := map[string][]float32{}
			for _, g := range m.Grads() {
				ours[g.Name] = append([]float32(nil), g.Data...)
			}
			decay, err := train.DecayRanges(m)
			if err != nil {
				t.Fatal(err)
			}
			opt := train.NewAdamW(len(m.ParamBuffer()), 0.1, decay)
			if err := opt.Update(m.ParamBuffer(), m.GradBuffer(), 1e-2); err != nil {
				t.Fatal(err)
			}
			for _, p := range m.Params() {
				g, ok := golden.Tensor("after." + p.Name)
				if !ok {
					t.Fatalf("golden lacks after.%s (rerun model/testdata/gen.py)", p.Name)
				}
				want, err := g.Float32s()
				if err != nil {
					t.Fatal(err)
				}
				gt, _ := golden.Tensor("grad." + p.Name)
				grad, err := gt.Float32s()
				if err != nil {
					t.Fatal(err)
				}
				var gmax float64
				for _, g := range grad {
					gmax = math.Max(gmax, math.Abs(float64(g)))
				}
				var num, den float64
				for i := range want {
					g, o := math.Abs(float64(grad[i])), math.Abs(float64(ours[p.Name][i]))
					if max(g, o) < 1e-5*gmax && (g != 0 || o != 0) {
						continue
					}
					d := float64(p.Data[i] - want[i])
					num += d * d
					den += float64(want[i]) * float64(want[i])
				}
				if e := math.Sqrt(num / den); e > 1e-4 {
					t.Errorf("%s after the step: relative error %.3g", p.Name, e)
				}
			}
		})
	}
}
