package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
)

// TestMulFloatEqualsSgemm: MulT over f32, f16 and bf16 weights gives
// exactly the bits of gemm.Sgemm on x rounded to the weights' type and W
// widened (gguf.Dequantize), read in place or, from bytes at an odd
// address, decoded a panel at a time; for one row (Sgemv) and several,
// on 1 to 3 threads.
func TestMulFloatEqualsSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const out, in = 4100 + 37, 96 // more than one panel of floatRows
	for _, typ := range []gguf.Type{gguf.F32, gguf.F16, gguf.BF16} {
		m := randomMatrix(t, typ, out, in, rng)
		shifted := make([]byte, len(m.data)+1) // the same bytes, misaligned
		copy(shifted[1:], m.data)
		odd, err := New(typ, out, in, shifted[1:])
		if err != nil {
			t.Fatal(err)
		}
		w := make([]float32, out*in)
		if err := gguf.Dequantize(typ, m.data, w); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 5} {
			const ldx, ldy = in + 3, out + 2
			x := randomActs(n, ldx, rng)
			xr := make([]float32, n*in)
			for i := range n {
				for k := range in {
					v := x[i*ldx+k]
					switch typ {
					case gguf.F16:
						v = kernels.Float16ToFloat32(kernels.Float32ToFloat16(v))
					case gguf.BF16:
						v = kernels.BFloat16ToFloat32(kernels.Float32ToBFloat16(v))
					}
					xr[i*in+k] = v
				}
			}
			want := make([]float32, n*ldy)
			for i := range want {
				want[i] = float32(i % 5)
			}
			got := make([]float32, len(want))
			gemm.Sgemm(gemm.NoTrans, gemm.Trans, n, out, in, 1, xr, in, w, in, 0.5, want, ldy, 1)
			for _, mm := range []*Matrix{m, odd} {
				for threads := 1; threads <= 3; threads++ {
					for i := range got {
						got[i] = float32(i % 5)
					}
					mm.MulT(x, n, ldx, got, ldy, 0.5, threads)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s, %d rows, aligned %v, %d threads: y[%d] = %g, Sgemm gives %g",
								typ, n, mm == m, threads, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
