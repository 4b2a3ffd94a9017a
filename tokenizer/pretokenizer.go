package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A piece of text on its way through a tokenizer.json pipeline. first says
// that it starts where the input text starts (Metaspace's "first" prepend
// scheme needs it). cont says that it starts a block after the first
// (EncodeOptions.Continues) and continues the previous block's last piece:
// the whole text has no cut there, so nothing is put in front of it.
type piece struct {
	text  string
	first bool
	cont  bool
}

// A preTokenizer cuts each piece into smaller ones, as a tokenizer.json
// "pre_tokenizer" does. It may also rewrite them (ByteLevel, Metaspace).
type preTokenizer interface {
	preTokenize(in []piece) []piece
}

// behavior is what Split does with the matches of its pattern
// (Hugging Face's SplitDelimiterBehavior).
type behavior int

const (
	removed behavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

var behaviorNames = map[string]behavior{
	"Removed": removed, "Isolated": isolated, "MergedWithPrevious": mergedWithPrevious,
	"MergedWithNext": mergedWithNext, "Contiguous": contiguous,
}

// span is a stretch of a piece and whether it is a match of the pattern.
type span struct {
	start, end int
	match      bool
}

// spansOf covers s with its matches and the stretches between them, as
// Hugging Face's Pattern::find_matches does; invert swaps the two.
func spansOf(s string, ms [][2]int, invert bool) []span {
	if s == "" {
		return []span{{0, 0, invert}}
	}
	out := make([]span, 0, 2*len(ms)+1)
	prev := 0
	for _, m := range ms {
		if prev != m[0] {
			out = append(out, span{prev, m[0], invert})
		}
		out = append(out, span{m[0], m[1], !invert})
		prev = m[1]
	}
	if prev != len(s) {
		out = append(out, span{prev, len(s), invert})
	}
	return out
}

// splitPiece cuts p at the spans by behaviour b (NormalizedString::split)
// and appends the non-empty results to out.
func splitPiece(out []piece, p piece, spans []span, b behavior) []piece {
	// A piece that continues the previous block still does after the split
	// if it starts with text between matches (see Pipeline.cutAt).
	cont := p.cont && (len(spans) == 0 || !spans[0].match)
	var kept []span // match now means "remove"
	switch b {
	case isolated:
		for _, s := range spans {
			kept = append(kept, span{s.start, s.end, false})
		}
	case removed:
		kept = spans
	case mergedWithPrevious, contiguous:
		prevMatch := false
		for _, s := range spans {
			merge := s.match && !prevMatch
			if b == contiguous {
				merge = s.match == prevMatch
			}
			if merge && len(kept) > 0 {
				kept[len(kept)-1].end = s.end
			} else {
				kept = append(kept, span{s.start, s.end, false})
			}
			prevMatch = s.match
		}
	case mergedWithNext:
		prevMatch := false
		for i := len(spans) - 1; i >= 0; i-- {
			s := spans[i]
			if s.match && !prevMatch && len(kept) > 0 {
				kept[len(kept)-1].start = s.start
			} else {
				kept = append(kept, span{s.start, s.end, false})
			}
			prevMatch = s.match
		}
		for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
			kept[i], kept[j] = kept[j], kept[i]
		}
	}
	for _, s := range kept {
		if !s.match && s.end > s.start {
			out = append(out, piece{p.text[s.start:s.end], p.first && s.start == 0, cont && s.start == 0})
		}
	}
	return out
}

// split is the Split pre-tokenizer: a String or Regex pattern, a
// behaviour and invert.
type split struct {
	pattern  matcher
	behavior behavior
	invert   bool
}

func (sp split) preTokenize(in []piece) []piece {
	out := make([]piece, 0, len(in))
	for _, p := range in {
		if l, ok := sp.pattern.(literal); ok && !sp.invert && l != "" && !strings.Contains(p.text, string(l)) {
			// No match (Gemma's Split on " " after its Replace made every
			// space ▁): whatever the behaviour, the piece stays whole, and
			// an empty one goes.
			if p.text != "" {
				out = append(out, p)
			}
			continue
		}
		ms := sp.pattern.matches(p.text)
		if sp.behavior != isolated {
			out = splitPiece(out, p, spansOf(p.text, ms, sp.invert), sp.behavior)
			continue
		}
		// Isolated (the usual case) keeps matches and gaps alike as pieces.
		prev := 0
		cont := p.cont && (len(ms) == 0 || ms[0][0] > 0)
		for _, m := range ms {
			if m[0] > prev {
				out = append(out, piece{p.text[prev:m[0]], p.first && prev == 0, cont && prev == 0})
			}
			if m[1] > m[0] {
				out = append(out, piece{p.text[m[0]:m[1]], p.first && m[0] == 0, false})
			}
			prev = m[1]
		}
		if prev < len(p.text) {
			out = append(out, piece{p.text[prev:], p.first && prev == 0, cont && prev == 0})
		}
	}
	return out
}

