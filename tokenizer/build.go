package tokenizer

import (
	"fmt"
	"maps"
	"slices"
)

// build assembles a Tokenizer. vocab maps the bytes of each ordinary token
// to its id; table is the merge table (pairKey → rank<<32 | merged token);
// special maps the special tokens' texts to their ids. With wholePieces, a
// piece that is a token encodes as that token without merging.
//
// Ids may leave holes (tiktoken's do), but not so many that the id → bytes
// table would dwarf the vocabulary: a corrupt or hostile file must not make
// a loader allocate gigabytes.
func build(pattern Pattern, vocab map[string]int32, table map[uint64]uint64, special map[string]int32, wholePieces bool) (*Tokenizer, error) {
	if pattern < GPT2 || int(pattern) >= len(patternRegexps) {
		return nil, fmt.Errorf("tokenizer: unknown pattern %v", pattern)
	}
	t := &Tokenizer{pattern: pattern, merges: merges{table: table}, special: map[string]int32{}}
	n := len(vocab) + len(special)
	place := func(what string, id int32, b []byte) error {
		if id < 0 || int(id) >= 2*n+1024 {
			return fmt.Errorf("tokenizer: %s %q has id %d, out of range for a vocabulary of %d tokens", what, b, id, n)
		}
		for int(id) >= len(t.tokens) {
			t.tokens = append(t.tokens, nil)
		}
		if t.tokens[id] != nil {
			return fmt.Errorf("tokenizer: tokens %q and %q share id %d", t.tokens[id], b, id)
		}
		t.tokens[id] = b
		return nil
	}
	for s, id := range vocab {
		if err := place("token", id, []byte(s)); err != nil {
			return nil, err
		}
	}
	var haveByte [256]bool
	for id, b := range t.tokens {
		if len(b) == 1 {
			t.merges.byteToken[b[0]], haveByte[b[0]] = int32(id), true
		}
	}
	if b := slices.Index(haveByte[:], false); b >= 0 {
		return nil, fmt.Errorf("tokenizer: the vocabulary has no token for the byte 0x%02x; a byte-level BPE needs all 256", b)
	}
	for _, name := range slices.Sorted(maps.Keys(special)) {
		if name == "" {
			return nil, fmt.Errorf("tokenizer: special token %d has empty text", special[name])
		}
		if err := place("special token", special[name], []byte(name)); err != nil {
			return nil, err
		}
		t.special[name] = special[name]
	}
	if wholePieces {
		t.wholePieces = vocab
	}
	return t, nil
}
