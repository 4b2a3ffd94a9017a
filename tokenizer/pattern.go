package tokenizer

import (
	"fmt"
	"iter"
)

// A Pattern is a pre-tokenizer: it cuts text into the pieces that one of the
// reference regular expressions matches, one after the other. Each is a
// hand-written scanner that returns the same pieces as the regexp under
// leftmost-first (backtracking) semantics, look-ahead included.
type Pattern int

const (
	// GPT2 is GPT-2's pattern (also tiktoken's gpt2, r50k and p50k).
	GPT2 Pattern = iota
	// CL100K is the pattern of tiktoken's cl100k_base (GPT-3.5, GPT-4).
	CL100K
	// O200K is the pattern of tiktoken's o200k_base (GPT-4o).
	O200K
	// QWEN2 is the pattern of Qwen2, Qwen2.5 and Qwen3: cl100k_base's with
	// numbers one digit at a time (\p{N} for \p{N}{1,3}).
	QWEN2
)

// patternRegexps are the patterns as their references spell them.
var patternRegexps = [...]string{
	GPT2:   `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
	CL100K: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
	QWEN2:  `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
	O200K:  `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
}

// String returns the regular expression the pattern implements.
func (p Pattern) String() string {
	if p < 0 || int(p) >= len(patternRegexps) {
		return fmt.Sprintf("Pattern(%d)", int(p))
	}
	return patternRegexps[p]
}

// PatternOf returns the Pattern whose regular expression is re, spelled
// exactly as tiktoken or a tokenizer.json spells it.
func PatternOf(re string) (Pattern, error) {
	for p, s := range patternRegexps {
		if s == re {
			return Pattern(p), nil
		}
	}
	return 0, fmt.Errorf("tokenizer: pre-tokenizer regexp %q is not one of the supported patterns (GPT-2's, cl100k_base's, o200k_base's, Qwen2's)", re)
}

// Pieces yields the pieces of text in order; they concatenate to text.
func (p Pattern) Pieces(text []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for i := 0; i < len(text); {
			j := p.next(text, i)
			if !yield(text[i:j]) {
				return
			}
			i = j
		}
	}
}

// next returns the end of the piece that starts at text[i], i < len(text).
func (p Pattern) next(text []byte, i int) int {
	switch p {
	case CL100K:
		return nextCL100K(text, i, 3)
	case QWEN2:
		return nextCL100K(text, i, 1)
	case O200K:
		return nextO200K(text, i)
	}
	return nextGPT2(text, i)
}

// nextGPT2 scans 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+.
func nextGPT2(t []byte, i int) int {
	if n := contraction(t, i, false); n > 0 {
		return i + n
	}
	c, n := charAt(t, i)
	start := i
	if t[i] == ' ' && i+1 < len(t) {
		if c2, n2 := charAt(t, i+1); !c2.isSpace() { // " " then a letter, number or other
			c, n, i = c2, n2, i+1
		}
	}
	switch {
	case c.isLetter():
		return run(t, i+n, class.isLetter)
	case c.isNumber():
		return run(t, i+n, class.isNumber)
	case c.isOther():
		return run(t, i+n, class.isOther)
	}
	return spaces(t, start, false)
}

// nextCL100K scans (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|
// \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+, or
// with maxDigits 1 Qwen2's pattern, the same with \p{N} for \p{N}{1,3}.
func nextCL100K(t []byte, i, maxDigits int) int {
	if n := contraction(t, i, true); n > 0 {
		return i + n
	}
	c, n := charAt(t, i)
	switch {
	case c.isLetter():
		return run(t, i+n, class.isLetter)
	case c.isPrefix() && i+n < len(t):
		if c2, n2 := charAt(t, i+n); c2.isLetter() {
			return run(t, i+n+n2, class.isLetter)
		}
	case c.isNumber():
		if maxDigits == 1 {
			return i + n
		}
		return digits(t, i+n)
	}
	if end := punctuation(t, i, "\r\n"); end > 0 {
		return end
	}
	return spaces(t, i, true)
}

// nextO200K scans o200k's pattern: two word alternatives (see o200kWord),
// then \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+.
func nextO200K(t []byte, i int) int {
	if end := o200kWord(t, i); end > 0 {
		return end
	}
	if c, n := charAt(t, i); c.isNumber() {
		return digits(t, i+n)
	}
	if end := punctuation(t, i, "\r\n/"); end > 0 {
		return end
	}
	return spaces(t, i, true)
}

// o200kWord matches, at t[i], the first of o200k's word alternatives
//
//	P? U* W+ C?   and   P? U+ W* C?
//
// (P = [^\r\n\p{L}\p{N}], U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}],
// W = [\p{Ll}\p{Lm}\p{Lo}\p{M}], C = a case-insensitive contraction), trying
// P? taken before P? empty as backtracking does. It returns 0 if neither
// matches.
func o200kWord(t []byte, i int) int {
	c, n := charAt(t, i)
	for _, alt := range [...]func([]byte, int) int{upperLower, upperRun} {
		if c.isPrefix() && i+n < len(t) {
			if end := alt(t, i+n); end > 0 {
				return end
			}
		}
		if end := alt(t, i); end > 0 {
			return end
		}
	}
	return 0
}

// upperLower matches U* W+ C? at t[s], or returns 0. U* is greedy; when no
// W follows the U run, backtracking gives W+ the run's last W character
// (Lm, Lo and M are in both U and W), after which only C? can follow.
func upperLower(t []byte, s int) int {
	a, lastW := s, -1
	for a < len(t) {
		c, n := charAt(t, a)
		if c&clsUpper == 0 {
			break
		}
		if c&clsLower != 0 {
			lastW = a + n
		}
		a += n
	}
	end := run(t, a, func(c class) bool { return c&clsLower != 0 })
	if end == a {
		if lastW < 0 {
			return 0
		}
		end = lastW
	}
	return end + contraction(t, end, true)
}

// upperRun matches U+ W* C? at t[s], or returns 0.
func upperRun(t []byte, s int) int {
	a := run(t, s, func(c class) bool { return c&clsUpper != 0 })
	if a == s {
		return 0
	}
	end := run(t, a, func(c class) bool { return c&clsLower != 0 })
	return end + contraction(t, end, true)
}

// run returns the end of the longest run of characters in class from t[i].
func run(t []byte, i int, in func(class) bool) int {
	for i < len(t) {
		c, n := charAt(t, i)
		if !in(c) {
			break
		}
		i += n
	}
	return i
}

// digits returns the end of \p{N}{1,3} given the end i of the first number.
func digits(t []byte, i int) int {
	for k := 1; k < 3 && i < len(t); k++ {
		c, n := charAt(t, i)
		if !c.isNumber() {
			break
		}
		i += n
	}
	return i
}

// punctuation matches ` ?[^\s\p{L}\p{N}]+[tail]*` at t[i] (tail is a set of
// ASCII bytes), or returns 0.
func punctuation(t []byte, i int, tail string) int {
	j := i
	if t[j] == ' ' {
		j++
	}
	if j == len(t) {
		return 0
	}
	if c, _ := charAt(t, j); !c.isOther() {
		return 0
	}
	j = run(t, j, class.isOther)
	for j < len(t) && containsByte(tail, t[j]) {
		j++
	}
	return j
}

func containsByte(s string, b byte) bool {
	for i := range len(s) {
		if s[i] == b {
			return true
		}
	}
	return false
}

// spaces matches the white-space alternatives at t[i], which starts with a
// space character: `\s*[\r\n]+` first if newlines is set, then
// `\s+(?!\S)`, then `\s+`.
//
// With the run of spaces t[i:j], \s*[\r\n]+ backtracks to the run's last
// newline and ends after it; \s+(?!\S) matches the whole run at the end of
// the text, or else the run less its last character if that leaves one;
// \s+ matches the single space that is left.
func spaces(t []byte, i int, newlines bool) int {
	j, last, afterNewline := i, i, -1
	for j < len(t) {
		c, n := charAt(t, j)
		if !c.isSpace() {
			break
		}
		if c&clsNewline != 0 {
			afterNewline = j + n
		}
		last = j
		j += n
	}
	switch {
	case newlines && afterNewline >= 0:
		return afterNewline
	case j == len(t) || last == i:
		return j
	}
	return last
}

// contraction returns the length of the contraction 's, 't, 're, 've, 'm,
// 'll or 'd at t[i], or 0. With fold, letters match case-insensitively
// under Unicode simple case folding, which adds U+017F (ſ) to s.
func contraction(t []byte, i int, fold bool) int {
	if i >= len(t) || t[i] != '\'' {
		return 0
	}
	is := func(k int, lower byte) bool {
		if i+k >= len(t) {
			return false
		}
		b := t[i+k]
		return b == lower || fold && b == lower-'a'+'A'
	}
	switch {
	case is(1, 's'), is(1, 't'), is(1, 'm'), is(1, 'd'):
		return 2
	case is(1, 'r') && is(2, 'e'), is(1, 'v') && is(2, 'e'), is(1, 'l') && is(2, 'l'):
		return 3
	case fold && i+2 < len(t) && t[i+1] == 0xC5 && t[i+2] == 0xBF: // ſ
		return 3
	}
	return 0
}
