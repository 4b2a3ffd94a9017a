package tokenizer

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ByteSpans returns how many bytes of text each of ids stands for, in
// order, the lengths adding up to len(text): ids are text's ids
// (Encode, EncodeSpecial or EncodeBlock). Most tokens' bytes (Token) are
// the text's own, and stand for themselves. A Pipeline's may differ from
// the text they came from: a space the normalizer or pre-tokenizer put in
// front (Llama 2's Prepend ▁, Metaspace, ByteLevel's prefix space) stands
// for nothing; text that the normalizer rewrote (NFC, say) and bytes that
// were not valid UTF-8 (read as U+FFFD where the stages do not keep
// bytes) are matched as the normalizer sees them, the tokens that spell
// them sharing their bytes in order. So bits
// per byte over the tokens counts each byte of the text once. It is an
// error if the tokens' bytes do not follow the text.
func (t *Tokenizer) ByteSpans(text []byte, ids []int32) ([]int, error) {
	lens := make([]int, len(ids))
	starts := make([]int, len(ids)) // where each token's bytes start in text
	off, group := 0, -1             // group: the first token of a run not yet matched
	var pending []byte
	for k, id := range ids {
		b, err := t.Token(id)
		if err != nil {
			return nil, err
		}
		lens[k], starts[k] = len(b), off
		if group < 0 {
			if bytes.HasPrefix(text[off:], b) {
				off += len(b)
				continue
			}
			if t.pipe == nil {
				break
			}
			// A character may be split between tokens: the run starts with
			// the token that holds its first byte.
			group, pending = k, pending[:0]
			for group > 0 && off > 0 && !utf8.RuneStart(text[off]) && starts[group] > 0 {
				group--
				off = starts[group]
			}
			for j := group; j < k; j++ {
				prev, _ := t.Token(ids[j])
				pending = append(pending, prev...)
			}
		}
		pending = append(pending, b...)
		if end, prefixed := t.pipe.rewrittenEnd(text, off, pending); end >= 0 {
			for j := group; prefixed > 0 && j <= k; j++ { // what was put in front stands for nothing
				d := min(prefixed, lens[j])
				lens[j], prefixed = lens[j]-d, prefixed-d
			}
			share(lens[group:k+1], end-off)
			off, group = end, -1
		}
	}
	if group >= 0 {
		return nil, fmt.Errorf("tokenizer: tokens %d to %d do not follow the text at byte %d", group, len(ids)-1, off)
	}
	if off != len(text) {
		return nil, fmt.Errorf("tokenizer: the tokens cover %d bytes of a %d-byte text", off, len(text))
	}
	return lens, nil
}

// share gives n bytes to tokens whose own lengths are lens, in order,
// each at most its own length, the last the rest.
func share(lens []int, n int) {
	for j := range lens {
		l := min(lens[j], n)
		if j == len(lens)-1 {
			l = n
		}
		lens[j], n = l, n-l
	}
}

// rewrittenEnd returns where the text that a run of tokens spelling want
// came from ends, if it starts at off: the last end e, at a character
// boundary, where text[off:e] as the normalizer rewrites it reads as want,
// or as want less what a Prepend, Metaspace or ByteLevel may put in front
// (as token bytes: Llama 2's ▁ is a space), whose length is then
// prefixed; or -1.
func (p *Pipeline) rewrittenEnd(text []byte, off int, want []byte) (end, prefixed int) {
	limit := min(len(text), off+4*len(want)+16)
	// The longest such text: a Replace may make one character of a run
	// (\d+ → #) read as the whole run's replacement.
	for e := limit; e > off; e-- {
		if e < len(text) && !utf8.RuneStart(text[e]) {
			continue
		}
		s := p.textOf(text[off:e])
		if p.normalizer != nil {
			s = normalizeBlock(p.normalizer, s, true)
		}
		if !p.byteLevel {
			s = string(bytes.ReplaceAll([]byte(s), []byte("▁"), []byte(" ")))
		}
		if s == string(want) {
			return e, 0
		}
		for _, pre := range p.prefixes {
			if bytes.HasPrefix(want, []byte(pre)) && s == string(want[len(pre):]) {
				return e, len(pre)
			}
		}
	}
	return -1, 0
}

// prefixesOf returns what a normalizer or pre-tokenizer may put in front
// of a text or piece, as token bytes (TokenBytes: ▁ is a space in a
// SentencePiece vocabulary): a Prepend's string, Metaspace's and
// ByteLevel's space.
func prefixesOf(n normalizer, pt preTokenizer, byteAlphabet bool) []string {
	var out []string
	switch x := n.(type) {
	case prepend:
		pre := string(x)
		if !byteAlphabet {
			pre = strings.ReplaceAll(pre, "▁", " ")
		}
		if pre != "" {
			out = append(out, pre)
		}
	case normalizers:
		for _, m := range x {
			out = append(out, prefixesOf(m, nil, byteAlphabet)...)
		}
	}
	switch x := pt.(type) {
	case byteLevel:
		if x.addPrefixSpace {
			out = append(out, " ")
		}
	case metaspace:
		if x.scheme != prependNever {
			out = append(out, " ")
		}
	case preTokenizers:
		for _, q := range x {
			out = append(out, prefixesOf(nil, q, byteAlphabet)...)
		}
	}
	return out
}