// charMatcher matches each character for which in is true, one match per
// character (Hugging Face's Pattern for Fn(char) -> bool).
type charMatcher func(rune) bool

func (f charMatcher) matches(s string) [][2]int {
	var out [][2]int
	for i, r := range s {
		if f(r) {
			out = append(out, [2]int{i, i + utf8.RuneLen(r)})
		}
	}
	return out
}

// digitsSplit cuts out runs of numbers (Unicode N), or each number alone with
// individual.
func digitsSplit(individual bool) preTokenizer {
	b := contiguous
	if individual {
		b = isolated
	}
	return split{charMatcher(func(r rune) bool { return unicode.IsNumber(r) }), b, false}
}

// whitespaceSplit cuts at white space and drops it.
func whitespaceSplit() preTokenizer {
	return split{charMatcher(unicode.IsSpace), removed, false}
}

// punctuationSplit cuts out each punctuation character (ASCII punctuation and
// Unicode P) with the given behaviour.
func punctuationSplit(b behavior) preTokenizer {
	return split{charMatcher(func(r rune) bool {
		return r < utf8.RuneSelf && unicode.IsPunct(r) || r < utf8.RuneSelf && unicode.IsSymbol(r) || unicode.IsPunct(r)
	}), b, false}
}

// whitespace keeps the runs of word characters and the runs of other
// non-space characters (the regex \w+|[^\w\s]+) and drops the rest.
type whitespace struct{}

func isWordChar(r rune) bool {
	return r == '_' || unicode.In(r, unicode.L, unicode.M, unicode.Nd, unicode.Nl, unicode.Pc, unicode.Other_Alphabetic, unicode.Join_Control)
}

func (whitespace) matches(s string) [][2]int {
	var out [][2]int
	kind := func(r rune) int {
		switch {
		case isWordChar(r):
			return 1
		case unicode.IsSpace(r):
			return 0
		}
		return 2
	}
	start, cur := 0, 0
	for i, r := range s {
		k := kind(r)
		if k != cur {
			if cur != 0 {
				out = append(out, [2]int{start, i})
			}
			start, cur = i, k
		}
	}
	if cur != 0 {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

func (w whitespace) preTokenize(in []piece) []piece {
	return split{w, removed, true}.preTokenize(in)
}

// byteLevel is the ByteLevel pre-tokenizer: optionally a space in front of
// a piece that lacks one, optionally a cut by GPT-2's pattern, then each
// piece spelled in the byte-level alphabet.
type byteLevel struct{ addPrefixSpace, useRegex bool }

func (bl byteLevel) preTokenize(in []piece) []piece {
	out := make([]piece, 0, len(in))
	for _, p := range in {
		if bl.addPrefixSpace && !p.cont && !strings.HasPrefix(p.text, " ") {
			p.text = " " + p.text
		}
		if !bl.useRegex {
			out = append(out, piece{byteLevelEncode([]byte(p.text)), p.first, p.cont})
			continue
		}
		// GPT-2's pattern cuts before the letter a block starts with (see
		// Pipeline.cutAt): no piece continues the previous block.
		b := []byte(p.text)
		for i := 0; i < len(b); {
			j := GPT2.next(b, i)
			out = append(out, piece{byteLevelEncode(b[i:j]), p.first && i == 0, false})
			i = j
		}
	}
	return out
}

// prependScheme is when Metaspace puts its replacement in front of a piece.
type prependScheme int

const (
	prependAlways prependScheme = iota
	prependFirst
	prependNever
)

// metaspace replaces spaces by its replacement character (▁), prepends
// one by its scheme, and with split cuts before each replacement.
type metaspace struct {
	replacement rune
	scheme      prependScheme
	split       bool
}

func (ms metaspace) preTokenize(in []piece) []piece {
	rep := string(ms.replacement)
	out := make([]piece, 0, len(in))
	for _, p := range in {
		p.text = strings.ReplaceAll(p.text, " ", rep)
		if !strings.HasPrefix(p.text, rep) && !p.cont && (ms.scheme == prependAlways || ms.scheme == prependFirst && p.first) {
			p.text = rep + p.text
		}
		if !ms.split {
			out = append(out, p)
			continue
		}
		out = splitPiece(out, p, spansOf(p.text, literal(rep).matches(p.text), false), mergedWithNext)
	}
	return out
}

// preTokenizers applies its members in order.
type preTokenizers []preTokenizer

func (ps preTokenizers) preTokenize(in []piece) []piece {
	for _, p := range ps {
		in = p.preTokenize(in)
	}
	return in
}
