package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGzipBitsPerByte(t *testing.T) {
	bpb, err := GzipBitsPerByte([]byte(strings.Repeat("ab", 5000)))
	if err != nil || !(bpb > 0 && bpb < 0.2) {
		t.Errorf("repetitive text: %v bits/byte, %v", bpb, err)
	}
	if _, err := GzipBitsPerByte(nil); err == nil {
		t.Error("no text gave a ratio")
	}
}

// Prepare splits, trains a tokenizer on the training split only, and its
// ids decode back to the two splits.
func TestPrepare(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	path := filepath.Join(t.TempDir(), "c.txt")
	text := strings.Repeat("the light is refracted and reflected. ", 60) + "Zyzzyva quux."
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Prepare(PrepareOptions{Source: Source{Corpus: "opticks", Files: path}, VocabSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	read, err := Files(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	train, held := Split(read)
	if c.Name != path || string(c.Train) != string(train) || string(c.HeldOut) != string(held) {
		t.Fatalf("name %q, splits of %d and %d bytes; want %q, %d and %d", c.Name, len(c.Train), len(c.HeldOut), path, len(train), len(held))
	}
	if v := c.Tokenizer.VocabSize(); v <= 256 || v > 300 {
		t.Errorf("trained vocabulary %d, want merges beyond the 256 bytes, at most 300", v)
	}
	for _, tc := range []struct {
		ids  []int32
		want []byte
	}{{c.TrainTokens, train}, {c.HeldOutTokens, held}} {
		got, err := c.Tokenizer.Decode(tc.ids)
		if err != nil || string(got) != string(tc.want) {
			t.Errorf("ids decode to %d bytes (%v), want the %d-byte split", len(got), err, len(tc.want))
		}
	}
	// Held out only, with the tokenizer given: the same held-out ids,
	// from the cache or not.
	again, err := Prepare(PrepareOptions{Source: Source{Files: path}, Tokenizer: c.Tokenizer, HeldOutOnly: true})
	if err != nil || again.TrainTokens != nil || !slices.Equal(again.HeldOutTokens, c.HeldOutTokens) {
		t.Errorf("held out only: %d training ids, held-out equal %v, %v", len(again.TrainTokens), err == nil && slices.Equal(again.HeldOutTokens, c.HeldOutTokens), err)
	}
	if _, err := Prepare(PrepareOptions{Source: Source{Files: path}, HeldOutOnly: true}); err == nil {
		t.Error("held out only without a tokenizer accepted")
	}
	small := filepath.Join(t.TempDir(), "small.txt")
	os.WriteFile(small, []byte("tiny"), 0o644)
	if _, err := Prepare(PrepareOptions{Source: Source{Files: small}, Tokenizer: c.Tokenizer}); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Errorf("a 4-byte corpus: %v", err)
	}
}
