package modeldir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/tokenizer"
)

// exportedVocab names the vocabulary exportVocab wrote.
type exportedVocab struct{ model, pre string }

// vocabCheckTexts are the texts on which an exported vocabulary must give
// the model's tokenizer's ids: llama.cpp's own check text (chktxt in
// convert_hf_to_gguf.py's get_vocab_base_pre, by which the converter
// recognises a pre-tokenizer) and a few more, NFC-normalised (llama.cpp
// applies no normalizer to a BPE vocabulary, and Qwen's NFC changes
// nothing on NFC text).
var vocabCheckTexts = []string{
	"\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
	"Hello world",
	" Hello  world",
	"The GGUF file's tokenizer: 12345 tokens, don't   split\n\twrongly ünïcödé 😀.",
	"x = [1, 22, 333];\n\n\nfor (i = 0; i < 10; i++) { y += i * 2.5; }",
	"日本語のテキスト、中文文本，한국어 텍스트。",
}

// exportVocab writes the model's tokenizer as tokenizer.ggml.* keys, as
// the converter's get_vocab_base (gpt2) or _create_vocab_sentencepiece
// (llama) writes it, from the tokenizer.json the tokenizer saves
// (Tokenizer.SaveHF):
//
//   - a byte-level BPE (no byte_fallback) is a "gpt2" vocabulary: the
//     tokens by id, their types (1 normal, 3 control for the special added
//     tokens and those the converter takes for special, 4 user-defined for
//     the other added tokens, 5 unused for the "[PAD<id>]" tokens that fill
//     the ids up to the model's vocabulary, as the converter fills them),
//     the merges as "left right", and the tokenizer.ggml.pre name: the
//     first llama.cpp pre-tokenizer xent knows (tokenizer.GGUFPreNames)
//     whose tokenizer gives the model's ids on vocabCheckTexts, as the
//     converter names one by the ids of its check text;
//   - a BPE with byte_fallback (Llama 2, Mistral v0.1, Gemma, Phi-3: a
//     SentencePiece model converted by Hugging Face) is a "llama"
//     vocabulary: tokens, types (2 unknown, 6 for the <0xXX> byte tokens),
//     and scores. tokenizer.model's scores are not read: a token's score
//     is minus the rank of the first merge that makes it (−1e9 where none
//     does), which orders llama.cpp's SentencePiece merges as Hugging
//     Face's converter ordered the BPE merges (by score), and
//     add_space_prefix is whichever value gives the model's ids.
//
// Either way the vocabulary is loaded back (tokenizer.LoadGGUF) and must
// give the model's tokenizer's ids on every check text, or the export is
// refused. bos_token_id, eos_token_id (the first end token) and
// add_bos_token are the model's; a model whose config names no BOS (an
// xent checkpoint written before it recorded one) gets the one xent eval
// puts before its windows (Pretrained.BOS), since llama.cpp would
// otherwise take its vocabulary type's default id.
//
// A GGUF source's tokenizer.ggml.* keys are copied as they are.
func exportVocab(p *Pretrained) ([]gguf.KV, exportedVocab, error) {
	if p.Kind == GGUF {
		return ggufSourceVocab(p.Dir)
	}
	bos := p.BOSTokenID
	if bos < 0 {
		if b, err := p.BOS(); err == nil {
			bos = b
		}
	}
	return ggufVocabKV(p.Tokenizer, p.Model.VocabSize(), bos, p.EOSTokenIDs, p.AddBOS)
}

// ggufSourceVocab is the tokenizer.ggml.* keys of the GGUF file at path.
func ggufSourceVocab(path string) ([]gguf.KV, exportedVocab, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, exportedVocab{}, err
	}
	defer f.Close()
	var kv []gguf.KV
	for _, p := range f.KV {
		if strings.HasPrefix(p.Key, "tokenizer.ggml.") {
			kv = append(kv, p)
		}
	}
	var v exportedVocab
	v.model, _ = f.String("tokenizer.ggml.model")
	v.pre, _ = f.String("tokenizer.ggml.pre")
	return kv, v, nil
}

