package eval

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// hangInputs are texts that once stalled the English classifier for ever:
// a number's start took any Unicode digit, its end only ASCII ones.
var hangInputs = []string{
	"Chapter １２",         // fullwidth digits
	"ص ١٢٣ و ٤,٥",        // Arabic-Indic digits
	"x ०१.२",             // Devanagari digits
	"7١",                 // an ASCII digit, then an Arabic-Indic one
	"\x00\xff\xfe٣\x80",  // binary with a digit inside
	"３.١٤ and 1,٠٠٠ 𝟘𝟙𝟚", // separators between digits of other scripts; mathematical digits
}

// classifyWithin classifies text in both modes, failing if either takes
// longer than limit, and checks that every byte got a class.
func classifyWithin(t *testing.T, text []byte, limit time.Duration) {
	t.Helper()
	type result struct{ english, goSrc []Class }
	done := make(chan result, 1)
	go func() {
		var r result
		r.english = make([]Class, len(text))
		for i := range r.english {
			r.english[i] = numClasses
		}
		newEnglishClassifier().classify(text, r.english)
		r.goSrc = make([]Class, len(text))
		classifyGo(text, r.goSrc)
		done <- r
	}()
	select {
	case r := <-done:
		for i, c := range r.english {
			if c >= numClasses {
				t.Fatalf("%q: byte %d has no class", text, i)
			}
		}
	case <-time.After(limit):
		t.Fatalf("classifying %q (%d bytes) took more than %v", text, len(text), limit)
	}
}

// TestClassifyNonASCIIDigits is the defect: `xent eval` hung at 100% CPU on
// "Chapter １２". Digits of every script are numbers, and classifying ends.
func TestClassifyNonASCIIDigits(t *testing.T) {
	for _, text := range hangInputs {
		classifyWithin(t, []byte(text), time.Second)
	}
	for _, tc := range []struct{ text, number string }{
		{"Chapter １２ ends", "１２"}, {"ص ١٢٣ و", "١٢٣"}, {"pi is ３.１４.", "３.１４"}, {"1,٠٠٠ x", "1,٠٠٠"},
	} {
		classes := classesOf(tc.text, English)
		i := strings.Index(tc.text, tc.number)
		for k := i; k < i+len(tc.number); k++ {
			if classes[k] != Number {
				t.Errorf("%q: byte %d of %q is %v, want number", tc.text, k-i, tc.number, classes[k])
			}
		}
		if end := i + len(tc.number); end < len(tc.text) && classes[end] == Number {
			t.Errorf("%q: the number runs past %q", tc.text, tc.number)
		}
	}
}

// FuzzClassify runs both classifiers on arbitrary bytes, each input under
// a deadline: no input may stall them, and every byte gets a class.
func FuzzClassify(f *testing.F) {
	for _, s := range hangInputs {
		f.Add([]byte(s))
	}
	for _, s := range []string{"", "The Prism of Newton, in 1704, is 3.5 inches.", "don't well-known 'quoted' -x- x-",
		"package main\nfunc f() { return `raw` /* c */ }\n", "1.", "1,", ".5", "\xc3", "a\u0301b", "x'", "Ⅻ ² ½"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		classifyWithin(t, text, time.Second)
	})
}

// FuzzDocument scores arbitrary bytes as an English and as a Go document,
// each under a deadline: the whole path from bytes through the tokenizer,
// the classes and the windows ends on any input (an error is allowed, a
// stall or a panic is not).
func FuzzDocument(f *testing.F) {
	tok, m := tinyTokenizerModel(f, 32, 1)
	for _, s := range hangInputs {
		f.Add([]byte(s))
	}
	f.Add([]byte(sampleText))
	f.Add([]byte("package p\n\nfunc f() int { return 0x1F } // c\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		for _, name := range []string{"doc.txt", "doc.go"} {
			e, err := New(m, tok, 299, Options{Ctx: 32})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- e.Document(context.Background(), name, bytes.NewReader(text), nil) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("scoring %q as %s (%d bytes) took more than 10 s", text, name, len(text))
			}
		}
	})
}
