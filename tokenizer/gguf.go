package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// GGUFVocab is the tokenizer a GGUF file carries in its "tokenizer.ggml.*"
// keys, as llama.cpp's loader reads them (llama_vocab::impl::load in
// src/llama-vocab.cpp at the llama.cpp commit format/gguf's doc names).
// The caller reads the keys (modeldir does, from a gguf.File), so that
// this package needs no GGUF reader.
type GGUFVocab struct {
	Model  string   // tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama" (SentencePiece)
	Pre    string   // tokenizer.ggml.pre: the pre-tokenizer's name (ggufPre)
	Tokens []string // tokenizer.ggml.tokens: id → spelling (byte-level alphabet for gpt2)
	// Types is tokenizer.ggml.token_type (llama_token_attr's older
	// numbering: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
	// 6 byte); nil means all normal.
	Types  []int64
	Merges []string // tokenizer.ggml.merges (gpt2): "left right", highest priority first
	// Scores is tokenizer.ggml.scores (llama): a SentencePiece merge joins
	// the pair whose joined token scores highest.
	Scores []float32
	// NoSpacePrefix is tokenizer.ggml.add_space_prefix false (llama):
	// llama.cpp puts "▁" before a text unless it is.
	NoSpacePrefix bool
}

// GGUF token types (llama.cpp's LLAMA_TOKEN_TYPE_*).
const (
	ggufUnknown     = 2
	ggufControl     = 3
	ggufUserDefined = 4
	ggufByte        = 6
)

// ggufPre maps the tokenizer.ggml.pre names llama.cpp gives the families
// xent models to its pre-tokenizer: the regexes of
// llm_tokenizer_bpe's constructor (src/llama-vocab.cpp), each a Split
// that isolates its matches, applied in turn, and whether its BPE looks a
// whole piece up in the vocabulary before merging (ignore_merges; llama.cpp
// sets it for LLAMA_VOCAB_PRE_TYPE_LLAMA3 only), and whether the
// vocabulary puts BOS before a text when the file has no
// tokenizer.ggml.add_bos_token (llama.cpp's add_bos, again set for
// LLAMA3 only). Other names are refused.
var ggufPre = map[string]struct {
	regexes      []string
	ignoreMerges bool
	addBOS       bool
}{
	"llama-bpe":   {regexes: []string{llama3Regex}, ignoreMerges: true, addBOS: true},
	"llama3":      {regexes: []string{llama3Regex}, ignoreMerges: true, addBOS: true},
	"llama-v3":    {regexes: []string{llama3Regex}, ignoreMerges: true, addBOS: true},
	"falcon3":     {regexes: []string{llama3Regex}, ignoreMerges: true, addBOS: true},
	"qwen2":       {regexes: []string{qwen2Regex}},
	"gpt-2":       {regexes: []string{gpt2Regex}},
	"smollm":      {regexes: []string{`\p{N}`, gpt2Regex}},
	"deepseek-v3": {regexes: []string{`\p{N}{1,3}`, "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+", "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"}},
}