// ggufVocabKV is exportVocab for tokenizer tok of a model of n tokens.
func ggufVocabKV(tok *tokenizer.Tokenizer, n int, bos int32, eos []int32, addBOS bool) ([]gguf.KV, exportedVocab, error) {
	var buf bytes.Buffer
	if err := tok.SaveHF(&buf); err != nil {
		return nil, exportedVocab{}, fmt.Errorf("tokenizer: %w", err)
	}
	var tj struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		Model struct {
			Type         string          `json:"type"`
			Vocab        map[string]int  `json:"vocab"`
			Merges       json.RawMessage `json:"merges"`
			ByteFallback bool            `json:"byte_fallback"`
			UnkToken     *string         `json:"unk_token"`
		} `json:"model"`
		PreTokenizer json.RawMessage `json:"pre_tokenizer"`
	}
	if err := json.Unmarshal(buf.Bytes(), &tj); err != nil {
		return nil, exportedVocab{}, fmt.Errorf("tokenizer: %w", err)
	}
	if tj.Model.Type != "BPE" {
		return nil, exportedVocab{}, fmt.Errorf("tokenizer: a %q tokenizer.json model has no GGUF form xent writes (only BPE)", tj.Model.Type)
	}
	v := tokenizer.GGUFVocab{Model: "gpt2", Tokens: make([]string, n), Types: make([]int64, n)}
	if tj.Model.ByteFallback {
		v.Model = "llama"
	}
	set := make([]bool, n)
	put := func(id int, s string, typ int64) error {
		if id < 0 || id >= n {
			return fmt.Errorf("tokenizer: token %d %q is outside the model's vocabulary of %d", id, s, n)
		}
		v.Tokens[id], v.Types[id], set[id] = s, typ, true
		return nil
	}
	for s, id := range tj.Model.Vocab {
		typ := int64(1)
		switch {
		case v.Model == "llama" && spmByteToken.MatchString(s):
			typ = 6
		case tj.Model.UnkToken != nil && s == *tj.Model.UnkToken:
			typ = 2
		}
		if err := put(id, s, typ); err != nil {
			return nil, exportedVocab{}, err
		}
	}
	for _, a := range tj.AddedTokens {
		typ := int64(4)
		switch {
		case tj.Model.UnkToken != nil && a.Content == *tj.Model.UnkToken:
			typ = 2
		case a.Special || looksSpecial(a.Content):
			typ = 3
		}
		if err := put(a.ID, a.Content, typ); err != nil {
			return nil, exportedVocab{}, err
		}
	}
	seen := make(map[string]int, n)
	for id := range v.Tokens {
		if !set[id] {
			v.Tokens[id], v.Types[id] = fmt.Sprintf("[PAD%d]", id), 5
		}
		if prev, dup := seen[v.Tokens[id]]; dup {
			return nil, exportedVocab{}, fmt.Errorf("tokenizer: tokens %d and %d are both %q", prev, id, v.Tokens[id])
		}
		seen[v.Tokens[id]] = id
	}
	var merges []string
	if err := json.Unmarshal(tj.Model.Merges, &merges); err != nil {
		merges = nil
		var pairs [][2]string
		if err := json.Unmarshal(tj.Model.Merges, &pairs); err != nil {
			return nil, exportedVocab{}, fmt.Errorf("tokenizer: merges: %w", err)
		}
		for i, m := range pairs {
			if strings.Contains(m[0], " ") || strings.Contains(m[1], " ") {
				return nil, exportedVocab{}, fmt.Errorf("tokenizer: merge %d (%q, %q) holds a space, which GGUF's \"left right\" merges cannot", i, m[0], m[1])
			}
			merges = append(merges, m[0]+" "+m[1])
		}
	}
	var candidates []tokenizer.GGUFVocab
	if v.Model == "gpt2" {
		v.Merges = merges
		for _, pre := range ggufPreOrder(string(tj.PreTokenizer)) {
			c := v
			c.Pre = pre
			candidates = append(candidates, c)
		}
	} else {
		v.Pre = "default"
		v.Scores = make([]float32, n)
		for i := range v.Scores {
			v.Scores[i] = -1e9
		}
		for rank, m := range slices.Backward(merges) {
			if id, ok := seen[strings.Replace(m, " ", "", 1)]; ok {
				v.Scores[id] = -float32(rank)
			}
		}
		withPrefix, without := v, v
		without.NoSpacePrefix = true
		candidates = []tokenizer.GGUFVocab{withPrefix, without}
	}
	chosen, err := firstAgreeing(tok, candidates)
	if err != nil {
		return nil, exportedVocab{}, err
	}
	types := make([]int32, n)
	for i, t := range chosen.Types {
		types[i] = int32(t)
	}
	kv := []gguf.KV{str("tokenizer.ggml.model", chosen.Model), str("tokenizer.ggml.pre", chosen.Pre),
		{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: chosen.Tokens}}}
	if chosen.Model == "llama" {
		kv = append(kv, gguf.KV{Key: "tokenizer.ggml.scores", Value: gguf.Value{Type: gguf.Array, Elem: gguf.Float32, V: chosen.Scores}})
	}
	kv = append(kv, gguf.KV{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Type: gguf.Array, Elem: gguf.Int32, V: types}})
	if chosen.Model == "gpt2" {
		kv = append(kv, gguf.KV{Key: "tokenizer.ggml.merges", Value: gguf.Value{Type: gguf.Array, Elem: gguf.String, V: chosen.Merges}})
	}
	if bos >= 0 {
		kv = append(kv, u32("tokenizer.ggml.bos_token_id", int(bos)))
	}
	if len(eos) > 0 {
		kv = append(kv, u32("tokenizer.ggml.eos_token_id", int(eos[0])))
	}
	if tj.Model.UnkToken != nil {
		if id, ok := seen[*tj.Model.UnkToken]; ok {
			kv = append(kv, u32("tokenizer.ggml.unknown_token_id", id))
		}
	}
	kv = append(kv, gguf.KV{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Value{Type: gguf.Bool, V: addBOS}})
	if chosen.Model == "llama" {
		kv = append(kv, gguf.KV{Key: "tokenizer.ggml.add_space_prefix", Value: gguf.Value{Type: gguf.Bool, V: !chosen.NoSpacePrefix}})
	}
	return kv, exportedVocab{model: chosen.Model, pre: chosen.Pre}, nil
}

