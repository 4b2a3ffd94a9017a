package eval

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/npmcache"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/tokenizer"
)

// realTokenizer loads a real model's tokenizer.json from the npm cache
// (npmcache.TokenizerFile: skipped when missing, a failure under CI=true).
func realTokenizer(t *testing.T, name string) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Load(npmcache.TokenizerFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestDocumentPipeline checks a document under tokenizers whose
// normalizer rewrites the text (Llama 2's Prepend ▁, Qwen3's NFC, Gemma
// 3's ▁ for spaces): every byte and character of the text is counted once,
// bits per byte divide by the text's own length, and the document read in
// small blocks gives the report of the document read whole.
func TestDocumentPipeline(t *testing.T) {
	text := strings.Repeat("Cafe\u0301 and the Prism.\n  Light is refracted, 1704 times.\nA\u00a0b \xff\xc3x\n", 20)
	chars := 0
	for i := range len(text) {
		if text[i]&0xc0 != 0x80 {
			chars++
		}
	}
	for _, name := range []string{"llama2", "qwen3", "gemma3"} {
		t.Run(name, func(t *testing.T) {
			tok := realTokenizer(t, name)
			m, err := model.New(model.Config{ModelType: model.GPT2, VocabSize: tok.VocabSize(), NEmbd: 8, NLayer: 1, NHead: 2, NPositions: 64}, 1)
			if err != nil {
				t.Fatal(err)
			}
			run := func(block int) Report {
				defer func(b int) { blockBytes = b }(blockBytes)
				blockBytes = block
				e, err := New(m, tok, 1, Options{Scheme: Disjoint, Ctx: 64})
				if err != nil {
					t.Fatal(err)
				}
				if err := e.Document(context.Background(), "doc.txt", strings.NewReader(text), nil); err != nil {
					t.Fatal(err)
				}
				return e.Report()
			}
			whole := run(1 << 20)
			if whole.Bytes != int64(len(text)) || whole.Characters != int64(chars) {
				t.Errorf("counted %d bytes and %d characters of a text of %d and %d", whole.Bytes, whole.Characters, len(text), chars)
			}
			if streamed := run(100); !reflect.DeepEqual(whole, streamed) {
				t.Errorf("streamed report differs from the whole document's:\n%+v\n%+v", streamed, whole)
			}
		})
	}
}

// TestDocumentPrepend checks the byte count under normalizers and
// pre-tokenizers that put text in front (Llama 2 style Prepend, here the
// synthetic tokenizer.json files of the tokenizer's tests, which need no
// npm cache: Prepend ">" after NFKD and a Replace, and Metaspace's ▁ with
// each prepend scheme): the report counts exactly the text's UTF-8 bytes,
// whatever the text starts with (a space, the prepended string itself,
// ▁, a newline, invalid UTF-8), read whole or in small blocks.
func TestDocumentPrepend(t *testing.T) {
	texts := []string{
		"Light is refracted.",
		" leading space and\n  indented lines\n",
		">already prepended > twice",
		"\u2581spaced\u2581out ▁ words",
		"\nnewline first, 1704 digits 12345",
		"\xff\xfe invalid, then Caf\u00e9 and e\u0301",
		"x",
	}
	for _, name := range []string{"nfkd_replace_regex", "metaspace_always", "metaspace_first", "metaspace_never"} {
		tok, err := tokenizer.Load("../tokenizer/testdata/synthetic/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		m, err := model.New(model.Config{ModelType: model.GPT2, VocabSize: tok.VocabSize(), NEmbd: 8, NLayer: 1, NHead: 2, NPositions: 32}, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			for _, block := range []int{1 << 20, 7} {
				func() {
					defer func(b int) { blockBytes = b }(blockBytes)
					blockBytes = block
					e, err := New(m, tok, 1, Options{Scheme: Disjoint, Ctx: 32})
					if err != nil {
						t.Fatal(err)
					}
					if err := e.Document(context.Background(), "doc.txt", strings.NewReader(text), nil); err != nil {
						t.Fatalf("%s, blocks of %d, %q: %v", name, block, text, err)
					}
					if r := e.Report(); r.Bytes != int64(len(text)) {
						t.Errorf("%s, blocks of %d, %q: %d bytes counted, the text has %d", name, block, text, r.Bytes, len(text))
					}
				}()
			}
		}
	}
}
