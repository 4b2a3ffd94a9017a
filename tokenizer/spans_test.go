package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// TestByteSpans checks that the tokens of the six real files' goldens
// texts (with every special token allowed), of text that NFC rewrites and
// of invalid UTF-8 cover each text's bytes exactly once, and where each
// token's bytes are the text's own, that they stand for themselves.
func TestByteSpans(t *testing.T) {
	g, err := loadModelGoldens()
	if err != nil {
		t.Fatal(err)
	}
	extra := []string{"Cafe\u0301 and cafe\u0301\n  e\u0301\u0301x", "a\xffb\xc3 \xe2\x82", "Hello world", " lead", "\u00a0x\u3000y"}
	for _, name := range modelNames {
		t.Run(name, func(t *testing.T) {
			tok, err := Load(modelFile(t, name))
			if err != nil {
				t.Fatal(err)
			}
			texts := append(append(slices.Clip(g.Texts), g.Models[name].Extra...), extra...)
			for i, text := range texts {
				ids, err := tok.EncodeSpecial([]byte(text), tok.SpecialTokens())
				if err != nil {
					t.Fatal(err)
				}
				lens, err := tok.ByteSpans([]byte(text), ids)
				if err != nil {
					t.Fatalf("%d %q: %v", i, short([]rune(text)), err)
				}
				off := 0
				for k, id := range ids {
					b, _ := tok.Token(id)
					if lens[k] < 0 || lens[k] > len(text)-off {
						t.Fatalf("%d %q: token %d covers %d bytes at %d", i, short([]rune(text)), k, lens[k], off)
					}
					if strings.HasPrefix(text[off:], string(b)) && lens[k] != len(b) {
						t.Fatalf("%d %q: token %d (%q) is the text's own bytes but covers %d", i, short([]rune(text)), k, b, lens[k])
					}
					off += lens[k]
				}
			}
		})
	}
	// Llama 2's first token carries the ▁ its Prepend put in front.
	tok, err := Load(modelFile(t, "llama2"))
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("Hello world")
	lens, err := tok.ByteSpans(text, tok.Encode(text))
	if err != nil || !slices.Equal(lens, []int{5, 6}) {
		t.Fatalf("Llama 2 %q: spans %v (%v), want [5 6]", text, lens, err)
	}
}
