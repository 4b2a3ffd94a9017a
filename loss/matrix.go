package loss

import (
	"fmt"

	"github.com/xent-dev/xent/internal/kernels"
)

// DType is the element type of a logits or gradient matrix.
type DType uint8

const (
	Float32  DType = iota // IEEE binary32
	Float16               // IEEE binary16, held as raw uint16 bits
	BFloat16              // bfloat16 (the top half of a float32), held as raw uint16 bits
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float16:
		return "float16"
	case BFloat16:
		return "bfloat16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Matrix is a row-major [Rows, Cols] matrix of logits or gradients in one
// of the three dtypes: F32 holds float32 data, Bits holds float16 or
// bfloat16 bit patterns. Exactly one of them is used, as DType says.
type Matrix struct {
	Rows, Cols int
	DType      DType
	F32        []float32 // [Rows, Cols] when DType == Float32
	Bits       []uint16  // [Rows, Cols] when DType is Float16 or BFloat16
}

// F32 wraps float32 data as an [n, v] matrix.
func F32(data []float32, n, v int) Matrix {
	return Matrix{Rows: n, Cols: v, DType: Float32, F32: data}
}

// F16 wraps IEEE binary16 bit patterns as an [n, v] matrix.
func F16(bits []uint16, n, v int) Matrix {
	return Matrix{Rows: n, Cols: v, DType: Float16, Bits: bits}
}

// BF16 wraps bfloat16 bit patterns as an [n, v] matrix.
func BF16(bits []uint16, n, v int) Matrix {
	return Matrix{Rows: n, Cols: v, DType: BFloat16, Bits: bits}
}

// check verifies that the matrix holds exactly Rows·Cols elements of its dtype.
func (m Matrix) check(name string) error {
	if m.Rows < 0 || m.Cols <= 0 {
		return fmt.Errorf("loss: %s has shape [%d, %d]; need N ≥ 0 rows and V ≥ 1 columns", name, m.Rows, m.Cols)
	}
	want := int64(m.Rows) * int64(m.Cols)
	var have int64
	switch m.DType {
	case Float32:
		have = int64(len(m.F32))
	case Float16, BFloat16:
		have = int64(len(m.Bits))
	default:
		return fmt.Errorf("loss: %s has unknown dtype %v", name, m.DType)
	}
	if have != want {
		return fmt.Errorf("loss: %s is [%d, %d] %v but holds %d elements, want %d", name, m.Rows, m.Cols, m.DType, have, want)
	}
	return nil
}

// aliases reports whether two matrices share their first element, i.e. one
// is the other (in-place use).
func (m Matrix) aliases(o Matrix) bool {
	switch {
	case m.DType == Float32 && o.DType == Float32 && len(m.F32) > 0 && len(o.F32) > 0:
		return &m.F32[0] == &o.F32[0]
	case m.DType != Float32 && o.DType != Float32 && len(m.Bits) > 0 && len(o.Bits) > 0:
		return &m.Bits[0] == &o.Bits[0]
	}
	return false
}

// loadRow returns row i as float32: the data itself for float32, or a
// conversion into buf for 16-bit types.
func (m Matrix) loadRow(i int, buf []float32) []float32 {
	lo, hi := i*m.Cols, (i+1)*m.Cols
	switch m.DType {
	case Float16:
		kernels.F16ToF32(buf, m.Bits[lo:hi])
		return buf
	case BFloat16:
		kernels.BF16ToF32(buf, m.Bits[lo:hi])
		return buf
	}
	return m.F32[lo:hi]
}

// f32Row returns row i of a float32 matrix, or nil for 16-bit types.
func (m Matrix) f32Row(i int) []float32 {
	if m.DType != Float32 {
		return nil
	}
	return m.F32[i*m.Cols : (i+1)*m.Cols]
}

// storeRow writes a float32 row into row i of a 16-bit matrix (a float32
// matrix is written in place by the kernels and needs no store).
func (m Matrix) storeRow(i int, row []float32) {
	lo, hi := i*m.Cols, (i+1)*m.Cols
	switch m.DType {
	case Float16:
		kernels.F32ToF16(m.Bits[lo:hi], row)
	case BFloat16:
		kernels.F32ToBF16(m.Bits[lo:hi], row)
	}
}
