package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// LoadPipeline reads a Hugging Face tokenizer.json: any combination of the
// stages Pipeline implements. A file that uses anything else is refused
// with one error listing every unsupported feature by its JSON path
// (pre_tokenizer.pretokenizers[2].pattern.Regex: ...), so that one try
// shows all that is missing. Truncation and padding are ignored: xent
// encodes whole texts.
func LoadPipeline(r io.Reader) (*Pipeline, error) {
	var f hfFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, fmt.Errorf("tokenizer: tokenizer.json: %w", err)
	}
	l := &stageLoader{}
	p := &Pipeline{rawTrie: newAddedTrie(), normTrie: newAddedTrie()}
	p.normalizer = l.normalizer(parseStage(l, f.Normalizer, "normalizer"), "normalizer")
	p.preTokenizer = l.preTokenizer(parseStage(l, f.PreTokenizer, "pre_tokenizer"), "pre_tokenizer")
	p.decoder = l.decoder(parseStage(l, f.Decoder, "decoder"), "decoder")
	p.byteLevel = usesByteLevel(p.preTokenizer)
	model := l.model(f.Model)
	if model != nil {
		p.model = model
		l.added(p, f.AddedTokens)
		p.post = l.postProcessor(parseStage(l, f.PostProcessor, "post_processor"), "post_processor", p.tokenIDs)
		for _, it := range p.post {
			for _, id := range it.ids {
				if _, ok := p.idToken[id]; !ok {
					l.bad("post_processor", "id %d is not in the vocabulary", id)
				}
			}
		}
		p.setRaw()
		p.rawBytes = p.keepsBytes()
		p.setCuts()
		p.prefixes = prefixesOf(p.normalizer, p.preTokenizer, p.byteLevel)
	}
	if len(l.problems) > 0 {
		return nil, fmt.Errorf("tokenizer: tokenizer.json uses what xent does not support: %s", strings.Join(l.problems, "; "))
	}
	return p, nil
}

// LoadPipelineFile loads a tokenizer.json file as a Pipeline.
func LoadPipelineFile(path string) (*Pipeline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	p, err := LoadPipeline(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// stageLoader builds the stages from their JSON and collects the problems.
type stageLoader struct{ problems []string }

func (l *stageLoader) bad(path, format string, args ...any) {
	l.problems = append(l.problems, path+": "+fmt.Sprintf(format, args...))
}

// stage is one stage's JSON object (nil for JSON null).
type stage map[string]any

func parseStage(l *stageLoader, raw json.RawMessage, path string) stage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s stage
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&s); err != nil {
		l.bad(path, "not an object: %v", err)
		return nil
	}
	return s
}

func (l *stageLoader) str(s stage, key, path string, def string) string {
	v, ok := s[key]
	if !ok || v == nil {
		return def
	}
	x, ok := v.(string)
	if !ok {
		l.bad(path+"."+key, "want a string")
	}
	return x
}

func (l *stageLoader) flag(s stage, key, path string, def bool) bool {
	v, ok := s[key]
	if !ok || v == nil {
		return def
	}
	x, ok := v.(bool)
	if !ok {
		l.bad(path+"."+key, "want true or false")
	}
	return x
}

func (l *stageLoader) count(s stage, key, path string, def int) int {
	v, ok := s[key]
	if !ok || v == nil {
		return def
	}
	n, ok := v.(json.Number)
	x, err := n.Int64()
	if !ok || err != nil || x < 0 || x > 1<<20 {
		l.bad(path+"."+key, "want a count")
		return def
	}
	return int(x)
}

// char reads a one-character string.
func (l *stageLoader) char(s stage, key, path string, def rune) rune {
	x := l.str(s, key, path, string(def))
	r, n := utf8.DecodeRuneInString(x)
	if n == 0 || n != len(x) {
		l.bad(path+"."+key, "want one character, got %q", x)
	}
	return r
}

// list reads an array of stages.
func (l *stageLoader) list(s stage, key, path string) []stage {
	v, _ := s[key].([]any)
	if _, ok := s[key]; !ok || v == nil && s[key] != nil {
		l.bad(path+"."+key, "want a list")
		return nil
	}
	out := make([]stage, len(v))
	for i, x := range v {
		m, ok := x.(map[string]any)
		if !ok {
			l.bad(fmt.Sprintf("%s.%s[%d]", path, key, i), "want an object")
		}
		out[i] = m
	}
	return out
}

