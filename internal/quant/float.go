package quant

import (
	"encoding/binary"
	"math"

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
		var bits []uint16
		if m.t != gguf.F32 {
			bits = make([]uint16, len(panel))
		}
		for j0 := lo; j0 < hi; j0 += rows {
			p := min(rows, hi-j0)
			src, dst := m.data[j0*m.rowBytes:(j0+p)*m.rowBytes], panel[:p*in]
			switch m.t { // gguf.Dequantize's conversions, into buffers kept across panels
			case gguf.F32:
				for i := range dst {
					dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
				}
			case gguf.F16, gguf.BF16:
				b := bits[:len(dst)]
				for i := range b {
					b[i] = binary.LittleEndian.Uint16(src[2*i:])
				}
				if m.t == gguf.F16 {
					kernels.F16ToF32(dst, b)
				} else {
					kernels.BF16ToF32(dst, b)
				}
			}
			gemm.Sgemm(gemm.NoTrans, gemm.Trans, n, p, in, 1, xs, ld, panel, in, beta, y[j0:], ldy, 1)
		}
	})
}
