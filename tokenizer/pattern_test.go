package tokenizer

import (
	"bytes"
	"slices"
	"testing"
)

func pieces(p Pattern, text string) []string {
	var out []string
	for piece := range p.Pieces([]byte(text)) {
		out = append(out, string(piece))
	}
	return out
}

// TestPatternPieces pins down, per pattern, the cases where a regexp's
// backtracking and look-ahead decide the pieces (the parity goldens check
// the same through token ids).
func TestPatternPieces(t *testing.T) {
	for _, c := range []struct {
		p    Pattern
		text string
		want []string
	}{
		{GPT2, "a  b", []string{"a", " ", " b"}},                                               // \s+(?!\S) leaves the last space to " b"
		{GPT2, "a \n b", []string{"a", " \n", " b"}},                                           // ... any white space
		{GPT2, "a\n\nb", []string{"a", "\n", "\n", "b"}},                                       // a single space before \S is \s+
		{GPT2, "x   ", []string{"x", "   "}},                                                   // trailing white space is one piece
		{GPT2, "it's IT'S", []string{"it", "'s", " IT", "'", "S"}},                             // GPT-2's contractions are lower case only
		{GPT2, " 123 !!", []string{" 123", " !!"}},                                             // an optional leading space
		{GPT2, "'x '", []string{"'", "x", " '"}},                                               // not a contraction
		{CL100K, "IT'S it'Ll", []string{"IT", "'S", " it", "'Ll"}},                             // case-insensitive
		{CL100K, " 12345", []string{" ", "123", "45"}},                                         // numbers by threes, no leading space
		{CL100K, "a\r\n\r\nb", []string{"a", "\r\n\r\n", "b"}},                                 // \s*[\r\n]+
		{CL100K, "a  \n  b", []string{"a", "  \n", " ", " b"}},                                 // up to the last newline
		{CL100K, "x!!\n\ny", []string{"x", "!!\n\n", "y"}},                                     // punctuation takes newlines after it
		{CL100K, "\tword", []string{"\tword"}},                                                 // any non-newline prefix before letters
		{CL100K, "\nword", []string{"\n", "word"}},                                             // but not a newline
		{O200K, "中ABC", []string{"中", "ABC"}},                                                  // U* backtracks to the last Lo
		{O200K, "HelloWorld", []string{"Hello", "World"}},                                      // case changes split words
		{O200K, "HTTPServer", []string{"HTTPServer"}},                                          // U+ W*
		{O200K, "don't DON'T", []string{"don't", " DON'T"}},                                    // contraction inside the word
		{O200K, "a/b//\n/c", []string{"a", "/b", "//\n/", "c"}},                                // [\r\n/]* after punctuation
		{O200K, "e\u0301E\u0301", []string{"e\u0301", "E\u0301"}},                              // a mark continues either case
		{O200K, "\u0301\u0301x", []string{"\u0301\u0301x"}},                                    // a mark as prefix, then U* W+
		{O200K, " \u0301", []string{" \u0301"}},                                                // P then a lone mark as W+
		{GPT2, "a\u00a0b\u3000\u3000c", []string{"a", "\u00a0", "b", "\u3000", "\u3000", "c"}}, // Unicode white space
		{GPT2, "a\x80b \xff", []string{"a", "\x80", "b", " \xff"}},                             // invalid bytes are symbols
	} {
		if got := pieces(c.p, c.text); !slices.Equal(got, c.want) {
			t.Errorf("pattern %d, %q: got %q, want %q", c.p, c.text, got, c.want)
		}
	}
}

// TestClasses checks the character classes on characters where the
// regexp engines' \s, \p{L} and \p{N} could be confused.
func TestClasses(t *testing.T) {
	for _, c := range []struct {
		r    rune
		want class
	}{
		{' ', clsSpace}, {'\t', clsSpace}, {'\v', clsSpace}, {'\f', clsSpace},
		{'\r', clsSpace | clsNewline}, {'\n', clsSpace | clsNewline},
		{0x85, clsSpace}, {0xa0, clsSpace}, {0x2028, clsSpace}, {0x3000, clsSpace},
		{0xfeff, 0}, {0x200b, 0}, {0x200d, 0}, // not White_Space (JS's \s has U+FEFF)
		{'A', clsLetter | clsUpper}, {'ǅ', clsLetter | clsUpper}, {'a', clsLetter | clsLower},
		{'ʰ', clsLetter | clsUpper | clsLower}, {'中', clsLetter | clsUpper | clsLower},
		{0x301, clsUpper | clsLower}, {'5', clsNumber}, {'½', clsNumber}, {'Ⅻ', clsNumber},
		{'\'', 0}, {'😀', 0}, {0xfffd, 0},
	} {
		text := []byte(string(c.r))
		if got, n := charAt(text, 0); got != c.want || n != len(text) {
			t.Errorf("%U: class %06b size %d, want %06b size %d", c.r, got, n, c.want, len(text))
		}
	}
}

// TestPiecesConcatenate checks that pieces cover the text exactly, for
// every pattern, on the whole corpus.
func TestPiecesConcatenate(t *testing.T) {
	g := mustGoldens(t)
	for i := range g.Cases {
		raw, _ := g.text(i)
		for _, p := range []Pattern{GPT2, CL100K, O200K} {
			var got []byte
			for piece := range p.Pieces(raw) {
				if len(piece) == 0 {
					t.Fatalf("pattern %d, case %s: empty piece", p, g.Cases[i].Name)
				}
				got = append(got, piece...)
			}
			if !bytes.Equal(got, raw) {
				t.Fatalf("pattern %d, case %s: pieces do not concatenate to the text", p, g.Cases[i].Name)
			}
		}
	}
}

func TestPatternOf(t *testing.T) {
	for _, p := range []Pattern{GPT2, CL100K, O200K} {
		if got, err := PatternOf(p.String()); got != p || err != nil {
			t.Errorf("PatternOf(%v) = %v, %v", p, got, err)
		}
	}
	if _, err := PatternOf(`\w+`); err == nil {
		t.Error(`PatternOf("\w+"): no error`)
	}
	if s := Pattern(9).String(); s != "Pattern(9)" {
		t.Errorf("Pattern(9).String() = %q", s)
	}
}
