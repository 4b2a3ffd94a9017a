// Package atomicfile writes files so that a crash, a full disk or an error
// halfway never leaves a half-written file where a good one was: the
// content goes to a temporary file beside the target, is synced to disk,
// and is renamed over the target; on any error the temporary file is
// removed and the target is untouched.
package atomicfile

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// syncFile is replaced in tests to simulate a failing fsync.
var syncFile = (*os.File).Sync

// Write writes fill's output to path atomically. A replaced regular file
// keeps its mode; a new one gets 0644. The rename is made durable where the
// platform can sync a directory.
func Write(path string, fill func(io.Writer) error) (err error) {
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
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteBytes writes b to path atomically.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// WriteDir writes a whole directory atomically: fill populates a fresh
// temporary directory beside dir, which is then renamed into place. An
// existing dir is moved aside to dir+".prev" first and removed last, so a
// crash or a failing fill leaves the previous directory intact (at dir, or
// at dir+".prev" if the crash falls between the two renames).
func WriteDir(dir string, fill func(tmp string) error) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // nothing left after a successful rename
	if err := fill(tmp); err != nil {
		return err
	}
	prev := dir + ".prev"
	if err := os.RemoveAll(prev); err != nil {
		return err
	}
	hadPrev := false
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, prev); err != nil {
			return err
		}
		hadPrev = true
	}
	if err := os.Rename(tmp, dir); err != nil {
		if hadPrev {
			os.Rename(prev, dir)
		}
		return err
	}
	if hadPrev {
		os.RemoveAll(prev)
	}
	return nil
}
