package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// FuzzCutsExact checks that the BPE model of the real SentencePiece files
// (Llama 2, Gemma 3), which see a whole text as one word, gives the same
// ids when encode cuts a long word where no merge reaches across and
// serves its pieces from the caches as when merge takes the word whole,
// and the same on a second call, from the caches. Skipped without the npm
// cache.
//
//	nice go test ./tokenizer -run '^$' -fuzz FuzzCutsExact -fuzztime 1m
func FuzzCutsExact(f *testing.F) {
	for _, s := range []string{
		"▁It▁is▁a▁truth▁universally▁acknowledged,▁that▁a▁single▁man▁in▁possession▁of▁a▁good▁fortune",
		"▁▁▁x▁▁y\n\n▁z.▁▁Ω▁€▁😀▁\u0301▁",
		strings.Repeat("ab▁c d\n", 40),
		strings.Repeat("▁", 70) + "é\u0301▁x",
	} {
		f.Add(s)
	}
	toks, err := realTokenizers()
	if err != nil {
		f.Fatal(err)
	}
	var models []*bpeModel
	for _, name := range []string{"llama2", "gemma3"} {
		if tok := toks[name]; tok != nil && tok.pipe != nil {
			models = append(models, tok.pipe.model)
		}
	}
	if len(models) == 0 {
		modelFile(f, "gemma3") // skips, saying how to get them, or fails under CI
	}
	f.Fuzz(func(t *testing.T, word string) {
		word = validUTF8([]byte(word))
		for _, m := range models {
			want := m.merge(word, new(bpeState), nil)
			s := m.state()
			for call := range 2 {
				if got := m.encode(word, s, nil); !slices.Equal(got, want) {
					t.Fatalf("call %d: encode(%q) = %v, merged whole %v", call, word, got, want)
				}
			}
			m.putState(s)
		}
	})
}
