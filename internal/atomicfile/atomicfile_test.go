package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// TestWriteDirReplacesOrLeavesIntact runs WriteDir both ways: with the
// file system's exchange of two names and with two renames.
func TestWriteDirReplacesOrLeavesIntact(t *testing.T) {
	for _, way := range []string{"exchange", "two renames"} {
		t.Run(way, func(t *testing.T) {
			if way == "two renames" {
				exchangeNames = func(a, b string) error { return errNoExchange }
				defer func() { exchangeNames = exchange }()
			}
			testWriteDir(t)
		})
	}
}

func testWriteDir(t *testing.T) {
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
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
		t.Errorf("a new directory has mode %v, want 0755", fi.Mode().Perm())
	}
	os.Chmod(dir, 0o700)
	if err := WriteDir(dir, fill("two")); err != nil || read() != "two" {
		t.Fatalf("replacing write: %v, content %q", err, read())
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("a replaced directory has mode %v, want its 0700", fi.Mode().Perm())
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

// TestWriteDirLeavesAForeignPrevAlone checks that the two-rename path
// never deletes a directory of the user's that happens to be named like
// its aside directory.
func TestWriteDirLeavesAForeignPrevAlone(t *testing.T) {
	exchangeNames = func(a, b string) error { return errNoExchange }
	defer func() { exchangeNames = exchange }()
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := WriteDir(dir, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	precious := filepath.Join(PrevDir(dir), "notes.txt")
	os.Mkdir(PrevDir(dir), 0o755)
	os.WriteFile(precious, []byte("precious"), 0o644)
	if err := WriteDir(dir, func(string) error { return nil }); err == nil || !strings.Contains(err.Error(), "in the way") {
		t.Errorf("error %v, want one naming %s", err, PrevDir(dir))
	}
	if b, _ := os.ReadFile(precious); string(b) != "precious" {
		t.Errorf("%s now holds %q", precious, b)
	}
}

// TestLeftoversAndRecoverDir plays a WriteDir killed between its two
// renames and a Write killed before its rename.
func TestLeftoversAndRecoverDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "ckpt")
	for _, name := range []string{".ckpt.tmp-123", ".ckpt.tmp-9", ".ckpt.tmp-", ".ckpt.tmp-12a", ".ckpt.lock", "ckpt.tmp-1", ".other.tmp-1", "ckpt.prev"} {
		if err := os.Mkdir(filepath.Join(parent, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(parent, "ckpt.prev", "a"), []byte("last save"), 0o644)
	got, err := Leftovers(dir)
	want := []string{filepath.Join(parent, ".ckpt.tmp-123"), filepath.Join(parent, ".ckpt.tmp-9")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Leftovers = %v, %v; want %v", got, err, want)
	}
	if ok, err := RecoverDir(dir); !ok || err != nil {
		t.Fatalf("RecoverDir = %v, %v", ok, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a")); string(b) != "last save" {
		t.Errorf("recovered directory holds %q", b)
	}
	if ok, err := RecoverDir(dir); ok || err != nil {
		t.Errorf("RecoverDir of a present directory = %v, %v; want false, nil", ok, err)
	}
}
