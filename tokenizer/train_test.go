package tokenizer

import (
	"bytes"
	"compress/gzip"
	"io"
	"maps"
	"os"
	"slices"
	"testing"
)

// prose returns testdata/prose.txt.gz, English prose (237 KB of licenses).
func prose(t testing.TB) []byte {
	t.Helper()
	f, err := os.Open("testdata/prose.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trainSmall trains a 1,000-token vocabulary on the first 64 KB of prose.
func trainSmall(t testing.TB) *Tokenizer {
	t.Helper()
	tok, err := Train([][]byte{prose(t)[:64<<10]}, TrainOptions{VocabSize: 1000, Special: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// naiveMerges is the textbook trainer, recounting every pair for every
// merge: the reference for Train's incremental bookkeeping.
func naiveMerges(text []byte, pattern Pattern, merges int) [][2]string {
	order := byteLevelOrder()
	var byteID [256]int32
	for id, b := range order {
		byteID[b] = int32(id)
	}
	tokens := map[int32][]byte{}
	ids := map[string]int32{}
	for id, b := range order {
		tokens[int32(id)], ids[string([]byte{b})] = []byte{b}, int32(id)
	}
	counts := map[string]int64{}
	for p := range pattern.Pieces(text) {
		counts[string(p)]++
	}
	var words [][]int32
	var weights []int64
	for _, w := range slices.Sorted(maps.Keys(counts)) {
		syms := make([]int32, len(w))
		for i := range len(w) {
			syms[i] = byteID[w[i]]
		}
		words, weights = append(words, syms), append(weights, counts[w])
	}
	var out [][2]string
	for len(out) < merges {
		pairs := map[[2]int32]int64{}
		for wi, syms := range words {
			for i := 0; i+1 < len(syms); i++ {
				pairs[[2]int32{syms[i], syms[i+1]}] += weights[wi]
			}
		}
		if len(pairs) == 0 {
			break
		}
		best := slices.MinFunc(slices.Collect(maps.Keys(pairs)), func(a, b [2]int32) int {
			if pairs[a] != pairs[b] {
				return int(pairs[b] - pairs[a])
			}
			return slices.Compare(a[:], b[:])
		})
		merged := slices.Concat(tokens[best[0]], tokens[best[1]])
		next, ok := ids[string(merged)]
		if !ok {
			next = int32(len(tokens))
			tokens[next], ids[string(merged)] = merged, next
		}
		for wi, syms := range words {
			var w []int32
			for i := 0; i < len(syms); i++ {
				if i+1 < len(syms) && syms[i] == best[0] && syms[i+1] == best[1] {
					w = append(w, next)
					i++
				} else {
					w = append(w, syms[i])
				}
			}
			words[wi] = w
		}
		out = append(out, [2]string{string(tokens[best[0]]), string(tokens[best[1]])})
	}
	return out
}

// mergeList returns a tokenizer's merges in priority order, as byte pairs.
func mergeList(tok *Tokenizer) [][2]string {
	type m struct{ key, val uint64 }
	var all []m
	for k, v := range tok.merges.table {
		all = append(all, m{k, v})
	}
	slices.SortFunc(all, func(a, b m) int { return int(a.val>>32) - int(b.val>>32) })
	out := make([][2]string, len(all))
	for i, x := range all {
		out[i] = [2]string{string(tok.tokens[x.key>>32]), string(tok.tokens[uint32(x.key)])}
	}
	return out
}

// TestTrainMatchesNaive checks the incremental trainer against the naive
// one, merge for merge, for each pattern.
func TestTrainMatchesNaive(t *testing.T) {
	text := prose(t)[:12<<10]
	text = append(text, "aaaa aaaaaaa abababab 'S'S 中文中文中文 1234567 \r\n\r\n  x"...)
	for _, p := range []Pattern{GPT2, CL100K, O200K} {
		tok, err := Train([][]byte{text}, TrainOptions{VocabSize: 256 + 300, Pattern: p, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		got, want := mergeList(tok), naiveMerges(text, p, 300)
		if !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("pattern %d: merge %d is %q, want %q", p, i, got[i], want[i])
				}
			}
			t.Fatalf("pattern %d: %d merges, want %d", p, len(got), len(want))
		}
	}
}

// TestTrain checks the vocabulary size, the special token, determinism
// across worker counts, and that text round-trips.
func TestTrain(t *testing.T) {
	tok := trainSmall(t)
	if tok.VocabSize() != 1000 || !slices.Equal(tok.SpecialTokens(), []string{"<|endoftext|>"}) {
		t.Fatalf("vocab size %d, specials %q", tok.VocabSize(), tok.SpecialTokens())
	}
	if id, err := tok.EncodeSpecial([]byte("<|endoftext|>"), []string{"<|endoftext|>"}); err != nil || !slices.Equal(id, []int32{999}) {
		t.Errorf("special token: %v %v", id, err)
	}
	one, err := Train([][]byte{prose(t)[:64<<10]}, TrainOptions{VocabSize: 1000, Special: []string{"<|endoftext|>"}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mergeList(one), mergeList(tok)) {
		t.Error("1 worker and GOMAXPROCS workers learn different merges")
	}
	text := prose(t)[64<<10 : 80<<10]
	ids := tok.Encode(text)
	back, err := tok.Decode(ids)
	if err != nil || !bytes.Equal(back, text) {
		t.Fatalf("round trip: %v", err)
	}
	if ratio := float64(len(text)) / float64(len(ids)); ratio < 2.4 {
		t.Errorf("%.2f bytes per token on held-out prose; a 1,000-token BPE should compress better", ratio)
	}
	// A tiny corpus runs out of pairs before the size is reached.
	small, err := Train([][]byte{[]byte("abab")}, TrainOptions{VocabSize: 1000})
	if err != nil || small.VocabSize() != 256+2 {
		t.Errorf("tiny corpus: vocab size %d, %v; want 258", small.VocabSize(), err)
	}
	for _, opt := range []TrainOptions{{VocabSize: 100}, {VocabSize: 300, Pattern: 7}, {VocabSize: 300, Special: []string{"x", "x"}}} {
		if _, err := Train(nil, opt); err == nil {
			t.Errorf("%+v: no error", opt)
		}
	}
}
