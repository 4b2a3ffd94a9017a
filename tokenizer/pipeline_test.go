package tokenizer

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPipelineRefusesAll checks that a file with several unsupported
// features is refused with one short error that names each by its JSON
// path, and none of the file's JSON.
func TestPipelineRefusesAll(t *testing.T) {
	data, err := os.ReadFile("testdata/synthetic/whitespace.json")
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	f["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{
		map[string]any{"type": "NFC"}, map[string]any{"type": "Precompiled"}}}
	f["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
		map[string]any{"type": "Split", "pattern": map[string]any{"Regex": "(unclosed"}, "behavior": "Isolated"},
		map[string]any{"type": "Split", "pattern": map[string]any{"String": " "}, "behavior": "Sideways"},
		map[string]any{"type": "CharDelimiterSplit"}}}
	f["decoder"] = map[string]any{"type": "WordPiece"}
	f["model"].(map[string]any)["dropout"] = 0.1
	data, err = json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadPipeline(bytes.NewReader(data))
	if err == nil {
		t.Fatal("loaded")
	}
	msg := err.Error()
	for _, want := range []string{
		`normalizer.normalizers[1].type: normalizer "Precompiled"`,
		"pre_tokenizer.pretokenizers[0].pattern.Regex: regex \"(unclosed\" does not compile",
		`pre_tokenizer.pretokenizers[1].behavior: behavior "Sideways"`,
		`pre_tokenizer.pretokenizers[2].type: pre-tokenizer "CharDelimiterSplit"`,
		`decoder.type: decoder "WordPiece"`,
		"model.dropout: 0.1",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") || strings.Contains(msg, "{") || len(msg) > 600 {
		t.Errorf("error is not one short line: %q", msg)
	}
	// Through LoadHF, as xent tokenize loads it, the same error.
	if _, err := LoadHF(bytes.NewReader(data)); err == nil || err.Error() != msg {
		t.Errorf("LoadHF: %v", err)
	}
}

