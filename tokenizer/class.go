package tokenizer

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// A class is the set of pattern character classes a character belongs to,
// as bit flags. The patterns' classes are unions of these:
//
//	\p{L}                  clsLetter
//	\p{N}                  clsNumber
//	\s                     clsSpace (\r and \n also have clsNewline)
//	[^\s\p{L}\p{N}]        none of clsLetter, clsNumber, clsSpace ("other")
//	[^\r\n\p{L}\p{N}]      none of clsLetter, clsNumber, clsNewline
//	[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]  clsUpper (o200k)
//	[\p{Ll}\p{Lm}\p{Lo}\p{M}]        clsLower (o200k)
type class uint8

const (
	clsLetter class = 1 << iota
	clsNumber
	clsSpace
	clsNewline
	clsUpper
	clsLower
)

func (c class) isLetter() bool { return c&clsLetter != 0 }
func (c class) isNumber() bool { return c&clsNumber != 0 }
func (c class) isSpace() bool  { return c&clsSpace != 0 }

// isOther reports membership of [^\s\p{L}\p{N}].
func (c class) isOther() bool { return c&(clsLetter|clsNumber|clsSpace) == 0 }

// isPrefix reports membership of [^\r\n\p{L}\p{N}], the optional character
// before a word in cl100k and o200k.
func (c class) isPrefix() bool { return c&(clsLetter|clsNumber|clsNewline) == 0 }

// classify returns the class of a rune from the unicode tables.
func classify(r rune) class {
	switch {
	case unicode.In(r, unicode.Lu, unicode.Lt):
		return clsLetter | clsUpper
	case unicode.Is(unicode.Ll, r):
		return clsLetter | clsLower
	case unicode.In(r, unicode.Lm, unicode.Lo):
		return clsLetter | clsUpper | clsLower
	case unicode.Is(unicode.M, r):
		return clsUpper | clsLower
	case unicode.Is(unicode.N, r):
		return clsNumber
	case r == '\r' || r == '\n':
		return clsSpace | clsNewline
	case unicode.IsSpace(r):
		return clsSpace
	}
	return 0
}

// bmpClasses caches classify for the Basic Multilingual Plane (64 KB),
// built on first use; asciiClasses is its first 128 entries, ready at init.
var (
	bmpOnce      sync.Once
	bmpClasses   *[1 << 16]class
	asciiClasses [utf8.RuneSelf]class
)

func init() {
	for r := range asciiClasses {
		asciiClasses[r] = classify(rune(r))
	}
}

func buildBMP() {
	t := new([1 << 16]class)
	for r := range t {
		t[r] = classify(rune(r))
	}
	bmpClasses = t
}

// charAt returns the class and byte length of the character at text[i]
// (i < len(text)). A byte that does not start a valid UTF-8 sequence is a
// character of length 1 in the class of U+FFFD ("other").
func charAt(text []byte, i int) (class, int) {
	if b := text[i]; b < utf8.RuneSelf {
		return asciiClasses[b], 1
	}
	r, n := utf8.DecodeRune(text[i:])
	if r == utf8.RuneError && n == 1 {
		return 0, 1
	}
	if r < 1<<16 {
		bmpOnce.Do(buildBMP)
		return bmpClasses[r], n
	}
	return classify(r), n
}
