package quant

import (
	"encoding/binary"
	"math"
	"sync"
	"unsafe"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/internal/par"
)

// mulFloat is MulT for f32, f16 and bf16 weights: x rounded to the
// weights' type (f16, bf16; f32 as it is), then float32 products over W
// where it lies: gemm.Sgemm for f32, gemm.SgemmF16 and gemm.SgemmBF16
// (which widen W, exactly, as they pack it) for the others, the rows of
// W split over the threads, each part one single-threaded product (no
// barriers between threads, which a loaded machine makes costly). One row
// of x (a decoding step) streams W with the matching Sgemv, which has
// Sgemm's bits. Each element's sum is one fixed chain over K in gemm, so
// the bits do not depend on the thread count.
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
	if n == 1 {
		if w32, w16, ok := m.view(m.data); ok {
			m.product(xs, 1, ld, y, ldy, beta, w32, w16, m.out, threads)
			return
		}
	}
	par.Split(m.out, threads, func(_, lo, hi int) { m.mulRows(xs, n, ld, y[lo:], ldy, beta, lo, hi) })
}

// mulRows sets the columns lo..hi of y [n, out] from the rows lo..hi of
// W, on one thread. Bytes that cannot be read in place (not aligned to
// their type, or a big-endian machine) are decoded floatRows rows at a
// time into a buffer.
func (m *Matrix) mulRows(x []float32, n, ldx int, y []float32, ldy int, beta float32, lo, hi int) {
	if w32, w16, ok := m.view(m.data[lo*m.rowBytes : hi*m.rowBytes]); ok {
		m.product(x, n, ldx, y, ldy, beta, w32, w16, hi-lo, 1)
		return
	}
	buf := floatPanels.Get().(*panel)
	defer floatPanels.Put(buf)
	for j0 := lo; j0 < hi; j0 += floatRows {
		p := min(floatRows, hi-j0)
		src := m.data[j0*m.rowBytes : (j0+p)*m.rowBytes]
		if m.t == gguf.F32 {
			w := grow(&buf.f32, p*m.in)
			for i := range w {
				w[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
			}
			m.product(x, n, ldx, y[j0-lo:], ldy, beta, w, nil, p, 1)
			continue
		}
		w := grow(&buf.u16, p*m.in)
		for i := range w {
			w[i] = binary.LittleEndian.Uint16(src[2*i:])
		}
		m.product(x, n, ldx, y[j0-lo:], ldy, beta, nil, w, p, 1)
	}
}

// view is the rows of W in b as float32 (w32, for f32) or as 16-bit
// floats (w16) in place, if b is aligned to its type and the machine is
// little-endian as GGUF files are.
func (m *Matrix) view(b []byte) (w32 []float32, w16 []uint16, ok bool) {
	p := unsafe.Pointer(unsafe.SliceData(b))
	if !littleEndian || len(b) == 0 {
		return nil, nil, false
	}
	if m.t == gguf.F32 {
		if uintptr(p)%4 != 0 {
			return nil, nil, false
		}
		return unsafe.Slice((*float32)(p), len(b)/4), nil, true
	}
	if uintptr(p)%2 != 0 {
		return nil, nil, false
	}
	return nil, unsafe.Slice((*uint16)(p), len(b)/2), true
}

// littleEndian says whether this machine stores numbers as GGUF files do.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// product sets y [n, out] to x [n, in] times out rows of W held as
// float32 (w32) or as 16-bit floats of m's type (w16), transposed.
func (m *Matrix) product(x []float32, n, ldx int, y []float32, ldy int, beta float32, w32 []float32, w16 []uint16, out, threads int) {
	in := m.in
	switch {
	case w32 != nil && n == 1:
		gemm.Sgemv(gemm.Trans, out, in, 1, x, w32, in, beta, y, threads)
	case w32 != nil:
		gemm.Sgemm(gemm.NoTrans, gemm.Trans, n, out, in, 1, x, ldx, w32, in, beta, y, ldy, threads)
	case m.t == gguf.BF16 && n == 1:
		gemm.SgemvBF16(gemm.Trans, out, in, 1, x, w16, in, beta, y, threads)
	case m.t == gguf.BF16:
		gemm.SgemmBF16(gemm.NoTrans, gemm.Trans, n, out, in, 1, x, ldx, w16, in, beta, y, ldy, threads)
	case n == 1:
		gemm.SgemvF16(gemm.Trans, out, in, 1, x, w16, in, beta, y, threads)
	default:
		gemm.SgemmF16(gemm.NoTrans, gemm.Trans, n, out, in, 1, x, ldx, w16, in, beta, y, ldy, threads)
	}
}

// floatRows is how many rows of W mulFloat decodes at a time when it
// cannot read them in place.
const floatRows = 4096

// panel holds mulFloat's decoded rows between calls.
type panel struct {
	f32 []float32
	u16 []uint16
}

var floatPanels = sync.Pool{New: func() any { return new(panel) }}

func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}
