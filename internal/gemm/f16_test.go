package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

// SgemmF16 and SgemmBF16 must give exactly the bits of Sgemm on the
// widened B: every transpose, edges in M, N and K, more than one NC and
// KC block, whole 16×16 blocks (the assembly packers) and not, finite
// values of every exponent (subnormals included), 1 to 3 threads.
func TestSgemmF16MatchesWidened(t *testing.T) {
	for _, typ := range []string{"f16", "bf16"} {
		testHalfMatchesWidened(t, typ)
	}
}

func testHalfMatchesWidened(t *testing.T, typ string) {
	r := rand.New(rand.NewPCG(7, 8))
	sgemm, widen, finite := SgemmF16, kernels.Float16ToFloat32, 0x7c00
	if typ == "bf16" {
		sgemm, widen, finite = SgemmBF16, kernels.BFloat16ToFloat32, 0x7f80
	}
	for _, impl := range Implementations() {
		Use(impl)
		for _, tr := range [][2]Transpose{{NoTrans, NoTrans}, {NoTrans, Trans}, {Trans, NoTrans}, {Trans, Trans}} {
			for _, s := range [][3]int{{3, 7, 1100}, {17, 4200, 9}, {30, 70, 530}, {20, 64, 48}, {1, 1, 1}, {1, 33, 40}, {0, 3, 4}, {2, 3, 0}} {
				m, n, k := s[0], s[1], s[2]
				ra, ca, rb, cb := m, k, k, n
				if tr[0] == Trans {
					ra, ca = k, m
				}
				if tr[1] == Trans {
					rb, cb = n, k
				}
				lda, ldb := ca+2, cb+3
				a := make([]float32, max(0, ra*lda))
				for i := range a {
					a[i] = float32(r.NormFloat64())
				}
				bits := make([]uint16, max(0, rb*ldb))
				for i := range bits {
					bits[i] = uint16(r.IntN(finite)) | uint16(r.IntN(2))<<15 // finite, any exponent
				}
				bf := make([]float32, len(bits))
				for i, h := range bits {
					bf[i] = widen(h)
				}
				for threads := 1; threads <= 3; threads++ {
					want := make([]float32, m*n)
					got := make([]float32, m*n)
					for i := range want {
						want[i] = float32(i)
						got[i] = float32(i)
					}
					Sgemm(tr[0], tr[1], m, n, k, 0.5, a, max(1, lda), bf, max(1, ldb), 0.25, want, max(1, n), threads)
					sgemm(tr[0], tr[1], m, n, k, 0.5, a, max(1, lda), bits, max(1, ldb), 0.25, got, max(1, n), threads)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s %s trans=%v %dx%dx%d, %d threads: C[%d] = %v, Sgemm on the widened B gives %v",
								typ, impl, tr, m, n, k, threads, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
	Use(Implementations()[0])
}

// BenchmarkSgemmF16 times the products of a Qwen2.5-0.5B layer and its
// head (x [M, K] times W [N, K] transposed, as an nn.Linear), named
// M×K×N: Sgemm on float32 W ("f32") beside SgemmF16 on the f16 W, on
// GOMAXPROCS goroutines (use -cpu 1 for one thread's rate).
func BenchmarkSgemmF16(b *testing.B) {
	for _, sh := range []struct {
		name    string
		m, k, n int
	}{{"512x896x4864", 512, 896, 4864}, {"64x896x151936", 64, 896, 151936}} {
		r := rand.New(rand.NewPCG(1, 1))
		x := make([]float32, sh.m*sh.k)
		for i := range x {
			x[i] = r.Float32() - 0.5
		}
		w16 := make([]uint16, sh.n*sh.k)
		for i := range w16 {
			w16[i] = kernels.Float32ToFloat16(0.02 * float32(r.NormFloat64()))
		}
		c := make([]float32, sh.m*sh.n)
		for _, typ := range []string{"f32", "f16"} {
			b.Run(sh.name+"/"+typ, func(b *testing.B) {
				var w32 []float32
				run := func() {
					SgemmF16(NoTrans, Trans, sh.m, sh.n, sh.k, 1, x, sh.k, w16, sh.k, 0, c, sh.n, 0)
				}
				if typ == "f32" {
					w32 = make([]float32, len(w16))
					kernels.F16ToF32(w32, w16)
					run = func() { Sgemm(NoTrans, Trans, sh.m, sh.n, sh.k, 1, x, sh.k, w32, sh.k, 0, c, sh.n, 0) }
				}
				run()
				b.ResetTimer()
				cpu := cpuSeconds()
				for b.Loop() {
					run()
				}
				reportGFLOPS(b, sh.m, sh.n, sh.k, cpu)
			})
		}
	}
}

// SgemvF16 must give exactly the bits of Sgemv (and so Sgemm) on the
// widened W: both layouts, row blocks and tails, KC blocks and tails,
// more columns than one widened chunk, 1 to 3 threads.
func TestSgemvF16MatchesWidened(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, impl := range Implementations() {
		Use(impl)
		for _, tr := range []Transpose{NoTrans, Trans} {
			for _, s := range [][2]int{{1, 1}, {37, 530}, {600, 40}, {70, 1100}, {0, 3}, {3, 0}} {
				n, k := s[0], s[1]
				rows, cols := k, n
				if tr == Trans {
					rows, cols = n, k
				}
				ldw := cols + 3
				bits := make([]uint16, max(0, rows*ldw))
				for i := range bits {
					bits[i] = uint16(r.IntN(0x7c00)) | uint16(r.IntN(2))<<15
				}
				wf := make([]float32, len(bits))
				for i, h := range bits {
					wf[i] = kernels.Float16ToFloat32(h)
				}
				x := make([]float32, k)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				for threads := 1; threads <= 3; threads++ {
					want := make([]float32, n)
					got := make([]float32, n)
					for i := range want {
						want[i] = float32(i)
						got[i] = float32(i)
					}
					Sgemv(tr, n, k, 0.5, x, wf, max(1, ldw), 0.25, want, threads)
					SgemvF16(tr, n, k, 0.5, x, bits, max(1, ldw), 0.25, got, threads)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s trans=%v n=%d k=%d, %d threads: y[%d] = %v, Sgemv on the widened W gives %v",
								impl, tr, n, k, threads, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
	Use(Implementations()[0])
}

// BenchmarkSgemvF16 times a decoding step's logits over Qwen2.5-0.5B's
// head (W [151936, 896], an nn.Linear): Sgemv on float32 W, SgemvF16 on
// the f16 W, and SgemmF16 with one row (what it replaces).
func BenchmarkSgemvF16(b *testing.B) {
	const n, k = 151936, 896
	r := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, k)
	for i := range x {
		x[i] = r.Float32() - 0.5
	}
	w16 := make([]uint16, n*k)
	for i := range w16 {
		w16[i] = kernels.Float32ToFloat16(0.02 * float32(r.NormFloat64()))
	}
	y := make([]float32, n)
	for _, typ := range []string{"f32", "f16", "SgemmF16"} {
		b.Run(typ, func(b *testing.B) {
			run := func() { SgemvF16(Trans, n, k, 1, x, w16, k, 0, y, 0) }
			switch typ {
			case "f32":
				w32 := make([]float32, len(w16))
				kernels.F16ToF32(w32, w16)
				run = func() { Sgemv(Trans, n, k, 1, x, w32, k, 0, y, 0) }
			case "SgemmF16":
				run = func() { SgemmF16(NoTrans, Trans, 1, n, k, 1, x, k, w16, k, 0, y, n, 0) }
			}
			run()
			b.ResetTimer()
			cpu := cpuSeconds()
			for b.Loop() {
				run()
			}
			reportGFLOPS(b, 1, n, k, cpu)
		})
	}
}
