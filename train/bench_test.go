package train

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
)

// BenchmarkTrainStep times one full training step of GPT-2 small from a
// random initialisation: ZeroGrads, ForwardBackward on a batch [B, T] of
// random tokens against their successors, and ClipAndUpdate (clipping to
// norm 1.0 inside the AdamW pass, lr 3e-4, weight decay 0.1 on the
// matrices), and reports tokens/s
// (B·T tokens per step). One untimed step first makes the timed ones the
// steady state: the first touches the gradient buffer, the AdamW moments
// and the activations (for GPT-2 small, over 2 GB of fresh pages). It is
// the xent side of the llm.c comparison in bench/train_step_run.sh; `xent
// bench train` runs the same step. The ",compute=bf16" case is the same
// step in mixed precision (Settings.Compute "bf16": the bfloat16 copy of
// the weights rounded, then the blocks' products in bfloat16).
func BenchmarkTrainStep(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  model.Config
		B, T int
	}{
		{"gpt2-124M", gpt2Small, 4, 64},
	} {
		for _, mixed := range []bool{false, true} {
			name := fmt.Sprintf("%s,B=%d,T=%d", bc.name, bc.B, bc.T)
			if mixed {
				name += ",compute=bf16"
			}
			b.Run(name, func(b *testing.B) {
				step := newBenchStep(b, bc.cfg, bc.B, bc.T)
				step(mixed) // warm-up, untimed: b.Loop resets the timer on its first call
				for b.Loop() {
					step(mixed)
				}
				b.ReportMetric(float64(b.N*bc.B*bc.T)/b.Elapsed().Seconds(), "tokens/s")
			})
		}
	}
}

var gpt2Small = model.Config{ModelType: model.GPT2, VocabSize: 50257, NEmbd: 768, NLayer: 12, NHead: 12, NPositions: 1024}

// newBenchStep returns BenchmarkTrainStep's step on a new model of cfg,
// in mixed precision or float32.
func newBenchStep(b *testing.B, cfg model.Config, B, T int) func(mixed bool) {
	m, err := model.New(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	decay, err := DecayRanges(m)
	if err != nil {
		b.Fatal(err)
	}
	opt := NewAdamW(len(m.ParamBuffer()), 0.1, decay)
	rng := rand.New(rand.NewPCG(1, 1))
	tokens := make([]int32, B*T+1)
	for i := range tokens {
		tokens[i] = int32(rng.IntN(cfg.VocabSize))
	}
	inputs, targets := tokens[:B*T], tokens[1:]
	return func(mixed bool) {
		m.ZeroGrads()
		if err := m.SetMixedBF16(mixed); err != nil {
			b.Fatal(err)
		}
		if _, err := m.ForwardBackward(inputs, B, T, targets, loss.Options{}); err != nil {
			b.Fatal(err)
		}
		if err := m.SetMixedBF16(false); err != nil {
			b.Fatal(err)
		}
		if _, err := opt.ClipAndUpdate(m.ParamBuffer(), m.GradBuffer(), 3e-4, 1.0, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainStepCompute runs BenchmarkTrainStep's GPT-2 small step
// (B=4, T=64) in float32 and in mixed precision alternately, on one model,
// so that both see the same machine (this one is shared), and reports
// both rates and the speed-up of bf16 compute, by the wall clock and by
// the CPU time the process used (with -cpu 1, the measure that a loaded
// machine leaves nearly intact).
func BenchmarkTrainStepCompute(b *testing.B) {
	const B, T = 4, 64
	step := newBenchStep(b, gpt2Small, B, T)
	step(false)
	step(true)
	var spent [2]time.Duration
	var cpu [2]float64
	for b.Loop() {
		for i, mixed := range []bool{false, true} {
			start, c0 := time.Now(), cpuSeconds()
			step(mixed)
			spent[i] += time.Since(start)
			cpu[i] += cpuSeconds() - c0
		}
	}
	b.ReportMetric(float64(b.N*B*T)/spent[0].Seconds(), "f32-tokens/s")
	b.ReportMetric(float64(b.N*B*T)/spent[1].Seconds(), "bf16-tokens/s")
	b.ReportMetric(spent[0].Seconds()/spent[1].Seconds(), "bf16-speedup")
	if cpu[0] > 0 && cpu[1] > 0 {
		b.ReportMetric(float64(b.N*B*T)/cpu[0], "f32-tokens/cpu-s")
		b.ReportMetric(float64(b.N*B*T)/cpu[1], "bf16-tokens/cpu-s")
		b.ReportMetric(cpu[0]/cpu[1], "bf16-cpu-speedup")
	}
}

// BenchmarkScheduledSampling times Trainer.Next on the default `xent
// train` model (Llama, 4 layers, width 256, vocabulary 2048, B=16, T=128)
// with pure teacher forcing and with scheduled sampling at a constant
// ε = 0.5, whose extra teacher-forced pass and draws are the whole
// difference. Each iteration runs one step of each, alternately, so that
// both see the same machine (this one is shared); it reports both rates
// and the cost ratio.
func BenchmarkScheduledSampling(b *testing.B) {
	cfg := model.Config{ModelType: model.Llama, VocabSize: 2048, HiddenSize: 256, IntermediateSize: 704, NumHiddenLayers: 4,
		NumAttentionHeads: 4, RMSNormEps: 1e-5, RopeTheta: 10000, MaxPositionEmbeddings: 128, TieWordEmbeddings: true}
	rng := rand.New(rand.NewPCG(1, 1))
	tokens := make([]int32, 1<<16)
	for i := range tokens {
		tokens[i] = int32(rng.IntN(cfg.VocabSize))
	}
	tf := Settings{Batch: 16, Context: 128, GradAccum: 1, Steps: 1 << 20,
		Optim: Optim{LR: 3e-3, Warmup: 40, Schedule: "cosine", MinLRRatio: 0.1, WeightDecay: 0.1, Beta2: 0.99, ClipNorm: 1}, Seed: 1}
	ss := tf
	ss.ScheduledSampling, ss.SSK, ss.SSMin = SSLinear, 0.5, 0.5 // ε = 0.5 at every step
	var trainers []*Trainer
	for _, s := range []Settings{tf, ss} {
		m, err := model.New(cfg, 1)
		if err != nil {
			b.Fatal(err)
		}
		tr, err := NewTrainer(m, tokens, s)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tr.Next(); err != nil { // warm-up, untimed
			b.Fatal(err)
		}
		trainers = append(trainers, tr)
	}
	var spent [2]time.Duration
	for b.Loop() {
		for i, tr := range trainers {
			start := time.Now()
			if _, err := tr.Next(); err != nil {
				b.Fatal(err)
			}
			spent[i] += time.Since(start)
		}
	}
	b.ReportMetric(float64(b.N)/spent[0].Seconds(), "tf-steps/s")
	b.ReportMetric(float64(b.N)/spent[1].Seconds(), "ss-steps/s")
	b.ReportMetric(spent[1].Seconds()/spent[0].Seconds(), "ss/tf-time")
}
