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
// bench train` runs the same step.
func BenchmarkTrainStep(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  model.Config
		B, T int
	}{
		{"gpt2-124M", model.Config{ModelType: model.GPT2, VocabSize: 50257, NEmbd: 768, NLayer: 12, NHead: 12, NPositions: 1024}, 4, 64},
	} {
		b.Run(fmt.Sprintf("%s,B=%d,T=%d", bc.name, bc.B, bc.T), func(b *testing.B) {
			m, err := model.New(bc.cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			decay, err := DecayRanges(m)
			if err != nil {
				b.Fatal(err)
			}
			opt := NewAdamW(len(m.ParamBuffer()), 0.1, decay)
			rng := rand.New(rand.NewPCG(1, 1))
			tokens := make([]int32, bc.B*bc.T+1)
			for i := range tokens {
				tokens[i] = int32(rng.IntN(bc.cfg.VocabSize))
			}
			inputs, targets := tokens[:bc.B*bc.T], tokens[1:]
			step := func() {
				m.ZeroGrads()
				if _, err := m.ForwardBackward(inputs, bc.B, bc.T, targets, loss.Options{}); err != nil {
					b.Fatal(err)
				}
				if _, err := opt.ClipAndUpdate(m.ParamBuffer(), m.GradBuffer(), 3e-4, 1.0, 1); err != nil {
					b.Fatal(err)
				}
			}
			step() // warm-up, untimed: b.Loop resets the timer on its first call
			for b.Loop() {
				step()
			}
			b.ReportMetric(float64(b.N*bc.B*bc.T)/b.Elapsed().Seconds(), "tokens/s")
		})
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