// pattern reads a {"String": s} or {"Regex": r} pattern.
func (l *stageLoader) pattern(s stage, path string) matcher {
	m, _ := s["pattern"].(map[string]any)
	if len(m) != 1 {
		l.bad(path+".pattern", "want {\"String\": ...} or {\"Regex\": ...}")
		return nil
	}
	if v, ok := m["String"].(string); ok {
		return literal(v)
	}
	if v, ok := m["Regex"].(string); ok {
		re, err := newRegex(v)
		if err != nil {
			l.bad(path+".pattern.Regex", "%v", err)
		}
		return re
	}
	l.bad(path+".pattern", "want {\"String\": ...} or {\"Regex\": ...}")
	return nil
}

func (l *stageLoader) normalizer(s stage, path string) normalizer {
	if s == nil {
		return nil
	}
	switch typ := l.str(s, "type", path, ""); typ {
	case "NFC":
		return unicodeForm{norm.NFC}
	case "NFD":
		return unicodeForm{norm.NFD}
	case "NFKC":
		return unicodeForm{norm.NFKC}
	case "NFKD":
		return unicodeForm{norm.NFKD}
	case "Lowercase":
		return lowercase{}
	case "StripAccents":
		return stripAccents{}
	case "Strip":
		return strip{l.flag(s, "strip_left", path, true), l.flag(s, "strip_right", path, true)}
	case "Replace":
		return replace{l.pattern(s, path), l.str(s, "content", path, "")}
	case "Prepend":
		return prepend(l.str(s, "prepend", path, ""))
	case "BertNormalizer":
		bn := bertNormalizer{
			cleanText:    l.flag(s, "clean_text", path, true),
			chineseChars: l.flag(s, "handle_chinese_chars", path, true),
			lowercase:    l.flag(s, "lowercase", path, true),
		}
		bn.stripAccents = l.flag(s, "strip_accents", path, bn.lowercase)
		return bn
	case "Sequence":
		var ns normalizers
		for i, sub := range l.list(s, "normalizers", path) {
			if n := l.normalizer(sub, fmt.Sprintf("%s.normalizers[%d]", path, i)); n != nil {
				ns = append(ns, n)
			}
		}
		return ns
	default:
		l.bad(path+".type", "normalizer %q", typ)
	}
	return nil
}

func (l *stageLoader) preTokenizer(s stage, path string) preTokenizer {
	if s == nil {
		return nil
	}
	behaviorOf := func(def string) behavior {
		name := l.str(s, "behavior", path, def)
		b, ok := behaviorNames[name]
		if !ok {
			l.bad(path+".behavior", "behavior %q", name)
		}
		return b
	}
	switch typ := l.str(s, "type", path, ""); typ {
	case "ByteLevel":
		return byteLevel{l.flag(s, "add_prefix_space", path, true), l.flag(s, "use_regex", path, true)}
	case "Split":
		return split{l.pattern(s, path), behaviorOf(""), l.flag(s, "invert", path, false)}
	case "Digits":
		return digitsSplit(l.flag(s, "individual_digits", path, false))
	case "Metaspace":
		ms := metaspace{replacement: l.char(s, "replacement", path, '▁'), split: l.flag(s, "split", path, true)}
		scheme := "always"
		if !l.flag(s, "add_prefix_space", path, true) {
			scheme = "never"
		}
		switch l.str(s, "prepend_scheme", path, scheme) {
		case "always":
			ms.scheme = prependAlways
		case "first":
			ms.scheme = prependFirst
		case "never":
			ms.scheme = prependNever
		default:
			l.bad(path+".prepend_scheme", "want first, always or never")
		}
		return ms
	case "Whitespace":
		return whitespace{}
	case "WhitespaceSplit":
		return whitespaceSplit()
	case "Punctuation":
		return punctuationSplit(behaviorOf("Isolated"))
	case "Sequence":
		var ps preTokenizers
		for i, sub := range l.list(s, "pretokenizers", path) {
			if p := l.preTokenizer(sub, fmt.Sprintf("%s.pretokenizers[%d]", path, i)); p != nil {
				ps = append(ps, p)
			}
		}
		return ps
	default:
		l.bad(path+".type", "pre-tokenizer %q", typ)
	}
	return nil
}

