package tokenizer

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// TestPipelineBlocks checks that the real tokenizer.json files read as a
// Pipeline stream: the goldens' texts joined by newlines, and the Opticks,
// cut into blocks of a few hundred bytes and encoded block by block
// (EncodeBlock), give exactly the ids of the whole text, in many blocks.
func TestPipelineBlocks(t *testing.T) {
	g, err := loadModelGoldens()
	if err != nil {
		t.Fatal(err)
	}
	opticks := opticksTwice(t)[:100000]
	for _, name := range modelNames {
		t.Run(name, func(t *testing.T) {
			tok, err := Load(modelFile(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if tok.pipe == nil {
				t.Skip("read by the fast path, which TestBlocks checks")
			}
			if !tok.pipe.cuts.on {
				t.Fatal("no block cuts")
			}
			texts := append(slices.Clip(g.Texts), g.Models[name].Extra...)
			specials := tok.SpecialTokens()
			goldens := []byte(strings.Join(texts, "\n"))
			for _, c := range []struct {
				what     string
				text     []byte
				specials []string
			}{{"goldens", goldens, nil}, {"goldens with special tokens", goldens, specials}, {"opticks", opticks, nil}} {
				want, err := tok.EncodeSpecial(c.text, c.specials)
				if err != nil {
					t.Fatal(err)
				}
				for _, size := range []int{1, 500} {
					var got []int32
					var joined []byte
					blocks := 0
					err := tok.Blocks(iotest.HalfReader(bytes.NewReader(c.text)), size, c.specials, func(b []byte) error {
						ids, err := tok.EncodeBlock(b, c.specials, blocks == 0, 1)
						got = append(got, ids...)
						joined = append(joined, b...)
						blocks++
						return err
					})
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(joined, c.text) {
						t.Fatalf("%s, size %d: the blocks do not join to the text", c.what, size)
					}
					if k := firstDiff(got, want); k >= 0 {
						t.Fatalf("%s, size %d, %d blocks: ids differ from the whole text's at %d: got %v, want %v",
							c.what, size, blocks, k, short(got[max(0, k-3):]), short(want[max(0, k-3):]))
					}
					if blocks < len(c.text)/(20*max(size, 1000)) {
						t.Fatalf("%s, size %d: only %d blocks for %d bytes", c.what, size, blocks, len(c.text))
					}
				}
			}
		})
	}
}

// firstDiff returns the first index where a and b differ, or -1.
func firstDiff(a, b []int32) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestPipelineBlocksSynthetic streams the goldens' texts through each
// synthetic tokenizer.json (every stage and option the real files lack):
// blocks of 1 and 300 bytes give the whole text's ids, whether the file's
// stages allow cuts or it is read whole.
func TestPipelineBlocksSynthetic(t *testing.T) {
	g, err := loadModelGoldens()
	if err != nil {
		t.Fatal(err)
	}
	text := []byte(strings.Join(g.Texts, "\n"))
	files, err := filepath.Glob("testdata/synthetic/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no synthetic files (%v)", err)
	}
	streamed := 0
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			tok, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			specials := tok.SpecialTokens()
			want, err := tok.EncodeSpecial(text, specials)
			if err != nil {
				t.Fatal(err)
			}
			for _, size := range []int{1, 300} {
				var got []int32
				blocks := 0
				err := tok.Blocks(bytes.NewReader(text), size, specials, func(b []byte) error {
					ids, err := tok.EncodeBlock(b, specials, blocks == 0, 1)
					got = append(got, ids...)
					blocks++
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if k := firstDiff(got, want); k >= 0 {
					t.Fatalf("size %d, %d blocks: ids differ from the whole text's at %d: got %v, want %v",
						size, blocks, k, short(got[max(0, k-3):]), short(want[max(0, k-3):]))
				}
				if tok.pipe != nil && tok.pipe.cuts.on && blocks < 100 {
					t.Fatalf("size %d: cuts allowed, but only %d blocks", size, blocks)
				}
			}
			if tok.pipe == nil || tok.pipe.cuts.on { // the byte-level fast path always streams
				streamed++
			}
		})
	}
	if streamed < 9 {
		t.Errorf("only %d synthetic files stream in blocks; the byte-level fast path's, added_tokens, bytelevel_prefix, metaspace_* and unk_* did", streamed)
	}
}
