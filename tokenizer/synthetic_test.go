package tokenizer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"slices"
	"sort"
	"testing"
)

// TestPipelineSynthetic checks the stages and options that the real files
// do not use, each in a small tokenizer.json of our own
// (testdata/synthetic/, written with its goldens by gen_synthetic.mjs from
// Hugging Face's tokenizers 0.23.2).
func TestPipelineSynthetic(t *testing.T) {
	f, err := os.Open("testdata/synthetic.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Texts []string `json:"texts"`
		Files map[string]struct {
			IDs         [][]int32 `json:"ids"`
			IDsSpecial  [][]int32 `json:"ids_special"`
			Decoded     []string  `json:"decoded"`
			DecodedSkip []string  `json:"decoded_skip"`
		} `json:"files"`
	}
	if err := json.NewDecoder(z).Decode(&g); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(g.Files))
	for name := range g.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := g.Files[name]
		t.Run(name, func(t *testing.T) {
			p, err := LoadPipelineFile("testdata/synthetic/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			// The same file as a Tokenizer, which takes the byte-level fast
			// path where it can (sequence_template): its Template around
			// its ids are the ids with the special tokens.
			tok, err := LoadHFFile("testdata/synthetic/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			before, after := tok.Template()
			if name == "sequence_template" {
				if tok.pipe != nil {
					t.Error("a byte-level file with a Sequence post-processor did not take the fast path")
				}
				var buf bytes.Buffer
				if err := tok.SaveHF(&buf); err != nil {
					t.Fatal(err)
				}
				back, err := LoadHF(&buf)
				if err != nil {
					t.Fatal(err)
				}
				if b, a := back.Template(); !slices.Equal(b, before) || !slices.Equal(a, after) || len(b) != 1 || len(a) != 1 {
					t.Errorf("template %v %v, saved and read back %v %v", before, after, b, a)
				}
			}
			for i, text := range g.Texts {
				got, err := p.Encode([]byte(text), EncodeOptions{AllowAll: true})
				if err != nil || !slices.Equal(got, want.IDs[i]) {
					t.Errorf("%d %q: ids\n got %v\nwant %v", i, short([]rune(text)), short(got), short(want.IDs[i]))
				}
				got, err = p.Encode([]byte(text), EncodeOptions{AllowAll: true, AddSpecial: true})
				if err != nil || !slices.Equal(got, want.IDsSpecial[i]) {
					t.Errorf("%d %q: ids with special tokens\n got %v\nwant %v", i, short([]rune(text)), short(got), short(want.IDsSpecial[i]))
				}
				got, err = tok.EncodeSpecial([]byte(text), tok.SpecialTokens())
				got = slices.Concat(before, got, after)
				if err != nil || !slices.Equal(got, want.IDsSpecial[i]) {
					t.Errorf("%d %q: Tokenizer: template and ids\n got %v\nwant %v", i, short([]rune(text)), short(got), short(want.IDsSpecial[i]))
				}
				if dec, err := p.Decode(want.IDsSpecial[i], false); err != nil || dec != want.Decoded[i] {
					t.Errorf("%d %q: decode %q, want %q (%v)", i, short([]rune(text)), dec, want.Decoded[i], err)
				}
				if dec, err := p.Decode(want.IDsSpecial[i], true); err != nil || dec != want.DecodedSkip[i] {
					t.Errorf("%d %q: decode skipping special tokens %q, want %q (%v)", i, short([]rune(text)), dec, want.DecodedSkip[i], err)
				}
			}
		})
	}
}