func (l *stageLoader) decoder(s stage, path string) decoder {
	if s == nil {
		return nil
	}
	switch typ := l.str(s, "type", path, ""); typ {
	case "ByteLevel":
		return byteLevelDecoder{}
	case "Metaspace":
		md := metaspaceDecoder{replacement: l.char(s, "replacement", path, '▁')}
		scheme := "always"
		if !l.flag(s, "add_prefix_space", path, true) {
			scheme = "never"
		}
		switch l.str(s, "prepend_scheme", path, scheme) {
		case "always":
			md.scheme = prependAlways
		case "first":
			md.scheme = prependFirst
		case "never":
			md.scheme = prependNever
		default:
			l.bad(path+".prepend_scheme", "want first, always or never")
		}
		return md
	case "Replace":
		return replaceDecoder{l.pattern(s, path), l.str(s, "content", path, "")}
	case "ByteFallback":
		return byteFallbackDecoder{}
	case "Fuse":
		return fuse{}
	case "Strip":
		return stripDecoder{l.char(s, "content", path, ' '), l.count(s, "start", path, 0), l.count(s, "stop", path, 0)}
	case "Sequence":
		var ds decoders
		for i, sub := range l.list(s, "decoders", path) {
			if d := l.decoder(sub, fmt.Sprintf("%s.decoders[%d]", path, i)); d != nil {
				ds = append(ds, d)
			}
		}
		return ds
	default:
		l.bad(path+".type", "decoder %q", typ)
	}
	return nil
}

// model builds the BPE model.
func (l *stageLoader) model(m hfModel) *bpeModel {
	if m.Type != "BPE" && m.Type != "" {
		l.bad("model.type", "model %q (xent has BPE)", m.Type)
		return nil
	}
	if m.Dropout != nil && *m.Dropout != 0 {
		l.bad("model.dropout", "%g (dropout samples; encoding must be deterministic)", *m.Dropout)
	}
	mergeList, err := parseMerges(m.Merges)
	if err != nil {
		l.bad("model.merges", "%v", err)
		return nil
	}
	prefix, suffix := "", ""
	if m.ContinuingSubwordPrefix != nil {
		prefix = *m.ContinuingSubwordPrefix
	}
	if m.EndOfWordSuffix != nil {
		suffix = *m.EndOfWordSuffix
	}
	bm, err := newBPEModel(map[string]int32(m.Vocab), mergeList, prefix)
	if err != nil {
		l.bad("model.merges", "%v", err)
		return nil
	}
	bm.prefix, bm.suffix = prefix, suffix
	bm.fuseUnk, bm.byteFallback, bm.ignoreMerges = m.FuseUnk, m.ByteFallback, m.IgnoreMerges
	if m.UnkToken != nil {
		id, ok := m.Vocab[*m.UnkToken]
		if !ok {
			l.bad("model.unk_token", "%q is not in the vocabulary", *m.UnkToken)
		}
		bm.unk = id
	}
	return bm
}

// parseMerges reads merges in either spelling: ["a b", ...] or [["a", "b"], ...].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	var pairs [][2]string
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if err := json.Unmarshal(raw, &pairs); err == nil {
		return pairs, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		return nil, fmt.Errorf("want [\"a b\", ...] or [[\"a\", \"b\"], ...]")
	}
	pairs = make([][2]string, len(lines))
	for i, line := range lines {
		left, right, ok := strings.Cut(line, " ")
		if !ok || left == "" || right == "" || strings.Contains(right, " ") {
			return nil, fmt.Errorf("merge %d %q is not \"left right\"", i, line)
		}
		pairs[i] = [2]string{left, right}
	}
	return pairs, nil
}

