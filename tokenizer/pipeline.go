package tokenizer

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// A Pipeline is a Hugging Face tokenizer.json tokenizer, stage by stage as
// Hugging Face's tokenizers runs it: added tokens are cut out of the text,
// the rest is normalized, cut into pieces by the pre-tokenizer, and each
// piece is encoded by the BPE model; the post-processor adds the model's
// own special tokens on request, and the decoder turns ids back into text.
// LoadPipeline reads one; it is immutable and safe for concurrent use.
//
// Where it differs from Hugging Face on purpose: special added tokens are
// ordinary text unless the caller allows them (Hugging Face always matches
// them), so that text from users cannot inject control tokens; non-special
// added tokens are always matched, as there. Text that is not valid UTF-8
// is encoded as its bytes on a byte-level pipeline whose stages keep bytes
// (Qwen3's, DeepSeek V3's), so that Decode(Encode(b)) == b, and elsewhere
// has each invalid byte read as U+FFFD, as Hugging Face's bindings, which
// take only strings, give it (see rawbytes.go).
// An id outside the vocabulary is an error in Decode (Hugging Face skips
// it).
type Pipeline struct {
	normalizer   normalizer   // nil: none
	preTokenizer preTokenizer // nil: none
	model        *bpeModel
	decoder      decoder // nil: tokens joined by spaces
	post         []postItem

	added      []addedToken
	rawTrie    *addedTrie // added tokens matched in the text as given
	normTrie   *addedTrie // those matched after normalization
	idToken    map[int32]string
	tokenIDs   map[string]int32 // every token string → id
	vocabSize  int
	specialIDs map[int32]bool
	byteLevel  bool // the vocabulary is in the byte-level alphabet
	// raw, if set, stands for preTokenizer, which ends in a plain
	// ByteLevel: the stages before it, whose pieces model.encodeRaw
	// encodes from their bytes.
	raw struct {
		on  bool
		pre preTokenizer // nil: none
	}
	// rawBytes: text that is not valid UTF-8 is encoded as its bytes, not
	// with U+FFFD for each invalid byte (keepsBytes, rawbytes.go).
	rawBytes bool
	source   []byte // the tokenizer.json it was read from, if kept
	cuts     pipeCuts
	// prefixes: what a stage may put in front, as token bytes (ByteSpans).
	prefixes []string
}

// A postItem is one step of the single-sequence template: the input's own
// ids (ids == nil) or a special token's ids.
type postItem struct {
	ids []int32
}

// VocabSize returns one more than the largest token id.
func (p *Pipeline) VocabSize() int { return p.vocabSize }

// SpecialTokens returns the texts of the special added tokens, sorted.
func (p *Pipeline) SpecialTokens() []string {
	var names []string
	for _, a := range p.added {
		if a.special {
			names = append(names, a.content)
		}
	}
	slices.Sort(names)
	return names
}

// EncodeOptions are what Encode recognises and adds.
type EncodeOptions struct {
	// Allowed names the special tokens recognised in the text; others are
	// ordinary text. AllowAll allows every special token.
	Allowed  []string
	AllowAll bool
	// AddSpecial adds the model's own special tokens (its post-processor's
	// template: Llama 2's <s>, Gemma's <bos>), as Hugging Face's
	// add_special_tokens=True.
	AddSpecial bool
	// Continues says that the text is a block after the first of a longer
	// text, cut where BlockCut allows: what a normalizer or pre-tokenizer
	// puts at the start of a text (Llama 2's Prepend ▁, Metaspace's and
	// ByteLevel's prefix) is not put in front of it, so that the blocks'
	// ids join into the whole text's.
	Continues bool
}

// Encode returns the ids of text. It is an error to allow a name that is
// not a special token of p.
func (p *Pipeline) Encode(text []byte, opt EncodeOptions) ([]int32, error) {
	allowedSet := map[int32]bool{}
	for _, name := range opt.Allowed {
		k := slices.IndexFunc(p.added, func(a addedToken) bool { return a.special && a.content == name })
		if k < 0 {
			return nil, fmt.Errorf("tokenizer: allowed special token %q is not a special token of this tokenizer", name)
		}
		allowedSet[int32(k)] = true
	}
	allowed := func(k int32) bool { return !p.added[k].special || opt.AllowAll || allowedSet[k] }
	ids := make([]int32, 0, len(text)/4+8) // about a token per 4 bytes: few regrowths of a long text's ids
	if opt.AddSpecial {
		for _, it := range p.post {
			if it.ids != nil {
				ids = append(ids, it.ids...)
				continue
			}
			ids = p.encodeText(p.textOf(text), opt.Continues, allowed, ids)
		}
		return ids, nil
	}
	return p.encodeText(p.textOf(text), opt.Continues, allowed, ids), nil
}

