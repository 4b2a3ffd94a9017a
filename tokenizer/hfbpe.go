package tokenizer

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// bpeModel is a tokenizer.json BPE model over strings: the vocabulary
// in whatever alphabet the file uses (byte-level characters, or
// SentencePiece's ▁ with <0xNN> byte tokens), merges by rank, and Hugging
// Face's rules for characters that are not in the vocabulary.
type bpeModel struct {
	vocab        map[string]int32
	single       map[rune]int32 // vocab's one-character tokens, the common case
	merges       merges         // by token id; byteToken is unused
	unk          int32          // -1: no unk_token
	fuseUnk      bool
	byteFallback bool
	byteTokens   [256]int32 // <0xNN>, or -1
	ignoreMerges bool
	prefix       string // continuing_subword_prefix
	suffix       string // end_of_word_suffix
	scratch      sync.Pool
	// joined[b] holds each character a that some token has right before b,
	// for the characters b in cutChars: where a word has b after a
	// character not in joined[b], no merge can span the two, and the word
	// is encoded as two (see encode).
	joined map[rune]map[rune]bool
	// cache maps words (up to cacheWordMax bytes) to their ids, at most
	// cacheMax of them, as Hugging Face's BPE caches: the same word merges
	// the same way every time, and text repeats its words.
	cache  sync.Map // string → []int32
	cached atomic.Int64
	// byteIDs are the tokens of the 256 byte-level characters, if all are
	// in the vocabulary (rawCache then caches encodeRaw's words by their
	// bytes).
	byteIDs  *[256]int32
	rawCache sync.Map
}

const (
	cacheWordMax = 48
	cacheMax     = 1 << 17
)

// cutChars are where long words may be cut: SentencePiece's space, the
// space and the newline. A model without a pre-tokenizer (Llama 2, and
// Gemma, whose Split finds no spaces once they are ▁) sees the whole text
// as one word; cutting it where no merge can reach across makes its cost
// linear in practice, and changes no id.
var cutChars = []rune{'▁', ' ', '\n'}

// cutMin is the length from which encode looks for cuts in a word.
const cutMin = 64

// newBPEModel builds the model from its vocabulary and merges, each merge
// a pair of token strings; a later duplicate of a merge wins, as in
// Hugging Face's map.
func newBPEModel(vocab map[string]int32, mergeList [][2]string, prefix string) (*bpeModel, error) {
	m := &bpeModel{vocab: vocab, single: map[rune]int32{}, unk: -1, merges: merges{table: make(map[uint64]uint64, len(mergeList))}}
	for s, id := range vocab {
		if r, n := utf8.DecodeRuneInString(s); n == len(s) && (n > 1 || r != utf8.RuneError) {
			m.single[r] = id
		}
	}
	for b := range m.byteTokens {
		id, ok := vocab[fmt.Sprintf("<0x%02X>", b)]
		if !ok {
			id = -1
		}
		m.byteTokens[b] = id
	}
	var ids [256]int32
	m.byteIDs = &ids
	for b, r := range byteRunes {
		id, ok := m.single[r]
		if !ok {
			m.byteIDs = nil
			break
		}
		ids[b] = id
	}
	m.joined = map[rune]map[rune]bool{}
	for _, b := range cutChars {
		m.joined[b] = map[rune]bool{}
	}
	for s := range vocab {
		prev := rune(-1)
		for _, r := range s {
			if j, ok := m.joined[r]; ok && prev >= 0 {
				j[prev] = true
			}
			prev = r
		}
	}
	for rank, mg := range mergeList {
		left, okL := vocab[mg[0]]
		right, okR := vocab[mg[1]]
		if !okL || !okR {
			return nil, fmt.Errorf("merge %d %q: a side is not in the vocabulary", rank, mg)
		}
		merged, ok := vocab[mg[0]+strings.TrimPrefix(mg[1], prefix)]
		if !ok {
			return nil, fmt.Errorf("merge %d %q: the merged token is not in the vocabulary", rank, mg)
		}
		m.merges.table[pairKey(left, right)] = uint64(rank)<<32 | uint64(uint32(merged))
	}
	return m, nil
}

