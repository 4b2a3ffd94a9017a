package quant

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/kernels"
)

// Matrix is W [out, in] held as the GGUF bytes of one tensor type: out
// rows of in/BlockSize blocks each. It is safe for concurrent MulT and
// Row calls; it never writes its data.
type Matrix struct {
	t        gguf.Type
	out, in  int
	data     []byte
	rowBytes int
	// corr [nb][out] is −128·Σw of each q8_0 block, for the kernel that
	// reads the blocks in place (simd.go); nil without one.
	corr []int32
}

// types lists the weight types New accepts, in gguf's order.
var types = []gguf.Type{gguf.F32, gguf.F16, gguf.BF16, gguf.Q4_0, gguf.Q4_1, gguf.Q5_0, gguf.Q5_1, gguf.Q8_0,
	gguf.Q2_K, gguf.Q3_K, gguf.Q4_K, gguf.Q5_K, gguf.Q6_K}

// Supported reports whether New takes matrices of type t.
func Supported(t gguf.Type) bool {
	for _, u := range types {
		if u == t {
			return true
		}
	}
	return false
}

// New holds data, the bytes of W [out, in] of type t, as a Matrix (it
// keeps data, which may be a memory-mapped view; it does not copy it).
// in must be a whole number of t's blocks and data exactly out rows.
func New(t gguf.Type, out, in int, data []byte) (*Matrix, error) {
	if !Supported(t) {
		names := make([]string, len(types))
		for i, u := range types {
			names[i] = u.String()
		}
		return nil, fmt.Errorf("quant: no matrix product for %s weights (it takes %s)", t, strings.Join(names, ", "))
	}
	if out <= 0 || in <= 0 {
		return nil, fmt.Errorf("quant: %s matrix of %d×%d: dimensions must be positive", t, out, in)
	}
	bs := t.BlockSize()
	if in%bs != 0 {
		return nil, fmt.Errorf("quant: %s matrix of %d×%d: rows of %d values are not whole blocks of %d", t, out, in, in, bs)
	}
	rowBytes := in / bs * t.TypeSize()
	if want := int64(out) * int64(rowBytes); int64(len(data)) != want {
		return nil, fmt.Errorf("quant: %s matrix of %d×%d takes %d bytes, not %d", t, out, in, want, len(data))
	}
	m := &Matrix{t: t, out: out, in: in, data: data, rowBytes: rowBytes}
	if t == gguf.Q8_0 && hasRawQ8_0() {
		nb := in / 32
		m.corr = make([]int32, nb*out)
		for j := range out {
			for b := range nb {
				var s int32
				for w := range 4 {
					s += wordSum(le.Uint64(data[j*rowBytes+34*b+2+8*w:])^0x8080808080808080) - 8*128
				}
				m.corr[b*out+j] = -corrScale * s
			}
		}
	}
	return m, nil
}

// hasRawQ8_0 reports whether some kernel set here reads q8_0 blocks in
// place (and so needs Matrix.corr).
func hasRawQ8_0() bool {
	for _, im := range impls.All() {
		if k := im.kernels[gguf.Q8_0]; k != nil && k.raw != nil {
			return true
		}
	}
	return false
}

// Dims is W's shape [out, in].
func (m *Matrix) Dims() (out, in int) { return m.out, m.in }

// Type is the weights' GGUF type.
func (m *Matrix) Type() gguf.Type { return m.t }

// Bytes is the size of the weights held.
func (m *Matrix) Bytes() int64 { return int64(len(m.data)) + 4*int64(len(m.corr)) }

// Row widens row r of W into dst [in], bit for bit as gguf.Dequantize.
func (m *Matrix) Row(r int, dst []float32) {
	if r < 0 || r >= m.out || len(dst) < m.in {
		panic(fmt.Sprintf("quant: Row(%d) of a %d×%d matrix into %d values", r, m.out, m.in, len(dst)))
	}
	if err := gguf.Dequantize(m.t, m.data[r*m.rowBytes:(r+1)*m.rowBytes], dst[:m.in]); err != nil {
		panic(err) // New checked the sizes and the type
	}
}

// MulT sets y[i·ldy+j] = Σ_k x[i·ldx+k]·W[j,k] + beta·y[i·ldy+j] for
// i < n, j < out, with x rounded to the weights' vec_dot_type first (see
// the package doc). beta == 0 does not read y. threads ≤ 0 means
// GOMAXPROCS. Sizes that do not fit panic.
func (m *Matrix) MulT(x []float32, n, ldx int, y []float32, ldy int, beta float32, threads int) {
	if n < 0 || ldx < m.in || ldy < m.out || (n > 0 && (len(x) < (n-1)*ldx+m.in || len(y) < (n-1)*ldy+m.out)) {
		panic(fmt.Sprintf("quant: MulT of %d rows (ldx %d, %d values; ldy %d, %d values) by a %d×%d matrix",
			n, ldx, len(x), ldy, len(y), m.out, m.in))
	}
	if n == 0 {
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	switch m.t {
	case gguf.F32, gguf.F16, gguf.BF16:
		m.mulFloat(x, n, ldx, y, ldy, beta, threads)
	default:
		m.mulQuant(x, n, ldx, y, ldy, beta, threads)
	}
}

// half widens the f16 at b.
func half(b []byte) float32 { return kernels.Float16ToFloat32(binary.LittleEndian.Uint16(b)) }

// mul and sub are float32 operations kept apart: the conversions stop the
// compiler from fusing a product into a sum (the kernels do not fuse).
func mul(a, b float32) float32 { return float32(a * b) }
