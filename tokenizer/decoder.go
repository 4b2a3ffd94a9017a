package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// A decoder turns token strings back into text, as a tokenizer.json
// "decoder" does (Hugging Face's decode_chain): each takes the list of
// strings and returns a new list, and the last list is concatenated.
type decoder interface {
	decode(tokens []string) []string
}

// byteLevelDecoder maps byte-level characters back to bytes (a token with
// a character outside the alphabet stands for its own UTF-8), joins
// everything, and reads the bytes as UTF-8 with each maximal invalid
// subpart replaced by U+FFFD (Rust's String::from_utf8_lossy).
type byteLevelDecoder struct{}

func (byteLevelDecoder) decode(tokens []string) []string {
	return []string{lossyUTF8(byteLevelBytes(tokens))}
}

// byteLevelBytes is the byte-level decoder's bytes before they are read as
// UTF-8.
func byteLevelBytes(tokens []string) []byte {
	var b []byte
	for _, t := range tokens {
		if raw, err := byteLevelDecode(t); err == nil {
			b = append(b, raw...)
		} else {
			b = append(b, t...)
		}
	}
	return b
}

// lossyUTF8 replaces each maximal subpart of an ill-formed sequence by
// one U+FFFD (the Unicode standard's recommended practice, which Rust's
// from_utf8_lossy and the WHATWG decoder follow). Go's utf8.DecodeRune
// reports one byte at a time; the subpart is the longest prefix of a valid
// sequence, so a truncated three-byte character is one U+FFFD, not two.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			sb.Write(b[i : i+n])
			i += n
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += maximalSubpart(b[i:])
	}
	return sb.String()
}

// maximalSubpart returns the length (≥ 1) of the longest prefix of b that
// starts a well-formed UTF-8 sequence, b not starting one in full.
func maximalSubpart(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
		n++
	}
	return n
}

// metaspaceDecoder turns the replacement character back into a space,
// dropping it from the first token unless the prepend scheme is never.
type metaspaceDecoder struct {
	replacement rune
	scheme      prependScheme
}

func (md metaspaceDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = strings.Map(func(r rune) rune {
			if r != md.replacement {
				return r
			}
			if i == 0 && md.scheme != prependNever {
				return -1
			}
			return ' '
		}, t)
	}
	return out
}

// replaceDecoder replaces the matches of a pattern in each token.
type replaceDecoder replace

func (rd replaceDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = replaceAll(t, rd.pattern, rd.content)
	}
	return out
}

// byteFallbackDecoder turns runs of <0xNN> tokens into the text their
// bytes spell, or one U+FFFD per byte if they are not valid UTF-8.
type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decode(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			for range pending {
				out = append(out, "\uFFFD")
			}
		}
		pending = pending[:0]
	}
	for _, t := range tokens {
		if b, ok := byteToken(t); ok {
			pending = append(pending, b)
			continue
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

// byteToken reads a <0xNN> token (hex digits of either case).
func byteToken(t string) (byte, bool) {
	if len(t) != 6 || !strings.HasPrefix(t, "<0x") || t[5] != '>' {
		return 0, false
	}
	var v byte
	for _, c := range []byte(t[3:5]) {
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | (c - '0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | (c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			v = v<<4 | (c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}

// fuse joins all tokens into one.
type fuse struct{}

func (fuse) decode(tokens []string) []string { return []string{strings.Join(tokens, "")} }

// stripDecoder removes up to start copies of content from the front of
// each token and up to stop from its end.
type stripDecoder struct {
	content     rune
	start, stop int
}

func (sd stripDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		rs := []rune(t)
		a, z := 0, len(rs)
		for a < sd.start && a < len(rs) && rs[a] == sd.content {
			a++
		}
		for k := 0; k < sd.stop && z > a && rs[z-1] == sd.content; k++ {
			z--
		}
		out[i] = string(rs[a:z])
	}
	return out
}

// decoders applies its members in order.
type decoders []decoder

func (ds decoders) decode(tokens []string) []string {
	for _, d := range ds {
		tokens = d.decode(tokens)
	}
	return tokens
}
