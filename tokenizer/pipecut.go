package tokenizer

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Where a Pipeline's text may be cut into blocks that encode on their own
// (the later ones with EncodeOptions.Continues) into exactly the whole
// text's ids: right after a newline that follows a character other than
// white space and precedes a letter, when every stage lets it through:
//
//   - added tokens: none lies across the cut, none marked single_word ends
//     at it (it would see the letter), none marked lstrip starts at it (it
//     would take the newline);
//   - normalizers: Unicode forms (the letter starts a new composition),
//     Lowercase, StripAccents, Prepend (not repeated on a block that
//     continues), Replace of a string without newlines, letters or digits
//     by one without white space; Strip and regex Replace are not;
//   - pre-tokenizers: Split by a string without newlines, letters or
//     digits (it never matches at the cut), by the built-in patterns and
//     DeepSeek V3's, which all start a piece at such a letter and never take
//     the newline into it, ByteLevel and Metaspace (their prefixes not
//     repeated on a piece that continues); Digits, Whitespace and
//     Punctuation splits and general regexes are not (no block cuts);
//   - the model: no token of the vocabulary has the newline right before
//     the letter, and both are tokens of their own (or the newline is a
//     byte token that no merge takes), so no merge reaches across.
type pipeCuts struct {
	on      bool
	nl      rune          // the newline as the vocabulary spells it
	nlAlone bool          // the newline, or its byte token, never merges
	afterNL map[rune]bool // what some token has right after nl
}

// setCuts decides whether p's text may be cut into blocks (see pipeCuts).
func (p *Pipeline) setCuts() {
	c := &p.cuts
	c.on = cutsNormalizer(p.normalizer) && cutsPreTokenizer(p.preTokenizer) &&
		p.model.prefix == "" && p.model.suffix == ""
	if !c.on {
		return
	}
	c.nl = '\n'
	if p.byteLevel {
		c.nl = byteRunes['\n']
	}
	c.afterNL = map[rune]bool{}
	for s := range p.model.vocab {
		prev := rune(-1)
		for _, r := range s {
			if prev == c.nl {
				c.afterNL[r] = true
			}
			prev = r
		}
	}
	if _, ok := p.model.single[c.nl]; ok {
		c.nlAlone = true
	} else if b := p.model.byteTokens['\n']; p.model.byteFallback && b >= 0 {
		c.nlAlone = true
		for k := range p.model.merges.table {
			if int32(uint32(k>>32)) == b || int32(uint32(k)) == b {
				c.nlAlone = false
				break
			}
		}
	}
	c.on = c.nlAlone
}

func cutsNormalizer(n normalizer) bool {
	switch x := n.(type) {
	case nil, unicodeForm, lowercase, stripAccents, prepend:
		return true
	case replace:
		l, ok := x.pattern.(literal)
		return ok && !strings.ContainsFunc(string(l), isNewlineLetterOrDigit) &&
			!strings.ContainsFunc(x.content, unicode.IsSpace)
	case normalizers:
		for _, m := range x {
			if !cutsNormalizer(m) {
				return false
			}
		}
		return true
	}
	return false
}

func isNewlineLetterOrDigit(r rune) bool {
	return r == '\n' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

func cutsPreTokenizer(pt preTokenizer) bool {
	switch x := pt.(type) {
	case nil, byteLevel, metaspace:
		return true
	case split:
		switch m := x.pattern.(type) {
		case literal:
			return !x.invert && !strings.ContainsFunc(string(m), isNewlineLetterOrDigit)
		case scanner, numberRuns, runeRuns, deepseekWords:
			// Their matches never hold a newline before a letter; the
			// scanners' and deepseekWords' start at a letter after one.
			return !x.invert && x.behavior == isolated
		}
	case preTokenizers:
		for _, q := range x {
			if !cutsPreTokenizer(q) {
				return false
			}
		}
		return true
	}
	return false
}

// cutAt says whether text may be cut at i (see pipeCuts); specials are
// the special tokens the encoding recognises.
func (p *Pipeline) cutAt(text []byte, i int, specials []string) bool {
	if i < 2 || text[i-1] != '\n' {
		return false
	}
	before, n := utf8.DecodeLastRune(text[:i-1])
	after, _ := utf8.DecodeRune(text[i:])
	if before == utf8.RuneError && n <= 1 || unicode.IsSpace(before) || !unicode.IsLetter(after) ||
		!norm.NFC.Properties(text[i:]).BoundaryBefore() || !norm.NFKC.Properties(text[i:]).BoundaryBefore() {
		return false
	}
	first := after
	if p.byteLevel {
		first = byteRunes[text[i]]
	}
	if _, known := p.model.single[first]; !known || p.cuts.afterNL[first] {
		return false
	}
	for _, a := range p.added {
		if a.special && !slices.Contains(specials, a.content) {
			continue
		}
		if addedAcross(text, i, a) {
			return false
		}
	}
	return straddling(text, i, specials) < 0
}

// addedAcross says whether an occurrence of a lies across i, or touches
// it where a's single_word or lstrip would look across.
func addedAcross(text []byte, i int, a addedToken) bool {
	c := a.content
	for p := max(0, i-len(c)); p <= i && p+len(c) <= len(text); p++ {
		if string(text[p:p+len(c)]) != c {
			continue
		}
		end := p + len(c)
		if p < i && end > i || a.singleWord && end == i || a.lstrip && p == i {
			return true
		}
	}
	return false
}

// BlockCut returns the last place where text may be cut into blocks that
// encode on their own (the later ones with EncodeOptions.Continues) into
// the whole text's ids, or -1 if there is none or p's stages allow no cut
// (see the comment on pipeCuts for where and when). No cut splits one of
// specials, the special tokens the encoding recognises, nor the start of
// one at the end of text.
func (p *Pipeline) BlockCut(text []byte, specials []string) int {
	if !p.cuts.on {
		return -1
	}
	for i := len(text) - 1; i >= 2; i-- {
		if text[i-1] == '\n' && p.cutAt(text, i, specials) {
			return i
		}
	}
	return -1
}
