package npy

import (
	"github.com/xent-dev/xent/internal/atomicfile"

	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// growthAxisMaxDigits mirrors NumPy's GROWTH_AXIS_MAX_DIGITS: np.save leaves
// this many characters of room (less the digits of the first dimension) so
// the header can be rewritten in place as the array grows.
const growthAxisMaxDigits = 21

// Write writes a .npy file holding data, the little-endian element bytes of
// an array of the given dtype and shape in C order. A nil or empty shape is
// a scalar. len(data) must be product(shape) * dtype.ItemSize(). The output
// is byte-for-byte what NumPy's np.save writes for the same array.
func Write(w io.Writer, dtype DType, shape []int, data []byte) error {
	if err := write(w, dtype, shape, data); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}

// WriteFloat32 writes data, in C order with the given shape, as a Float32
// .npy file. len(data) must be product(shape).
func WriteFloat32(w io.Writer, shape []int, data []float32) error {
	if err := writeFloat32(w, shape, data); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}

// WriteFile writes an array to the file at path as Write does, atomically:
// it writes a temporary file in the same directory, syncs it to disk, and
// renames it over path. On any error the temporary file is removed and an
// existing file at path is left untouched. A new file gets mode 0644; a
// replaced regular file keeps its mode. If path is a symbolic link, the
// link itself is replaced.
func WriteFile(path string, dtype DType, shape []int, data []byte) error {
	if err := checkLen(dtype, shape, len(data)); err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	return writeFileAtomic(path, func(w io.Writer) error { return write(w, dtype, shape, data) })
}

// WriteFloat32File writes data as a Float32 .npy file at path, atomically,
// as WriteFile does.
func WriteFloat32File(path string, shape []int, data []float32) error {
	if err := checkLen(Float32, shape, len(data)*4); err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	return writeFileAtomic(path, func(w io.Writer) error { return writeFloat32(w, shape, data) })
}

// checkLen verifies that dtype is supported and that nbytes of data match
// shape.
func checkLen(dtype DType, shape []int, nbytes int) error {
	if dtype.ItemSize() == 0 {
		return fmt.Errorf("unsupported dtype %q", string(dtype))
	}
	_, need, err := sizes(dtype, shape)
	if err != nil {
		return err
	}
	if nbytes != need {
		return fmt.Errorf("data has %d bytes, shape %v of %s needs %d", nbytes, shape, dtype, need)
	}
	return nil
}

func write(w io.Writer, dtype DType, shape []int, data []byte) error {
	if err := checkLen(dtype, shape, len(data)); err != nil {
		return err
	}
	if _, err := w.Write(encodeHeader(dtype, shape)); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

func writeFloat32(w io.Writer, shape []int, data []float32) error {
	if err := checkLen(Float32, shape, len(data)*4); err != nil {
		return err
	}
	if _, err := w.Write(encodeHeader(Float32, shape)); err != nil {
		return err
	}
	const chunk = 8192
	buf := make([]byte, 4*min(chunk, len(data)))
	for len(data) > 0 {
		n := min(chunk, len(data))
		for i, v := range data[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := w.Write(buf[:4*n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// encodeHeader returns the magic string, version, header length and padded
// header dict exactly as NumPy's np.save produces them.
func encodeHeader(dtype DType, shape []int) []byte {
	var b strings.Builder
	b.WriteString("{'descr': '")
	b.WriteString(string(dtype))
	b.WriteString("', 'fortran_order': False, 'shape': (")
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteString("), }")
	if len(shape) > 0 {
		if pad := growthAxisMaxDigits - len(strconv.Itoa(shape[0])); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
	}
	dict := b.String()

	// The dict plus its '\n' is padded with spaces so that magic (6),
	// version (2), length field (2 or 4) and header end at a multiple of 64.
	// Like NumPy, a header that is already aligned still gets 64 spaces.
	hlen := len(dict) + 1
	major, lenBytes := byte(1), 2
	pad := 64 - (8+lenBytes+hlen)%64
	if hlen+pad > math.MaxUint16 {
		major, lenBytes = 2, 4
		pad = 64 - (8+lenBytes+hlen)%64
	}
	out := make([]byte, 0, 8+lenBytes+hlen+pad)
	out = append(out, magic...)
	out = append(out, major, 0)
	if lenBytes == 2 {
		out = binary.LittleEndian.AppendUint16(out, uint16(hlen+pad))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(hlen+pad))
	}
	out = append(out, dict...)
	for range pad {
		out = append(out, ' ')
	}
	return append(out, '\n')
}

// writeFileAtomic writes fill's output to path atomically, naming path in errors.
func writeFileAtomic(path string, fill func(io.Writer) error) error {
	if err := atomicfile.Write(path, fill); err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	return nil
}
