package tokenizer

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// roundTripHF saves tok as tokenizer.json and loads it back.
func roundTripHF(t *testing.T, tok *Tokenizer) (*Tokenizer, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := tok.SaveHF(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := LoadHF(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return back, buf.Bytes()
}

// TestHFRoundTrip saves tokenizers of each kind as tokenizer.json, loads
// them back and checks that the vocabulary, the special tokens and the ids
// of the whole corpus are unchanged; a second save is byte-identical.
func TestHFRoundTrip(t *testing.T) {
	g := mustGoldens(t)
	gpt2Files, err := loadGPT2Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tok  *Tokenizer
	}{
		{"gpt2-files", gpt2Files},
		{"cl100k_base", mustBuiltin(t, "cl100k_base")},
		{"trained", trainSmall(t)},
	} {
		t.Run(c.name, func(t *testing.T) {
			back, saved := roundTripHF(t, c.tok)
			if back.Pattern() != c.tok.Pattern() || back.VocabSize() != c.tok.VocabSize() ||
				!slices.Equal(back.SpecialTokens(), c.tok.SpecialTokens()) {
				t.Fatalf("pattern/vocab size/specials: got %v/%d/%q, want %v/%d/%q", back.Pattern(), back.VocabSize(),
					back.SpecialTokens(), c.tok.Pattern(), c.tok.VocabSize(), c.tok.SpecialTokens())
			}
			for id := range c.tok.VocabSize() {
				a, errA := c.tok.Token(int32(id))
				b, errB := back.Token(int32(id))
				if !bytes.Equal(a, b) || (errA == nil) != (errB == nil) {
					t.Fatalf("token %d: got %q, want %q", id, b, a)
				}
			}
			for i, gc := range g.Cases {
				raw, _ := g.text(i)
				if got, want := back.Encode(raw), c.tok.Encode(raw); !slices.Equal(got, want) {
					t.Errorf("%s: after the round trip\n got %v\nwant %v", gc.Name, short(got), short(want))
				}
			}
			_, again := roundTripHF(t, back)
			if !bytes.Equal(saved, again) {
				t.Error("saving the loaded tokenizer again gives a different file")
			}
			old, err := LoadHF(bytes.NewReader(stringMerges(t, saved)))
			if err != nil {
				t.Fatal(err)
			}
			if _, again := roundTripHF(t, old); !bytes.Equal(saved, again) {
				t.Error(`merges spelled as "left right" strings load differently`)
			}
		})
	}
}

// TestLoadHFSpellings loads a small hand-written tokenizer.json in the
// older spelling (merges as "left right" strings) with a Sequence
// pre-tokenizer.
func TestLoadHFSpellings(t *testing.T) {
	var vocab []string
	for _, b := range byteLevelOrder() {
		vocab = append(vocab, `"`+strings.ReplaceAll(strings.ReplaceAll(byteLevelEncode([]byte{b}), `\`, `\\`), `"`, `\"`)+`":`+strconv.Itoa(len(vocab)))
	}
	vocab = append(vocab, `"ab":256`, `"abc":257`)
	js := `{"added_tokens":[{"id":258,"content":"<|x|>","special":true}],"normalizer":null,
	"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":` + strconv.Quote(CL100K.String()) + `},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]},
	"model":{"type":"BPE","vocab":{` + strings.Join(vocab, ",") + `},"merges":["a b","ab c"]}}`
	tok, err := LoadHF(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tok.EncodeSpecial([]byte("abc<|x|>ab"), []string{"<|x|>"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{257, 258, 256}; tok.Pattern() != CL100K || !slices.Equal(got, want) {
		t.Errorf("got %v %v, want %v %v", tok.Pattern(), got, CL100K, want)
	}
}

// TestLoadHFErrors checks that unsupported or broken files are errors that
// say what is wrong, and that what the fast path lacks loads as a Pipeline.
func TestLoadHFErrors(t *testing.T) {
	const bl = `{"type":"ByteLevel","add_prefix_space":false,"use_regex":true}`
	for _, c := range []struct {
		name, json, want string
	}{
		{"not json", `{`, "unexpected EOF"},
		{"wordpiece", `{"pre_tokenizer":` + bl + `,"model":{"type":"WordPiece"}}`, `model.type: model "WordPiece"`},
		{"bad merge", `{"pre_tokenizer":` + bl + `,"model":{"type":"BPE","vocab":{"a":0},"merges":["a b"]}}`, `merge 0 ["a" "b"]: a side is not in the vocabulary`},
		{"bad merge string", `{"pre_tokenizer":` + bl + `,"model":{"type":"BPE","vocab":{"a":0},"merges":["ab"]}}`, `merge 0 "ab"`},
		{"shared id", `{"pre_tokenizer":` + bl + `,"model":{"type":"BPE","vocab":{"a":0,"b":0},"merges":[]}}`, `model.vocab: tokens "a" and "b" share id 0`},
		{"added shares id", `{"added_tokens":[{"id":0,"content":"<x>","special":true}],"pre_tokenizer":` + bl + `,"model":{"type":"BPE","vocab":{"a":0},"merges":[]}}`, `added_tokens[0].id: 0 is also "a"`},
	} {
		_, err := LoadHF(strings.NewReader(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// Each of these was refused before the Pipeline (issue 14).
	for _, c := range []struct{ name, json string }{
		{"normalizer", `{"normalizer":{"type":"NFC"},"pre_tokenizer":` + bl + `,"model":{"type":"BPE"}}`},
		{"prefix space", `{"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":true},"model":{"type":"BPE"}}`},
		{"whitespace", `{"pre_tokenizer":{"type":"Whitespace"},"model":{"type":"BPE"}}`},
		{"regexp", `{"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\w+"},"behavior":"Isolated"},` + bl + `]},"model":{"type":"BPE"}}`},
		{"byte fallback", `{"pre_tokenizer":` + bl + `,"model":{"type":"BPE","byte_fallback":true}}`},
		{"sentencepiece alphabet", `{"pre_tokenizer":{"type":"Metaspace"},"model":{"type":"BPE","vocab":{"▁":0},"merges":[]}}`},
		{"empty sequence", `{"normalizer":{"type":"Sequence","normalizers":[]},"pre_tokenizer":` + bl + `,"model":{"type":"BPE"}}`},
	} {
		if _, err := LoadHF(strings.NewReader(c.json)); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestHFParity checks tokenizer.json files that xent trained and saved
// against Hugging Face's tokenizers (npm, Rust) loading the same files,
// special tokens recognised as Hugging Face always does.
func TestHFParity(t *testing.T) {
	g := mustGoldens(t)
	for _, name := range []string{"hf_gpt2.json", "hf_o200k.json"} {
		tok, err := LoadHFFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range g.Cases {
			_, valid := g.text(i)
			got, err := tok.EncodeSpecial([]byte(valid), tok.SpecialTokens())
			if err != nil {
				t.Fatal(err)
			}
			if want := g.HF[name][i]; !slices.Equal(got, want) {
				t.Errorf("%s, %s: %q\n got %v\nwant %v", name, c.Name, short([]rune(valid)), short(got), short(want))
			}
		}
	}
}

// TestHFFilesReproduce checks that training gives testdata/hf_*.json again,
// byte for byte: 1,000 tokens on the first 100,000 bytes of prose.
func TestHFFilesReproduce(t *testing.T) {
	for name, p := range map[string]Pattern{"hf_gpt2.json": GPT2, "hf_o200k.json": O200K} {
		tok, err := Train([][]byte{prose(t)[:100000]}, TrainOptions{VocabSize: 1000, Pattern: p, Special: []string{"<|endoftext|>"}})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := tok.SaveHF(&buf); err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: training and saving gives a different file", name)
		}
	}
}
