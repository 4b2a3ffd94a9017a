package tokenizer

import (
	"container/heap"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
)

// TrainOptions configure Train.
type TrainOptions struct {
	// VocabSize is the size of the vocabulary to learn: the 256 bytes, the
	// merges and the special tokens together.
	VocabSize int
	// Pattern is the pre-tokenizer; merges never cross its pieces.
	Pattern Pattern
	// Special are special tokens, given the last ids.
	Special []string
	// Workers bounds the goroutines that pre-tokenize (0: GOMAXPROCS).
	Workers int
}

// Train learns a byte-level BPE from texts: ids 0..255 are the bytes (in
// GPT-2's order), then each merge adds the token of the most frequent
// adjacent pair of tokens within the pieces of the text (ties go to the
// smallest pair of ids), until the vocabulary has VocabSize tokens with
// the special tokens, or no pair is left.
//
// It runs the incremental algorithm: the texts are cut into pieces and
// counted once; each distinct piece ("word") is a sequence of tokens with a
// count; the count of every adjacent pair and the words it occurs in are
// indexed, and a max-heap orders the pairs by count. A merge rewrites only
// the words that hold its pair, and updates the counts of the pairs around
// each rewritten occurrence; a heap entry whose count has since fallen is
// pushed back with its current count when it surfaces. The cost of a merge
// is proportional to the occurrences it touches, not to the corpus.
func Train(texts [][]byte, opt TrainOptions) (*Tokenizer, error) {
	if opt.Pattern < GPT2 || int(opt.Pattern) >= len(patternRegexps) {
		return nil, fmt.Errorf("tokenizer: train: unknown pattern %v", opt.Pattern)
	}
	if least := 256 + len(opt.Special); opt.VocabSize < least {
		return nil, fmt.Errorf("tokenizer: train: vocabulary size %d is less than the 256 bytes and %d special tokens", opt.VocabSize, len(opt.Special))
	}
	special := map[string]int32{} // text → place after the learned tokens
	for k, s := range opt.Special {
		if _, dup := special[s]; dup {
			return nil, fmt.Errorf("tokenizer: train: special token %q is given twice", s)
		}
		special[s] = int32(k)
	}
	tokens := make([][]byte, 256, opt.VocabSize)
	vocab := make(map[string]int32, opt.VocabSize)
	var byteID [256]int32
	for id, b := range byteLevelOrder() {
		tokens[id], byteID[b], vocab[string([]byte{b})] = []byte{b}, int32(id), int32(id)
	}
	tr := newTrainer(countWords(texts, opt.Pattern, opt.Workers), byteID)
	table := map[uint64]uint64{}
	for len(tokens)+len(opt.Special) < opt.VocabSize {
		pair, ok := tr.best()
		if !ok {
			break
		}
		left, right := int32(pair>>32), int32(uint32(pair))
		merged := slices.Concat(tokens[left], tokens[right])
		id, exists := vocab[string(merged)] // two pairs can spell one token, as in Hugging Face's trainer
		if !exists {
			id = int32(len(tokens))
			tokens, vocab[string(merged)] = append(tokens, merged), id
		}
		table[pair] = uint64(len(table))<<32 | uint64(id)
		tr.merge(left, right, id)
	}
	for s, k := range special {
		special[s] = int32(len(tokens)) + k
	}
	return build(opt.Pattern, vocab, table, special, false)
}

// countWords counts the distinct pieces of texts, on workers goroutines.
func countWords(texts [][]byte, pattern Pattern, workers int) map[string]int64 {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var work [][]byte
	for _, text := range texts {
		work = append(work, chunks(text, 1<<20)...)
	}
	counts := make([]map[string]int64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			m := map[string]int64{}
			for i := w; i < len(work); i += workers {
				for p := range pattern.Pieces(work[i]) {
					m[string(p)]++
				}
			}
			counts[w] = m
		})
	}
	wg.Wait()
	total := counts[0]
	for _, m := range counts[1:] {
		for w, c := range m {
			total[w] += c
		}
	}
	return total
}

