package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/xent-dev/xent/internal/kernels"
)

// DType is a tensor element type as the header spells it.
type DType string

// The element types a file may hold. Float32s converts the first three.
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	F64  DType = "F64"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// Size is the element size in bytes, 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, Bool:
		return 1
	}
	return 0
}

// Tensor is one named tensor: its raw little-endian element bytes in C
// order.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// Len is the number of elements, the product of the shape (1 for a scalar).
func (t Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// byteSize is the size of a tensor of the given dtype and shape, or an
// error for a negative dimension or a size past int64.
func byteSize(d DType, shape []int64) (int64, error) {
	n := int64(d.Size())
	for _, k := range shape {
		switch {
		case k < 0:
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		case k > 0 && n > math.MaxInt64/k:
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		n *= k
	}
	return n, nil
}

// Float32s returns the elements as float32, widening F16 and BF16.
func (t Tensor) Float32s() ([]float32, error) {
	size := t.DType.Size()
	if size == 0 || (t.DType != F32 && t.DType != F16 && t.DType != BF16) {
		return nil, fmt.Errorf("safetensors: tensor %q has dtype %s, want F32, F16 or BF16", t.Name, t.DType)
	}
	n := len(t.Data) / size
	out := make([]float32, n)
	if t.DType == F32 {
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
		return out, nil
	}
	bits := make([]uint16, n)
	for i := range bits {
		bits[i] = binary.LittleEndian.Uint16(t.Data[2*i:])
	}
	if t.DType == F16 {
		kernels.F16ToF32(out, bits)
	} else {
		kernels.BF16ToF32(out, bits)
	}
	return out, nil
}

// FromFloat32 is a F32 tensor holding data with the given shape; it panics
// if len(data) is not the product of the shape (a caller's bug).
func FromFloat32(name string, shape []int, data []float32) Tensor {
	return FromFloat32As(name, shape, data, F32)
}

// FromFloat32As is FromFloat32 stored as F32, F16 or BF16, rounded to the
// nearest value, ties to even (as PyTorch's .to(dtype) rounds). It panics
// on another dtype or if len(data) is not the product of the shape (a
// caller's bug).
func FromFloat32As(name string, shape []int, data []float32, d DType) Tensor {
	if d != F32 && d != F16 && d != BF16 {
		panic(fmt.Sprintf("safetensors: tensor %q: cannot store float32 values as %s", name, d))
	}
	t := Tensor{Name: name, DType: d, Shape: shape, Data: make([]byte, d.Size()*len(data))}
	if t.Len() != len(data) {
		panic(fmt.Sprintf("safetensors: tensor %q: %d values for shape %v", name, len(data), shape))
	}
	if d == F32 {
		for i, v := range data {
			binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(v))
		}
		return t
	}
	bits := make([]uint16, len(data))
	if d == F16 {
		kernels.F32ToF16(bits, data)
	} else {
		kernels.F32ToBF16(bits, data)
	}
	for i, b := range bits {
		binary.LittleEndian.PutUint16(t.Data[2*i:], b)
	}
	return t
}
