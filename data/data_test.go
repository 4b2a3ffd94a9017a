package data

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestBuiltinOpticks(t *testing.T) {
	text, err := Builtin("opticks")
	if err != nil || len(text) != 567198 || !bytes.Contains(text, []byte("OPTICKS")) {
		t.Fatalf("opticks: %d bytes, %v", len(text), err)
	}
	train, held := Split(text)
	if len(train)+len(held) != len(text) || len(held) < len(text)/10-3 || len(held) > len(text)/10 {
		t.Fatalf("split %d + %d of %d", len(train), len(held), len(text))
	}
	if _, err := Builtin("shakespeare"); err == nil {
		t.Fatal("unknown corpus accepted")
	}
}

func TestSplitKeepsCharactersWhole(t *testing.T) {
	text := []byte(strings.Repeat("é", 50)) // 100 bytes: the cut at 90 falls on a boundary
	text = append([]byte("x"), text...)     // now at 91 − 10: mid-character
	train, held := Split(text)
	if !utf8.Valid(train) || !utf8.Valid(held) {
		t.Fatalf("split inside a character: %q | %q", train[len(train)-2:], held[:2])
	}
}

func TestFilesTextJSONLAndGlob(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.txt", "alpha")
	write("b.jsonl", `{"text": "beta"}`+"\n\n"+`{"text": "gamma", "id": 3}`+"\n")
	got, err := Files(dir, nil)
	if err != nil || string(got) != "alpha\n\nbeta\n\ngamma\n\n" {
		t.Fatalf("dir: %q, %v", got, err)
	}
	if got, err := Files(filepath.Join(dir, "*.txt"), nil); err != nil || string(got) != "alpha\n\n" {
		t.Fatalf("glob: %q, %v", got, err)
	}
	write("bad.jsonl", `{"text": "ok"}`+"\n"+`{"body": "no text"}`+"\n")
	if _, err := Files(filepath.Join(dir, "bad.jsonl"), nil); err == nil || !strings.Contains(err.Error(), "bad.jsonl:2") {
		t.Fatalf("missing text field: %v", err)
	}
	if _, err := Files(filepath.Join(dir, "nothing*"), nil); err == nil {
		t.Fatal("empty glob accepted")
	}
	write("empty.txt", "")
	if _, err := Files(filepath.Join(dir, "empty.txt"), nil); err == nil || !strings.Contains(err.Error(), "no text") {
		t.Fatalf("empty corpus: %v", err)
	}
}

func TestBatchesAreSeededAndShifted(t *testing.T) {
	tokens := make([]int32, 100)
	for i := range tokens {
		tokens[i] = int32(i)
	}
	a, _ := NewBatches(tokens, 3, 8, 42)
	b, _ := NewBatches(tokens, 3, 8, 42)
	in1, tg1, in2, tg2 := make([]int32, 24), make([]int32, 24), make([]int32, 24), make([]int32, 24)
	state, err := a.State()
	if err != nil {
		t.Fatal(err)
	}
	a.Next(in1, tg1)
	b.Next(in2, tg2)
	if !slices.Equal(in1, in2) || !slices.Equal(tg1, tg2) {
		t.Fatal("same seed, different batches")
	}
	for i := range in1 {
		if tg1[i] != in1[i]+1 {
			t.Fatalf("target %d is not the next token after %d", tg1[i], in1[i])
		}
	}
	if err := a.Restore(state); err != nil {
		t.Fatal(err)
	}
	a.Next(in2, tg2)
	if !slices.Equal(in1, in2) {
		t.Fatal("restored state gives other batches")
	}
	if _, err := NewBatches(tokens[:8], 1, 8, 1); err == nil {
		t.Fatal("too short a stream accepted")
	}
}

func TestWindowsScoreEveryTokenOnce(t *testing.T) {
	tokens := []int32{0, 1, 2, 3, 4, 5, 6}
	var targets []int32
	for _, w := range Windows(tokens, 3) {
		targets = append(targets, w[1:]...)
	}
	if !slices.Equal(targets, tokens[1:]) {
		t.Fatalf("targets %v", targets)
	}
}

// TestStdin reads "-" as one plain-text document from the reader given,
// and refuses it with none.
func TestStdin(t *testing.T) {
	got, err := Files(Stdin, strings.NewReader("from a pipe"))
	if err != nil || string(got) != "from a pipe\n\n" {
		t.Errorf("Files(-) = %q, %v", got, err)
	}
	if _, err := Files(Stdin, nil); err == nil || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("Files(-) without stdin: err = %v", err)
	}
	if p, err := Paths(Stdin); err != nil || len(p) != 1 || p[0] != Stdin {
		t.Errorf("Paths(-) = %v, %v", p, err)
	}
	text, err := Source{Files: Stdin, Stdin: strings.NewReader("abc")}.Text()
	if err != nil || string(text) != "abc\n\n" {
		t.Errorf("Source{-}.Text() = %q, %v", text, err)
	}
}
