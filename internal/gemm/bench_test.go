package gemm

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

// benchShapes are the products of a GPT-2-small step, M×K×N, and a
// decoding step's logits (one row).
var benchShapes = []struct {
	name    string
	m, k, n int
}{
	{"2048x2048x2048", 2048, 2048, 2048},
	{"256x768x2304", 256, 768, 2304},
	{"256x768x3072", 256, 768, 3072},
	{"256x3072x768", 256, 3072, 768},
	{"256x768x50257", 256, 768, 50257},
	{"1x768x50257", 1, 768, 50257},
}

// reportGFLOPS reports an m×n×k product's rate over b's loop: GFLOPS =
// 2·M·N·K / wall time, and cpuGFLOPS = 2·M·N·K / the CPU time the process
// used since cpu0 (cpuSeconds), the rate per busy core, which a machine
// that others load leaves nearly intact (with -cpu 1: spinning goroutines
// would count as busy).
func reportGFLOPS(b *testing.B, m, n, k int, cpu0 float64) {
	flops := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOPS")
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(flops/cpu/1e9, "cpuGFLOPS")
	}
}

// BenchmarkSgemm times C = A·B (no transposes, beta = 0) on GOMAXPROCS
// goroutines for the shapes a GPT-2-small step needs, named M×K×N, and
// reports GFLOPS = 2·M·N·K / time.
func BenchmarkSgemm(b *testing.B) {
	for _, sh := range benchShapes {
		b.Run(sh.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x := make([]float32, sh.m*sh.k)
			w := make([]float32, sh.k*sh.n)
			for i := range x {
				x[i] = r.Float32() - 0.5
			}
			for i := range w {
				w[i] = r.Float32() - 0.5
			}
			c := make([]float32, sh.m*sh.n)
			// One untimed call faults in C's pages and fills the workspace pool.
			Sgemm(NoTrans, NoTrans, sh.m, sh.n, sh.k, 1, x, sh.k, w, sh.n, 0, c, sh.n, 0)
			b.ResetTimer()
			cpu := cpuSeconds()
			for b.Loop() {
				Sgemm(NoTrans, NoTrans, sh.m, sh.n, sh.k, 1, x, sh.k, w, sh.n, 0, c, sh.n, 0)
			}
			reportGFLOPS(b, sh.m, sh.n, sh.k, cpu)
		})
	}
}

// BenchmarkSgemmBF16Native times SgemmBF16Native (float32 A rounded to
// bfloat16 as it is packed, B in bfloat16, beta = 0) on the shapes of
// BenchmarkSgemm, with the best bfloat16 kernel here, and reports GFLOPS.
// GEMM_BF16_KERNEL=name times another kernel (ImplementationsBF16Native).
// Without AVX512_BF16 or AMX it says so and skips: the Go kernel is a
// reference, not a speed.
func BenchmarkSgemmBF16Native(b *testing.B) {
	if name := os.Getenv("GEMM_BF16_KERNEL"); name != "" {
		if !UseBF16Native(name) {
			b.Fatalf("GEMM_BF16_KERNEL=%s: not one of %q here", name, ImplementationsBF16Native())
		}
		defer UseBF16Native(ImplementationsBF16Native()[0])
	}
	if ActiveBF16Native() == "generic" {
		b.Skip("no AVX512_BF16 here: only the generic bfloat16 kernel, which is not timed")
	}
	for _, sh := range benchShapes {
		b.Run(sh.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x := make([]float32, sh.m*sh.k)
			for i := range x {
				x[i] = r.Float32() - 0.5
			}
			w := make([]uint16, sh.k*sh.n)
			for i := range w {
				w[i] = kernels.Float32ToBFloat16(r.Float32() - 0.5)
			}
			c := make([]float32, sh.m*sh.n)
			SgemmBF16Native(NoTrans, NoTrans, sh.m, sh.n, sh.k, 1, x, sh.k, w, sh.n, 0, c, sh.n, 0)
			b.ResetTimer()
			cpu := cpuSeconds()
			for b.Loop() {
				SgemmBF16Native(NoTrans, NoTrans, sh.m, sh.n, sh.k, 1, x, sh.k, w, sh.n, 0, c, sh.n, 0)
			}
			reportGFLOPS(b, sh.m, sh.n, sh.k, cpu)
		})
	}
}
