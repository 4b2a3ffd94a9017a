package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesOrLeavesIntact(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteBytes(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, []byte("second")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "second" {
		t.Fatalf("content %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the replaced file's 0600", fi.Mode().Perm())
	}
	for _, fail := range []struct {
		name  string
		setup func()
		fill  func(io.Writer) error
	}{
		{"fill error", func() {}, func(w io.Writer) error { w.Write([]byte("half")); return errors.New("boom") }},
		{"fsync error", func() { syncFile = func(*os.File) error { return errors.New("disk full") } }, func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }},
	} {
		fail.setup()
		err := Write(path, fail.fill)
		syncFile = (*os.File).Sync
		if err == nil {
			t.Errorf("%s: no error", fail.name)
		}
		if b, _ := os.ReadFile(path); string(b) != "second" {
			t.Errorf("%s: the existing file became %q", fail.name, b)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%s: %d entries left, want 1", fail.name, len(entries))
		}
	}
	if err := WriteBytes(filepath.Join(dir, "missing", "f"), nil); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
}