// TestLossyUTF8 checks the U+FFFD substitution of the Unicode standard's
// example (§3.9, "U+FFFD Substitution of Maximal Subparts"), which Rust's
// from_utf8_lossy and so Hugging Face's ByteLevel decoder follow.
func TestLossyUTF8(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd"},
		{"\xC0\xAF\xE0\x80\xBF\xF0\x81\x82\x41", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA"},
		{"\xED\xA0\x80\xED\xBF\xBF\xED\xAF\x41", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA"},
		{"\xF4\x91\x92\x93\xFF\x41\x80\xBF\x42", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA\uFFFD\uFFFDB"},
		{"\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41", "\uFFFD\uFFFD\uFFFD\uFFFDA"},
		{"\xE4\xB8\xAD\xE6\x96", "中\uFFFD"},
	} {
		if got := lossyUTF8([]byte(c.in)); got != c.want {
			t.Errorf("lossyUTF8(%x) = %+q, want %+q", c.in, got, c.want)
		}
	}
}

// FuzzPipelineLoad loads random mutations of small tokenizer.json files
// that use most stages: each loads or is refused with an error, never a
// panic, and a loaded one encodes and decodes a few texts without
// panicking.
func FuzzPipelineLoad(f *testing.F) {
	vocab := `{"<unk>":0,"<s>":1,"<0x41>":2,"▁":3,"H":4,"e":5,"l":6,"o":7,"He":8,"ll":9,"Hell":10,"Ġ":11,"w":12,"Ġw":13}`
	merges := `[["H","e"],["l","l"],["He","ll"],["Ġ","w"]]`
	added := `[{"id":1,"content":"<s>","special":true,"lstrip":true,"rstrip":false,"single_word":false,"normalized":false},` +
		`{"id":14,"content":"<L>","special":false,"lstrip":true,"rstrip":true,"single_word":true,"normalized":true}]`
	for _, stages := range []string{
		`"normalizer":{"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Replace","pattern":{"Regex":"\\d+"},"content":"#"}]},` +
			`"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\s+(?!\\S)|\\p{L}+"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":true,"use_regex":false}]},` +
			`"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"special_tokens":{"<s>":{"id":"<s>","ids":[1],"tokens":["<s>"]}}},` +
			`"decoder":{"type":"ByteLevel"}`,
		`"normalizer":{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]},` +
			`"pre_tokenizer":{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":true},` +
			`"post_processor":{"type":"BertProcessing","sep":["<s>",1],"cls":["<s>",1]},` +
			`"decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":1}]}`,
	} {
		seed := []byte(`{"added_tokens":` + added + `,` + stages + `,"model":{"type":"BPE","unk_token":"<unk>","fuse_unk":true,"byte_fallback":true,"vocab":` + vocab + `,"merges":` + merges + `}}`)
		if _, err := LoadPipeline(bytes.NewReader(seed)); err != nil {
			f.Fatalf("seed: %v", err)
		}
		f.Add(seed, uint64(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		r := rand.New(rand.NewPCG(seed, 7))
		data = bytes.Clone(data)
		for range 1 + r.IntN(4) { // a few byte edits
			if len(data) == 0 {
				break
			}
			i := r.IntN(len(data))
			switch r.IntN(3) {
			case 0:
				data[i] = byte(r.IntN(128))
			case 1:
				data = append(data[:i], data[i+1:]...)
			default:
				data = append(data[:i], append([]byte{data[r.IntN(len(data))]}, data[i:]...)...)
			}
		}
		p, err := LoadPipeline(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, text := range []string{"", "Hello world 123", " <|endoftext|>x<L> y<R>", "\xff\u00e9 \u3000 ﬁ"} {
			ids, err := p.Encode([]byte(text), EncodeOptions{AllowAll: true, AddSpecial: true})
			if err != nil {
				t.Fatal(err)
			}
			if s, err := p.Decode(ids, false); err != nil || !utf8.ValidString(s) {
				t.Fatalf("decode: %q, %v", s, err)
			}
		}
	})
}

// FuzzPipelineRoundTrip checks that a byte-level Pipeline decodes what it
// encodes back to the text (made valid UTF-8), and a ▁ one with
// byte_fallback and prepend_scheme never too.
func FuzzPipelineRoundTrip(f *testing.F) {
	fuzzSeeds(f)
	byteLevelFile, err := LoadPipelineFile("testdata/synthetic/split_Isolated_plain.json")
	if err != nil {
		f.Fatal(err)
	}
	spFile, err := LoadPipelineFile("testdata/synthetic/metaspace_never.json")
	if err != nil {
		f.Fatal(err)
	}
	// Llama 2's decoder, so that byte tokens decode to their text.
	spFile.decoder = decoders{replaceDecoder{literal("▁"), " "}, byteFallbackDecoder{}, fuse{}}
	f.Fuzz(func(t *testing.T, text []byte) {
		want := validUTF8(text)
		for _, p := range []*Pipeline{byteLevelFile, spFile} {
			ids, err := p.Encode(text, EncodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := p.Decode(ids, false); err != nil || got != want {
				t.Fatalf("decode(encode(%q)) = %q, %v", text, got, err)
			}
		}
	})
}

// TestRefusesOtherModels checks that WordPiece and Unigram models, which
// none of the six real files uses, are refused by name with their JSON
// path, by LoadPipeline and by LoadHF, a Unigram file by its list of
// scored pieces too.
func TestRefusesOtherModels(t *testing.T) {
	for _, typ := range []string{"WordPiece", "Unigram", "WordLevel"} {
		data := []byte(`{"model":{"type":"` + typ + `","vocab":{"a":0}}}`)
		for _, load := range []func() error{
			func() error { _, err := LoadPipeline(bytes.NewReader(data)); return err },
			func() error { _, err := LoadHF(bytes.NewReader(data)); return err },
		} {
			err := load()
			if want := `model.type: model "` + typ + `" (xent has BPE)`; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v; want an error saying %q", typ, err, want)
			}
		}
	}
	unigram := []byte(`{"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0],["a",-1.5]]}}`)
	_, err := LoadHF(bytes.NewReader(unigram))
	if want := "model.vocab is a list of [piece, score] pairs, a Unigram model's: xent has BPE"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a Unigram vocabulary: %v; want an error saying %q", err, want)
	}
}