// trainer holds the words and the pair index of Train.
type trainer struct {
	words  [][]int32          // each distinct piece as tokens
	counts []int64            // how often each word occurs
	pairs  map[uint64]int64   // pair → occurrences, weighted by word count
	where  map[uint64][]int32 // pair → words that hold (or held) it
	heap   pairHeap
}

func newTrainer(wordCounts map[string]int64, byteID [256]int32) *trainer {
	tr := &trainer{pairs: map[uint64]int64{}, where: map[uint64][]int32{}}
	for _, w := range slices.Sorted(maps.Keys(wordCounts)) { // sorted: a deterministic index
		syms := make([]int32, len(w))
		for i := range len(w) {
			syms[i] = byteID[w[i]]
		}
		tr.words = append(tr.words, syms)
		tr.counts = append(tr.counts, wordCounts[w])
	}
	for wi, syms := range tr.words {
		for i := 0; i+1 < len(syms); i++ {
			tr.add(pairKey(syms[i], syms[i+1]), int32(wi), tr.counts[wi])
		}
	}
	for p, c := range tr.pairs {
		heap.Push(&tr.heap, pairCount{c, p})
	}
	return tr
}

// add changes the count of pair by delta (from word wi, indexed if delta > 0).
func (tr *trainer) add(pair uint64, wi int32, delta int64) {
	tr.pairs[pair] += delta
	if delta > 0 {
		if ws := tr.where[pair]; len(ws) == 0 || ws[len(ws)-1] != wi {
			tr.where[pair] = append(ws, wi)
		}
	}
}

// best pops the most frequent pair, skipping stale heap entries.
func (tr *trainer) best() (uint64, bool) {
	for len(tr.heap) > 0 {
		top := heap.Pop(&tr.heap).(pairCount)
		if c := tr.pairs[top.pair]; c != top.count {
			if c > 0 {
				heap.Push(&tr.heap, pairCount{c, top.pair})
			}
			continue
		}
		if top.count > 0 {
			return top.pair, true
		}
	}
	return 0, false
}

// merge replaces every occurrence of (left, right) by id, left to right
// within each word, and updates the counts of the neighbouring pairs.
func (tr *trainer) merge(left, right, id int32) {
	merged := pairKey(left, right)
	var grown []uint64
	for _, wi := range tr.where[merged] {
		syms, c := tr.words[wi], tr.counts[wi]
		out := syms[:0]
		for i := 0; i < len(syms); i++ {
			if i+1 < len(syms) && syms[i] == left && syms[i+1] == right {
				if len(out) > 0 {
					prev := out[len(out)-1]
					tr.add(pairKey(prev, left), wi, -c)
					tr.add(pairKey(prev, id), wi, c)
					grown = append(grown, pairKey(prev, id))
				}
				if i+2 < len(syms) {
					tr.add(pairKey(right, syms[i+2]), wi, -c)
					tr.add(pairKey(id, syms[i+2]), wi, c)
					grown = append(grown, pairKey(id, syms[i+2]))
				}
				out = append(out, id)
				i++
				continue
			}
			out = append(out, syms[i])
		}
		tr.words[wi] = out
	}
	delete(tr.pairs, merged)
	delete(tr.where, merged)
	for _, p := range grown {
		if c := tr.pairs[p]; c > 0 {
			heap.Push(&tr.heap, pairCount{c, p})
		}
	}
}

type pairCount struct {
	count int64
	pair  uint64
}

// pairHeap is a container/heap of pairs, the highest count on top, then the
// smallest pair. (The BPE merge loop has its own heap of plain integers:
// there the speed of the heap is the speed of encoding; here it is not.)
type pairHeap []pairCount

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	return h[i].count > h[j].count || h[i].count == h[j].count && h[i].pair < h[j].pair
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairCount)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
