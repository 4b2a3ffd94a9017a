package tokenizer

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"slices"
	"testing"
)

// fuzzSeeds adds corpus cases that stress every pattern.
func fuzzSeeds(f *testing.F) {
	for _, s := range []string{"", "hello world", "it's IT'S 'ſ", " 12345 ", "a  \r\n\r\n  b", "中ABC e\u0301", "👨‍👩‍👧 \u0085\ufeff\u3000", "\xff\x80 abc\xe4\xb8", "<|endoftext|>x", "a//\n/b!!\n"} {
		f.Add([]byte(s))
	}
}

// FuzzRoundTrip checks decode(encode(x)) == x for any bytes and every
// built-in encoding, serial and parallel, with and without special tokens.
func FuzzRoundTrip(f *testing.F) {
	fuzzSeeds(f)
	toks := make([]*Tokenizer, len(BuiltinNames))
	for i, name := range BuiltinNames {
		toks[i] = mustBuiltin(f, name)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		for _, tok := range toks {
			ids := tok.Encode(text)
			back, err := tok.Decode(ids)
			if err != nil || !bytes.Equal(back, text) {
				t.Fatalf("%v: decode(encode(%q)) = %q, %v", tok.Pattern(), text, back, err)
			}
			special, err := tok.EncodeSpecial(text, tok.SpecialTokens())
			if err != nil {
				t.Fatal(err)
			}
			if back, err := tok.Decode(special); err != nil || !bytes.Equal(back, text) {
				t.Fatalf("%v: with special tokens, decode(encode(%q)) = %q, %v", tok.Pattern(), text, back, err)
			}
			if par, err := tok.EncodeParallel(text, tok.SpecialTokens(), 2); err != nil || !slices.Equal(par, special) {
				t.Fatalf("%v: EncodeParallel(%q) differs from EncodeSpecial", tok.Pattern(), text)
			}
		}
	})
}

// FuzzDecode checks that any id sequence decodes or fails cleanly: an error
// exactly when some id is not in the vocabulary.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0})
	f.Add(binary.LittleEndian.AppendUint32(nil, 100256))
	tok := mustBuiltin(f, "cl100k_base")
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ids []int32
		for len(raw) >= 4 {
			ids = append(ids, int32(binary.LittleEndian.Uint32(raw))%(1<<18))
			raw = raw[4:]
		}
		_, err := tok.Decode(ids)
		bad := slices.ContainsFunc(ids, func(id int32) bool { _, err := tok.Token(id); return err != nil })
		if (err != nil) != bad {
			t.Fatalf("Decode(%v): error %v, but an unknown id is present: %v", ids, err, bad)
		}
	})
}

// FuzzLoadHF checks that no tokenizer.json crashes the loader, seeded with
// small trained files of each pre-tokenizer shape and merge spelling. The
// seeds are kilobytes long, so cap the minimisation of new inputs:
//
//	go test ./tokenizer -run '^$' -fuzz FuzzLoadHF -fuzztime 30s -fuzzminimizetime 2s
func FuzzLoadHF(f *testing.F) {
	for _, p := range []Pattern{GPT2, O200K} {
		var buf bytes.Buffer
		tok, err := Train([][]byte{[]byte("hello hello world, it's a small corpus")}, TrainOptions{VocabSize: 270, Pattern: p})
		if err != nil {
			f.Fatal(err)
		}
		if err := tok.SaveHF(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(stringMerges(f, buf.Bytes()))
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		if tok, err := LoadHF(bytes.NewReader(js)); err == nil {
			tok.Encode([]byte("hello world"))
		}
	})
}

// stringMerges respells a tokenizer.json's merges in the older form, one
// "left right" string each.
func stringMerges(t testing.TB, js []byte) []byte {
	var file map[string]any
	if err := json.Unmarshal(js, &file); err != nil {
		t.Fatal(err)
	}
	model := file["model"].(map[string]any)
	merges := model["merges"].([]any)
	for i, m := range merges {
		pair := m.([]any)
		merges[i] = pair[0].(string) + " " + pair[1].(string)
	}
	out, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
