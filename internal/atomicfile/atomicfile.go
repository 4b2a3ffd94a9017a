// Package atomicfile writes files so that a crash, a full disk or an error
// halfway never leaves a half-written file where a good one was: the
// content goes to a temporary file beside the target, is synced to disk,
// and is renamed over the target; on any error the temporary file is
// removed and the target is untouched.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errNoExchange says that the file system cannot exchange two names.
var errNoExchange = errors.New("atomicfile: no atomic exchange here")

// exchangeNames is replaced in tests to take WriteDir's two-rename path.
var exchangeNames = exchange

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
	syncDir(dir)
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
// temporary directory beside dir (named by TempPrefix), which then takes
// dir's place. Where the file system can exchange two names in one step
// (Linux's renameat2, macOS's renamex_np), the new directory and an
// existing dir swap places and the old one is removed: there is no moment
// without a complete dir. Elsewhere an existing dir is moved aside to
// PrevDir(dir) first and removed last, so a crash between the two renames
// leaves the previous directory at PrevDir(dir) (RecoverDir puts it back).
// A failing fill leaves dir untouched and removes the temporary directory.
// A replaced directory keeps its mode; a new one gets 0755.
func WriteDir(dir string, fill func(tmp string) error) error {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	perm := fs.FileMode(0o755)
	if fi, err := os.Lstat(dir); err == nil && fi.IsDir() {
		perm = fi.Mode().Perm()
	}
	tmp, err := os.MkdirTemp(parent, TempPrefix(dir))
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // after an exchange it holds the old directory
	if err := os.Chmod(tmp, perm); err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	syncDir(tmp)
	if _, err := os.Lstat(dir); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.Rename(tmp, dir); err != nil {
			return err
		}
		syncDir(parent)
		return nil
	}
	if err := exchangeNames(tmp, dir); err == nil {
		syncDir(parent)
		return nil
	} else if !errors.Is(err, errNoExchange) {
		return err
	}
	prev := PrevDir(dir)
	if _, err := os.Lstat(prev); err == nil {
		return fmt.Errorf("%s is in the way: a save moves %s there while it replaces it", prev, dir)
	}
	if err := os.Rename(dir, prev); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(prev, dir)
		return err
	}
	syncDir(parent)
	return os.RemoveAll(prev)
}

// TempPrefix is how the temporary files and directories of a write of path
// begin: "." + its base name + ".tmp-"; a random number follows.
func TempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// PrevDir is where WriteDir moves an existing dir while it replaces it, on
// file systems that cannot exchange two names.
func PrevDir(dir string) string { return filepath.Clean(dir) + ".prev" }

// Leftovers lists what writes of path killed midway left beside it: the
// entries of path's directory named TempPrefix(path) followed by the
// random number Write and WriteDir add, and nothing else.
func Leftovers(path string) ([]string, error) {
	parent := filepath.Dir(filepath.Clean(path))
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if IsTemp(e.Name(), path) {
			out = append(out, filepath.Join(parent, e.Name()))
		}
	}
	return out, nil
}

// IsTemp reports whether name is that of a temporary file or directory of
// a write of path: TempPrefix(path) and the random number Write and
// WriteDir add.
func IsTemp(name, path string) bool {
	rest, ok := strings.CutPrefix(name, TempPrefix(path))
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}

// RecoverDir undoes a WriteDir killed between its two renames: when dir is
// missing and PrevDir(dir) is a directory, it is renamed back to dir.
// It reports whether it did. The caller must make sure that no WriteDir of
// dir is running.
func RecoverDir(dir string) (bool, error) {
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	prev := PrevDir(dir)
	if fi, err := os.Lstat(prev); err != nil || !fi.IsDir() {
		return false, nil
	}
	if err := os.Rename(prev, dir); err != nil {
		return false, err
	}
	syncDir(filepath.Dir(filepath.Clean(dir)))
	return true, nil
}

// syncDir makes renames in dir durable where the platform can sync a
// directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
