package gguf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// The layout constants of ggml/include/gguf.h and ggml.h.
const (
	// DefaultAlignment is the data alignment of a file without a
	// general.alignment key.
	DefaultAlignment = 32
	// MaxNameLen bounds a tensor name (ggml's GGML_MAX_NAME, less its NUL).
	MaxNameLen = 63
	// MaxDims is the most dimensions a tensor has (GGML_MAX_DIMS).
	MaxDims = 4
	// AlignmentKey is the metadata key that sets the data alignment.
	AlignmentKey = "general.alignment"
)

var magic = []byte("GGUF")

// Tensor is one tensor's entry in the file's tensor info.
type Tensor struct {
	Name string
	Type Type
	// Dims are ggml's ne, fastest-varying first: Dims[0] is the length of
	// a row, the dimension that blocks of quantized values run along. A
	// weight matrix of out×in is stored with Dims [in, out]. Shape gives
	// the C order.
	Dims []int64
	// Offset is where the data begins, from the start of the data section.
	Offset int64
	// Size is the data's length in bytes, from Dims and Type.
	Size int64
}

// Len is the number of values, the product of Dims (1 for no dims).
func (t Tensor) Len() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// RowBytes is the size of one row (Dims[0] values) in bytes: the stride
// of the tensor's data, and what PermuteRows moves.
func (t Tensor) RowBytes() int64 {
	row := int64(1)
	if len(t.Dims) > 0 {
		row = t.Dims[0]
	}
	return row / int64(t.Type.BlockSize()) * int64(t.Type.TypeSize())
}

// Shape is Dims in C order, slowest-varying first, as safetensors and
// NumPy give shapes: a weight of Dims [in, out] has Shape [out, in].
func (t Tensor) Shape() []int {
	s := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		s[len(s)-1-i] = int(d)
	}
	return s
}

// File is an open GGUF file: its header, metadata and tensor info, read
// and checked when it was opened, and access to the tensors' data.
type File struct {
	Version   uint32 // 2 or 3; the two differ only in the byte order v3 allows to be declared by the file
	Alignment int64  // of each tensor's data; general.alignment or DefaultAlignment
	KV        []KV   // the metadata, in file order
	Tensors   []Tensor
	// DataOffset is where the data section begins in the file.
	DataOffset int64

	name  string         // for errors: the path, or "" when parsed from memory
	index map[string]int // KV by key
	tidx  map[string]int // Tensors by name
	mem   []byte         // the whole file, when parsed from memory or mapped
	r     io.ReaderAt    // otherwise the file, read on demand
	size  int64
	close func() error
}

// Open opens the GGUF file at path and reads its header. The file is
// memory-mapped where the system allows, so a tensor's Data is a view of
// the page cache rather than a copy on the heap; where it does not, Data
// reads the tensor from the file. Close the File when done: views that
// Data returned are invalid after Close.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("gguf: %w", err)
	}
	if !st.Mode().IsRegular() {
		fh.Close()
		return nil, fmt.Errorf("gguf: %s is not a regular file", path)
	}
	if b, unmap, err := mmapFile(fh, st.Size()); err == nil {
		fh.Close() // the mapping outlives the descriptor
		f, err := parse(bytes.NewReader(b), st.Size(), path)
		if err != nil {
			unmap()
			return nil, err
		}
		f.mem, f.close = b, unmap
		return f, nil
	}
	f, err := parse(fh, st.Size(), path)
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.r, f.close = fh, fh.Close
	return f, nil
}

// NewReader reads the header of the GGUF file of size bytes in r; Data
// reads each tensor from r when asked.
func NewReader(r io.ReaderAt, size int64) (*File, error) {
	f, err := parse(r, size, "")
	if err != nil {
		return nil, err
	}
	f.r = r
	return f, nil
}

// Parse reads a whole GGUF file held in b; Data returns sub-slices of b.
func Parse(b []byte) (*File, error) {
	f, err := parse(bytes.NewReader(b), int64(len(b)), "")
	if err != nil {
		return nil, err
	}
	f.mem = b
	return f, nil
}

// Close releases the file or its mapping. It is safe to call twice.
func (f *File) Close() error {
	if f.close == nil {
		return nil
	}
	c := f.close
	f.close, f.mem, f.r = nil, nil, nil
	return c()
}

// Tensor returns the tensor info with the given name.
func (f *File) Tensor(name string) (Tensor, bool) {
	i, ok := f.tidx[name]
	if !ok {
		return Tensor{}, false
	}
	return f.Tensors[i], true
}