// encode appends the tokens of one piece (Hugging Face's BPE::tokenize
// without dropout or cache).
func (m *bpeModel) encode(word string, out []int32) []int32 {
	if word == "" {
		return out
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			return append(out, id)
		}
	}
	if len(word) < cutMin || m.prefix != "" || m.suffix != "" {
		return m.encodeWord(word, out)
	}
	// Cut where no token joins the characters on either side, both of them
	// tokens of their own (an unknown character could fuse or fall back to
	// bytes across the cut).
	start, prev := 0, rune(-1)
	for i, r := range word {
		if r != '▁' && r != ' ' && r != '\n' { // cutChars, without a map lookup
			prev = r
			continue
		}
		if j, ok := m.joined[r]; ok && i > start && !j[prev] {
			_, known := m.single[prev]
			if _, knownR := m.single[r]; known && knownR {
				out = m.encodeWord(word[start:i], out)
				start = i
			}
		}
		prev = r
	}
	return m.encodeWord(word[start:], out)
}

// canEncodeRaw says whether encodeRaw may stand in for a ByteLevel
// pre-tokenizer (no regex, no prefix space) followed by encode.
func (m *bpeModel) canEncodeRaw() bool {
	return m.byteIDs != nil && m.prefix == "" && m.suffix == "" && !m.ignoreMerges
}

// encodeRaw appends the tokens of a piece given as its bytes, not yet
// spelled in the byte-level alphabet: each byte's token, merged by rank,
// which is what encode gives for the spelled piece when canEncodeRaw
// (no word of byte-level characters has a cut character in it), without
// spelling it.
func (m *bpeModel) encodeRaw(raw string, out []int32) []int32 {
	cacheable := len(raw) <= cacheWordMax
	if cacheable {
		if ids, ok := m.rawCache.Load(raw); ok {
			return append(out, ids.([]int32)...)
		}
	}
	s, _ := m.scratch.Get().(*bpeState)
	if s == nil {
		s = new(bpeState)
	}
	s.reset(len(raw))
	for i := range len(raw) {
		s.tok[i] = m.byteIDs[raw[i]]
	}
	n := len(out)
	out = m.merges.mergeAll(s, out)
	m.scratch.Put(s)
	if cacheable && m.cached.Load() < cacheMax {
		if _, loaded := m.rawCache.LoadOrStore(strings.Clone(raw), slices.Clone(out[n:])); !loaded {
			m.cached.Add(1)
		}
	}
	return out
}

// encodeWord appends the tokens of one word, merged as a whole.
func (m *bpeModel) encodeWord(word string, out []int32) []int32 {
	if len(word) > cacheWordMax {
		return m.merge(word, out)
	}
	if ids, ok := m.cache.Load(word); ok {
		return append(out, ids.([]int32)...)
	}
	n := len(out)
	out = m.merge(word, out)
	if m.cached.Load() < cacheMax {
		if _, loaded := m.cache.LoadOrStore(strings.Clone(word), slices.Clone(out[n:])); !loaded {
			m.cached.Add(1)
		}
	}
	return out
}

// merge appends the tokens of one word: its characters' tokens (or byte
// tokens, or unk), merged by rank.
func (m *bpeModel) merge(word string, out []int32) []int32 {
	s, _ := m.scratch.Get().(*bpeState)
	if s == nil {
		s = new(bpeState)
	}
	toks := s.tok[:0]
	unk, unkPending := int32(0), false
	for i, r := range word {
		n := utf8.RuneLen(r)
		id, ok := int32(0), false
		c := word[i : i+n] // the character, with the prefix and suffix that apply
		if m.prefix == "" && m.suffix == "" {
			id, ok = m.single[r]
		} else {
			if i > 0 {
				c = m.prefix + c
			}
			if i+n == len(word) {
				c += m.suffix
			}
			id, ok = m.vocab[c]
		}
		if ok {
			if unkPending {
				toks, unkPending = append(toks, unk), false
			}
			toks = append(toks, id)
			continue
		}
		if m.byteFallback && m.haveBytes(c) { // prefix and suffix too, as Hugging Face does
			for k := range len(c) {
				toks = append(toks, m.byteTokens[c[k]])
			}
			continue
		}
		if m.unk >= 0 {
			if unkPending && !m.fuseUnk {
				toks = append(toks, unk)
			}
			unk, unkPending = m.unk, true
		}
	}
	if unkPending {
		toks = append(toks, unk)
	}
	s.reset(len(toks))
	copy(s.tok, toks)
	out = m.merges.mergeAll(s, out)
	m.scratch.Put(s)
	return out
}

func (m *bpeModel) haveBytes(c string) bool {
	for i := range len(c) {
		if m.byteTokens[c[i]] < 0 {
			return false
		}
	}
	return true
}
