package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// An addedToken is a tokenizer.json "added_tokens" entry: text matched
// whole in the input before any pre-tokenizer sees it.
type addedToken struct {
	id                                          int32
	content                                     string
	special, singleWord, lstrip, rstrip, normal bool
}

// addedTrie finds added tokens in text, leftmost first and longest
// among those starting there (Aho-Corasick's LeftmostLongest, which Hugging
// Face uses), without overlaps.
type addedTrie struct {
	nodes []trieNode
	root  [256]int32 // the root's children (0: none), without a map lookup
}

type trieNode struct {
	next map[byte]int32
	tok  int32 // index into the pipeline's added tokens, or -1
}

func newAddedTrie() *addedTrie { return &addedTrie{nodes: []trieNode{{tok: -1}}} }

func (t *addedTrie) insert(pattern string, tok int32) {
	n := int32(0)
	for i := range len(pattern) {
		c := pattern[i]
		next, ok := t.nodes[n].next[c]
		if !ok {
			if t.nodes[n].next == nil {
				t.nodes[n].next = map[byte]int32{}
			}
			next = int32(len(t.nodes))
			t.nodes[n].next[c] = next
			t.nodes = append(t.nodes, trieNode{tok: -1})
			if n == 0 {
				t.root[c] = next
			}
		}
		n = next
	}
	if pattern != "" {
		t.nodes[n].tok = tok
	}
}

// longest returns the longest allowed token matching at s[i:] and its
// end, or -1.
func (t *addedTrie) longest(s string, i int, allowed func(int32) bool) (tok int32, end int) {
	tok, n := int32(-1), t.root[s[i]]
	if n == 0 {
		return -1, 0
	}
	if k := t.nodes[n].tok; k >= 0 && allowed(k) {
		tok, end = k, i+1
	}
	for j := i + 1; j < len(s); j++ {
		next, ok := t.nodes[n].next[s[j]]
		if !ok {
			break
		}
		n = next
		if k := t.nodes[n].tok; k >= 0 && allowed(k) {
			tok, end = k, j+1
		}
	}
	return tok, end
}

// A found added token: where it lies in the text (after lstrip and rstrip
// took the white space around it) and which it is.
type found struct {
	start, end int
	tok        int32
}

// find returns the added tokens in s as Hugging Face's
// AddedVocabulary::find_matches does: single_word tokens only between
// non-word characters, lstrip and rstrip taking the white space on their
// side (never into an earlier match).
func (t *addedTrie) find(s string, added []addedToken, allowed func(int32) bool) []found {
	var out []found
	if len(t.nodes) == 1 {
		return nil
	}
	startOffset := 0
	for i := 0; i < len(s); {
		for i < len(s) && t.root[s[i]] == 0 {
			i++ // no token starts with this byte: skip it without a call
		}
		if i == len(s) {
			break
		}
		k, end := t.longest(s, i, allowed)
		if k < 0 {
			i++
			continue
		}
		a := added[k]
		start, stop := i, end
		if a.singleWord {
			before, _ := utf8.DecodeLastRuneInString(s[:start])
			after, _ := utf8.DecodeRuneInString(s[stop:])
			if start > 0 && isWordChar(before) || stop < len(s) && isWordChar(after) {
				i = end // the search goes on after the match, as Aho-Corasick's does
				continue
			}
		}
		if a.lstrip {
			j := start
			for j > 0 {
				r, n := utf8.DecodeLastRuneInString(s[:j])
				if !unicode.IsSpace(r) {
					break
				}
				j -= n
			}
			start = max(j, startOffset)
		}
		if a.rstrip {
			for stop < len(s) {
				r, n := utf8.DecodeRuneInString(s[stop:])
				if !unicode.IsSpace(r) {
					break
				}
				stop += n
			}
		}
		out = append(out, found{start, stop, k})
		startOffset = stop
		i = end
	}
	return out
}