// Data returns the bytes of the named tensor: a view of the mapping or of
// the bytes given to Parse, or else a copy read from the file.
func (f *File) Data(name string) ([]byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%sno tensor %q", f.where(), name)
	}
	begin := f.DataOffset + t.Offset
	switch {
	case f.mem != nil:
		return f.mem[begin : begin+t.Size : begin+t.Size], nil
	case f.r != nil:
		b := make([]byte, t.Size)
		if _, err := f.r.ReadAt(b, begin); err != nil {
			return nil, fmt.Errorf("%stensor %q: %w", f.where(), name, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%stensor %q: the file is closed", f.where(), name)
}

// Dequantize returns the named tensor's values as float32, in ggml's
// order (Dims[0] fastest), for the types Dequantize accepts.
func (f *File) Dequantize(name string) ([]float32, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%sno tensor %q", f.where(), name)
	}
	if !CanDequantize(t.Type) {
		return nil, fmt.Errorf("%stensor %q: %w", f.where(), name, refusal(t.Type))
	}
	b, err := f.Data(name)
	if err != nil {
		return nil, err
	}
	out := make([]float32, t.Len())
	if err := dequantize(t.Type, b, out); err != nil {
		return nil, fmt.Errorf("%stensor %q: %w", f.where(), name, err)
	}
	return out, nil
}

// where prefixes errors: "gguf: path: ".
func (f *File) where() string {
	if f.name == "" {
		return "gguf: "
	}
	return "gguf: " + f.name + ": "
}

// cursor reads the header sequentially, knowing how many bytes remain so
// that no declared length allocates past the end of the file.
type cursor struct {
	r    *bufio.Reader
	off  int64
	size int64
	buf  [8]byte
}

var errTruncated = errors.New("truncated")

func (c *cursor) left() int64 { return c.size - c.off }

// bytes reads the next n bytes; up to 8 of them land in the cursor's
// scratch buffer, valid until the next read.
func (c *cursor) bytes(n int64, what string) ([]byte, error) {
	if n < 0 || n > c.left() {
		return nil, fmt.Errorf("%w: %s of %d bytes at offset %d runs past the end of the file (%d bytes)", errTruncated, what, n, c.off, c.size)
	}
	var b []byte
	if n <= int64(len(c.buf)) {
		b = c.buf[:n]
	} else {
		b = make([]byte, n)
	}
	if _, err := io.ReadFull(c.r, b); err != nil {
		return nil, fmt.Errorf("%s at offset %d: %w", what, c.off, err)
	}
	c.off += n
	return b, nil
}

func (c *cursor) u32(what string) (uint32, error) {
	b, err := c.bytes(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (c *cursor) u64(what string) (uint64, error) {
	b, err := c.bytes(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (c *cursor) str(what string) (string, error) {
	return c.strElem(what, -1)
}

// strElem reads a string, element elem of the array what (or, for elem
// −1, the string what), naming it in errors only: an array of 150,000
// tokens formats no names.
func (c *cursor) strElem(what string, elem int) (string, error) {
	name := func() string {
		if elem < 0 {
			return what
		}
		return fmt.Sprintf("%s: element %d", what, elem)
	}
	if c.left() < 8 {
		_, err := c.bytes(8, name()+" length")
		return "", err
	}
	b, err := c.r.Peek(8)
	if err != nil {
		return "", fmt.Errorf("%s length at offset %d: %w", name(), c.off, err)
	}
	n := binary.LittleEndian.Uint64(b)
	c.r.Discard(8)
	c.off += 8
	if n > uint64(c.left()) {
		return "", fmt.Errorf("%w: %s of %d bytes at offset %d runs past the end of the file (%d bytes)", errTruncated, name(), n, c.off, c.size)
	}
	if n <= uint64(c.r.Size()) {
		b, err := c.r.Peek(int(n))
		if err != nil {
			return "", fmt.Errorf("%s at offset %d: %w", name(), c.off, err)
		}
		s := string(b)
		c.r.Discard(int(n))
		c.off += int64(n)
		return s, nil
	}
	b, err = c.bytes(int64(n), name())
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// count reads a signed 64-bit count of items that each take at least min
// bytes, refusing one the rest of the file cannot hold.
func (c *cursor) count(what string, min int64) (int64, error) {
	n, err := c.u64(what)
	if err != nil {
		return 0, err
	}
	if int64(n) < 0 {
		return 0, fmt.Errorf("%s is %d, negative", what, int64(n))
	}
	if int64(n) > c.left()/min {
		return 0, fmt.Errorf("%w: %s is %d, but the %d bytes left in the file hold at most %d", errTruncated, what, n, c.left(), c.left()/min)
	}
	return int64(n), nil
}

func parse(r io.ReaderAt, size int64, name string) (*File, error) {
	f := &File{name: name, size: size, index: map[string]int{}, tidx: map[string]int{}}
	c := &cursor{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16), size: size}
	if err := f.readHeader(c); err != nil {
		return nil, fmt.Errorf("%s%w", f.where(), err)
	}
	return f, nil
}

func (f *File) readHeader(c *cursor) error {
	m, err := c.bytes(4, "magic")
	if err != nil {
		return err
	}
	if !bytes.Equal(m, magic) {
		return fmt.Errorf("not a GGUF file: it begins %q, not \"GGUF\"", m)
	}
	if f.Version, err = c.u32("version"); err != nil {
		return err
	}
	switch v := f.Version; {
	case v&0xFFFF == 0 && v != 0:
		return fmt.Errorf("version field reads %#x: a big-endian file, and xent reads little-endian GGUF only", v)
	case v == 1:
		return errors.New("GGUF version 1 is not supported (ggml no longer reads it either); convert the file again")
	case v != 2 && v != 3:
		return fmt.Errorf("GGUF version %d is not supported (xent reads versions 2 and 3)", v)
	}
	// The smallest key/value is a key's length (8 bytes), its type (4) and
	// a one-byte value; the smallest tensor info a name's length, a
	// dimension count, a type and an offset.
	nTensors, err := c.count("tensor count", 8+4+4+8)
	if err != nil {
		return err
	}
	nKV, err := c.count("metadata key/value count", 8+4+1)
	if err != nil {
		return err
	}
	f.KV = make([]KV, 0, nKV)
	for i := range nKV {
		if err := f.readKV(c, i); err != nil {
			return err
		}
	}
	if err := f.readAlignment(); err != nil {
		return err
	}
	f.Tensors = make([]Tensor, 0, nTensors)
	for i := range nTensors {
		if err := f.readTensorInfo(c, i); err != nil {
			return err
		}
	}
	f.DataOffset = pad(c.off, f.Alignment)
	return f.checkData()
}

func (f *File) readKV(c *cursor, i int64) error {
	key, err := c.str(fmt.Sprintf("key #%d", i))
	if err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("key #%d is empty", i)
	}
	if _, dup := f.index[key]; dup {
		return fmt.Errorf("key %q appears twice", key)
	}
	where := fmt.Sprintf("key %q", key)
	t, err := c.u32(where + ": value type")
	if err != nil {
		return err
	}
	v := Value{Type: ValueType(t)}
	if v.Type == Array {
		e, err := c.u32(where + ": array element type")
		if err != nil {
			return err
		}
		v.Elem = ValueType(e)
		if v.Elem == Array {
			return fmt.Errorf("%s: an array of arrays, which ggml does not read", where)
		}
		if v.Elem > Float64 {
			return fmt.Errorf("%s: unknown array element type %d", where, e)
		}
		minSize := int64(v.Elem.size())
		if v.Elem == String {
			minSize = 8
		}
		n, err := c.count(where+": array length", minSize)
		if err != nil {
			return err
		}
		if v.V, err = readArray(c, v.Elem, n, where); err != nil {
			return err
		}
	} else {
		if v.Type > Float64 {
			return fmt.Errorf("%s: unknown value type %d", where, t)
		}
		if v.V, err = readScalar(c, v.Type, where); err != nil {
			return err
		}
	}
	f.index[key] = len(f.KV)
	f.KV = append(f.KV, KV{key, v})
	return nil
}

func readScalar(c *cursor, t ValueType, where string) (any, error) {
	if t == String {
		return c.str(where)
	}
	b, err := c.bytes(int64(t.size()), where)
	if err != nil {
		return nil, err
	}
	return decodeScalar(t, b), nil
}

// decodeScalar decodes one value of a fixed-size type from b.
func decodeScalar(t ValueType, b []byte) any {
	le := binary.LittleEndian
	switch t {
	case Uint8:
		return b[0]
	case Int8:
		return int8(b[0])
	case Bool:
		return b[0] != 0 // ggml reads any non-zero byte as true
	case Uint16:
		return le.Uint16(b)
	case Int16:
		return int16(le.Uint16(b))
	case Uint32:
		return le.Uint32(b)
	case Int32:
		return int32(le.Uint32(b))
	case Float32:
		return math.Float32frombits(le.Uint32(b))
	case Uint64:
		return le.Uint64(b)
	case Int64:
		return int64(le.Uint64(b))
	case Float64:
		return math.Float64frombits(le.Uint64(b))
	}
	panic("gguf: decodeScalar of " + t.String()) // callers pass fixed-size types only
}

func readArray(c *cursor, t ValueType, n int64, where string) (any, error) {
	if t == String {
		s := make([]string, n)
		for i := range s {
			var err error
			if s[i], err = c.strElem(where, i); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
	b, err := c.bytes(n*int64(t.size()), where+": array data")
	if err != nil {
		return nil, err
	}
	switch t {
	case Uint8:
		return slices.Clone(b), nil // b may be the cursor's scratch buffer
	case Int8:
		return decodeArray[int8](t, b, n), nil
	case Bool:
		return decodeArray[bool](t, b, n), nil
	case Uint16:
		return decodeArray[uint16](t, b, n), nil
	case Int16:
		return decodeArray[int16](t, b, n), nil
	case Uint32:
		return decodeArray[uint32](t, b, n), nil
	case Int32:
		return decodeArray[int32](t, b, n), nil
	case Float32:
		return decodeArray[float32](t, b, n), nil
	case Uint64:
		return decodeArray[uint64](t, b, n), nil
	case Int64:
		return decodeArray[int64](t, b, n), nil
	}
	return decodeArray[float64](t, b, n), nil
}

func decodeArray[T any](t ValueType, b []byte, n int64) []T {
	out := make([]T, n)
	k := t.size()
	for i := range out {
		out[i] = decodeScalar(t, b[i*k:]).(T)
	}
	return out
}

func (f *File) readAlignment() error {
	f.Alignment = DefaultAlignment
	v, ok := f.Value(AlignmentKey)
	if !ok {
		return nil
	}
	a, isU32 := v.V.(uint32)
	switch {
	case !isU32:
		return fmt.Errorf("key %q is %s, want a uint32", AlignmentKey, v.describe())
	case a == 0 || a&(a-1) != 0:
		return fmt.Errorf("key %q is %d, not a power of 2", AlignmentKey, a)
	}
	f.Alignment = int64(a)
	return nil
}

func (f *File) readTensorInfo(c *cursor, i int64) error {
	name, err := c.str(fmt.Sprintf("tensor #%d name", i))
	if err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("tensor #%d has an empty name", i) // ggml reads it, but nothing could ask for it
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("tensor #%d: name %.20q… is %d bytes, over ggml's limit of %d", i, name, len(name), MaxNameLen)
	}
	if _, dup := f.tidx[name]; dup {
		return fmt.Errorf("tensor %q appears twice", name)
	}
	where := fmt.Sprintf("tensor %q", name)
	nDims, err := c.u32(where + ": dimension count")
	if err != nil {
		return err
	}
	if nDims > MaxDims {
		return fmt.Errorf("%s: %d dimensions, more than ggml's %d", where, nDims, MaxDims)
	}
	t := Tensor{Name: name, Dims: make([]int64, nDims)}
	for j := range t.Dims {
		d, err := c.u64(fmt.Sprintf("%s: dimension %d", where, j))
		if err != nil {
			return err
		}
		t.Dims[j] = int64(d)
	}
	typ, err := c.u32(where + ": type")
	if err != nil {
		return err
	}
	t.Type = Type(typ)
	if !t.Type.Known() {
		return fmt.Errorf("%s: unknown tensor type %d", where, typ)
	}
	if t.Size, err = dataSize(t.Type, t.Dims); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	off, err := c.u64(where + ": data offset")
	if err != nil {
		return err
	}
	t.Offset = int64(off)
	f.tidx[name] = len(f.Tensors)
	f.Tensors = append(f.Tensors, t)
	return nil
}

// checkData requires what ggml's reader requires of the tensors' data:
// each tensor begins where the previous one, padded to the alignment,
// ended; and each lies inside the file.
func (f *File) checkData() error {
	if f.DataOffset > f.size && len(f.Tensors) > 0 {
		return fmt.Errorf("%w: the data section would begin at offset %d, past the end of the file (%d bytes)", errTruncated, f.DataOffset, f.size)
	}
	avail := f.size - f.DataOffset
	next := int64(0)
	for _, t := range f.Tensors {
		if t.Offset != next {
			return fmt.Errorf("tensor %q: data offset %d, want %d (the end of the previous tensor, padded to %d)", t.Name, t.Offset, next, f.Alignment)
		}
		if t.Size > avail-t.Offset {
			return fmt.Errorf("%w: tensor %q: %d bytes of %s %v at data offset %d run past the end of the file (%d bytes of data)", errTruncated, t.Name, t.Size, t.Type, t.Dims, t.Offset, avail)
		}
		next = pad(t.Offset+t.Size, f.Alignment)
	}
	return nil
}

// pad rounds n up to a multiple of the power of two a.
func pad(n, a int64) int64 { return (n + a - 1) &^ (a - 1) }
