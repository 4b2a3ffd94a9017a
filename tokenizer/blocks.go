package tokenizer

import (
	"io"
	"slices"
)

// Blocks reads r to its end and hands its text to f a block at a time, so
// that a stream of any length is tokenized in bounded memory: encoding the
// blocks one by one and joining their ids gives exactly the ids of the whole
// text. Blocks reads size bytes (twice as many while they hold no safe
// cut) and hands on the text up to the last safe cut (LastSafeCut); the
// rest starts the next block. The last block ends where r does. An empty stream calls
// f never.
//
// specials are the special tokens the encoding will recognise (its
// allowed list): no block ends inside one, nor inside a part of one at the
// end of what has been read so far. f must not keep the block: its bytes
// are reused once f returns. An error from r or f ends Blocks with it.
func Blocks(r io.Reader, size int, specials []string, f func(block []byte) error) error {
	return blocksBy(r, size, func(text []byte) int { return blockCut(text, specials) }, f)
}

// blocksBy is Blocks with cut giving the last safe cut of a text, or -1.
func blocksBy(r io.Reader, size int, cut func(text []byte) int, f func(block []byte) error) error {
	size = max(size, 1)
	var buf []byte
	need := size // the bytes to hold before looking for a cut
	for {
		buf = slices.Grow(buf, need-len(buf))
		n, err := r.Read(buf[len(buf):need])
		buf = buf[:len(buf)+n]
		final := err == io.EOF
		if err != nil && !final {
			return err
		}
		if !final && len(buf) < need {
			continue
		}
		cut, cutAt := len(buf), cut
		if !final {
			if cut = cutAt(buf); cut <= 0 {
				need = 2 * len(buf) // no cut yet: read as much again
				continue
			}
		}
		if cut > 0 {
			if err := f(buf[:cut]); err != nil {
				return err
			}
		}
		if final {
			return nil
		}
		buf = buf[:copy(buf, buf[cut:])]
		need = max(size, 2*len(buf))
	}
}

// blockCut is the last safe cut of text that splits no special token, or
// -1 if there is none.
func blockCut(text []byte, specials []string) int {
	cut := LastSafeCut(text)
	for cut > 0 {
		p := straddling(text, cut, specials)
		if p < 0 {
			return cut
		}
		cut = LastSafeCut(text[:p])
	}
	return -1
}

// straddling returns where the first special token that cut would split
// starts in text, or -1 if cut splits none. A special token cut off by the
// end of text counts: the rest of it may follow in the stream.
func straddling(text []byte, cut int, specials []string) int {
	first := -1
	for _, s := range specials {
		for p := max(0, cut-len(s)+1); p < cut; p++ {
			end := min(len(text), p+len(s))
			if end > cut && string(text[p:end]) == s[:end-p] {
				if first < 0 || p < first {
					first = p
				}
				break
			}
		}
	}
	return first
}
