package tokenizer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// endOfText is GPT-2's one special token.
const endOfText = "<|endoftext|>"

// LoadGPT2 reads GPT-2's original vocabulary files: encoder.json (token
// spelling → id, in the byte-level alphabet) and vocab.bpe (a "#version"
// line, then one merge "left right" per line, highest priority first). The
// pattern is GPT2; <|endoftext|>, if in encoder.json, is the special token.
// Every piece is merged as GPT-2's encoder.py merges it (no whole-piece
// shortcut).
func LoadGPT2(encoderJSON, vocabBPE io.Reader) (*Tokenizer, error) {
	var enc map[string]int32
	if err := json.NewDecoder(encoderJSON).Decode(&enc); err != nil {
		return nil, fmt.Errorf("tokenizer: encoder.json: %w", err)
	}
	vocab := map[string]int32{}
	special := map[string]int32{}
	for s, id := range enc {
		if s == endOfText {
			special[s] = id
		} else {
			vocab[s] = id
		}
	}
	var merges [][2]string
	sc := bufio.NewScanner(vocabBPE)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if line == 1 && strings.HasPrefix(text, "#version") || strings.TrimSpace(text) == "" {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 2 {
			return nil, fmt.Errorf("tokenizer: vocab.bpe line %d: want \"left right\", got %.40q", line, text)
		}
		merges = append(merges, [2]string{fields[0], fields[1]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokenizer: vocab.bpe: %w", err)
	}
	return fromMerges(GPT2, vocab, merges, special, false)
}

// gpt2FileNames are the names of GPT-2's two files: OpenAI's, and Hugging
// Face's for the same contents.
var gpt2FileNames = [][2]string{{"encoder.json", "vocab.bpe"}, {"vocab.json", "merges.txt"}}

// LoadGPT2Dir loads GPT-2's files from dir: encoder.json and vocab.bpe, or
// else vocab.json and merges.txt, Hugging Face's names for them.
func LoadGPT2Dir(dir string) (*Tokenizer, error) {
	names := gpt2FileNames[0]
	for _, n := range gpt2FileNames {
		if _, err := os.Stat(filepath.Join(dir, n[0])); err == nil {
			names = n
			break
		}
	}
	enc, err := os.Open(filepath.Join(dir, names[0]))
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w (nor is there %s)", err, gpt2FileNames[1][0])
	}
	defer enc.Close()
	bpe, err := os.Open(filepath.Join(dir, names[1]))
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer bpe.Close()
	t, err := LoadGPT2(bufio.NewReader(enc), bufio.NewReader(bpe))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return t, nil
}

// fromMerges builds a tokenizer from a byte-level vocabulary (spelling → id)
// and its merge list in priority order, as GPT-2's files and Hugging Face's
// tokenizer.json give them.
func fromMerges(pattern Pattern, vocab map[string]int32, mergeList [][2]string, special map[string]int32, wholePieces bool) (*Tokenizer, error) {
	ids := make(map[string]int32, len(vocab))
	for s, id := range vocab {
		b, err := byteLevelDecode(s)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: vocabulary: %w", err)
		}
		ids[string(b)] = id
	}
	table := make(map[uint64]uint64, len(mergeList))
	for rank, m := range mergeList {
		left, okL := vocab[m[0]]
		right, okR := vocab[m[1]]
		merged, okM := vocab[m[0]+m[1]]
		if !okL || !okR || !okM {
			return nil, fmt.Errorf("tokenizer: merge %d (%q %q): %q, %q and their concatenation must all be in the vocabulary", rank, m[0], m[1], m[0], m[1])
		}
		if _, dup := table[pairKey(left, right)]; !dup { // the first of duplicates wins
			table[pairKey(left, right)] = uint64(rank)<<32 | uint64(uint32(merged))
		}
	}
	return build(pattern, ids, table, special, wholePieces)
}
