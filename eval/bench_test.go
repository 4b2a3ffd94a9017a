package eval

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/xent-dev/xent/model"
)

// BenchmarkEval scores one document of ctx tokens under the disjoint
// scheme (one window, every position scored: the forward pass, the head a
// chunk at a time, and every metric) and reports tokens/s: a randomly
// initialised GPT-2 124M (trainable, float32), and inference-only models
// of the shapes of SmolLM2-135M and Qwen2.5-0.5B with random bf16 weights
// in f32 and bf16 compute (evalLean). bench/eval_run.sh runs the GPT-2
// case beside PyTorch.
func BenchmarkEval(b *testing.B) {
	cfg := model.Config{ModelType: model.GPT2, VocabSize: 50257, NEmbd: 768, NLayer: 12, NHead: 12, NPositions: 1024}
	var m *model.Model
	for _, ctx := range []int{1024} {
		b.Run("gpt2-124M,ctx="+strconv.Itoa(ctx), func(b *testing.B) {
			if m == nil {
				var err error
				if m, err = model.New(cfg, 1); err != nil {
					b.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			ids := make([]int32, ctx)
			for i := range ids {
				ids[i] = rng.Int32N(int32(cfg.VocabSize))
			}
			e, err := New(m, nil, 50256, Options{Scheme: Disjoint, Ctx: ctx})
			if err != nil {
				b.Fatal(err)
			}
			// One window first, so that the activation buffers exist and have
			// been touched: the loop times the steady state of a long text.
			if err := e.EvaluateTokens(context.Background(), ids); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := e.EvaluateTokens(context.Background(), ids); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(ctx)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
	m = nil
	evalLean(b)
}
