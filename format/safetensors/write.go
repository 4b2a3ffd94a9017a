package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
	if err := writeFileAtomic(path, func(w io.Writer) error { return Write(w, tensors, metadata) }); err != nil {
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

// syncFile is replaced in tests to simulate a failing fsync.
var syncFile = (*os.File).Sync

// writeFileAtomic writes fill's output to a temporary file beside path,
// syncs it and renames it over path; on error it removes the temporary
// file. A replaced regular file keeps its mode; a new one gets 0644.
func writeFileAtomic(path string, fill func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	perm := fs.FileMode(0o644)
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() {
		perm = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = fill(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = syncFile(f); err != nil {
		return err
	}
	closed = true
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename durable where the platform can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
