package tokenizer

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// A matcher finds the non-overlapping matches of a pattern in a string,
// leftmost first, as byte offsets [start, end). It is how Hugging Face's
// Split pre-tokenizer and Replace normalizer and decoder see a pattern.
type matcher interface {
	matches(s string) [][2]int
}

// literal is a String pattern: its occurrences, left to right, without
// overlap. An empty literal matches nothing.
type literal string

func (l literal) matches(s string) [][2]int {
	var out [][2]int
	if l == "" {
		return nil
	}
	for i := 0; ; {
		k := strings.Index(s[i:], string(l))
		if k < 0 {
			return out
		}
		out = append(out, [2]int{i + k, i + k + len(l)})
		i += k + len(l)
	}
}

// scanner is a Regex pattern that one of the hand-written Pattern scanners
// implements: every piece it cuts is a match.
type scanner struct{ p Pattern }

func (sc scanner) matches(s string) [][2]int {
	var out [][2]int
	b := []byte(s) // valid UTF-8 here; the scanners take bytes
	for i := 0; i < len(b); {
		j := sc.p.next(b, i)
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// general is a Regex pattern run by a backtracking engine with look-around
// (dlclark/regexp2, .NET syntax): the fallback for a pattern no scanner
// implements. Hugging Face compiles patterns with Oniguruma; the two agree
// on the constructs tokenizer.json files use (classes, \p{..}, look-ahead,
// counted repeats), except that .NET's case-insensitive matching does not
// fold ſ to s, so the contraction group is spelled out (see newRegex).
type general struct{ re *regexp2.Regexp }

// contractionsFolded is the case-insensitive contraction group of the
// GPT-4-style patterns with Oniguruma's case folding written out.
const (
	contractionsCI     = `(?i:'s|'t|'re|'ve|'m|'ll|'d)`
	contractionsFolded = `(?:'[sSſ]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])`
)

// newRegex compiles a tokenizer.json Regex pattern: a hand-written scanner
// if the pattern is one of theirs, else the general engine.
func newRegex(pattern string) (matcher, error) {
	if p, err := PatternOf(pattern); err == nil {
		return scanner{p}, nil
	}
	if m, ok := handMatchers[pattern]; ok {
		return m, nil
	}
	return newGeneral(pattern)
}

// handMatchers are hand-written matchers for patterns that real files
// split by besides the Pattern scanners' (DeepSeek V3's first two Splits),
// by their text.
var handMatchers = map[string]matcher{
	`\p{N}{1,3}`: numberRuns(3),
	"[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+": runeRuns(func(r rune) bool {
		return '\u4e00' <= r && r <= '\u9fa5' || '\u3040' <= r && r <= '\u309f' || '\u30a0' <= r && r <= '\u30ff'
	}),
}

// deepseekPattern is DeepSeek V3's third Split (its words, punctuation
// and white space), which deepseekWords implements.
const deepseekPattern = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"

func init() { handMatchers[deepseekPattern] = deepseekWords{} }

// deepseekWords matches deepseekPattern, its alternatives tried in order
// at each position as a backtracking engine does:
//
//  1. an ASCII punctuation character, then ASCII letters;
//  2. optionally a character that is not \r, \n, a letter, punctuation or
//     a symbol, then letters and marks (without the first character if
//     what follows it is not a letter or mark);
//  3. an optional space, punctuation and symbols, then \r and \n;
//  4. the white-space alternatives, as spaces scans them.
type deepseekWords struct{}

func (deepseekWords) matches(s string) [][2]int {
	var out [][2]int
	b := []byte(s)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if end := deepseekMatch(b, s, i, r, n); end > i {
			out = append(out, [2]int{i, end})
			i = end
			continue
		}
		i += n
	}
	return out
}

func deepseekMatch(b []byte, s string, i int, r rune, n int) int {
	isASCIILetterAt := func(k int) bool { return k < len(s) && isASCIILetter(s[k]) }
	if r < utf8.RuneSelf && (unicode.IsPunct(r) || unicode.IsSymbol(r)) && isASCIILetterAt(i+n) {
		j := i + n
		for isASCIILetterAt(j) {
			j++
		}
		return j
	}
	letterOrMark := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) }
	if r != '\r' && r != '\n' && !unicode.IsLetter(r) && !unicode.IsPunct(r) && !unicode.IsSymbol(r) {
		if j := runeRunEnd(s, i+n, letterOrMark); j > i+n {
			return j
		}
	}
	if j := runeRunEnd(s, i, letterOrMark); j > i {
		return j
	}
	j := i
	if s[j] == ' ' {
		j++
	}
	punctOrSymbol := func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }
	for _, from := range []int{j, i} {
		if k := runeRunEnd(s, from, punctOrSymbol); k > from {
			for k < len(s) && (s[k] == '\r' || s[k] == '\n') {
				k++
			}
			return k
		}
	}
	if unicode.IsSpace(r) {
		return spaces(b, i, true)
	}
	return i
}

// runeRunEnd returns the end of the run of characters in class from s[i].
func runeRunEnd(s string, i int, in func(rune) bool) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !in(r) {
			break
		}
		i += n
	}
	return i
}

// numberRuns matches \p{N}{1,n}: runs of numbers, n at a time.
type numberRuns int

func (n numberRuns) matches(s string) [][2]int {
	var out [][2]int
	start, k := -1, 0
	for i, r := range s {
		if !unicode.IsNumber(r) {
			if start >= 0 {
				out = append(out, [2]int{start, i})
			}
			start, k = -1, 0
			continue
		}
		if start >= 0 && k == int(n) {
			out = append(out, [2]int{start, i})
			start, k = -1, 0
		}
		if start < 0 {
			start = i
		}
		k++
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

// runeRuns matches [class]+: maximal runs of characters in a class.
type runeRuns func(rune) bool

func (in runeRuns) matches(s string) [][2]int {
	var out [][2]int
	start := -1
	for i, r := range s {
		switch {
		case in(r) && start < 0:
			start = i
		case !in(r) && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

// newGeneral compiles pattern for the general engine.
func newGeneral(pattern string) (general, error) {
	re, err := regexp2.Compile(strings.ReplaceAll(pattern, contractionsCI, contractionsFolded), regexp2.None)
	if err != nil {
		return general{}, fmt.Errorf("regex %q does not compile: %v", pattern, err)
	}
	return general{re}, nil
}

func (g general) matches(s string) [][2]int {
	if s == "" {
		return nil
	}
	runes := []rune(s)
	// offsets[k] is the byte offset of rune k.
	offsets := make([]int, len(runes)+1)
	for k, r := range runes {
		offsets[k+1] = offsets[k] + utf8.RuneLen(r)
	}
	var out [][2]int
	m, err := g.re.FindRunesMatch(runes)
	for err == nil && m != nil {
		out = append(out, [2]int{offsets[m.Index], offsets[m.Index+m.Length]})
		m, err = g.re.FindNextMatch(m)
	}
	return out
}
