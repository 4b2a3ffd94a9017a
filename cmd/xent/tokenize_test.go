package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/tokenizer"
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
		{"bad tokenizer", "x", []string{"--tokenizer", "nope"}, `--tokenizer: tokenizer: "nope" is neither a built-in name`},
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

// TestTokenizeGPT2Dir loads GPT-2's encoder.json and vocab.bpe from a
// folder, and the same files under Hugging Face's names, vocab.json and
// merges.txt, from another.
func TestTokenizeGPT2Dir(t *testing.T) {
	for _, names := range [][2]string{{"encoder.json", "vocab.bpe"}, {"vocab.json", "merges.txt"}} {
		dir := t.TempDir()
		for i, name := range []string{"encoder.json", "vocab.bpe"} {
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
			if err := os.WriteFile(filepath.Join(dir, names[i]), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, _, err := runXentIn(t, []byte("Hello, world!"), "tokenize", "--tokenizer", dir)
		if err != nil || out != "[15496,11,995,0]\n" {
			t.Errorf("%s: got %q, %v", names, out, err)
		}
	}
}

// TestTokenizeModelDir: a model directory serves as --tokenizer, giving the
// ids of its tokenizer.json.
func TestTokenizeModelDir(t *testing.T) {
	dir := saveTinyModel(t, strings.Repeat("the cat sat on the mat. ", 40), 8, 16, 1)
	text := []byte("the cat sat on a hat")
	want, _, err := runXentIn(t, text, "tokenize", "--tokenizer", filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := runXentIn(t, text, "tokenize", "--tokenizer", dir)
	if err != nil || got != want {
		t.Fatalf("model directory: %q, %v; its tokenizer.json gives %q", got, err, want)
	}
	if _, _, err := runXentIn(t, text, "tokenize", "--tokenizer", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no tokenizer.json") {
		t.Fatalf("an empty folder: error %v", err)
	}
}

// TestTokenizeStreams: the ids and the count, encoded a block of stdin at a
// time, equal the whole input's, with blocks from one byte up (ending inside
// words, characters and special tokens) and with special tokens allowed or
// not.
func TestTokenizeStreams(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "tokenizer", "testdata", "prose.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	prose, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	text := append([]byte("光的折射。\n棱镜把光分开\n<|endoftext|>x<|endoftext|><|endoftext|>\n"), prose[:20000]...)
	text = append(text, "<|endoftext|>end<|endoftext"...)
	tok, err := tokenizer.Builtin("cl100k_base")
	if err != nil {
		t.Fatal(err)
	}
	for _, allowed := range [][]string{nil, tok.SpecialTokens()} {
		ids, err := tok.EncodeSpecial(text, allowed)
		if err != nil {
			t.Fatal(err)
		}
		whole, _ := json.Marshal(ids)
		args := []string{"tokenize", "--tokenizer", "cl100k_base"}
		if allowed != nil {
			args = append(args, "--allow-special", "all")
		}
		for _, size := range []string{"1", "5", "333", "100000"} {
			got, _, err := runXentIn(t, text, append(args, "--block-bytes", size)...)
			if err != nil || got != string(whole)+"\n" {
				t.Fatalf("%d special tokens allowed, blocks of %s bytes: the ids differ from the whole input's (%v)", len(allowed), size, err)
			}
			got, _, err = runXentIn(t, text, append(args, "--block-bytes", size, "--count")...)
			if want := fmt.Sprintln(len(ids)); err != nil || got != want {
				t.Fatalf("%d special tokens allowed, blocks of %s bytes: count %q, want %q (%v)", len(allowed), size, got, want, err)
			}
		}
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
		{[]string{"--vocab-size", "100", "--out", out, "--force", corpus}, "less than the 256 bytes"},
		{[]string{"--out", out, "--force", filepath.Join(dir, "missing.txt")}, "missing.txt"},
		{[]string{"--vocab-size", "270", "--out", out, corpus}, "exists; --force to replace it"},
		{[]string{corpus}, "--out is required"},
		{[]string{"--pattern", "bert", "--out", out, corpus}, `--pattern "bert"`},
	} {
		_, _, err := runXentIn(t, nil, append([]string{"tokenizer", "train"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error containing %q", c.args, err, c.want)
		}
	}
	if _, _, err := runXentIn(t, nil, "tokenizer", "train", "--vocab-size", "270", "--out", out, "--force", corpus); err != nil {
		t.Errorf("--force: %v", err)
	}
}

// TestTokenizeAddSpecial checks --add-special: the model's own special
// tokens around the whole text once, however it is cut into blocks, as the
// library's Encode with AddSpecial gives them (which the tokenizer
// package holds to Hugging Face's); none for a tiktoken encoding.
func TestTokenizeAddSpecial(t *testing.T) {
	const text = "Hello world, Hello world.\nAnd again."
	path := filepath.Join("..", "..", "tokenizer", "testdata", "synthetic", "template.json")
	p, err := tokenizer.LoadPipelineFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := p.Encode([]byte(text), tokenizer.EncodeOptions{AddSpecial: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) < 3 || ids[0] != 999 || ids[len(ids)-1] != 999 {
		t.Fatalf("the template's ids are not around the text: %v", ids)
	}
	want, _ := json.Marshal(ids)
	for _, block := range []string{"4", "1048576"} {
		out, _, err := runXentIn(t, []byte(text), "tokenize", "--tokenizer", path, "--add-special", "--block-bytes", block)
		if err != nil || out != string(want)+"\n" {
			t.Errorf("block %s: got %q, %v; want %s", block, out, err, want)
		}
		out, _, err = runXentIn(t, []byte(text), "tokenize", "--tokenizer", path, "--add-special", "--count", "--block-bytes", block)
		if err != nil || out != fmt.Sprintln(len(ids)) {
			t.Errorf("block %s: --count %q, %v; want %d", block, out, err, len(ids))
		}
	}
	out, _, err := runXentIn(t, []byte("Hello, world!"), "tokenize", "--tokenizer", "cl100k_base", "--add-special")
	if err != nil || out != "[9906,11,1917,0]\n" {
		t.Errorf("cl100k_base: got %q, %v", out, err)
	}
	if _, _, err := runXentIn(t, []byte("[1]"), "tokenize", "--decode", "--add-special"); err == nil {
		t.Error("--decode with --add-special is not refused")
	}
}
