package safetensors

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"unsafe"

	"github.com/xent-dev/xent/internal/kernels"
)

// Reader reads the tensors of a file one at a time, straight into the
// caller's buffers: it holds the header only, so a checkpoint loads
// without a second copy of its bytes. Open validates the header as
// ReadFile does (against the file's size); a reader is not safe for
// concurrent use.
type Reader struct {
	Metadata map[string]string // nil when the header has none
	// Tensors are the file's tensors in header order, with nil Data.
	Tensors []Tensor
	path    string
	f       *os.File
	spans   []span // where each tensor's data lies, past base
	base    int64  // the data buffer's offset in the file
}

// Open opens the file at path and validates its header.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	r, err := open(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	r.path = path
	return r, nil
}

func open(f *os.File) (*Reader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("truncated: %d bytes, the header length alone takes 8", size)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderLen {
		return nil, fmt.Errorf("header length %d is over the limit %d", n, MaxHeaderLen)
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("truncated: header of %d bytes declared, %d bytes follow", n, size-8)
	}
	head := make([]byte, n)
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, err
	}
	file, spans, err := parseHeader(head, size-8-int64(n))
	if err != nil {
		return nil, err
	}
	return &Reader{Metadata: file.Metadata, Tensors: file.Tensors, f: f, spans: spans, base: 8 + int64(n)}, nil
}

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

// read fills dst with tensor i's bytes from off on.
func (r *Reader) read(i int, off int64, dst []byte) error {
	if _, err := r.f.ReadAt(dst, r.base+r.spans[i].begin+off); err != nil {
		return fmt.Errorf("safetensors: %s: tensor %q: %w", r.path, r.Tensors[i].Name, err)
	}
	return nil
}

// littleEndian is whether this machine stores numbers as the format does,
// so that a tensor's bytes can be read into a []float32 or []uint16 as
// they are.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// chunk is how many bytes are read at a time where they must be converted.
const chunk = 1 << 20

// BF16s reads BF16 tensor i into dst, which must hold its Len() values.
func (r *Reader) BF16s(i int, dst []uint16) error {
	t := r.Tensors[i]
	if t.DType != BF16 {
		return fmt.Errorf("safetensors: %s: tensor %q has dtype %s, not BF16", r.path, t.Name, t.DType)
	}
	if len(dst) != t.Len() {
		return fmt.Errorf("safetensors: %s: tensor %q has %d values, not %d", r.path, t.Name, t.Len(), len(dst))
	}
	if littleEndian {
		return r.read(i, 0, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 2*len(dst)))
	}
	return r.convert(i, 2, func(b []byte, at int) {
		for k := range len(b) / 2 {
			dst[at+k] = binary.LittleEndian.Uint16(b[2*k:])
		}
	})
}

// Float32s reads F32, F16 or BF16 tensor i into dst, which must hold its
// Len() values, widening F16 and BF16 a chunk at a time.
func (r *Reader) Float32s(i int, dst []float32) error {
	t := r.Tensors[i]
	if len(dst) != t.Len() {
		return fmt.Errorf("safetensors: %s: tensor %q has %d values, not %d", r.path, t.Name, t.Len(), len(dst))
	}
	switch t.DType {
	case F32:
		if littleEndian {
			return r.read(i, 0, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*len(dst)))
		}
		return r.convert(i, 4, func(b []byte, at int) {
			for k := range len(b) / 4 {
				dst[at+k] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*k:]))
			}
		})
	case F16, BF16:
		bits := make([]uint16, min(chunk/2, t.Len()))
		widen := kernels.BF16ToF32
		if t.DType == F16 {
			widen = kernels.F16ToF32
		}
		return r.convert(i, 2, func(b []byte, at int) {
			n := len(b) / 2
			for k := range n {
				bits[k] = binary.LittleEndian.Uint16(b[2*k:])
			}
			widen(dst[at:at+n], bits[:n])
		})
	}
	return fmt.Errorf("safetensors: %s: tensor %q has dtype %s, want F32, F16 or BF16", r.path, t.Name, t.DType)
}

// convert reads tensor i a chunk at a time and hands each chunk's bytes
// to f with the index of its first element of the given size.
func (r *Reader) convert(i, size int, f func(b []byte, at int)) error {
	n := r.spans[i].end - r.spans[i].begin
	buf := make([]byte, min(n, chunk))
	for off := int64(0); off < n; off += chunk {
		b := buf[:min(chunk, n-off)]
		if err := r.read(i, off, b); err != nil {
			return err
		}
		f(b, int(off)/size)
	}
	return nil
}
