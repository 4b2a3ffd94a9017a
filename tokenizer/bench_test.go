package tokenizer

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// benchText is the benchmark input: the prose of testdata/prose.txt.gz
// three times over (712 KB), the text bench/tiktoken_encode.mjs times too.
func benchText(b *testing.B) []byte {
	return bytes.Repeat(prose(b), 3)
}

// BenchmarkEncode times Encode on one goroutine, per built-in encoding.
func BenchmarkEncode(b *testing.B) {
	text := benchText(b)
	for _, name := range BuiltinNames {
		tok := mustBuiltin(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				tok.Encode(text)
			}
		})
	}
}

// BenchmarkEncodeParallel times EncodeParallel with GOMAXPROCS workers
// (set with -cpu).
func BenchmarkEncodeParallel(b *testing.B) {
	text := benchText(b)
	for _, name := range BuiltinNames {
		tok := mustBuiltin(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if _, err := tok.EncodeParallel(text, nil, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTrain trains a 32,000-token vocabulary on the first 10 MB
// (10⁷ bytes) of the Go distribution's own sources, $GOROOT/src/**/*.go in
// lexical order: English comments and Go code that every machine with Go
// has. Run it with -benchtime 1x.
func BenchmarkTrain(b *testing.B) {
	var texts [][]byte
	total := 0
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("go env GOROOT:", err)
	}
	root := filepath.Join(strings.TrimSpace(string(goroot)), "src")
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || total >= 1e7 {
			return err
		}
		text, err := os.ReadFile(path)
		text = text[:min(len(text), 1e7-total)]
		texts, total = append(texts, text), total+len(text)
		return err
	})
	if err != nil || total < 1e7 {
		b.Skipf("need 10 MB of Go sources under %s: %d bytes, %v", root, total, err)
	}
	b.SetBytes(int64(total))
	for b.Loop() {
		tok, err := Train(texts, TrainOptions{VocabSize: 32000, Special: []string{"<|endoftext|>"}})
		if err != nil || tok.VocabSize() != 32000 {
			b.Fatal(tok.VocabSize(), err)
		}
		ids := tok.Encode(slices.Concat(texts[:100]...))
		b.ReportMetric(float64(len(slices.Concat(texts[:100]...)))/float64(len(ids)), "bytes/token")
	}
}