// textOf is text as p's stages read it: its bytes where they keep bytes,
// else with U+FFFD for each invalid byte.
func (p *Pipeline) textOf(text []byte) string {
	if p.rawBytes {
		return string(text)
	}
	return validUTF8(text)
}

// validUTF8 reads text with each byte that does not start a valid UTF-8
// sequence as U+FFFD.
func validUTF8(text []byte) string {
	if utf8.Valid(text) {
		return string(text)
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRune(text[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

// encodeText appends the ids of s (Hugging Face's
// AddedVocabulary::extract_and_normalize, then pre-tokenization and the
// model). cont: s continues an earlier block (EncodeOptions.Continues).
func (p *Pipeline) encodeText(s string, cont bool, allowed func(int32) bool, out []int32) []int32 {
	st := p.model.state()
	defer p.model.putState(st)
	at := 0
	for _, f := range p.rawTrie.find(s, p.added, allowed) {
		// A match may start inside the white space that the one before took
		// by rstrip: Hugging Face keeps both, overlapping, and so do we.
		if f.start > at {
			out = p.encodeNormalized(s[at:f.start], at == 0 && !cont, at == 0 && cont, allowed, st, out)
		}
		out = append(out, p.added[f.tok].id)
		at = f.end
	}
	if at < len(s) || s == "" {
		out = p.encodeNormalized(s[at:], at == 0 && !cont, at == 0 && cont, allowed, st, out)
	}
	return out
}

// encodeNormalized normalizes s, cuts out the added tokens that match
// normalized text, and encodes the rest. first: s starts the text; cont:
// s starts a block that continues an earlier one.
func (p *Pipeline) encodeNormalized(s string, first, cont bool, allowed func(int32) bool, st *bpeState, out []int32) []int32 {
	if p.normalizer != nil {
		s = normalizeBlock(p.normalizer, s, cont)
	}
	at := 0
	for _, f := range p.normTrie.find(s, p.added, allowed) {
		if f.start > at {
			out = p.encodePieces(piece{s[at:f.start], first && at == 0, cont && at == 0}, st, out)
		}
		out = append(out, p.added[f.tok].id)
		at = f.end
	}
	return p.encodePieces(piece{s[at:], first && at == 0, cont && at == 0}, st, out)
}

func (p *Pipeline) encodePieces(whole piece, st *bpeState, out []int32) []int32 {
	if whole.text == "" {
		return out
	}
	pieces := []piece{whole}
	if p.raw.on {
		if p.raw.pre != nil {
			pieces = p.raw.pre.preTokenize(pieces)
		}
		for _, pc := range pieces {
			out = p.model.encodeRaw(pc.text, st, out)
		}
		return out
	}
	if p.preTokenizer != nil {
		pieces = p.preTokenizer.preTokenize(pieces)
	}
	for _, pc := range pieces {
		out = p.model.encode(pc.text, st, out)
	}
	return out
}

// Token returns the string of token id as the vocabulary spells it.
func (p *Pipeline) Token(id int32) (string, error) {
	if s, ok := p.idToken[id]; ok {
		return s, nil
	}
	return "", fmt.Errorf("tokenizer: token id %d is not in the vocabulary (ids 0..%d)", id, p.vocabSize-1)
}

// Decode returns the text of ids as Hugging Face's decode does, with or
// without the special tokens. An id not in the vocabulary is an error
// naming it and its position.
func (p *Pipeline) Decode(ids []int32, skipSpecial bool) (string, error) {
	tokens := make([]string, 0, len(ids))
	for i, id := range ids {
		s, err := p.Token(id)
		if err != nil {
			return "", fmt.Errorf("%w, at position %d", err, i)
		}
		if skipSpecial && p.specialIDs[id] {
			continue
		}
		tokens = append(tokens, s)
	}
	if p.decoder == nil {
		return strings.Join(tokens, " "), nil
	}
	return strings.Join(p.decoder.decode(tokens), ""), nil
}
