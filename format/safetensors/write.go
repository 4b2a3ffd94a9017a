package safetensors

import (
	"github.com/xent-dev/xent/internal/atomicfile"

	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Write writes the tensors, in the order given, and the metadata (may be
// nil) as a .safetensors stream. The header is padded with spaces to a
// multiple of 8 bytes, as the reference writer does, so that every F32
// tensor starts aligned.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	head, err := encodeHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	for _, t := range tensors {
		if _, err := w.Write(t.Data); err != nil {
			return fmt.Errorf("safetensors: %w", err)
		}
	}
	return nil
}

// WriteFile writes the tensors to path as Write does, atomically: into a
// temporary file in the same directory, synced to disk and renamed over
// path. On any error the temporary file is removed and a file already at
// path is left untouched.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	if _, err := encodeHeader(tensors, metadata); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return Write(w, tensors, metadata) }); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return nil
}

// encodeHeader validates the tensors and returns the length prefix and the
// padded JSON header.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	js := []byte{'{'}
	if metadata != nil {
		m, err := json.Marshal(metadata) // keys sorted
		if err != nil {
			return nil, err
		}
		js = append(append(js, `"__metadata__":`...), m...)
	}
	seen := map[string]bool{}
	offset := 0
	for _, t := range tensors {
		if t.Name == "" || t.Name == "__metadata__" || seen[t.Name] {
			return nil, fmt.Errorf("tensor name %q is empty, reserved or repeated", t.Name)
		}
		seen[t.Name] = true
		if t.DType.Size() == 0 {
			return nil, fmt.Errorf("tensor %q: unknown dtype %q", t.Name, t.DType)
		}
		shape := make([]int64, len(t.Shape))
		for i, k := range t.Shape {
			shape[i] = int64(k)
		}
		want, err := byteSize(t.DType, shape)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if int64(len(t.Data)) != want {
			return nil, fmt.Errorf("tensor %q: shape %v of %s needs %d bytes, has %d", t.Name, t.Shape, t.DType, want, len(t.Data))
		}
		if len(js) > 1 {
			js = append(js, ',')
		}
		name, _ := json.Marshal(t.Name) // a string always marshals
		dims, _ := json.Marshal(shape)  // [] for a scalar, never null
		js = append(js, name...)
		js = fmt.Appendf(js, `:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, t.DType, dims, offset, offset+len(t.Data))
		offset += len(t.Data)
	}
	js = append(js, '}')
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	if len(js) > MaxHeaderLen {
		return nil, errors.New("header is over the size limit")
	}
	out := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+len(js)), uint64(len(js)))
	return append(out, js...), nil
}
