package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// ggufVocabOf reads a real tokenizer.json as llama.cpp's converter would
// store it in a GGUF file (convert_hf_to_gguf.py's get_vocab_base): the
// tokens by id, added tokens as control (special) or user-defined, the
// merges as "left right" strings. pre "" or "no-prefix" makes a llama
// (SentencePiece) vocabulary, with or without the space prefix.
func ggufVocabOf(t *testing.T, path, pre string) GGUFVocab {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		Model struct {
			Vocab  map[string]int  `json:"vocab"`
			Merges json.RawMessage `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	n := len(f.Model.Vocab)
	for _, a := range f.AddedTokens {
		n = max(n, a.ID+1)
	}
	v := GGUFVocab{Model: "gpt2", Pre: pre, Tokens: make([]string, n), Types: make([]int64, n)}
	if pre == "" || pre == "no-prefix" {
		v.Model, v.Pre, v.NoSpacePrefix = "llama", "", pre == "no-prefix"
	}
	for i := range v.Tokens {
		v.Tokens[i], v.Types[i] = fmt.Sprintf("[PAD%d]", i), 5 // unused, as the converter pads
	}
	for s, id := range f.Model.Vocab {
		v.Tokens[id], v.Types[id] = s, 1
		if v.Model == "llama" && len(s) == 6 && strings.HasPrefix(s, "<0x") && strings.HasSuffix(s, ">") {
			v.Types[id] = 6
		}
	}
	for _, a := range f.AddedTokens {
		v.Tokens[a.ID], v.Types[a.ID] = a.Content, 4
		if a.Special {
			v.Types[a.ID] = 3
		}
		if a.Content == "<unk>" {
			v.Types[a.ID] = 2
		}
	}
	if err := json.Unmarshal(f.Model.Merges, &v.Merges); err != nil {
		v.Merges = nil
		var pairs [][2]string
		if err := json.Unmarshal(f.Model.Merges, &pairs); err != nil {
			t.Fatal(err)
		}
		for _, p := range pairs {
			v.Merges = append(v.Merges, p[0]+" "+p[1])
		}
	}
	if v.Model == "llama" {
		// SentencePiece scores, which tokenizer.model holds and
		// tokenizer.json does not: minus the rank of the first merge that
		// makes the token, as Hugging Face's converter ranked the merges
		// by the joined token's score; -1e9 for tokens no merge makes.
		v.Scores = make([]float32, n)
		for i := range v.Scores {
			v.Scores[i] = -1e9
		}
		for rank, m := range slices.Backward(v.Merges) {
			id := f.Model.Vocab[strings.Replace(m, " ", "", 1)]
			v.Scores[id] = -float32(rank)
		}
		v.Merges = nil
	}
	return v
}

// TestLoadGGUFModels builds the GGUF tokenizers of five real models from
// their tokenizer.json files: three gpt2 vocabularies under the pre names
// llama.cpp's converter gives them, and two llama (SentencePiece) ones
// (Llama 2's, with the space prefix, and Gemma 3's, without), with scores
// made from the merges' ranks (ggufVocabOf). It checks their ids against
// Hugging Face's (the goldens of TestPipelineModels). One difference is llama.cpp's and kept: it applies
// no normalizer to a BPE vocabulary, Qwen's NFC included, so for qwen3 the
// texts NFC changes are skipped (65 of the 1,677 differ with them).
func TestLoadGGUFModels(t *testing.T) {
	g, err := loadModelGoldens()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, pre string }{{"llama3", "llama-bpe"}, {"qwen3", "qwen2"}, {"deepseek_v3", "deepseek-v3"}, {"llama2", ""}, {"gemma3", "no-prefix"}} {
		t.Run(c.name, func(t *testing.T) {
			tok, err := LoadGGUF(ggufVocabOf(t, modelFile(t, c.name), c.pre))
			if err != nil {
				t.Fatal(err)
			}
			want := g.Models[c.name]
			texts := append(slices.Clip(g.Texts), want.Extra...)
			bad, checked := 0, 0
			for i, text := range texts {
				if c.name == "qwen3" && norm.NFC.String(text) != text {
					continue
				}
				checked++
				got, err := tok.EncodeSpecial([]byte(text), tok.SpecialTokens())
				if err != nil || !slices.Equal(got, want.IDs[i]) {
					if bad < 5 {
						t.Errorf("text %d %q: %v\n got %v\nwant %v", i, short([]rune(text)), err, short(got), short(want.IDs[i]))
					}
					bad++
				}
			}
			t.Logf("%d of %d texts checked, %d differ", checked, len(texts), bad)
		})
	}
}

// TestLoadGGUFPre checks on a byte-level vocabulary of single bytes that
// (token i is byte i) the pre name chooses the pieces: smollm isolates each digit before
// GPT-2's pattern, gpt-2 keeps " 123" whole, and a merge joins only
// within a piece.
func TestLoadGGUFPre(t *testing.T) {
	var tokens []string
	for b := range 256 {
		tokens = append(tokens, string(byteRunes[b]))
	}
	tokens = append(tokens, "12", "<|end|>")
	types := make([]int64, len(tokens))
	for i := range types {
		types[i] = 1
	}
	types[len(types)-1] = 3
	for _, c := range []struct {
		pre  string
		want []int32
	}{
		{"gpt-2", []int32{'a', ' ', 256, '3', 257}},
		{"smollm", []int32{'a', ' ', '1', '2', '3', 257}},
	} {
		tok, err := LoadGGUF(GGUFVocab{Model: "gpt2", Pre: c.pre, Tokens: tokens, Types: types, Merges: []string{"1 2"}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tok.EncodeSpecial([]byte("a 123<|end|>"), []string{"<|end|>"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("pre %q: %v, want %v", c.pre, got, c.want)
		}
	}
}

// TestLoadGGUFRefusals checks that what LoadGGUF cannot build is refused
// by name.
func TestLoadGGUFRefusals(t *testing.T) {
	ok := GGUFVocab{Model: "gpt2", Pre: "gpt-2", Tokens: []string{"a", "b", "ab"}, Merges: []string{"a b"}}
	for _, c := range []struct {
		edit func(v *GGUFVocab)
		want string
	}{
		{func(v *GGUFVocab) { v.Pre = "falcon" }, `tokenizer.ggml.pre "falcon" is not one xent knows`},
		{func(v *GGUFVocab) { v.Model = "llama" }, "scores has 0 entries for 3 tokens"},
		{func(v *GGUFVocab) { v.Model = "bert" }, `"bert" is not supported`},
		{func(v *GGUFVocab) { v.Types = []int64{1} }, "token_type has 1 entries for 3 tokens"},
		{func(v *GGUFVocab) { v.Tokens = []string{"a", "a"} }, `token 1 "a" repeats token 0`},
		{func(v *GGUFVocab) { v.Merges = []string{"ab"} }, `merges[0] "ab" is not two tokens`},
		{func(v *GGUFVocab) { v.Tokens = nil }, "tokens is empty"},
	} {
		v := ok
		c.edit(&v)
		_, err := LoadGGUF(v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
	if _, err := LoadGGUF(ok); err != nil {
		t.Errorf("the unedited vocabulary: %v", err)
	}
}
