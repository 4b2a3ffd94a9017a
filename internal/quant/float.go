package quant

import (
	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/par"
)

// panelBytes bounds the float32 panel of W that mulFloat widens at a time.
const panelBytes = 512 << 10

// mulFloat is MulT for f32, f16 and bf16 weights: x rounded to the
// weights' type (f16, bf16; f32 as it is), then panels of rows of W
// widened to float32 (exactly) and multiplied with gemm.Sgemm, the rows
// of W split over the threads. Sgemm's sums do not depend on how many
// rows it is given, so neither do these on the thread count.
func (m *Matrix) mulFloat(x []float32, n, ldx int, y []float32, ldy int, beta float32, threads int) {
	in := m.in
	xs, ld := x, ldx
	if m.t != gguf.F32 {
		xs, ld = make([]float32, n*in), in
		bits := make([]uint16, in)
		for i := range n {
			row, dst := x[i*ldx:i*ldx+in], xs[i*in:(i+1)*in]
			if m.t == gguf.F16 {
				kernels.F32ToF16(bits, row)
				kernels.F16ToF32(dst, bits)
			} else {
				kernels.F32ToBF16(bits, row)
				kernels.BF16ToF32(dst, bits)
			}
		}
	}
	// Each goroutine widens and multiplies its own rows of W, a panel at
	// a time, with a one-thread Sgemm: no hand-offs between panels.
	rows := max(16, min(m.out, panelBytes/(4*in)))
	par.Split(m.out, threads, func(_, lo, hi int) {
		panel := make([]float32, min(rows, hi-lo)*in)
		for j0 := lo; j0 < hi; j0 += rows {
			p := min(rows, hi-j0)
			if err := gguf.Dequantize(m.t, m.data[j0*m.rowBytes:(j0+p)*m.rowBytes], panel[:p*in]); err != nil {
				panic(err) // New checked the sizes and the type
			}
			gemm.Sgemm(gemm.NoTrans, gemm.Trans, n, p, in, 1, xs, ld, panel, in, beta, y[j0:], ldy, 1)
		}
	})
}
