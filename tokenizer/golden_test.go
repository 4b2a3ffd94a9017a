package tokenizer

import (
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"sync"
	"testing"
)

// goldens is testdata/goldens.json.gz, written by testdata/gen.mjs from
// tiktoken (npm, WASM) and gpt-3-encoder (npm).
type goldens struct {
	Cases []struct {
		Name  string `json:"name"`
		Text  string `json:"text"`  // the case, when valid UTF-8
		Hex   string `json:"hex"`   // the case's bytes, when not
		Valid string `json:"valid"` // invalid bytes replaced by U+FFFD, one per byte
	} `json:"cases"`
	Tiktoken      map[string][][]int32          `json:"tiktoken"`       // encoding → ids per case (of Valid for invalid cases)
	TiktokenBytes map[string]map[string][]int32 `json:"tiktoken_bytes"` // encoding → invalid case → ids of its bytes
	GPT3Encoder   [][]int32                     `json:"gpt3_encoder"`   // ids per case, of Valid for invalid ones
	HF            map[string][][]int32          `json:"hf"`             // tokenizer.json file → ids per case (of Valid), specials recognised
	Special       []struct {
		Encoding string   `json:"encoding"`
		Text     string   `json:"text"`
		Allowed  []string `json:"allowed"`
		IDs      []int32  `json:"ids"`
	} `json:"special"`
}

// text returns case i's bytes and the valid string the references saw.
func (g *goldens) text(i int) (raw []byte, valid string) {
	c := g.Cases[i]
	if c.Hex == "" {
		return []byte(c.Text), c.Text
	}
	raw, err := hex.DecodeString(c.Hex)
	if err != nil {
		panic(err)
	}
	return raw, c.Valid
}

var loadGoldens = sync.OnceValues(func() (*goldens, error) {
	f, err := os.Open("testdata/goldens.json.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	g := new(goldens)
	return g, json.NewDecoder(z).Decode(g)
})

func mustGoldens(t testing.TB) *goldens {
	t.Helper()
	g, err := loadGoldens()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func mustBuiltin(t testing.TB, name string) *Tokenizer {
	t.Helper()
	tok, err := Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTiktokenParity checks every corpus case, token for token, against
// tiktoken for the three built-in encodings; for invalid UTF-8 both the
// valid string tiktoken saw and the raw bytes (see gen.mjs).
func TestTiktokenParity(t *testing.T) {
	g := mustGoldens(t)
	for _, name := range BuiltinNames {
		t.Run(name, func(t *testing.T) {
			tok := mustBuiltin(t, name)
			for i, c := range g.Cases {
				raw, valid := g.text(i)
				want := g.Tiktoken[name][i]
				if got := tok.Encode([]byte(valid)); !slices.Equal(got, want) {
					t.Errorf("%s: %q\n got %v\nwant %v", c.Name, short([]rune(valid)), short(got), short(want))
				}
				if c.Hex == "" {
					continue
				}
				want = g.TiktokenBytes[name][c.Name]
				if got := tok.Encode(raw); !slices.Equal(got, want) {
					t.Errorf("%s (bytes): %x\n got %v\nwant %v", c.Name, raw, got, want)
				}
			}
		})
	}
}

// TestSpecialParity checks allowed special tokens against tiktoken.
func TestSpecialParity(t *testing.T) {
	g := mustGoldens(t)
	for _, c := range g.Special {
		tok := mustBuiltin(t, c.Encoding)
		got, err := tok.EncodeSpecial([]byte(c.Text), c.Allowed)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.IDs) {
			t.Errorf("%s %q allowed %q:\n got %v\nwant %v", c.Encoding, c.Text, c.Allowed, got, c.IDs)
		}
	}
}

// short abbreviates long values in failure messages.
func short[E any](s []E) []E {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}
