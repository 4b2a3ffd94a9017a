// Package npy reads and writes NumPy .npy files holding plain numeric arrays.
//
// # The format
//
// A .npy file (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html)
// is laid out as:
//
//   - the 6-byte magic string "\x93NUMPY";
//   - one byte each for the major and minor format version: 1.0, 2.0 or 3.0;
//   - the header length: a little-endian uint16 in version 1.0, a uint32 in
//     2.0 and 3.0;
//   - the header: a Python dict literal (latin-1 text in 1.0 and 2.0, UTF-8
//     in 3.0) padded with spaces and ended by '\n' so that the data which
//     follows starts at a multiple of 64 bytes;
//   - the elements, product(shape)*itemsize bytes, in C (row-major) order
//     unless fortran_order is True. An empty shape () is a scalar holding one
//     element.
//
// A header dict looks like
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }
//
// where descr names the element type (byte order '<', '>' or '|', kind and
// size in bytes) and shape is a tuple; one-dimensional shapes are written
// with a trailing comma, as in (5,).
//
// # What this package supports
//
// Only the element types listed as DType constants are supported; structured,
// complex, string and object dtypes are rejected with an error naming the
// descr. Fortran-order files are rejected (callers need C order). Big-endian
// files ('>' descr, e.g. ">f4") are accepted: Read byte-swaps the elements,
// so an Array always holds little-endian data and its DType is always the
// little-endian form.
//
// Write produces the same bytes as NumPy's np.save (checked against NumPy
// 1.24): a version 1.0 header (2.0 when it does not fit in 65535 bytes),
// keys in sorted order, the same spare spaces NumPy leaves for growing the
// first axis, and padding so that the header ends in '\n' at a multiple of
// 64 bytes.
//
// Readers never trust the header for allocation: data is read incrementally
// and checked against the size the header declares, so truncated or hostile
// files produce errors, never panics or huge allocations.
package npy

import (
	"github.com/xent-dev/xent/internal/kernels"

	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// DType is an element type this package supports, named by its little-endian
// NumPy descr string. The set is closed: only the constants below are valid.
type DType string

// Supported element types.
const (
	Float32 DType = "<f4" // IEEE 754 binary32
	Float16 DType = "<f2" // IEEE 754 binary16 (half precision)
	Float64 DType = "<f8" // IEEE 754 binary64
	Int32   DType = "<i4"
	Int64   DType = "<i8"
	Uint16  DType = "<u2"
	Uint8   DType = "|u1"
	Int8    DType = "|i1"
	Bool    DType = "|b1" // one byte per element; nonzero is true
)

// names are the NumPy names of the supported types.
var names = map[DType]string{
	Float32: "float32",
	Float16: "float16",
	Float64: "float64",
	Int32:   "int32",
	Int64:   "int64",
	Uint16:  "uint16",
	Uint8:   "uint8",
	Int8:    "int8",
	Bool:    "bool",
}

// String names a supported type the NumPy way followed by its descr, e.g.
// "float64 (<f8)"; any other descr, which this package does not support, is
// quoted as it is: "\"<c8\"".
func (d DType) String() string {
	if name, ok := names[d]; ok {
		return name + " (" + string(d) + ")"
	}
	return strconv.Quote(string(d))
}

// ItemSize returns the size in bytes of one element of type d, or 0 if d is
// not one of the supported DType constants.
func (d DType) ItemSize() int {
	switch d {
	case Float64, Int64:
		return 8
	case Float32, Int32:
		return 4
	case Float16, Uint16:
		return 2
	case Uint8, Int8, Bool:
		return 1
	}
	return 0
}

// Array is a decoded .npy file: a dtype, a shape, and the raw little-endian
// element bytes in C (row-major) order.
type Array struct {
	DType DType
	Shape []int  // empty (not nil when returned by Read) for a scalar
	Data  []byte // len(Data) == Len() * DType.ItemSize()
}

// Len returns the number of elements: the product of Shape, which is 1 for a
// scalar (empty Shape).
func (a *Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// check verifies that a is self-consistent (a known dtype, a valid shape and
// a data length that matches) and returns its number of elements. It guards
// the conversion methods against hand-built Arrays.
func (a *Array) check(method string) (int, error) {
	size := a.DType.ItemSize()
	if size == 0 {
		return 0, fmt.Errorf("npy: %s: unsupported dtype %q", method, string(a.DType))
	}
	n, nbytes, err := sizes(a.DType, a.Shape)
	if err != nil {
		return 0, fmt.Errorf("npy: %s: %w", method, err)
	}
	if len(a.Data) != nbytes {
		return 0, fmt.Errorf("npy: %s: array has %d bytes of data, shape %v of %s needs %d",
			method, len(a.Data), a.Shape, a.DType, nbytes)
	}
	return n, nil
}

// Float32s returns the elements as float32s. Float32 data is copied, Float16
// is converted exactly, and Float64 is rounded to the nearest float32 (values
// beyond the float32 range become ±Inf). Other dtypes are an error.
func (a *Array) Float32s() ([]float32, error) {
	switch a.DType {
	case Float32, Float16, Float64:
	default:
		return nil, fmt.Errorf("npy: Float32s: dtype %s is not a float type (want %s, %s or %s)",
			a.DType, Float32, Float16, Float64)
	}
	n, err := a.check("Float32s")
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	d := a.Data
	switch a.DType {
	case Float32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
		}
	case Float16:
		for i := range out {
			out[i] = kernels.Float16ToFloat32(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case Float64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(d[8*i:])))
		}
	}
	return out, nil
}