const (
	gpt2Regex   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
	llama3Regex = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Regex  = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// GGUFPreNames are the tokenizer.ggml.pre names LoadGGUF knows, sorted.
func GGUFPreNames() []string {
	names := make([]string, 0, len(ggufPre))
	for n := range ggufPre {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// GGUFPreAddsBOS says whether llama.cpp puts BOS before a text for a gpt2
// vocabulary of the pre name pre when the file has no
// tokenizer.ggml.add_bos_token: for the Llama 3 names, not for the others.
func GGUFPreAddsBOS(pre string) bool { return ggufPre[pre].addBOS }

// LoadGGUF builds the tokenizer of a GGUF file from its vocabulary, as
// the tokenizer.json it stands for, read by LoadHF (so one BPE
// implementation serves all). In both kinds the control, unknown and
// user-defined tokens are added tokens (the user-defined ones not
// special), matched before anything else, as llama.cpp matches them.
//
// A gpt2 model: the tokens as the BPE vocabulary, the merges, the pre
// name's Splits followed by a ByteLevel without its own regex. No
// normalizer is applied, as llama.cpp applies none to a BPE vocabulary
// (Qwen's tokenizer.json has NFC; on NFC text, which nearly all text is,
// the two agree).
//
// A llama model: see sentencePieceFile.
func LoadGGUF(v GGUFVocab) (*Tokenizer, error) {
	switch v.Model {
	case "gpt2", "llama":
	default:
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.model %q is not supported (only \"gpt2\" and \"llama\")", v.Model)
	}
	pre, ok := ggufPre[v.Pre]
	if !ok && v.Model == "gpt2" {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.pre %q is not one xent knows (%s)", v.Pre, strings.Join(GGUFPreNames(), ", "))
	}
	if v.Model == "llama" && len(v.Scores) != len(v.Tokens) {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.scores has %d entries for %d tokens", len(v.Scores), len(v.Tokens))
	}
	if len(v.Tokens) == 0 {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.tokens is empty")
	}
	if v.Types != nil && len(v.Types) != len(v.Tokens) {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.token_type has %d entries for %d tokens", len(v.Types), len(v.Tokens))
	}
	vocab := make(map[string]int, len(v.Tokens))
	addedTokens := []hfAddedToken{}
	for id, s := range v.Tokens {
		if prev, dup := vocab[s]; dup {
			return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.tokens: token %d %q repeats token %d", id, s, prev)
		}
		vocab[s] = id
		if v.Types != nil && (v.Types[id] == ggufControl || v.Types[id] == ggufUserDefined || v.Types[id] == ggufUnknown) {
			addedTokens = append(addedTokens, hfAddedToken{ID: int32(id), Content: s, Special: v.Types[id] != ggufUserDefined})
		}
	}
	file := map[string]any{"version": "1.0", "added_tokens": addedTokens, "post_processor": nil}
	if v.Model == "llama" {
		sentencePieceFile(file, v, vocab)
	} else {
		for i, m := range v.Merges {
			if strings.Count(m, " ") != 1 {
				return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.merges[%d] %q is not two tokens separated by one space", i, m)
			}
		}
		pres := make([]any, 0, len(pre.regexes)+1)
		for _, re := range pre.regexes {
			pres = append(pres, map[string]any{"type": "Split", "pattern": map[string]string{"Regex": re}, "behavior": "Isolated", "invert": false})
		}
		pres = append(pres, map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false})
		file["normalizer"] = nil
		file["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": pres}
		file["decoder"] = map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}
		file["model"] = map[string]any{"type": "BPE", "vocab": vocab, "merges": slices.Clip(v.Merges),
			"ignore_merges": pre.ignoreMerges, "byte_fallback": false, "fuse_unk": false}
	}
	data, err := json.Marshal(file)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: GGUF vocabulary: %w", err)
	}
	t, err := LoadHF(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("tokenizer: GGUF vocabulary (%s, pre %q): %w", v.Model, v.Pre, err)
	}
	return t, nil
}

// sentencePieceFile fills file with the tokenizer.json of a llama (SentencePiece)
// vocabulary as llama.cpp's llm_tokenizer_spm tokenizes: spaces written
// "▁" and one put before the text (unless NoSpacePrefix), then pieces
// joined pair by pair, always the adjacent pair whose joined text is a
// token of the highest score (the leftmost of equals), and what no token
// spells falls back to its bytes' <0xXX> tokens (or the unknown token). A
// BPE whose merges are every split of every token into two tokens, ranked
// by the joined token's score, merges the same: Hugging Face's converter
// of SentencePiece models makes Llama 2's tokenizer.json the same way.
func sentencePieceFile(file map[string]any, v GGUFVocab, vocab map[string]int) {
	type merge struct {
		left, right string
		score       float32
		id          int
	}
	var merges []merge
	unk, byteFallback := "", false
	for id, s := range v.Tokens {
		typ := int64(1)
		if v.Types != nil {
			typ = v.Types[id]
		}
		switch typ {
		case ggufUnknown:
			if unk == "" {
				unk = s
			}
			continue
		case ggufByte:
			byteFallback = true
			continue
		case ggufControl:
			continue
		}
		for i := range s {
			if i == 0 {
				continue
			}
			if _, ok := vocab[s[:i]]; !ok {
				continue
			}
			if _, ok := vocab[s[i:]]; ok {
				merges = append(merges, merge{s[:i], s[i:], v.Scores[id], id})
			}
		}
	}
	sort.SliceStable(merges, func(a, b int) bool {
		if merges[a].score != merges[b].score {
			return merges[a].score > merges[b].score
		}
		return merges[a].id < merges[b].id
	})
	pairs := make([][2]string, len(merges))
	for i, m := range merges {
		pairs[i] = [2]string{m.left, m.right}
	}
	norms := []any{map[string]any{"type": "Replace", "pattern": map[string]string{"String": " "}, "content": "\u2581"}}
	decoders := []any{
		map[string]any{"type": "Replace", "pattern": map[string]string{"String": "\u2581"}, "content": " "},
		map[string]any{"type": "ByteFallback"}, map[string]any{"type": "Fuse"},
	}
	if !v.NoSpacePrefix {
		norms = append([]any{map[string]any{"type": "Prepend", "prepend": "\u2581"}}, norms...)
		decoders = append(decoders, map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 0})
	}
	file["normalizer"] = map[string]any{"type": "Sequence", "normalizers": norms}
	file["pre_tokenizer"] = nil
	file["decoder"] = map[string]any{"type": "Sequence", "decoders": decoders}
	model := map[string]any{"type": "BPE", "vocab": vocab, "merges": pairs, "fuse_unk": true, "byte_fallback": byteFallback}
	if unk != "" {
		model["unk_token"] = unk
	}
	file["model"] = model
}
