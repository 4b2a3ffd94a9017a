package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A normalizer rewrites text before it is cut into pieces, as a
// tokenizer.json "normalizer" does (Hugging Face's NormalizedString, less
// the offsets, which xent does not report).
type normalizer interface {
	normalize(s string) string
}

// unicodeForm is NFC, NFD, NFKC or NFKD.
type unicodeForm struct{ form norm.Form }

func (u unicodeForm) normalize(s string) string { return u.form.String(s) }

// lowercase maps each character to its lower case, as Rust's
// char::to_lowercase does (İ becomes i followed by U+0307).
type lowercase struct{}

func (lowercase) normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == 'İ' {
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// strip removes white space (Unicode White_Space) from the left, the
// right, or both ends.
type strip struct{ left, right bool }

func (st strip) normalize(s string) string {
	if st.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if st.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

// stripAccents removes combining marks (category M: Mn, Mc, Me); it does not
// decompose, so it is usually preceded by NFD or NFKD.
type stripAccents struct{}

func (stripAccents) normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.M, r) {
			return -1
		}
		return r
	}, s)
}

// replace replaces every match of a pattern by content.
type replace struct {
	pattern matcher
	content string
}

func (rp replace) normalize(s string) string { return replaceAll(s, rp.pattern, rp.content) }

func replaceAll(s string, m matcher, content string) string {
	if l, ok := m.(literal); ok {
		if l == "" {
			return s // literal matches nothing
		}
		return strings.ReplaceAll(s, string(l), content) // the same leftmost, non-overlapping matches, without listing them
	}
	ms := m.matches(s)
	if len(ms) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, x := range ms {
		b.WriteString(s[last:x[0]])
		b.WriteString(content)
		last = x[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// prepend puts a string in front of text that is not empty.
type prepend string

func (p prepend) normalize(s string) string {
	if s == "" {
		return s
	}
	return string(p) + s
}

// normalizers applies its members in order; an empty one changes nothing.
type normalizers []normalizer

func (ns normalizers) normalize(s string) string {
	for _, n := range ns {
		s = n.normalize(s)
	}
	return s
}

// normalizeBlock is n.normalize, except that with cont (s continues an
// earlier block of the text) a Prepend puts nothing in front of s.
func normalizeBlock(n normalizer, s string, cont bool) string {
	switch x := n.(type) {
	case prepend:
		if cont {
			return s
		}
	case normalizers:
		for _, m := range x {
			s = normalizeBlock(m, s, cont)
		}
		return s
	}
	return n.normalize(s)
}

// bertNormalizer is BERT's normalizer, in Hugging Face's order
// (normalizers/bert.rs): cleanText drops NUL, U+FFFD and control and other
// characters (categories Cc, Cf, Co, Cs and unassigned, but not tab, CR or
// LF) and turns white space into a space; chineseChars puts a space on
// each side of a CJK ideograph; stripAccents (when unset, as lowercase)
// decomposes (NFD) and drops nonspacing marks (Mn); lowercase lowers.
type bertNormalizer struct {
	cleanText, chineseChars, stripAccents, lowercase bool
}

func (bn bertNormalizer) normalize(s string) string {
	if bn.cleanText {
		s = strings.Map(func(r rune) rune {
			switch {
			case r == '\t' || r == '\n' || r == '\r':
				return ' '
			case r == 0 || r == utf8.RuneError || isOther(r):
				return -1
			case unicode.IsSpace(r):
				return ' '
			}
			return r
		}, s)
	}
	if bn.chineseChars && strings.ContainsFunc(s, isCJKIdeograph) {
		var b strings.Builder
		for _, r := range s {
			if isCJKIdeograph(r) {
				b.WriteByte(' ')
				b.WriteRune(r)
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	if bn.stripAccents {
		s = strings.Map(func(r rune) rune {
			if unicode.Is(unicode.Mn, r) {
				return -1
			}
			return r
		}, norm.NFD.String(s))
	}
	if bn.lowercase {
		s = lowercase{}.normalize(s)
	}
	return s
}

// isOther reports whether r is in Unicode's category C other than its
// white space: control, format, private use, surrogate or unassigned (as
// Rust's unicode_categories is_other).
func isOther(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) ||
		!unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C)
}

// isCJKIdeograph reports whether r is in one of the CJK Unified
// Ideographs blocks BERT spaces out (bert.rs's is_chinese_char).
func isCJKIdeograph(r rune) bool {
	switch {
	case 0x4E00 <= r && r <= 0x9FFF, 0x3400 <= r && r <= 0x4DBF,
		0x20000 <= r && r <= 0x2A6DF, 0x2A700 <= r && r <= 0x2B73F,
		0x2B740 <= r && r <= 0x2B81F, 0x2B920 <= r && r <= 0x2CEAF,
		0xF900 <= r && r <= 0xFAFF, 0x2F800 <= r && r <= 0x2FA1F:
		return true
	}
	return false
}
