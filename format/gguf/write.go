package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"

	"github.com/xent-dev/xent/internal/atomicfile"
)

// TensorData is a tensor to write: its info and its encoded bytes
// (Encode makes them from float32 values).
type TensorData struct {
	Name string
	Type Type
	Dims []int64 // ggml's order, Dims[0] the row length; see Tensor
	Data []byte
}

// Write writes a version-3 GGUF file as ggml's gguf_write_to_file lays it
// out: the header, the metadata in the order given, the tensor info, then
// each tensor's data padded with zeros to the alignment (general.alignment
// if kv sets it, else DefaultAlignment), the last one included. Everything
// is checked before the first byte is written, against the rules the
// reader applies, so what Write writes Open reads.
func Write(w io.Writer, kv []KV, tensors []TensorData) error {
	align, err := checkWrite(kv, tensors)
	if err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	e := &encoder{w: bw}
	e.raw(magic)
	e.u32(3)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kv)))
	for _, p := range kv {
		e.str(p.Key)
		e.u32(uint32(p.Value.Type))
		if p.Value.Type == Array {
			e.u32(uint32(p.Value.Elem))
			e.array(p.Value.Elem, p.Value.V)
		} else {
			e.scalar(p.Value.Type, p.Value.V)
		}
	}
	off := int64(0)
	for _, t := range tensors {
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(uint64(d))
		}
		e.u32(uint32(t.Type))
		e.u64(uint64(off))
		off = pad(off+int64(len(t.Data)), align)
	}
	if len(tensors) > 0 {
		e.zeros(pad(e.n, align) - e.n)
	}
	for _, t := range tensors {
		e.raw(t.Data)
		e.zeros(pad(int64(len(t.Data)), align) - int64(len(t.Data)))
	}
	if e.err == nil {
		e.err = bw.Flush()
	}
	if e.err != nil {
		return fmt.Errorf("gguf: %w", e.err)
	}
	return nil
}

// WriteFile writes the file to path as Write does, atomically: a crash or
// a full disk leaves any previous file at path whole.
func WriteFile(path string, kv []KV, tensors []TensorData) error {
	if _, err := checkWrite(kv, tensors); err != nil {
		return fmt.Errorf("gguf: %s: %w", path, err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return Write(w, kv, tensors) }); err != nil {
		return fmt.Errorf("gguf: %s: %w", path, err)
	}
	return nil
}

// goTypes is the Go type of a scalar of each value type.
var goTypes = map[ValueType]reflect.Type{
	Uint8: reflect.TypeFor[uint8](), Int8: reflect.TypeFor[int8](),
	Uint16: reflect.TypeFor[uint16](), Int16: reflect.TypeFor[int16](),
	Uint32: reflect.TypeFor[uint32](), Int32: reflect.TypeFor[int32](),
	Float32: reflect.TypeFor[float32](), Bool: reflect.TypeFor[bool](),
	String: reflect.TypeFor[string](), Uint64: reflect.TypeFor[uint64](),
	Int64: reflect.TypeFor[int64](), Float64: reflect.TypeFor[float64](),
}

// checkWrite validates what Write is given and returns the alignment.
func checkWrite(kv []KV, tensors []TensorData) (int64, error) {
	keys := map[string]bool{}
	align := int64(DefaultAlignment)
	for i, p := range kv {
		if p.Key == "" {
			return 0, fmt.Errorf("key #%d is empty", i)
		}
		if keys[p.Key] {
			return 0, fmt.Errorf("key %q appears twice", p.Key)
		}
		keys[p.Key] = true
		v := p.Value
		want, ok := goTypes[v.Type]
		if v.Type == Array {
			if e, ok := goTypes[v.Elem]; ok {
				want = reflect.SliceOf(e)
			} else {
				return 0, fmt.Errorf("key %q: arrays of %s are not written", p.Key, v.Elem)
			}
		} else if !ok {
			return 0, fmt.Errorf("key %q: unknown value type %d", p.Key, uint32(v.Type))
		}
		if got := reflect.TypeOf(v.V); got != want {
			return 0, fmt.Errorf("key %q: %s holds a Go %v, want %v", p.Key, v.describe(), got, want)
		}
		if p.Key == AlignmentKey {
			a, ok := v.V.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return 0, fmt.Errorf("key %q must be a uint32 power of 2, not %v", AlignmentKey, v.V)
			}
			align = int64(a)
		}
	}
	names := map[string]bool{}
	for _, t := range tensors {
		switch {
		case t.Name == "":
			return 0, errors.New("a tensor has an empty name")
		case len(t.Name) > MaxNameLen:
			return 0, fmt.Errorf("tensor %q: name of %d bytes, over ggml's limit of %d", t.Name, len(t.Name), MaxNameLen)
		case names[t.Name]:
			return 0, fmt.Errorf("tensor %q appears twice", t.Name)
		case !t.Type.Known():
			return 0, fmt.Errorf("tensor %q: unknown tensor type %d", t.Name, uint32(t.Type))
		case len(t.Dims) > MaxDims:
			return 0, fmt.Errorf("tensor %q: %d dimensions, more than ggml's %d", t.Name, len(t.Dims), MaxDims)
		}
		names[t.Name] = true
		size, err := dataSize(t.Type, t.Dims)
		if err != nil {
			return 0, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if size != int64(len(t.Data)) {
			return 0, fmt.Errorf("tensor %q: dims %v of %s take %d bytes, the data has %d", t.Name, t.Dims, t.Type, size, len(t.Data))
		}
	}
	return align, nil
}

