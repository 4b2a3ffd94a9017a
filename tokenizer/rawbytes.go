package tokenizer

import "fmt"

// Text that is not valid UTF-8. Hugging Face's tokenizers takes only
// strings: its Python binding refuses bytes, and its node binding gets a
// JavaScript string, in which each invalid byte has already become U+FFFD,
// so the reference never sees the bytes. tiktoken's byte-level BPE (and
// this package's fast path) encodes the bytes themselves, each invalid one
// by its own byte token, and decoding gives them back.
//
// A Pipeline does what it can of the second: where every stage keeps bytes
// (keepsBytes: the vocabulary is byte-level and ends in a plain ByteLevel
// that the model encodes from bytes, and every stage before it only cuts
// or passes bytes through: Unicode forms, Prepend, literal Replace and
// Strip; Splits by a hand-written scanner or a string that drop nothing,
// Digits), the
// invalid bytes are encoded by their byte-level symbols, so that
// Decode(Encode(b)) == b for any b (Qwen3's and DeepSeek V3's files, as
// Llama 3's and gpt-oss's on the fast path). Valid UTF-8 encodes exactly
// as before; around an invalid byte the ids differ from Hugging Face's,
// which encodes the three bytes of U+FFFD there. Elsewhere (SentencePiece
// vocabularies such as Llama 2's and Gemma 3's, a general regex, a
// normalizer that rewrites characters) each invalid byte is read as
// U+FFFD, exactly what Hugging Face encodes for the JavaScript string.

// keepsBytes reports whether p's stages carry bytes that are not valid
// UTF-8 through unchanged (see above).
func (p *Pipeline) keepsBytes() bool {
	return p.raw.on && p.byteLevel && normalizerKeepsBytes(p.normalizer) && preTokenizerKeepsBytes(p.raw.pre)
}

func normalizerKeepsBytes(n normalizer) bool {
	switch x := n.(type) {
	case nil, unicodeForm, prepend, strip:
		return true // golang.org/x/text/unicode/norm passes invalid bytes through
	case replace:
		_, ok := x.pattern.(literal)
		return ok
	case normalizers:
		for _, m := range x {
			if !normalizerKeepsBytes(m) {
				return false
			}
		}
		return true
	}
	return false
}

func preTokenizerKeepsBytes(pt preTokenizer) bool {
	switch x := pt.(type) {
	case nil:
		return true
	case split:
		if x.behavior == removed {
			return false // it drops bytes
		}
		switch x.pattern.(type) {
		case literal, scanner, numberRuns, runeRuns, deepseekWords, charMatcher:
			return true // they slice the text, an invalid byte a character of U+FFFD's class
		}
	case preTokenizers:
		for _, q := range x {
			if !preTokenizerKeepsBytes(q) {
				return false
			}
		}
		return true
	}
	return false
}

// decodeBytes returns the bytes of ids where p's decoder is a plain
// ByteLevel one: what Decode returns before it reads them as UTF-8 (so
// the same text wherever that is valid), and the exact bytes where it is
// not, which Decode would give as U+FFFD. ok is false for other decoders.
func (p *Pipeline) decodeBytes(ids []int32) (b []byte, ok bool, err error) {
	d := p.decoder
	if ds, one := d.(decoders); one && len(ds) == 1 {
		d = ds[0]
	}
	if _, plain := d.(byteLevelDecoder); !plain {
		return nil, false, nil
	}
	tokens := make([]string, len(ids))
	for i, id := range ids {
		if tokens[i], err = p.Token(id); err != nil {
			return nil, true, fmt.Errorf("%w, at position %d", err, i)
		}
	}
	return byteLevelBytes(tokens), true, nil
}
