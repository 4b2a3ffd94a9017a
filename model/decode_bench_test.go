package model

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/xent-dev/xent/internal/par"
)

// generateBench is GPT-2 small with random weights and, per weight type,
// a decoder fed the first maxT−1 of its tokens; built once per process and
// shared by the runs of -count.
var generateBench struct {
	once   sync.Once
	m      *Model
	tokens []int32
	decs   map[string]*Decoder
	err    error
}

// BenchmarkGenerate measures KV-cache decoding of GPT-2 small (124M
// parameters, random weights) with float32 and with bfloat16 weights, at
// context lengths 128 and 1024. Every timed step decodes the token at
// position ctx−1, attending to ctx positions, and is then taken back, so
// that each costs what a step at that context costs. It
// reports tokens/s and GB/s, the bytes a step must read (every weight
// matrix, as float32 or bfloat16, and the KV cache) times steps/s: the
// figure to hold against the machine's memory bandwidth
// (BenchmarkStreamRead).
func BenchmarkGenerate(b *testing.B) {
	cfg := Config{ModelType: GPT2, VocabSize: 50257, NEmbd: 768, NLayer: 12, NHead: 12, NPositions: 1024}
	b.Run("gpt2-124M", func(b *testing.B) {
		g := &generateBench
		g.once.Do(func() {
			g.m, g.err = New(cfg, 1)
			if g.err != nil {
				return
			}
			g.tokens = randomTokens(cfg.NPositions, cfg.VocabSize, 1)
			g.decs = map[string]*Decoder{"f32": NewDecoder(g.m), "bf16": NewDecoderBF16(g.m)}
			logits := make([]float32, cfg.VocabSize)
			for _, dec := range g.decs {
				for _, tok := range g.tokens[:cfg.NPositions-1] {
					if g.err = dec.StepInto(tok, logits); g.err != nil {
						return
					}
				}
			}
		})
		if g.err != nil {
			b.Fatal(g.err)
		}
		for _, wt := range []struct {
			name string
			size int // bytes per weight
		}{{"f32", 4}, {"bf16", 2}} {
			dec := g.decs[wt.name]
			for _, ctx := range []int{128, 1024} {
				b.Run(fmt.Sprintf("%s/ctx=%d", wt.name, ctx), func(b *testing.B) {
					logits := make([]float32, cfg.VocabSize)
					for b.Loop() {
						// The cache holds the prefill's keys and values at
						// every position (a timed step rewrites position
						// ctx−1 with what the prefill wrote there), so
						// the position may move forward again, which
						// Truncate does not allow.
						dec.pos = ctx - 1
						if err := dec.StepInto(g.tokens[ctx-1], logits); err != nil {
							b.Fatal(err)
						}
					}
					steps := float64(b.N) / b.Elapsed().Seconds()
					b.ReportMetric(steps, "tokens/s")
					b.ReportMetric(float64(stepBytes(g.m, wt.size, ctx))*steps/1e9, "GB/s")
				})
			}
		}
	})
}

// stepBytes is what one decoding step at context ctx must read: every
// weight matrix but the position embedding (one row of it is read) at
// size bytes a weight, the float32 norms and biases, and the float32 keys
// and values of ctx positions in every layer.
func stepBytes(m *Model, size, ctx int) int {
	n := 0
	for _, p := range m.Params() {
		switch {
		case len(p.Shape) == 2 && p.Name != "wpe.weight":
			n += len(p.Data) * size
		case len(p.Shape) == 1:
			n += len(p.Data) * 4
		}
	}
	d := m.d
	return n + 2*d.L*ctx*d.K*d.D*4
}

// BenchmarkStreamRead reads 1 GiB of memory on GOMAXPROCS goroutines and
// reports GB/s: the bandwidth that bounds decoding, which streams every
// weight once per token.
func BenchmarkStreamRead(b *testing.B) {
	buf := make([]uint64, 1<<27)
	for i := range buf {
		buf[i] = uint64(i)
	}
	parts := runtime.GOMAXPROCS(0)
	sums := make([]uint64, parts)
	for b.Loop() {
		par.Split(len(buf), parts, func(w, lo, hi int) { sums[w] += sum64(buf[lo:hi]) })
	}
	b.ReportMetric(float64(b.N*len(buf)*8)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// sum64 is the wrapping sum of x, eight independent chains wide so that
// the loads, not the adds, set the pace.
func sum64(x []uint64) uint64 {
	var s0, s1, s2, s3, s4, s5, s6, s7 uint64
	for i := 0; i+8 <= len(x); i += 8 {
		c := x[i : i+8 : i+8]
		s0, s1, s2, s3 = s0+c[0], s1+c[1], s2+c[2], s3+c[3]
		s4, s5, s6, s7 = s4+c[4], s5+c[5], s6+c[6], s7+c[7]
	}
	return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}