// added registers the added tokens and the id ↔ token maps.
func (l *stageLoader) added(p *Pipeline, list []hfAddedToken) {
	p.tokenIDs = make(map[string]int32, len(p.model.vocab)+len(list))
	p.idToken = make(map[int32]string, len(p.model.vocab)+len(list))
	p.specialIDs = map[int32]bool{}
	for s, id := range p.model.vocab {
		if other, ok := p.idToken[id]; ok {
			a, b := min(s, other), max(s, other)
			l.bad("model.vocab", "tokens %q and %q share id %d", a, b, id)
		}
		if id < 0 {
			l.bad("model.vocab", "token %q has a negative id %d", s, id)
		}
		p.tokenIDs[s] = id
		p.idToken[id] = s
		p.vocabSize = max(p.vocabSize, int(id)+1)
	}
	for i, a := range list {
		path := fmt.Sprintf("added_tokens[%d]", i)
		if a.Content == "" {
			l.bad(path+".content", "empty")
			continue
		}
		if a.ID < 0 {
			l.bad(path+".id", "negative")
			continue
		}
		if s, ok := p.idToken[a.ID]; ok && s != a.Content {
			l.bad(path+".id", "%d is also %q", a.ID, s)
			continue
		}
		// A normalized token's string is its normalized text, as Hugging
		// Face's id_to_token and decode give it.
		content := a.Content
		if a.Normalized && p.normalizer != nil {
			content = p.normalizer.normalize(content)
		}
		p.idToken[a.ID], p.tokenIDs[a.Content] = content, a.ID
		p.vocabSize = max(p.vocabSize, int(a.ID)+1)
		if a.Special {
			p.specialIDs[a.ID] = true
		}
		k := int32(len(p.added))
		p.added = append(p.added, addedToken{a.ID, a.Content, a.Special, a.SingleWord, a.LStrip, a.RStrip, a.Normalized})
		if a.Normalized {
			p.normTrie.insert(content, k)
		} else {
			p.rawTrie.insert(a.Content, k)
		}
	}
}

// postProcessor reads the single-sequence template that
// add_special_tokens applies: TemplateProcessing, Bert and Roberta
// processing, ByteLevel (no ids), or a Sequence of them.
func (l *stageLoader) postProcessor(s stage, path string, ids map[string]int32) []postItem {
	seq := []postItem{{}}
	if s == nil {
		return seq
	}
	tokenAt := func(v any, where string) []int32 {
		pair, _ := v.([]any)
		if len(pair) == 2 {
			if name, ok := pair[0].(string); ok {
				if id, ok := ids[name]; ok {
					return []int32{id}
				}
			}
		}
		l.bad(where, "want [token, id] of a token in the vocabulary")
		return []int32{}
	}
	switch typ := l.str(s, "type", path, ""); typ {
	case "ByteLevel":
		return seq
	case "BertProcessing", "RobertaProcessing":
		return []postItem{{tokenAt(s["cls"], path+".cls")}, {}, {tokenAt(s["sep"], path+".sep")}}
	case "TemplateProcessing":
		specials, _ := s["special_tokens"].(map[string]any)
		single, _ := s["single"].([]any)
		var out []postItem
		for i, it := range single {
			where := fmt.Sprintf("%s.single[%d]", path, i)
			m, _ := it.(map[string]any)
			if _, ok := m["Sequence"]; ok {
				out = append(out, postItem{})
				continue
			}
			st, _ := m["SpecialToken"].(map[string]any)
			name, _ := st["id"].(string)
			sp, _ := specials[name].(map[string]any)
			list, _ := sp["ids"].([]any)
			if sp == nil || list == nil {
				l.bad(where, "special token %q is not in special_tokens", name)
				continue
			}
			tok := []int32{}
			for _, x := range list {
				n, _ := x.(json.Number)
				v, err := n.Int64()
				if err != nil || v < 0 || v >= 1<<31 {
					l.bad(where, "bad id %v", x)
				}
				tok = append(tok, int32(v))
			}
			out = append(out, postItem{tok})
		}
		return out
	case "Sequence":
		out := seq
		for i, sub := range l.list(s, "processors", path) {
			inner := l.postProcessor(sub, fmt.Sprintf("%s.processors[%d]", path, i), ids)
			var next []postItem
			for _, o := range out {
				if o.ids != nil {
					next = append(next, o)
					continue
				}
				next = append(next, inner...)
			}
			out = next
		}
		return out
	default:
		l.bad(path+".type", "post-processor %q", typ)
	}
	return seq
}
