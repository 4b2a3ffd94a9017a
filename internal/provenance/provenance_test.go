package provenance

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHashFilesIsSha256sum(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("ab"), 0o644)
	os.WriteFile(b, []byte("c"), 0o644)
	one, err := HashFiles(a)
	if err != nil {
		t.Fatal(err)
	}
	// printf ab | sha256sum
	if want := "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603"; one != want {
		t.Errorf("HashFiles(ab) = %s, want %s", one, want)
	}
	two, err := HashFiles(a, b)
	if err != nil {
		t.Fatal(err)
	}
	// printf abc | sha256sum: the files' bytes in order
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; two != want {
		t.Errorf("HashFiles(ab, c) = %s, want %s", two, want)
	}
	if _, err := HashFiles(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a missing file: err = %v, want one naming it", err)
	}
}

func TestSourceTableAndJSON(t *testing.T) {
	s := New()
	s.Model = &Model{Path: "runs/opticks", WeightsSHA256: "0123456789abcdef0123"}
	s.Data = "corpus opticks, held-out split"
	s.Settings = map[string]any{"window": "disjoint", "context": 128}
	var buf bytes.Buffer
	if err := s.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"model     runs/opticks (weights sha256 0123456789ab)", "data      corpus opticks", `settings  {"context":128,"window":"disjoint"}`, "build     xent "} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "base model") || strings.Contains(out, "tokenizer") {
		t.Errorf("fields not set are printed:\n%s", out)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	json.Unmarshal(b, &back)
	if back["model"].(map[string]any)["weights_sha256"] != "0123456789abcdef0123" || back["xent"].(map[string]any)["kernels"] == "" {
		t.Errorf("JSON lacks the model hash or the build: %s", b)
	}
}
