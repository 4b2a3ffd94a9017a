package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestDashIsStandardInput: "-" names standard input for --data (eval)
// and --prompt-file (generate), giving what the same text as a flag or a
// file gives.
func TestDashIsStandardInput(t *testing.T) {
	dir := saveTinyModel(t, strings.Repeat(evalText, 5), 16, 32, 1)
	text := strings.Repeat(evalText, 3)
	file := t.TempDir() + "/doc.txt"
	writeText(t, file, text)
	fromFile, stderr, err := runXent(t, "eval", "--model", dir, "--data", file, "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	fromPipe, stderr, err := runXentIn(t, []byte(text), "eval", "--model", dir, "--data", "-", "--json")
	if err != nil {
		t.Fatalf("--data -: %v\n%s", err, stderr)
	}
	var a, b map[string]any
	if json.Unmarshal([]byte(fromFile), &a) != nil || json.Unmarshal([]byte(fromPipe), &b) != nil {
		t.Fatalf("not JSON:\n%s\n%s", fromFile, fromPipe)
	}
	if a["mean_nll"] != b["mean_nll"] || a["tokens"] != b["tokens"] || a["bytes"] != b["bytes"] {
		t.Errorf("--data -: mean NLL %v over %v tokens, the file: %v over %v", b["mean_nll"], b["tokens"], a["mean_nll"], a["tokens"])
	}

	args := []string{"generate", "--model", dir, "--max-tokens", "8", "--temperature", "0"}
	flag, _, err := runXent(t, append(args, "--prompt", "Light is")...)
	if err != nil {
		t.Fatal(err)
	}
	piped, stderr, err := runXentIn(t, []byte("Light is"), append(args, "--prompt-file", "-")...)
	if err != nil {
		t.Fatalf("--prompt-file -: %v\n%s", err, stderr)
	}
	if flag != piped {
		t.Errorf("--prompt-file - continued %q, --prompt %q", piped, flag)
	}
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
