package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/npmcache"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
)

// TestRealTokenizerEndToEnd runs train, eval, generate and tune on a tiny
// model with real models' tokenizer.json files (the npm cache's:
// skipped without it, a failure under CI=true): Gemma 3's, read as a
// Pipeline (262,145 ids, its <bos> from its template), and Llama 3's, on
// the byte-level fast path (128,256 ids). The embedding is sized from the
// tokenizer, the checkpoint's tokenizer reads back to the same ids, and
// generation's prompt starts with the BOS the tokenizer adds.
func TestRealTokenizerEndToEnd(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "text.txt")
	os.WriteFile(filepath.Join(dir, "text.txt"), []byte(strings.Repeat("Light is refracted by the Prism, 1704.\n  The Rays of Light are separated. ", 30)), 0o644)
	sft := filepath.Join(dir, "sft.jsonl")
	os.WriteFile(sft, []byte(`{"prompt": "Light is", "completion": " refracted."}`+"\n"), 0o644)
	for _, name := range []string{"gemma3", "llama3"} {
		t.Run(name, func(t *testing.T) {
			path := npmcache.TokenizerFile(t, name)
			tok, err := tokenizer.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, name)
			if _, stderr, err := runXent(t, "train", "--data", text, "--tokenizer", path, "--width", "16", "--layers", "1", "--heads", "2",
				"--context", "16", "--batch", "1", "--steps", "2", "--eval-every", "0", "--eval-tokens", "32", "--threads", "1", "--out", out); err != nil {
				t.Fatalf("train: %v\n%s", err, stderr)
			}
			p, err := modeldir.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if p.Model.VocabSize() != tok.VocabSize() || p.Tokenizer.VocabSize() != tok.VocabSize() {
				t.Errorf("vocabulary: model %d, checkpoint's tokenizer %d, the file's %d", p.Model.VocabSize(), p.Tokenizer.VocabSize(), tok.VocabSize())
			}
			sample := []byte("The Rays of Light, 1704: e\u0301 \u00e9!")
			if a, b := tok.Encode(sample), p.Tokenizer.Encode(sample); !slices.Equal(a, b) {
				t.Errorf("the checkpoint's tokenizer encodes %q as %v, the file %v", sample, b, a)
			}
			if _, stderr, err := runXent(t, "eval", "--model", out, "--data", text, "--context", "16", "--threads", "1"); err != nil {
				t.Fatalf("eval: %v\n%s", err, stderr)
			}
			stdout, stderr, err := runXent(t, "generate", "--model", out, "--prompt", "The Rays", "--max-tokens", "3", "--temperature", "0", "--json")
			if err != nil {
				t.Fatalf("generate: %v\n%s", err, stderr)
			}
			var g struct {
				PromptTokens int `json:"prompt_tokens"`
			}
			if err := json.Unmarshal([]byte(stdout), &g); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			if want := len(tok.Encode([]byte("The Rays"))) + 1; g.PromptTokens != want {
				t.Errorf("generate: a %d-token prompt, want %d (BOS and the text's)", g.PromptTokens, want)
			}
			if _, stderr, err := runXent(t, "tune", "sft", "--model", out, "--data", sft, "--out", out+"-sft", "--steps", "1", "--threads", "1"); err != nil {
				t.Fatalf("tune: %v\n%s", err, stderr)
			}
		})
	}
}
