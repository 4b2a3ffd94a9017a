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
	// cutAfter[k] is the set of characters a after which encode may cut
	// before cutChars[k]: a and cutChars[k] both tokens of their own, a
	// not in joined[cutChars[k]]; precomputed for a < cutLow as bits, so
	// that the scan for cuts looks nothing up in a map.
	cutAfter [len(cutChars)][cutLow / 64]uint64
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
	// callCacheMax bounds the words that an Encode call's own caches
	// (bpeState.words and raws, kept with the scratch space for the next
	// call) hold.
	callCacheMax = 1 << 14
)

// cutChars are where long words may be cut: SentencePiece's space, the
// space and the newline. A model without a pre-tokenizer (Llama 2, and
// Gemma, whose Split finds no spaces once they are ▁) sees the whole text
// as one word; cutting it where no merge can reach across makes its cost
// linear in practice, and changes no id.
var cutChars = [...]rune{'▁', ' ', '\n'}

// cutLow bounds the characters whose cutAfter bits are precomputed (the
// Basic Multilingual Plane); encode asks the maps about the others.
const cutLow = 1 << 16

// cutMin is the length from which encode looks for cuts in a word: the
// first length that the word cache does not hold, so that a longer word
// is cut into pieces that it does (most lines of prose, which Gemma's "\n"
// added token ends, are longer).
const cutMin = cacheWordMax + 1

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
	for k, b := range cutChars {
		if _, ok := m.single[b]; !ok {
			continue
		}
		for a := range m.single {
			if a < cutLow && m.cuttable(a, b) {
				m.cutAfter[k][a/64] |= 1 << (a % 64)
			}
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
// without dropout), with s as scratch space and this call's word cache.
func (m *bpeModel) encode(word string, s *bpeState, out []int32) []int32 {
	if word == "" {
		return out
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			return append(out, id)
		}
	}
	if len(word) < cutMin || m.prefix != "" || m.suffix != "" {
		return m.encodeWord(word, s, out)
	}
	// Cut where no token joins the characters on either side, both of them
	// tokens of their own (an unknown character could fuse or fall back to
	// bytes across the cut). The scan goes by bytes: the cut characters
	// are ▁ (E2 96 81), the space and the newline, and E2 starts a
	// character wherever it stands.
	start := 0
	for i := 0; i < len(word); i++ {
		k := 0
		switch word[i] {
		case 0xE2:
			if i+2 >= len(word) || word[i+1] != 0x96 || word[i+2] != 0x81 {
				continue
			}
		case ' ':
			k = 1
		case '\n':
			k = 2
		default:
			continue
		}
		if i == start {
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(word[:i])
		if prev < cutLow && m.cutAfter[k][prev/64]&(1<<(prev%64)) != 0 || prev >= cutLow && m.cuttable(prev, cutChars[k]) {
			out = m.encodeWord(word[start:i], s, out)
			start = i
		}
	}
	return m.encodeWord(word[start:], s, out)
}

// cuttable says whether encode may cut a word between the characters a
// and b (b in cutChars).
func (m *bpeModel) cuttable(a, b rune) bool {
	_, knownA := m.single[a]
	_, knownB := m.single[b]
	return knownA && knownB && !m.joined[b][a]
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
// spelling it. s is scratch space and this call's cache.
func (m *bpeModel) encodeRaw(raw string, s *bpeState, out []int32) []int32 {
	if len(raw) > cacheWordMax {
		return m.mergeRaw(raw, s, out)
	}
	if ids, ok := s.raws[raw]; ok {
		return append(out, ids...)
	}
	if ids, ok := m.rawCache.Load(raw); ok {
		s.remember(&s.raws, raw, ids.([]int32))
		return append(out, ids.([]int32)...)
	}
	n := len(out)
	out = m.mergeRaw(raw, s, out)
	ids := slices.Clone(out[n:])
	s.remember(&s.raws, raw, ids)
	if m.cached.Load() < cacheMax {
		if _, loaded := m.rawCache.LoadOrStore(strings.Clone(raw), ids); !loaded {
			m.cached.Add(1)
		}
	}
	return out
}

// mergeRaw appends the tokens of raw's bytes, merged by rank.
func (m *bpeModel) mergeRaw(raw string, s *bpeState, out []int32) []int32 {
	s.reset(len(raw))
	for i := range len(raw) {
		s.tok[i] = m.byteIDs[raw[i]]
	}
	return m.merges.mergeAll(s, out)
}

// encodeWord appends the tokens of one word, merged as a whole: from this
// call's cache (a plain map, the cheapest lookup), else from the model's
// shared cache (a sync.Map, safe across goroutines but slower per
// lookup), else merged and put in both.
func (m *bpeModel) encodeWord(word string, s *bpeState, out []int32) []int32 {
	if len(word) > cacheWordMax {
		return m.merge(word, s, out)
	}
	if ids, ok := s.words[word]; ok {
		return append(out, ids...)
	}
	if ids, ok := m.cache.Load(word); ok {
		s.remember(&s.words, word, ids.([]int32))
		return append(out, ids.([]int32)...)
	}
	n := len(out)
	out = m.merge(word, s, out)
	ids := slices.Clone(out[n:])
	s.remember(&s.words, word, ids)
	if m.cached.Load() < cacheMax {
		if _, loaded := m.cache.LoadOrStore(strings.Clone(word), ids); !loaded {
			m.cached.Add(1)
		}
	}
	return out
}

// state returns scratch space for one call's encoding, with its caches;
// putState hands it back.
func (m *bpeModel) state() *bpeState {
	if s, ok := m.scratch.Get().(*bpeState); ok {
		return s
	}
	return new(bpeState)
}

func (m *bpeModel) putState(s *bpeState) { m.scratch.Put(s) }

// merge appends the tokens of one word: its characters' tokens (or byte
// tokens, or unk), merged by rank.
func (m *bpeModel) merge(word string, s *bpeState, out []int32) []int32 {
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
	return m.merges.mergeAll(s, out)
}

func (m *bpeModel) haveBytes(c string) bool {
	for i := range len(c) {
		if m.byteTokens[c[i]] < 0 {
			return false
		}
	}
	return true
}
