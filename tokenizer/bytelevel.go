package tokenizer

import "fmt"

// GPT-2's encoder.json, vocab.bpe and Hugging Face's ByteLevel vocabularies
// spell a token's bytes as text, one character per byte: the printable
// bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves and the other 68
// bytes, in order, for U+0100 onwards (GPT-2's bytes_to_unicode).
var (
	byteRunes [256]rune
	runeBytes = map[rune]byte{}
)

func init() {
	n := 0
	for b := range 256 {
		if '!' <= b && b <= '~' || '¡' <= b && b <= '¬' || '®' <= b && b <= 'ÿ' {
			byteRunes[b] = rune(b)
		} else {
			byteRunes[b] = rune(256 + n)
			n++
		}
		runeBytes[byteRunes[b]] = byte(b)
	}
}

// byteLevelDecode returns the bytes a byte-level token spelling stands for.
func byteLevelDecode(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := runeBytes[r]
		if !ok {
			return nil, fmt.Errorf("token %q: character %q is not in the byte-level alphabet", s, r)
		}
		out = append(out, b)
	}
	return out, nil
}

// byteLevelEncode spells bytes as a byte-level token.
func byteLevelEncode(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = byteRunes[c]
	}
	return string(rs)
}

// byteLevelOrder lists the 256 bytes in the order of their characters, the
// ids 0..255 of GPT-2's vocabulary and of a trained one.
func byteLevelOrder() [256]byte {
	var order [256]byte
	i := 0
	for _, set := range [][2]int{{'!', '~'}, {'¡', '¬'}, {'®', 'ÿ'}} {
		for b := set[0]; b <= set[1]; b++ {
			order[i] = byte(b)
			i++
		}
	}
	for b := range 256 {
		if byteRunes[b] >= 256 {
			order[i] = byte(b)
			i++
		}
	}
	return order
}
