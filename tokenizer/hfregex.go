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