// dataSize is the byte size of a tensor of type t and dims, with ggml's
// checks, which the reader and the writer both apply: no negative
// dimension, rows of whole blocks, no overflow.
func dataSize(t Type, dims []int64) (int64, error) {
	n := int64(1)
	for j, d := range dims {
		switch {
		case d < 0:
			return 0, fmt.Errorf("dimension %d is %d, negative", j, d)
		case d > 0 && n > math.MaxInt64/d:
			return 0, fmt.Errorf("dims %v hold more than 2^63 values", dims[:j+1])
		}
		n *= d
	}
	blk, ts := int64(t.BlockSize()), int64(t.TypeSize())
	row := int64(1) // a tensor without dims is one value, as in ggml
	if len(dims) > 0 {
		row = dims[0]
	}
	if row%blk != 0 {
		return 0, fmt.Errorf("rows of %d values are not a whole number of %s blocks of %d", row, t, blk)
	}
	if n/blk > math.MaxInt64/ts {
		return 0, fmt.Errorf("dims %v of %s take more than 2^63 bytes", dims, t)
	}
	return n / blk * ts, nil
}

// encoder writes little-endian values, keeping the first error and the
// count of bytes written.
type encoder struct {
	w   io.Writer
	n   int64
	err error
	buf [8]byte
}

func (e *encoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	var k int
	k, e.err = e.w.Write(b)
	e.n += int64(k)
}

func (e *encoder) u32(v uint32) { e.raw(binary.LittleEndian.AppendUint32(e.buf[:0], v)) }
func (e *encoder) u64(v uint64) { e.raw(binary.LittleEndian.AppendUint64(e.buf[:0], v)) }

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}

func (e *encoder) zeros(n int64) {
	var z [64]byte
	for n > 0 {
		k := min(n, int64(len(z)))
		e.raw(z[:k])
		n -= k
	}
}

// scalar writes one value of type t; checkWrite has matched v to t.
func (e *encoder) scalar(t ValueType, v any) {
	le := binary.LittleEndian
	b := e.buf[:0]
	switch x := v.(type) {
	case string:
		e.str(x)
		return
	case uint8:
		b = append(b, x)
	case int8:
		b = append(b, byte(x))
	case bool:
		b = append(b, 0)
		if x {
			b[0] = 1
		}
	case uint16:
		b = le.AppendUint16(b, x)
	case int16:
		b = le.AppendUint16(b, uint16(x))
	case uint32:
		b = le.AppendUint32(b, x)
	case int32:
		b = le.AppendUint32(b, uint32(x))
	case float32:
		b = le.AppendUint32(b, math.Float32bits(x))
	case uint64:
		b = le.AppendUint64(b, x)
	case int64:
		b = le.AppendUint64(b, uint64(x))
	case float64:
		b = le.AppendUint64(b, math.Float64bits(x))
	default:
		panic(fmt.Sprintf("gguf: scalar %T as %s", v, t)) // checkWrite refuses this
	}
	e.raw(b)
}

func (e *encoder) array(t ValueType, v any) {
	s := reflect.ValueOf(v)
	e.u64(uint64(s.Len()))
	for i := range s.Len() {
		e.scalar(t, s.Index(i).Interface())
	}
}
