package quant

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/gemm"
)

// benchShapes are the matrices of a SmolLM2-135M (C 576, F 1536, V
// 49152) and a Qwen2.5-0.5B (C 896, F 4864, V 151936): attention
// (C×C), MLP up (F×C), down (C×F), head (V×C); W is [out, in].
var benchShapes = []struct {
	name    string
	out, in int
	big     bool
}{
	{"smol-attn-576x576", 576, 576, false},
	{"smol-up-1536x576", 1536, 576, false},
	{"smol-down-576x1536", 576, 1536, false},
	{"smol-head-49152x576", 49152, 576, true},
	{"qwen-attn-896x896", 896, 896, false},
	{"qwen-up-4864x896", 4864, 896, false},
	{"qwen-down-896x4864", 896, 4864, false},
	{"qwen-head-151936x896", 151936, 896, true},
}

// BenchmarkMulT: GFLOPS (2·n·out·in per call) of MulT at n = 512 rows on
// 2 threads, per weight type and shape, beside gemm.Sgemm on the same
// weights dequantized to float32 beforehand (what the loader did: the
// "sgemm" rows). The heads run without -short only. q4_K/q5_K/q6_K need
// rows of 256 values, so only the shapes with in a multiple of 256 have
// them (llama-quantize falls back to q5_0, q5_1, q8_0 for the others).
func BenchmarkMulT(b *testing.B) {
	const n, threads = 512, 2
	rng := rand.New(rand.NewPCG(11, 12))
	for _, typ := range []gguf.Type{gguf.F16, gguf.Q8_0, gguf.Q5_0, gguf.Q4_0, gguf.Q4_K, gguf.Q5_K, gguf.Q6_K} {
		for _, sh := range benchShapes {
			if sh.in%typ.BlockSize() != 0 {
				continue
			}
			b.Run(fmt.Sprintf("%s/%s", typ, sh.name), func(b *testing.B) {
				if sh.big && testing.Short() {
					b.Skip("head shapes run without -short")
				}
				m := randomMatrix(b, typ, sh.out, sh.in, rng)
				x := randomActs(n, sh.in, rng)
				y := make([]float32, n*sh.out)
				for b.Loop() {
					m.MulT(x, n, sh.in, y, sh.out, 0, threads)
				}
				b.ReportMetric(2*float64(n)*float64(sh.out)*float64(sh.in)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
	}
	for _, sh := range benchShapes {
		b.Run("sgemm/"+sh.name, func(b *testing.B) {
			if sh.big && testing.Short() {
				b.Skip("head shapes run without -short")
			}
			w := randomActs(sh.out, sh.in, rng)
			x := randomActs(n, sh.in, rng)
			y := make([]float32, n*sh.out)
			for b.Loop() {
				gemm.Sgemm(gemm.NoTrans, gemm.Trans, n, sh.out, sh.in, 1, x, sh.in, w, sh.in, 0, y, sh.out, threads)
			}
			b.ReportMetric(2*float64(n)*float64(sh.out)*float64(sh.in)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}

// BenchmarkKernels: GFLOPS of MulT per kernel set (avx512vnni, avx2,
// generic: those this CPU runs), type and shape, at n = 512 rows on 2
// threads, for the types with kernels and the SmolLM2 shapes (and
// Qwen2.5's MLP down, rows of 4864).
func BenchmarkKernels(b *testing.B) {
	const n, threads = 512, 2
	names := Implementations()
	defer Use(names[0])
	rng := rand.New(rand.NewPCG(13, 14))
	for _, typ := range []gguf.Type{gguf.Q8_0, gguf.Q4_0, gguf.Q5_0, gguf.Q2_K, gguf.Q3_K, gguf.Q4_K, gguf.Q5_K, gguf.Q6_K} {
		for _, sh := range benchShapes {
			if sh.big || sh.in%typ.BlockSize() != 0 || (sh.name != "smol-up-1536x576" && sh.name != "qwen-down-896x4864") {
				continue
			}
			m := randomMatrix(b, typ, sh.out, sh.in, rng)
			x := randomActs(n, sh.in, rng)
			y := make([]float32, n*sh.out)
			for _, name := range names {
				b.Run(fmt.Sprintf("%s/%s/%s", name, typ, sh.name), func(b *testing.B) {
					Use(name)
					for b.Loop() {
						m.MulT(x, n, sh.in, y, sh.out, 0, threads)
					}
					b.ReportMetric(2*float64(n)*float64(sh.out)*float64(sh.in)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
				})
			}
		}
	}
}
