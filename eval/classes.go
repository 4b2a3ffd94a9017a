package eval

import (
	"bytes"
	"go/scanner"
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Class is the kind of text a token covers.
type Class uint8

// Classes of English text, then of Go source.
const (
	Whitespace   Class = iota
	Punctuation        // any other non-letter, non-digit character
	FunctionWord       // a word of the closed list functionWords, in any case
	Number             // decimal digits of any script, with . or , between digits
	Capitalised        // a capitalised word not at a sentence start: a proper-noun proxy
	OtherWord          // every other word
	GoKeyword
	GoIdentifier
	GoOperator // operators and punctuation: + := ( { ...
	GoLiteral  // numbers, runes, strings
	GoComment
	numClasses
)

var classNames = [numClasses]string{"whitespace", "punctuation", "function word", "number", "capitalised word",
	"other word", "keyword", "identifier", "operator/punct", "literal", "comment"}

func (c Class) String() string { return classNames[c] }

// Mode picks the classifier: English prose or Go source.
type Mode uint8

const (
	English Mode = iota
	GoSource
)

func (m Mode) classes() []Class {
	if m == GoSource {
		return []Class{Whitespace, GoKeyword, GoIdentifier, GoOperator, GoLiteral, GoComment}
	}
	return []Class{Whitespace, Punctuation, FunctionWord, Number, Capitalised, OtherWord}
}

// functionWords is the closed class of English: articles, pronouns,
// prepositions, conjunctions, auxiliary and modal verbs, and a few
// particles and determiners.
var functionWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the this that these those my your his her its our their
		i me you he him she it we us they them myself yourself himself herself itself ourselves themselves
		who whom whose which what
		of in on at by for with about against between into through during before after above below to from
		up down out off over under again further upon within without among toward towards onto than
		and but or nor so yet if because as until while although though whether
		is am are was were be been being have has had having do does did doing
		will would shall should can could may might must
		not no there here then when where why how all any both each few more most other some such only own same
		too very just also`) {
		m[w] = true
	}
	return m
}()

// englishClassifier labels the bytes of English text. It reads a document
// in pieces and carries whether the next word starts a sentence: at the
// start of the document, after '.', '!' or '?', and after a blank line.
type englishClassifier struct {
	sentenceStart bool
	newlines      int // consecutive newlines just seen
}

func newEnglishClassifier() *englishClassifier { return &englishClassifier{sentenceStart: true} }

// classify sets classes[i] for every byte of text. text must not end
// inside a word, number or UTF-8 character.
func (e *englishClassifier) classify(text []byte, classes []Class) {
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRune(text[i:])
		switch {
		case unicode.IsSpace(r):
			if r == '\n' {
				e.newlines++
				if e.newlines >= 2 {
					e.sentenceStart = true
				}
			}
			fill(classes[i:i+n], Whitespace)
			i += n
		case unicode.IsLetter(r):
			j := wordEnd(text, i)
			w := string(text[i:j])
			c := OtherWord
			switch {
			case functionWords[strings.ToLower(w)]:
				c = FunctionWord
			case unicode.IsUpper(r) && !e.sentenceStart:
				c = Capitalised
			}
			fill(classes[i:j], c)
			e.sentenceStart, e.newlines = false, 0
			i = j
		case unicode.IsDigit(r):
			j := numberEnd(text, i)
			fill(classes[i:j], Number)
			e.sentenceStart, e.newlines = false, 0
			i = j
		default:
			if r == '.' || r == '!' || r == '?' {
				e.sentenceStart = true
			}
			e.newlines = 0
			fill(classes[i:i+n], Punctuation)
			i += n
		}
	}
}

// wordEnd is the end of the word starting at i: letters and marks, with
// apostrophes and hyphens between letters (don't, well-known).
func wordEnd(text []byte, i int) int {
	for i < len(text) {
		r, n := utf8.DecodeRune(text[i:])
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
			i += n
			continue
		}
		if (r == '\'' || r == '’' || r == '-') && i+n < len(text) {
			if r2, _ := utf8.DecodeRune(text[i+n:]); unicode.IsLetter(r2) {
				i += n
				continue
			}
		}
		break
	}
	return i
}

// numberEnd is the end of the number starting at i: decimal digits of any
// script (unicode.IsDigit: 0-9, ١٢, １２…), with '.' or ',' between
// digits (3.14, 1,000). It accepts the same digits the classifier starts a
// number at, so it always moves past the first.
func numberEnd(text []byte, i int) int {
	for i < len(text) {
		r, n := utf8.DecodeRune(text[i:])
		if unicode.IsDigit(r) {
			i += n
			continue
		}
		if (r == '.' || r == ',') && i+1 < len(text) {
			if r2, _ := utf8.DecodeRune(text[i+1:]); unicode.IsDigit(r2) {
				i++
				continue
			}
		}
		break
	}
	return i
}

// classifyGo labels the bytes of one Go source file with go/scanner's
// token classes; bytes no token covers (spaces, newlines) are whitespace.
// Text the scanner rejects keeps the classes of the tokens it did read.
func classifyGo(src []byte, classes []Class) {
	fill(classes, Whitespace)
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, func(token.Position, string) {}, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted at a newline: not text of its own
		}
		off := file.Offset(pos)
		n := len(lit)
		if lit == "" {
			n = len(tok.String())
		}
		c := GoOperator
		switch {
		case tok == token.COMMENT:
			c = GoComment
			n = commentEnd(src, off) - off // lit has carriage returns removed
		case tok.IsKeyword():
			c = GoKeyword
		case tok == token.IDENT:
			c = GoIdentifier
		case tok.IsLiteral():
			c = GoLiteral
			if tok == token.STRING && src[off] == '`' {
				n = rawStringEnd(src, off) - off // lit has carriage returns removed
			}
		}
		fill(classes[off:min(off+n, len(src))], c)
	}
}

func commentEnd(src []byte, off int) int {
	if off+1 < len(src) && src[off+1] == '*' {
		if j := bytes.Index(src[off+2:], []byte("*/")); j >= 0 {
			return off + 2 + j + 2
		}
		return len(src)
	}
	if j := bytes.IndexByte(src[off:], '\n'); j >= 0 {
		return off + j
	}
	return len(src)
}

func rawStringEnd(src []byte, off int) int {
	if j := bytes.IndexByte(src[off+1:], '`'); j >= 0 {
		return off + 1 + j + 1
	}
	return len(src)
}

func fill(dst []Class, c Class) {
	for i := range dst {
		dst[i] = c
	}
}

// tokenClass is the class of a token covering bytes with these classes:
// the class of its first byte that is not whitespace, or whitespace if it
// has none. A token straddling two classes (" the", "ing,") so goes with
// the text it starts, not the space GPT-2-style tokens carry in front.
func tokenClass(classes []Class) Class {
	for _, c := range classes {
		if c != Whitespace {
			return c
		}
	}
	return Whitespace
}
