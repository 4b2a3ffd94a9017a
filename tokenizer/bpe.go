package tokenizer

import "strings"

// merges is the merge table of a byte-level BPE: which adjacent token pairs
// merge, in which order, into which token.
type merges struct {
	byteToken [256]int32        // the token of each single byte
	table     map[uint64]uint64 // pairKey(left, right) → rank<<32 | merged token
}

func pairKey(left, right int32) uint64 { return uint64(uint32(left))<<32 | uint64(uint32(right)) }

// rank returns the rank and merged token of the pair (left, right).
func (m *merges) rank(left, right int32) (rank uint32, merged int32, ok bool) {
	v, ok := m.table[pairKey(left, right)]
	return uint32(v >> 32), int32(uint32(v)), ok
}

// dead marks a merged-away node of a piece; no pair with it has a rank.
const dead = -1

// bpeState is the scratch space of one merge loop, reused across pieces.
//
// The piece is a linked list of nodes, one per byte to start with: node i
// holds a token and the index of the next live node. A min-heap holds the
// candidate merges as rank<<32 | node, so that the lowest rank pops first
// and, among equal ranks, the leftmost node. A popped candidate is checked
// against the current list (its pair may have changed since it was pushed)
// and skipped if stale. The heap is written out for plain integers, not
// container/heap, because it is the inner loop of encoding. Each merge pushes at most two new candidates, so a
// piece of n bytes takes O(n log n).
type bpeState struct {
	tok  []int32
	next []int32
	prev []int32
	heap []uint64
	// words and raws cache the ids of words (bpeModel.encodeWord) and of
	// raw pieces (bpeModel.encodeRaw) for the call that holds the state:
	// plain maps, in front of the model's shared caches.
	words, raws map[string][]int32
}

// remember puts word's ids in the cache *c, making it if need be, and
// emptying it first when it holds callCacheMax words, so that a long text
// with many distinct words keeps it bounded; the key is copied, as word
// may point into a long text.
func (s *bpeState) remember(c *map[string][]int32, word string, ids []int32) {
	if *c == nil {
		*c = map[string][]int32{}
	}
	if len(*c) >= callCacheMax {
		clear(*c)
	}
	(*c)[strings.Clone(word)] = ids
}

// encode appends the tokens of piece (len(piece) ≥ 1) to out.
func (m *merges) encode(piece []byte, s *bpeState, out []int32) []int32 {
	n := len(piece)
	if n == 1 {
		return append(out, m.byteToken[piece[0]])
	}
	s.reset(n)
	for i, b := range piece {
		s.tok[i] = m.byteToken[b]
	}
	return m.mergeAll(s, out)
}

// reset makes s a list of n nodes, linked in order; the caller sets tok.
func (s *bpeState) reset(n int) {
	s.tok, s.next, s.prev, s.heap = grow(s.tok, n), grow(s.next, n), grow(s.prev, n), s.heap[:0]
	for i := range n {
		s.next[i], s.prev[i] = int32(i+1), int32(i-1)
	}
}

// mergeAll merges the tokens s.tok (set up by reset) by rank and appends
// the result to out.
func (m *merges) mergeAll(s *bpeState, out []int32) []int32 {
	n := len(s.tok)
	for i := 0; i+1 < n; i++ {
		s.push(m, int32(i), int32(i+1))
	}
	for len(s.heap) > 0 {
		e := s.pop()
		p := int32(uint32(e))
		q := s.next[p]
		if s.tok[p] == dead || int(q) >= n {
			continue
		}
		rank, merged, ok := m.rank(s.tok[p], s.tok[q])
		if !ok || rank != uint32(e>>32) {
			continue // stale: the pair at p changed after this was pushed
		}
		s.tok[p], s.tok[q] = merged, dead
		s.next[p] = s.next[q]
		if int(s.next[p]) < n {
			s.prev[s.next[p]] = p
			s.push(m, p, s.next[p])
		}
		if s.prev[p] >= 0 {
			s.push(m, s.prev[p], p)
		}
	}
	for i := int32(0); int(i) < n; i = s.next[i] {
		out = append(out, s.tok[i])
	}
	return out
}

func grow(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n, 2*n)
	}
	return s[:n]
}

// push adds the pair of nodes (p, q) to the heap if it has a rank.
func (s *bpeState) push(m *merges, p, q int32) {
	rank, _, ok := m.rank(s.tok[p], s.tok[q])
	if !ok {
		return
	}
	h := append(s.heap, uint64(rank)<<32|uint64(uint32(p)))
	for i := len(h) - 1; i > 0; { // sift up
		parent := (i - 1) / 2
		if h[parent] <= h[i] {
			break
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
	s.heap = h
}

// pop removes and returns the heap's minimum.
func (s *bpeState) pop() uint64 {
	h := s.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; { // sift down
		l, small := 2*i+1, i
		if l < len(h) && h[l] < h[small] {
			small = l
		}
		if r := l + 1; r < len(h) && h[r] < h[small] {
			small = r
		}
		if small == i {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	s.heap = h
	return top
}
