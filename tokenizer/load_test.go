package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLoad resolves each kind of spec to the same tokenizer: a built-in
// name, a tokenizer.json, and a directory holding it.
func TestLoad(t *testing.T) {
	want := mustBuiltin(t, "gpt2")
	dir := t.TempDir()
	path := filepath.Join(dir, "tokenizer.json")
	if err := want.SaveHFFile(path); err != nil {
		t.Fatal(err)
	}
	text := []byte("Hello, world! It's <|endoftext|> 3.14")
	for _, spec := range []string{"gpt2", path, dir} {
		tok, err := Load(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if got := tok.Encode(text); !slices.Equal(got, want.Encode(text)) || tok.VocabSize() != want.VocabSize() {
			t.Errorf("%s: a different tokenizer", spec)
		}
	}
	empty := t.TempDir()
	for spec, msg := range map[string]string{
		"gpt3":                          `"gpt3" is neither a built-in name`,
		empty:                           "has no tokenizer.json, and GPT-2's files do not load",
		filepath.Join(empty, "x.json"):  "neither a built-in name",
		writeFile(t, empty, "bad.json"): "bad.json",
	} {
		if _, err := Load(spec); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one containing %q", spec, err, msg)
		}
	}
}

func writeFile(t *testing.T, dir, name string) string {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
