package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/model"
)

// randomInference returns an inference-only model of the real checkpoint's
// shape of tinyhf family name, its matrices bfloat16 uniform in ±0.02·√3
// (standard deviation 0.02), norm weights 1 and biases 0, from seed:
// random weights held as a bf16 checkpoint's are, without a file.
func randomInference(tb testing.TB, name string, seed uint64) *model.Model {
	tb.Helper()
	s, err := tinyhf.Find(name)
	if err != nil {
		tb.Fatal(err)
	}
	if s, err = s.FullSize(); err != nil {
		tb.Fatal(err)
	}
	raw, err := json.Marshal(s.Config)
	if err != nil {
		tb.Fatal(err)
	}
	var cfg model.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		tb.Fatal(err)
	}
	shapes, err := cfg.ParamShapes()
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	ws := map[string]model.Weight{}
	row := make([]float32, 4096)
	for _, p := range shapes {
		n := 1
		for _, d := range p.Shape {
			n *= d
		}
		if len(p.Shape) == 1 {
			w := make([]float32, n)
			if strings.HasSuffix(p.Name, "norm.weight") {
				for i := range w {
					w[i] = 1
				}
			}
			ws[p.Name] = model.Weight{F32: w}
			continue
		}
		w := make([]uint16, n)
		for i := 0; i < n; i += len(row) {
			k := min(len(row), n-i)
			for j := range k {
				row[j] = float32((rng.Float64()*2 - 1) * 0.0346)
			}
			kernels.F32ToBF16(w[i:i+k], row[:k])
		}
		ws[p.Name] = model.Weight{BF16: w}
	}
	m, err := model.NewInference(cfg, ws)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// peakRSS is the process's peak resident memory in bytes (VmHWM), or 0
// where /proc does not tell.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// evalLean is BenchmarkEval's inference models: it scores one window of
// ctx random tokens under the disjoint scheme with inference-only models of the shapes of SmolLM2-135M
// and Qwen2.5-0.5B, random bf16 weights, in f32 and bf16 compute, and
// reports tokens/s, tokens per CPU-second of the process (with -cpu 1,
// the rate a loaded machine leaves intact), the weights' bytes and the
// process's peak RSS (which counts every model made before it in the same
// run: run one at a time for the model's own peak). The 0.5B model is
// skipped under -short.
func evalLean(b *testing.B) {
	for _, fam := range []struct{ name, label string }{{"smollm2-135m", "smollm2-135M"}, {"qwen2.5-0.5b", "qwen2.5-0.5B"}} {
		var m *model.Model
		for _, compute := range []model.Compute{model.ComputeF32, model.ComputeBF16} {
			const ctx = 512
			b.Run(fam.label+",ctx="+strconv.Itoa(ctx)+",compute="+compute.String(), func(b *testing.B) {
				if testing.Short() && fam.name != "smollm2-135m" {
					b.Skip("a 0.5B model under -short")
				}
				if compute == model.ComputeBF16 && gemm.ActiveBF16Native() == "generic" {
					b.Skip("no AVX512_BF16 here: bf16 compute would time the generic Go kernel")
				}
				if m == nil {
					m = randomInference(b, fam.name, 1)
				}
				if err := m.SetCompute(compute); err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, 2))
				ids := make([]int32, ctx)
				for i := range ids {
					ids[i] = rng.Int32N(int32(m.VocabSize()))
				}
				e, err := New(m, nil, 0, Options{Scheme: Disjoint, Ctx: ctx})
				if err != nil {
					b.Fatal(err)
				}
				if err := e.EvaluateTokens(context.Background(), ids); err != nil { // the scratch made and touched
					b.Fatal(err)
				}
				c0 := cpuSeconds()
				for b.Loop() {
					if err := e.EvaluateTokens(context.Background(), ids); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(ctx)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
				if cpu := cpuSeconds() - c0; cpu > 0 {
					b.ReportMetric(float64(ctx)*float64(b.N)/cpu, "tokens/cpu-s")
				}
				b.ReportMetric(float64(m.WeightBytes())/1e6, "weight-MB")
				if rss := peakRSS(); rss > 0 {
					b.ReportMetric(rss/1e6, "peakRSS-MB")
				}
			})
		}
	}
}
