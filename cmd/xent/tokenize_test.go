package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runXentIn runs a fresh root command with stdin and args.
func runXentIn(t *testing.T, stdin []byte, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errb bytes.Buffer
	cmd.SetIn(bytes.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errb.String(), err
}

func TestTokenize(t *testing.T) {
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"cl100k", "Hello, world!", []string{"--tokenizer", "cl100k_base"}, "[9906,11,1917,0]\n"},
		{"default gpt2", "Hello, world!", nil, "[15496,11,995,0]\n"},
		{"count", "Hello, world!", []string{"--tokenizer", "o200k_base", "--count"}, "4\n"},
		{"empty", "", []string{"--tokenizer", "o200k_base"}, "[]\n"},
		{"special as text", "a<|endoftext|>", []string{"--tokenizer", "cl100k_base"}, "[64,27,91,8862,728,428,91,29]\n"},
		{"special allowed", "a<|endoftext|>", []string{"--tokenizer", "cl100k_base", "--allow-special", "all"}, "[64,100257]\n"},
		{"decode", "[9906, 11, 1917, 0]", []string{"--tokenizer", "cl100k_base", "--decode"}, "Hello, world!"},
		{"threads", "Hello, world!", []string{"--tokenizer", "cl100k_base", "--threads", "1"}, "[9906,11,1917,0]\n"},
	} {
		args := append([]string{"tokenize"}, c.args...)
		out, _, err := runXentIn(t, []byte(c.stdin), args...)
		if err != nil || out != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.name, out, err, c.want)
		}
	}
}

// TestTokenizeRoundTrip encodes bytes that are not UTF-8 and decodes the
// ids back through the CLI.
func TestTokenizeRoundTrip(t *testing.T) {
	in := []byte("caf\xc3\xa9 \xff\xfe 中文 \xe4\xb8")
	ids, _, err := runXentIn(t, in, "tokenize", "--tokenizer", "o200k_base")
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := runXentIn(t, []byte(ids), "tokenize", "--tokenizer", "o200k_base", "--decode")
	if err != nil || back != string(in) {
		t.Fatalf("got %q, %v; want %q", back, err, in)
	}
}

func TestTokenizeErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"unknown id", "[1, 100256]", []string{"--tokenizer", "cl100k_base", "--decode"}, "token id 100256 is not in the vocabulary"},
		{"not json", "1 2", []string{"--decode"}, "not a JSON array of token ids"},
		{"bad tokenizer", "x", []string{"--tokenizer", "nope"}, `--tokenizer "nope" is neither a built-in name`},
		{"bad special", "x", []string{"--allow-special", "<|im_start|>"}, `"<|im_start|>" is not a special token`},
		{"decode count", "[]", []string{"--decode", "--count"}, "--decode does not go with"},
		{"threads", "x", []string{"--threads", "0"}, "--threads 0"},
	} {
		args := append([]string{"tokenize"}, c.args...)
		_, _, err := runXentIn(t, []byte(c.stdin), args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestTokenizeGPT2Dir loads GPT-2's encoder.json and vocab.bpe from a folder.
func TestTokenizeGPT2Dir(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"encoder.json", "vocab.bpe"} {
		f, err := os.Open(filepath.Join("..", "..", "tokenizer", "testdata", "gpt2_files", name+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(z)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := runXentIn(t, []byte("Hello, world!"), "tokenize", "--tokenizer", dir)
	if err != nil || out != "[15496,11,995,0]\n" {
		t.Errorf("got %q, %v", out, err)
	}
}

// TestTokenizerTrain trains a small tokenizer, then uses it.
func TestTokenizerTrain(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus.txt")
	text := strings.Repeat("the cat sat on the mat; the dog sat on the log. ", 50)
	if err := os.WriteFile(corpus, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tokenizer.json")
	stdout, _, err := runXentIn(t, nil, "tokenizer", "train", "--vocab-size", "270", "--out", out, corpus)
	if err != nil {
		t.Fatal(err)
	}
	var summary map[string]any
	if err := json.Unmarshal([]byte(stdout), &summary); err != nil || summary["vocab_size"] != 270.0 {
		t.Fatalf("summary %q: %v", stdout, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	ids, _, err := runXentIn(t, []byte(" the cat"), "tokenize", "--tokenizer", out)
	if err != nil || strings.Count(ids, ",") > 2 {
		t.Errorf("trained tokenizer: %q, %v; want at most 3 tokens for \" the cat\"", ids, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--vocab-size", "100", "--out", out, corpus}, "less than the 256 bytes"},
		{[]string{"--out", out, filepath.Join(dir, "missing.txt")}, "missing.txt"},
		{[]string{corpus}, "--out is required"},
		{[]string{"--pattern", "bert", "--out", out, corpus}, `--pattern "bert"`},
	} {
		_, _, err := runXentIn(t, nil, append([]string{"tokenizer", "train"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error containing %q", c.args, err, c.want)
		}
	}
}