var spmByteToken = regexp.MustCompile(`^<0x[0-9A-Fa-f]{2}>$`)

// looksSpecial is the converter's does_token_look_special: added tokens
// some models fail to mark special that it writes as control tokens.
func looksSpecial(s string) bool {
	switch s {
	case "<pad>", "<mask>", "<2mass>", "[@BOS@]":
		return true
	}
	return strings.HasPrefix(s, "<|") && strings.HasSuffix(s, "|>") ||
		strings.HasPrefix(s, "<｜") && strings.HasSuffix(s, "｜>") ||
		strings.HasPrefix(s, "<unused") && strings.HasSuffix(s, ">")
}

// preHints are what a tokenizer.json's pre_tokenizer holds (as JSON)
// when llama.cpp's converter names it pre: Llama 3's numbers of one to
// three digits, Qwen 2's single digits, SmolLM's Digits.
var preHints = []struct{ pre, hint string }{
	{"llama-bpe", `\\p{N}{1,3}`}, {"qwen2", `|\\p{N}|`}, {"smollm", `"Digits"`},
}

// ggufPreOrder is the order in which pre names are tried for a
// tokenizer.json whose pre_tokenizer is pre: those its text hints at
// first, then the names the converter gives the common vocabularies, then
// the others. Several pre-tokenizers can give a vocabulary the same ids
// (Qwen's has no token of two digits, so Llama 3's digit runs split it
// the same); the order names the one the converter would, and the check
// texts decide.
func ggufPreOrder(pre string) []string {
	var order []string
	for _, h := range preHints {
		if strings.Contains(pre, h.hint) {
			order = append(order, h.pre)
		}
	}
	for _, n := range append([]string{"gpt-2", "qwen2", "smollm", "llama-bpe", "deepseek-v3"}, tokenizer.GGUFPreNames()...) {
		if !slices.Contains(order, n) {
			order = append(order, n)
		}
	}
	return order
}

// firstAgreeing returns the first candidate vocabulary whose tokenizer
// gives want's ids on every check text.
func firstAgreeing(want *tokenizer.Tokenizer, candidates []tokenizer.GGUFVocab) (tokenizer.GGUFVocab, error) {
	var why string
	for _, c := range candidates {
		tok, err := tokenizer.LoadGGUF(c)
		if err != nil {
			why = err.Error()
			continue
		}
		ok := true
		for _, text := range vocabCheckTexts {
			b := []byte(norm.NFC.String(text))
			if got, w := tok.Encode(b), want.Encode(b); !slices.Equal(got, w) {
				ok = false
				if why == "" {
					why = fmt.Sprintf("%q is %v, the model's tokenizer gives %v", short(text), got, w)
				}
				break
			}
		}
		if ok {
			return c, nil
		}
	}
	if candidates[0].Model == "gpt2" {
		return tokenizer.GGUFVocab{}, fmt.Errorf("tokenizer: no llama.cpp pre-tokenizer xent knows (%s) tokenizes like this vocabulary (with %s: %s)",
			strings.Join(tokenizer.GGUFPreNames(), ", "), candidates[0].Pre, why)
	}
	return tokenizer.GGUFVocab{}, fmt.Errorf("tokenizer: as a SentencePiece (llama) vocabulary it does not tokenize like the model's tokenizer (%s)", why)
}

func short(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
