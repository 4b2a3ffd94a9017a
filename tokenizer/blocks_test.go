package tokenizer

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

// TestBlocks checks that encoding the blocks one by one gives the ids of the
// whole text, with every special token allowed, on blocks from one byte up
// and reads of one byte, half the asked length, or all of it, so the blocks
// end in every kind of place: inside special tokens, inside multi-byte
// characters, in text with no ASCII letters.
func TestBlocks(t *testing.T) {
	g := mustGoldens(t)
	text := []byte("光的折射。\n棱镜把光分开\n，颜色不同！a<|endoftext|>b<|endoftext|><|endoftext|>x\n12<|endoftext")
	for i := range g.Cases {
		if len(text) > 50000 {
			break
		}
		raw, _ := g.text(i)
		text = append(text, raw...)
		text = append(text, "<|endoftext|>"...)
	}
	text = append(text, "tail<|endoftext|"...)
	readers := map[string]func(io.Reader) io.Reader{
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"whole":    func(r io.Reader) io.Reader { return r },
	}
	for _, name := range BuiltinNames {
		tok := mustBuiltin(t, name)
		specials := tok.SpecialTokens()
		want, err := tok.EncodeSpecial(text, specials)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1, 2, 3, 7, 64, 1000, 1 << 20} {
			for rname, wrap := range readers {
				if rname == "one byte" && size > 64 {
					continue // as "whole" once a block takes many reads
				}
				var got []int32
				var joined []byte
				blocks := 0
				err := Blocks(wrap(bytes.NewReader(text)), size, specials, func(b []byte) error {
					ids, err := tok.EncodeSpecial(b, specials)
					got = append(got, ids...)
					joined = append(joined, b...)
					blocks++
					return err
				})
				if err != nil {
					t.Fatalf("%s, size %d, %s reads: %v", name, size, rname, err)
				}
				if !bytes.Equal(joined, text) {
					t.Fatalf("%s, size %d, %s reads: the blocks do not join to the text", name, size, rname)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s, size %d, %s reads (%d blocks): the ids differ from the whole text's", name, size, rname, blocks)
				}
				if size < 100 && blocks < len(text)/1000 {
					t.Fatalf("%s, size %d: only %d blocks for %d bytes", name, size, blocks, len(text))
				}
			}
		}
	}
}

func TestBlocksEdges(t *testing.T) {
	calls := 0
	if err := Blocks(bytes.NewReader(nil), 8, nil, func([]byte) error { calls++; return nil }); err != nil || calls != 0 {
		t.Fatalf("empty stream: %d calls, error %v", calls, err)
	}
	// A block cut before a special token: "b" and "<|endoftext|>" stay apart
	// only at the token's start, never inside it.
	var blocks []string
	err := Blocks(bytes.NewReader([]byte("ab <|endoftext|>cd")), 12, []string{"<|endoftext|>"}, func(b []byte) error {
		blocks = append(blocks, string(b))
		return nil
	})
	if err != nil || len(blocks) != 2 || blocks[0] != "ab" || blocks[1] != " <|endoftext|>cd" {
		t.Fatalf("blocks %q, error %v", blocks, err)
	}
	stop := errors.New("stop")
	if err := Blocks(bytes.NewReader([]byte("ab cd ef gh")), 2, nil, func([]byte) error { return stop }); err != stop {
		t.Fatalf("f's error: got %v", err)
	}
	bad := errors.New("disk")
	if err := Blocks(iotest.ErrReader(bad), 2, nil, func([]byte) error { return nil }); err != bad {
		t.Fatalf("r's error: got %v", err)
	}
}
