package tokenizer

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"
)

// TestInvalidUTF8 checks both treatments of text that is not valid UTF-8
// (rawbytes.go) on the invalid cases of goldens.json.gz and the real and
// synthetic tokenizer.json files. Where the stages keep bytes (the fast
// path; Qwen3, DeepSeek V3 and digits_bytes.json as Pipelines) the bytes round-trip exactly, and each token stands for its
// own bytes (ByteSpans). Elsewhere (Llama 2, Gemma 3, the SentencePiece
// and normalizing synthetic files) the ids are exactly those of the text
// with U+FFFD for each invalid byte, which is what Hugging Face's
// reference encodes (the goldens' "valid" string), Decode gives valid
// UTF-8, and the real files' ByteSpans cover every byte of the text.
func TestInvalidUTF8(t *testing.T) {
	g, err := loadGoldens()
	if err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	var valids []string
	for i, c := range g.Cases {
		if c.Hex != "" {
			raw, valid := g.text(i)
			raws, valids = append(raws, raw), append(valids, valid)
		}
	}
	if len(raws) < 5 {
		t.Fatalf("only %d invalid cases", len(raws))
	}
	files, err := filepath.Glob("testdata/synthetic/*.json")
	if err != nil {
		t.Fatal(err)
	}
	keeps := map[string]bool{}
	check := func(t *testing.T, path string, real bool) {
		tok, err := LoadHFFile(path)
		if err != nil {
			t.Fatal(err)
		}
		keep := tok.pipe == nil || tok.pipe.rawBytes
		keeps[path] = keep
		for k, raw := range raws {
			ids := tok.Encode(raw)
			if keep {
				back, err := tok.Decode(ids)
				if err != nil || !bytes.Equal(back, raw) {
					t.Errorf("%x decodes back to %x (%v)", raw, back, err)
				}
				lens, err := tok.ByteSpans(raw, ids)
				if err != nil {
					t.Errorf("%x: %v", raw, err)
					continue
				}
				for j, id := range ids {
					if b, _ := tok.Token(id); lens[j] != len(b) {
						t.Errorf("%x: token %d stands for %d bytes, not its own %d", raw, j, lens[j], len(b))
						break
					}
				}
				continue
			}
			want := tok.Encode([]byte(valids[k]))
			if !slices.Equal(ids, want) {
				t.Errorf("%x: ids %v, want those of %q, %v", raw, short(ids), valids[k], short(want))
			}
			if back, err := tok.Decode(ids); err != nil || !utf8.Valid(back) {
				t.Errorf("%x decodes to %q (%v)", raw, back, err)
			}
			if !real {
				continue // the synthetic files' spans are TestByteSpans's
			}
			if lens, err := tok.ByteSpans(raw, ids); err != nil || sum(lens) != len(raw) {
				t.Errorf("%x: spans %v (%v) do not cover its %d bytes", raw, lens, err, len(raw))
			}
		}
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) { check(t, path, false) })
	}
	models := map[string]string{}
	for _, name := range modelNames {
		t.Run(name, func(t *testing.T) {
			models[name] = modelFile(t, name)
			check(t, models[name], true)
		})
	}
	for _, want := range []struct {
		file string
		keep bool
	}{{"ignore_merges", true}, {"digits_bytes", true}, {"split_lookahead", false}, {"whitespace_split", false},
		{"metaspace_always", false}, {"added_tokens", false}, {"nfkc_lower_strip", false}} {
		if got := keeps["testdata/synthetic/"+want.file+".json"]; got != want.keep {
			t.Errorf("%s keeps bytes: %v, want %v", want.file, got, want.keep)
		}
	}
	for name, want := range map[string]bool{"llama2": false, "llama3": true, "qwen3": true, "gemma3": false, "deepseek_v3": true, "gptoss": true} {
		if path, ok := models[name]; ok && keeps[path] != want {
			t.Errorf("%s keeps bytes: %v, want %v", name, keeps[path], want)
		}
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
