package tokenizer

import (
	"io"
	"slices"
	"strings"
)

// TokenBytes returns the text token id stands for, as bytes: a byte-level
// token's bytes, a <0xNN> token's byte, otherwise its string with the
// SentencePiece space ▁ read as a space. Added tokens are their text.
func (p *Pipeline) TokenBytes(id int32) ([]byte, error) {
	s, err := p.Token(id)
	if err != nil {
		return nil, err
	}
	if _, isModel := p.model.vocab[s]; !isModel || p.tokenIDs[s] != id {
		return []byte(s), nil
	}
	if p.byteLevel {
		if b, err := byteLevelDecode(s); err == nil {
			return b, nil
		}
		return []byte(s), nil
	}
	if b, ok := byteToken(s); ok && p.model.byteFallback {
		return []byte{b}, nil
	}
	return []byte(strings.ReplaceAll(s, "▁", " ")), nil
}

// Template returns the ids the model's post-processor puts before and
// after a text (Llama 2's <s> before, none after), what Hugging Face's
// add_special_tokens=True adds.
func (p *Pipeline) Template() (before, after []int32) { return templateOf(p.post) }

// templateOf splits a single-sequence template at the text.
func templateOf(post []postItem) (before, after []int32) {
	seen := false
	for _, it := range post {
		switch {
		case it.ids == nil:
			seen = true
		case seen:
			after = append(after, it.ids...)
		default:
			before = append(before, it.ids...)
		}
	}
	return before, after
}

// Template returns the ids that the model's own special tokens put before
// and after a text, as Hugging Face's add_special_tokens=True adds them:
// a tokenizer.json's post-processor (Llama 2's <s>, Gemma's <bos>, the
// TemplateProcessing inside Llama 3.x's Sequence), as tokenizer_config.json
// changes it where the tokenizer was loaded with one (WithConfig), and
// nothing for tiktoken's encodings and GPT-2's files.
func (t *Tokenizer) Template() (before, after []int32) {
	return slices.Clone(t.before), slices.Clone(t.after)
}

// Blocks is the package's Blocks for t: the text of r handed to f a block
// at a time, cut where t's ids cannot change. A tokenizer.json read as a
// Pipeline is cut where Pipeline.BlockCut allows; one whose stages allow no
// cut (a Strip normalizer, a general regex) is handed on whole, in one
// block. Encode each block with EncodeBlock, which tells a Pipeline that a
// block after the first continues the text.
func (t *Tokenizer) Blocks(r io.Reader, size int, specials []string, f func(block []byte) error) error {
	if t.pipe == nil {
		return Blocks(r, size, specials, f)
	}
	if t.pipe.cuts.on {
		return blocksBy(r, size, func(text []byte) int { return t.pipe.BlockCut(text, specials) }, f)
	}
	all, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return nil
	}
	return f(all)
}

// EncodeBlock returns the ids of a block that Blocks handed on, with the
// special tokens named in allowed recognised (EncodeParallel, over workers
// goroutines); first says that it is the stream's first block. Joined,
// the blocks' ids are the whole text's.
func (t *Tokenizer) EncodeBlock(block []byte, allowed []string, first bool, workers int) ([]int32, error) {
	if t.pipe != nil {
		return t.pipe.Encode(block, EncodeOptions{Allowed: allowed, Continues: !first})
	}
	return t.EncodeParallel(block, allowed, workers)
}

// setRaw sets p.raw when the pre-tokenizer ends in a ByteLevel without
// regex or prefix space and the model can encode raw bytes.
func (p *Pipeline) setRaw() {
	plain := byteLevel{addPrefixSpace: false, useRegex: false}
	switch pt := p.preTokenizer.(type) {
	case byteLevel:
		p.raw.on = pt == plain
	case preTokenizers:
		if len(pt) > 0 && pt[len(pt)-1] == plain {
			p.raw.on = true
			if len(pt) > 1 {
				p.raw.pre = pt[:len(pt)-1]
			}
		}
	}
	p.raw.on = p.raw.on && p.model.canEncodeRaw()
}

// usesByteLevel reports whether a pre-tokenizer spells pieces in the
// byte-level alphabet.
func usesByteLevel(pt preTokenizer) bool {
	switch x := pt.(type) {
	case byteLevel:
		return true
	case preTokenizers:
		for _, p := range x {
			if usesByteLevel(p) {
				return true
			}
		}
	}
	return false
}
