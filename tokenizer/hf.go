package tokenizer

import (
	"github.com/xent-dev/xent/internal/atomicfile"

	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Hugging Face's tokenizer.json, the parts a byte-level BPE uses.
type hfFile struct {
	Version       string          `json:"version"`
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         hfModel         `json:"model"`
}

type hfAddedToken struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type hfModel struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Vocab                   hfVocab         `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

// hfVocab is the model's vocabulary; it encodes in id order.
type hfVocab map[string]int32

// UnmarshalJSON reads the vocabulary, and refuses by name the list of
// [piece, score] pairs a Unigram model has.
func (v *hfVocab) UnmarshalJSON(data []byte) error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		return fmt.Errorf("model.vocab is a list of [piece, score] pairs, a Unigram model's: xent has BPE")
	}
	m := map[string]int32{}
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*v = m
	return nil
}

func (v hfVocab) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(v[a], v[b]) })
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		fmt.Fprintf(&buf, ":%d", v[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// hfPreTokenizer is a pre_tokenizer entry: ByteLevel, Split or Sequence.
type hfPreTokenizer struct {
	Type           string           `json:"type"`
	AddPrefixSpace *bool            `json:"add_prefix_space,omitempty"`
	TrimOffsets    *bool            `json:"trim_offsets,omitempty"`
	UseRegex       *bool            `json:"use_regex,omitempty"`
	Pattern        *hfSplitPattern  `json:"pattern,omitempty"`
	Behavior       string           `json:"behavior,omitempty"`
	Invert         *bool            `json:"invert,omitempty"`
	PreTokenizers  []hfPreTokenizer `json:"pretokenizers,omitempty"`
}

type hfSplitPattern struct {
	Regex string `json:"Regex"`
}

// LoadHF reads a Hugging Face tokenizer.json. A byte-level BPE with one of
// the three Pattern scanners and only plain special added tokens (GPT-2's,
// Llama 3's, gpt-oss's) takes the fast path: bytes in, ids out, invalid
// UTF-8 included, exactly as byte-level BPE defines it. Any other file is
// read as a Pipeline (LoadPipeline), which the Tokenizer's methods then
// use; a file neither reads is refused with LoadPipeline's error, which
// lists every unsupported feature.
func LoadHF(r io.Reader) (*Tokenizer, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: tokenizer.json: %w", err)
	}
	t, err := loadByteLevel(data)
	if err == nil {
		return t, nil
	}
	p, perr := LoadPipeline(bytes.NewReader(data))
	if perr != nil {
		return nil, perr
	}
	p.source = data
	before, after := p.Template()
	return &Tokenizer{pipe: p, special: map[string]int32{}, before: before, after: after, templated: templated(data)}, nil
}

// loadByteLevel is LoadHF's fast path: a byte-level BPE with one of the
// three Pattern scanners.
func loadByteLevel(data []byte) (*Tokenizer, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer: tokenizer.json: %w", err)
	}
	m := f.Model
	switch {
	case m.Type != "BPE":
		return nil, fmt.Errorf("tokenizer: tokenizer.json: model type %q, want \"BPE\"", m.Type)
	case len(f.Normalizer) > 0 && string(f.Normalizer) != "null":
		return nil, fmt.Errorf("tokenizer: tokenizer.json: normalizer %s is not supported", f.Normalizer)
	case m.ByteFallback:
		return nil, fmt.Errorf("tokenizer: tokenizer.json: byte_fallback is not supported (byte-level BPE has no unknown bytes)")
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" || m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return nil, fmt.Errorf("tokenizer: tokenizer.json: continuing_subword_prefix and end_of_word_suffix are not supported")
	}
	pattern, err := hfPattern(f.PreTokenizer)
	if err != nil {
		return nil, err
	}
	for _, a := range f.AddedTokens {
		if !a.Special || a.LStrip || a.RStrip || a.SingleWord {
			return nil, fmt.Errorf("tokenizer: tokenizer.json: added token %q is not a plain special token", a.Content)
		}
	}
	var mergeList [][2]string
	if err := json.Unmarshal(m.Merges, &mergeList); err != nil {
		var lines []string // the older spelling: "left right"
		if err2 := json.Unmarshal(m.Merges, &lines); err2 != nil {
			return nil, fmt.Errorf("tokenizer: tokenizer.json: model.merges: %w", err)
		}
		mergeList = make([][2]string, len(lines))
		for i, line := range lines {
			left, right, ok := strings.Cut(line, " ")
			if !ok || left == "" || right == "" || strings.Contains(right, " ") {
				return nil, fmt.Errorf("tokenizer: tokenizer.json: merge %d %q is not \"left right\"", i, line)
			}
			mergeList[i] = [2]string{left, right}
		}
	}
	vocab := map[string]int32(m.Vocab)
	special := map[string]int32{}
	for _, a := range f.AddedTokens {
		special[a.Content] = a.ID
		if id, ok := vocab[a.Content]; ok && id == a.ID {
			delete(vocab, a.Content) // listed twice, as in GPT-2's tokenizer.json
		}
	}
	t, err := fromMerges(pattern, vocab, mergeList, special, m.IgnoreMerges)
	if err != nil {
		return nil, err
	}
	// The post-processor: ByteLevel (offsets only), or a template alone or
	// in a Sequence (Llama 3.x: ByteLevel, then TemplateProcessing).
	l := &stageLoader{}
	ids := make(map[string]int32, len(vocab)+len(special))
	for _, m := range []map[string]int32{vocab, special} {
		for s, id := range m {
			ids[s] = id
		}
	}
	post := l.postProcessor(parseStage(l, f.PostProcessor, "post_processor"), "post_processor", ids)
	for _, it := range post {
		for _, id := range it.ids {
			if _, err := t.Token(id); err != nil {
				l.bad("post_processor", "id %d is not in the vocabulary", id)
			}
		}
	}
	if len(l.problems) > 0 {
		return nil, fmt.Errorf("tokenizer: tokenizer.json: %s", strings.Join(l.problems, "; "))
	}
	t.before, t.after = templateOf(post)
	t.templated = templated(data)
	if len(t.before)+len(t.after) > 0 {
		t.post = f.PostProcessor // SaveHF writes it back; else ByteLevel's
	}
	return t, nil
}

// hfPattern recognises the byte-level pre-tokenizers LoadHF supports.
func hfPattern(raw json.RawMessage) (Pattern, error) {
	var p hfPreTokenizer
	if err := json.Unmarshal(raw, &p); err != nil {
		return 0, fmt.Errorf("tokenizer: tokenizer.json: pre_tokenizer: %w", err)
	}
	isTrue := func(b *bool, def bool) bool { return b == nil && def || b != nil && *b }
	byteLevel := func(q hfPreTokenizer, regex bool) error {
		if q.Type != "ByteLevel" || isTrue(q.UseRegex, true) != regex {
			return fmt.Errorf("tokenizer: tokenizer.json: pre_tokenizer %s is not a byte-level one this package supports", raw)
		}
		if isTrue(q.AddPrefixSpace, false) {
			return fmt.Errorf("tokenizer: tokenizer.json: ByteLevel add_prefix_space is not supported")
		}
		return nil
	}
	if p.Type == "ByteLevel" {
		return GPT2, byteLevel(p, true)
	}
	if p.Type != "Sequence" || len(p.PreTokenizers) != 2 {
		return 0, fmt.Errorf("tokenizer: tokenizer.json: pre_tokenizer %s is not a byte-level one this package supports", raw)
	}
	split := p.PreTokenizers[0]
	if split.Type != "Split" || split.Pattern == nil || split.Behavior != "Isolated" || isTrue(split.Invert, false) {
		return 0, fmt.Errorf("tokenizer: tokenizer.json: pre_tokenizer %s: want a Split by a regexp, Isolated, not inverted, then ByteLevel", raw)
	}
	pattern, err := PatternOf(split.Pattern.Regex)
	if err != nil {
		return 0, err
	}
	return pattern, byteLevel(p.PreTokenizers[1], false)
}

// LoadHFFile loads a tokenizer.json file.
func LoadHFFile(path string) (*Tokenizer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	t, err := LoadHF(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// SaveHF writes t as a Hugging Face tokenizer.json that LoadHF, and
// Hugging Face's tokenizers, read back to the same tokenizer: the vocabulary
// in the byte-level alphabet, the merges in priority order (for a tiktoken
// encoding, every split of every token, with ignore_merges set), the special
// tokens as added tokens, and the pattern as the pre-tokenizer.
func (t *Tokenizer) SaveHF(w io.Writer) error {
	if t.pipe != nil {
		_, err := w.Write(t.pipe.source)
		return err
	}
	f := hfFile{
		Version:       "1.0",
		Truncation:    json.RawMessage("null"),
		Padding:       json.RawMessage("null"),
		AddedTokens:   []hfAddedToken{},
		Normalizer:    json.RawMessage("null"),
		PostProcessor: json.RawMessage(`{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}`),
		Decoder:       json.RawMessage(`{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}`),
		Model: hfModel{
			Type:         "BPE",
			IgnoreMerges: t.wholePieces != nil,
			Vocab:        hfVocab{},
		},
	}
	if t.post != nil {
		f.PostProcessor = t.post // a template read from tokenizer.json
	}
	for _, name := range t.SpecialTokens() {
		f.AddedTokens = append(f.AddedTokens, hfAddedToken{ID: t.special[name], Content: name, Special: true})
	}
	slices.SortFunc(f.AddedTokens, func(a, b hfAddedToken) int { return cmp.Compare(a.ID, b.ID) })
	no, yes := false, true
	bl := hfPreTokenizer{Type: "ByteLevel", AddPrefixSpace: &no, TrimOffsets: &yes, UseRegex: &yes}
	pre := bl
	if t.pattern != GPT2 {
		bl.UseRegex = &no
		pre = hfPreTokenizer{Type: "Sequence", PreTokenizers: []hfPreTokenizer{
			{Type: "Split", Pattern: &hfSplitPattern{Regex: t.pattern.String()}, Behavior: "Isolated", Invert: &no},
			bl,
		}}
	}
	var err error
	if f.PreTokenizer, err = json.Marshal(pre); err != nil {
		return err
	}
	for id, b := range t.tokens {
		if b != nil && !t.isSpecial(int32(id)) {
			f.Model.Vocab[byteLevelEncode(b)] = int32(id)
		}
	}
	type merge struct{ key, val uint64 }
	all := make([]merge, 0, len(t.merges.table))
	for k, v := range t.merges.table {
		all = append(all, merge{k, v})
	}
	slices.SortFunc(all, func(a, b merge) int { return cmp.Or(cmp.Compare(a.val>>32, b.val>>32), cmp.Compare(a.key, b.key)) })
	list := make([][2]string, len(all))
	for i, m := range all {
		list[i] = [2]string{byteLevelEncode(t.tokens[int32(m.key>>32)]), byteLevelEncode(t.tokens[int32(uint32(m.key))])}
	}
	if f.Model.Merges, err = json.Marshal(list); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	return enc.Encode(f)
}

func (t *Tokenizer) isSpecial(id int32) bool {
	got, ok := t.special[string(t.tokens[id])]
	return ok && got == id
}

// SaveHFFile writes t to path as tokenizer.json, atomically: into a
// temporary file in the same folder, renamed over path only once complete.
func (t *Tokenizer) SaveHFFile(path string) error {
	if err := atomicfile.Write(path, t.SaveHF); err != nil {
		return fmt.Errorf("tokenizer: writing %s: %w", path, err)
	}
	return nil
}

// templated reports whether a tokenizer.json's post-processor is a
// TemplateProcessing or a Sequence.
func templated(data []byte) bool {
	var f struct {
		PostProcessor *struct {
			Type string `json:"type"`
		} `json:"post_processor"`
	}
	if json.Unmarshal(data, &f) != nil || f.PostProcessor == nil {
		return false
	}
	return f.PostProcessor.Type == "TemplateProcessing" || f.PostProcessor.Type == "Sequence"
}
