package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// MaxHeaderLen bounds the JSON header (the reference implementation's
// limit): larger declared lengths are rejected before anything is read.
const MaxHeaderLen = 100_000_000

// File is the content of a .safetensors file.
type File struct {
	Metadata map[string]string // nil when the header has none
	Tensors  []Tensor          // in header order; Data aliases the parsed bytes
}

// Tensor returns the tensor with the given name.
func (f *File) Tensor(name string) (Tensor, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// ReadFile reads and validates the file at path. Errors name the path and,
// where one is at fault, the tensor.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return f, nil
}

// Parse validates the bytes of a whole file and returns its tensors, whose
// Data are sub-slices of b.
func Parse(b []byte) (*File, error) {
	f, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

// header is one tensor's header entry.
type header struct {
	DType       DType   `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

func parse(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("truncated: %d bytes, the header length alone takes 8", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderLen {
		return nil, fmt.Errorf("header length %d is over the limit %d", n, MaxHeaderLen)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("truncated: header of %d bytes declared, %d bytes follow", n, len(b)-8)
	}
	buf := b[8+n:]
	f, spans, err := parseHeader(b[8:8+n], int64(len(buf)))
	if err != nil {
		return nil, err
	}
	for i, sp := range spans {
		f.Tensors[i].Data = buf[sp.begin:sp.end:sp.end]
	}
	return f, nil
}

// parseHeader validates the JSON header head against a data buffer of n
// bytes and returns the tensors, without Data, and where each one's data
// lies in the buffer (in the order of the tensors).
func parseHeader(head []byte, n int64) (*File, []span, error) {
	if len(bytes.TrimLeft(head, " \t\r\n")) == 0 || bytes.TrimLeft(head, " \t\r\n")[0] != '{' {
		return nil, nil, errors.New("header is not a JSON object")
	}
	f := &File{}
	dec := json.NewDecoder(bytes.NewReader(head))
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	seen := map[string]bool{}
	var spans []span
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header: %w", err)
		}
		name := tok.(string) // object keys are always strings
		if name == "" {
			return nil, nil, errors.New("header: a tensor has an empty name")
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("header: %q appears twice", name)
		}
		seen[name] = true
		if name == "__metadata__" {
			if err := dec.Decode(&f.Metadata); err != nil {
				return nil, nil, fmt.Errorf("header: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var h header
		if err := dec.Decode(&h); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: bad header entry: %w", name, err)
		}
		t, sp, err := h.tensor(name, n)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		f.Tensors = append(f.Tensors, t)
		spans = append(spans, sp)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("header: data after the JSON object")
	}
	if err := checkTiling(slices.Clone(spans), n); err != nil {
		return nil, nil, err
	}
	return f, spans, nil
}

// tensor checks one entry against a data buffer of n bytes and returns its
// tensor, without Data, and where its data lies.
func (h header) tensor(name string, n int64) (Tensor, span, error) {
	size := h.DType.Size()
	if size == 0 {
		return Tensor{}, span{}, fmt.Errorf("unknown dtype %q", h.DType)
	}
	if h.Shape == nil {
		return Tensor{}, span{}, errors.New("no shape")
	}
	if len(h.DataOffsets) != 2 {
		return Tensor{}, span{}, fmt.Errorf("data_offsets %v must be [begin, end]", h.DataOffsets)
	}
	begin, end := h.DataOffsets[0], h.DataOffsets[1]
	if end > n && begin >= 0 && end >= begin {
		return Tensor{}, span{}, fmt.Errorf("truncated: data_offsets [%d, %d] end past the %d bytes of data", begin, end, n)
	}
	if begin < 0 || end < begin {
		return Tensor{}, span{}, fmt.Errorf("data_offsets [%d, %d] are not a range", begin, end)
	}
	nbytes, err := byteSize(h.DType, h.Shape)
	if err != nil {
		return Tensor{}, span{}, err
	}
	shape := make([]int, len(h.Shape))
	for i, k := range h.Shape {
		shape[i] = int(k)
	}
	if nbytes != end-begin {
		return Tensor{}, span{}, fmt.Errorf("shape %v of %s needs %d bytes, data_offsets [%d, %d] hold %d", h.Shape, h.DType, nbytes, begin, end, end-begin)
	}
	return Tensor{Name: name, DType: h.DType, Shape: shape}, span{name, begin, end}, nil
}

// span is where a tensor's data lies in the buffer.
type span struct {
	name       string
	begin, end int64
}

// checkTiling requires the spans to cover a buffer of n bytes exactly, in
// some order, without overlap or gap.
func checkTiling(spans []span, n int64) error {
	slices.SortStableFunc(spans, func(a, b span) int {
		if a.begin != b.begin {
			return cmp.Compare(a.begin, b.begin)
		}
		return cmp.Compare(a.end, b.end)
	})
	pos, prev := int64(0), ""
	for _, s := range spans {
		switch {
		case s.begin < pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q", s.name, s.begin, s.end, prev)
		case s.begin > pos:
			return fmt.Errorf("tensor %q: gap of %d bytes before its data_offsets [%d, %d]", s.name, s.begin-pos, s.begin, s.end)
		}
		pos, prev = s.end, s.name
	}
	if pos != n {
		return fmt.Errorf("%d bytes of data after the last tensor", n-pos)
	}
	return nil
}
