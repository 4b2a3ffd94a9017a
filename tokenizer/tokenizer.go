package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// A Tokenizer is a byte-level BPE: a pre-tokenizer Pattern, a merge table,
// the bytes of every token and the special tokens. Build one with Builtin,
// a loader or Train; it is immutable and safe for concurrent use.
type Tokenizer struct {
	pattern Pattern
	merges  merges
	// wholePieces, if set, maps the bytes of every ordinary token to its id,
	// and a piece that is a token encodes as that token without merging
	// (tiktoken's shortcut, and Hugging Face's ignore_merges).
	wholePieces map[string]int32
	tokens      [][]byte         // id → bytes; nil for ids not in use
	special     map[string]int32 // special token text → id
	scratch     sync.Pool        // *bpeState
	// pipe, if set, is a tokenizer.json that the byte-level fast path above
	// does not cover; every method then defers to it (see hfpipe.go).
	pipe *Pipeline
	// before and after are the ids that the model's own special tokens put
	// around a text (Template); post is the fast path's post_processor JSON,
	// written back by SaveHF.
	before, after []int32
	post          json.RawMessage
	// templated: tokenizer.json's post-processor is a TemplateProcessing
	// or a Sequence, which tokenizer_config.json may replace (applyConfig).
	templated bool
	config    *Config // the tokenizer_config.json applied, if any
}

// Pattern returns the tokenizer's pre-tokenizer.
func (t *Tokenizer) Pattern() Pattern { return t.pattern }

// VocabSize returns one more than the largest token id.
func (t *Tokenizer) VocabSize() int {
	if t.pipe != nil {
		return t.pipe.VocabSize()
	}
	return len(t.tokens)
}

// SpecialTokens returns the texts of the special tokens, sorted.
func (t *Tokenizer) SpecialTokens() []string {
	if t.pipe != nil {
		return t.pipe.SpecialTokens()
	}
	names := make([]string, 0, len(t.special))
	for s := range t.special {
		names = append(names, s)
	}
	slices.Sort(names)
	return names
}

// Token returns the bytes of token id, or an error if id is not in use.
func (t *Tokenizer) Token(id int32) ([]byte, error) {
	if t.pipe != nil {
		return t.pipe.TokenBytes(id)
	}
	if id < 0 || int(id) >= len(t.tokens) || t.tokens[id] == nil {
		return nil, fmt.Errorf("tokenizer: token id %d is not in the vocabulary (ids 0..%d)", id, len(t.tokens)-1)
	}
	return t.tokens[id], nil
}

// Encode returns the tokens of text, all of it ordinary text: special
// tokens in it are encoded like any other text.
func (t *Tokenizer) Encode(text []byte) []int32 {
	if t.pipe != nil {
		ids, _ := t.pipe.Encode(text, EncodeOptions{}) // an error needs allowed names
		return ids
	}
	return t.encodeOrdinary(text, make([]int32, 0, len(text)/3+1))
}

// EncodeSpecial returns the tokens of text, in which the special tokens
// named in allowed are recognised as such (tiktoken's allowed_special); other
// special tokens are ordinary text. It is an error to allow a name that is
// not a special token of t.
func (t *Tokenizer) EncodeSpecial(text []byte, allowed []string) ([]int32, error) {
	if t.pipe != nil {
		return t.pipe.Encode(text, EncodeOptions{Allowed: allowed})
	}
	segs, err := t.segments(text, allowed)
	if err != nil {
		return nil, err
	}
	out := make([]int32, 0, len(text)/3+1)
	for _, s := range segs {
		if s.special >= 0 {
			out = append(out, s.special)
		} else {
			out = t.encodeOrdinary(s.text, out)
		}
	}
	return out, nil
}

// encodeOrdinary appends the tokens of text, all ordinary, to out.
func (t *Tokenizer) encodeOrdinary(text []byte, out []int32) []int32 {
	s, _ := t.scratch.Get().(*bpeState)
	if s == nil {
		s = new(bpeState)
	}
	for i := 0; i < len(text); {
		j := t.pattern.next(text, i)
		piece := text[i:j]
		if id, ok := t.wholePieces[string(piece)]; ok {
			out = append(out, id)
		} else {
			out = t.merges.encode(piece, s, out)
		}
		i = j
	}
	t.scratch.Put(s)
	return out
}

// A segment of text is either ordinary text or one allowed special token.
type segment struct {
	text    []byte
	special int32 // the special token's id, or -1 for ordinary text
}

// segments cuts text at the allowed special tokens: leftmost occurrence
// first, and the longest special token among those starting there.
func (t *Tokenizer) segments(text []byte, allowed []string) ([]segment, error) {
	type match struct {
		name []byte
		at   int // its next occurrence at or after the cursor; -1: none left; -2: not searched yet
	}
	var specials []match
	for _, name := range allowed {
		if _, ok := t.special[name]; !ok {
			return nil, fmt.Errorf("tokenizer: allowed special token %q is not a special token of this tokenizer (it has %q)", name, t.SpecialTokens())
		}
		specials = append(specials, match{name: []byte(name), at: -2})
	}
	var segs []segment
	for pos := 0; ; {
		best := -1
		for k := range specials {
			m := &specials[k]
			if m.at != -1 && m.at < pos { // re-find only when passed
				m.at = bytes.Index(text[pos:], m.name)
				if m.at >= 0 {
					m.at += pos
				}
			}
			if m.at >= 0 && (best < 0 || m.at < specials[best].at ||
				m.at == specials[best].at && len(m.name) > len(specials[best].name)) {
				best = k
			}
		}
		if best < 0 {
			if pos < len(text) {
				segs = append(segs, segment{text[pos:], -1})
			}
			return segs, nil
		}
		m := specials[best]
		if m.at > pos {
			segs = append(segs, segment{text[pos:m.at], -1})
		}
		segs = append(segs, segment{m.name, t.special[string(m.name)]})
		pos = m.at + len(m.name)
	}
}

// Decode returns the bytes of the tokens ids, concatenated. An id that is
// not in the vocabulary is an error naming it and its position. A
// tokenizer.json read as a Pipeline decodes as Hugging Face's decode
// (Pipeline.Decode, special tokens kept), except that a plain ByteLevel
// decoder gives the bytes themselves where they are not valid UTF-8, where
// Hugging Face gives U+FFFD: so Decode(Encode(b)) == b on a byte-level
// tokenizer.json whose stages keep bytes (rawbytes.go).
func (t *Tokenizer) Decode(ids []int32) ([]byte, error) {
	if t.pipe != nil {
		if b, ok, err := t.pipe.decodeBytes(ids); ok {
			return b, err
		}
		s, err := t.pipe.Decode(ids, false)
		return []byte(s), err
	}
	n := 0
	for i, id := range ids {
		b, err := t.Token(id)
		if err != nil {
			return nil, fmt.Errorf("%w, at position %d", err, i)
		}
		n += len(b)
	}
	out := make([]byte, 0, n)
	for _, id := range ids {
		out = append(out, t.tokens[id]...)
	}
	return out, nil
}