// Uint16s returns the raw 16-bit elements of a Float16 or Uint16 array. For
// Float16 these are the IEEE binary16 bit patterns, which lets callers keep
// half-precision values exactly. Other dtypes are an error.
func (a *Array) Uint16s() ([]uint16, error) {
	if a.DType != Float16 && a.DType != Uint16 {
		return nil, fmt.Errorf("npy: Uint16s: dtype %s is not a 16-bit type (want %s or %s)",
			a.DType, Float16, Uint16)
	}
	n, err := a.check("Uint16s")
	if err != nil {
		return nil, err
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(a.Data[2*i:])
	}
	return out, nil
}

// Int64s returns the elements of an integer or Bool array as int64s. Int32,
// Int64, Uint8, Int8 and Uint16 are converted exactly; Bool gives 0 or 1.
// Float dtypes are an error.
func (a *Array) Int64s() ([]int64, error) {
	switch a.DType {
	case Int32, Int64, Uint8, Int8, Uint16, Bool:
	default:
		return nil, fmt.Errorf("npy: Int64s: dtype %s is not an integer or bool type", a.DType)
	}
	n, err := a.check("Int64s")
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	d := a.Data
	switch a.DType {
	case Int32:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(d[4*i:])))
		}
	case Int64:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(d[8*i:]))
		}
	case Uint16:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case Uint8:
		for i := range out {
			out[i] = int64(d[i])
		}
	case Int8:
		for i := range out {
			out[i] = int64(int8(d[i]))
		}
	case Bool:
		for i := range out {
			if d[i] != 0 {
				out[i] = 1
			}
		}
	}
	return out, nil
}

// sizes validates shape for dtype d and returns the number of elements and
// of data bytes, failing on negative dimensions or an overflowing product.
func sizes(d DType, shape []int) (elems, nbytes int, err error) {
	zero := false
	for i, dim := range shape {
		if dim < 0 {
			return 0, 0, fmt.Errorf("shape %v has negative dimension %d at axis %d", shape, dim, i)
		}
		if dim == 0 {
			zero = true
		}
	}
	if zero {
		return 0, 0, nil
	}
	n := 1
	for _, dim := range shape {
		if n > math.MaxInt/dim {
			return 0, 0, fmt.Errorf("shape %v is too large: element count overflows", shape)
		}
		n *= dim
	}
	size := d.ItemSize()
	if n > math.MaxInt/size {
		return 0, 0, fmt.Errorf("shape %v of %s is too large: byte size overflows", shape, d)
	}
	return n, n * size, nil
}
