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

func TestWriteDirReplacesOrLeavesIntact(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	fill := func(content string) func(string) error {
		return func(tmp string) error { return WriteBytes(filepath.Join(tmp, "a"), []byte(content)) }
	}
	read := func() string {
		b, err := os.ReadFile(filepath.Join(dir, "a"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if err := WriteDir(dir, fill("one")); err != nil || read() != "one" {
		t.Fatalf("first write: %v, content %q", err, read())
	}
	if err := WriteDir(dir, fill("two")); err != nil || read() != "two" {
		t.Fatalf("replacing write: %v, content %q", err, read())
	}
	boom := errors.New("boom")
	if err := WriteDir(dir, func(tmp string) error { fill("three")(tmp); return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing fill returned %v", err)
	}
	if read() != "two" {
		t.Fatalf("a failing fill changed the directory: %q", read())
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Fatalf("left behind %d entries, want only the directory", len(entries))
	}
}
