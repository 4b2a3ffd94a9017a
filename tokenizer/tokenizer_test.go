package tokenizer

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDecode checks decoding: ids that split a UTF-8 character give the
// exact bytes, and bad ids are errors naming the id and its position.
func TestDecode(t *testing.T) {
	tok := mustBuiltin(t, "cl100k_base")
	emoji := []byte("👨‍👩‍👧")
	var ids []int32 // one token per byte: each splits a character
	for _, b := range emoji {
		ids = append(ids, tok.merges.byteToken[b])
	}
	if got, err := tok.Decode(ids); err != nil || !bytes.Equal(got, emoji) {
		t.Errorf("byte tokens: got %q, %v", got, err)
	}
	if got, err := tok.Decode([]int32{100257}); err != nil || string(got) != "<|endoftext|>" {
		t.Errorf("special token: got %q, %v", got, err)
	}
	if got, err := tok.Decode(nil); err != nil || len(got) != 0 {
		t.Errorf("no ids: got %q, %v", got, err)
	}
	for _, c := range []struct {
		ids  []int32
		want string
	}{
		{[]int32{1, -1}, "token id -1 is not in the vocabulary (ids 0..100276), at position 1"},
		{[]int32{100256}, "token id 100256 is not in the vocabulary"}, // a hole between the ranks and the specials
		{[]int32{0, 0, 100277}, "token id 100277 is not in the vocabulary (ids 0..100276), at position 2"},
	} {
		if _, err := tok.Decode(c.ids); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Decode(%v): got %v, want an error containing %q", c.ids, err, c.want)
		}
	}
}

// TestEncodeSpecialErrors checks that allowing an unknown special token is
// an error naming it.
func TestEncodeSpecialErrors(t *testing.T) {
	tok := mustBuiltin(t, "gpt2")
	_, err := tok.EncodeSpecial([]byte("x"), []string{"<|fim_prefix|>"})
	if err == nil || !strings.Contains(err.Error(), `"<|fim_prefix|>" is not a special token`) {
		t.Errorf("got %v", err)
	}
	if _, err := tok.EncodeParallel([]byte("x"), []string{"<|nope|>"}, 2); err == nil {
		t.Error("EncodeParallel: no error")
	}
	if _, err := Builtin("r50k_base"); err == nil || !strings.Contains(err.Error(), `no built-in tokenizer "r50k_base"`) {
		t.Errorf("Builtin: got %v", err)
	}
}

// TestEncodeParallel checks that the parallel encoder gives the serial ids,
// with chunks small enough that every case is cut many times.
func TestEncodeParallel(t *testing.T) {
	g := mustGoldens(t)
	var all []byte
	for i := range g.Cases {
		raw, _ := g.text(i)
		all = append(all, raw...)
		all = append(all, "<|endoftext|>"...)
	}
	for _, name := range BuiltinNames {
		tok := mustBuiltin(t, name)
		want, err := tok.EncodeSpecial(all, []string{"<|endoftext|>"})
		if err != nil {
			t.Fatal(err)
		}
		for _, workers := range []int{1, 3} {
			got, err := tok.EncodeParallel(all, []string{"<|endoftext|>"}, workers)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("%s, %d workers: ids differ from EncodeSpecial (%v)", name, workers, err)
			}
		}
	}
	// The chunks themselves, cut small, encode to the same ids.
	tok := mustBuiltin(t, "o200k_base")
	text := all[:200<<10]
	var got []int32
	for _, c := range chunks(text, 64) {
		got = append(got, tok.Encode(c)...)
	}
	if !slices.Equal(got, tok.Encode(text)) {
		t.Error("64-byte chunks encode differently from the whole text")
	}
}

// TestLoadTiktokenErrors checks that a broken rank file is an error naming
// the line.
func TestLoadTiktokenErrors(t *testing.T) {
	var good strings.Builder
	for b := range 256 {
		good.WriteString(base64.StdEncoding.EncodeToString([]byte{byte(b)}) + " " + strconv.Itoa(b) + "\n")
	}
	for _, c := range []struct{ name, file, want string }{
		{"no rank", "YQ==\n", "line 1: want \"base64 rank\""},
		{"bad base64", "!!! 0\n", "line 1: want \"base64 rank\""},
		{"bad rank", "YQ== x\n", "line 1: bad rank"},
		{"duplicate token", "YQ== 0\nYQ== 1\n", `line 2: token "a" already has rank 0`},
		{"duplicate rank", "YQ== 0\nYg== 0\n", "share id 0"},
		{"sparse rank", "YQ== 2000000000\n", `token "a" has id 2000000000, out of range`},
		{"missing bytes", "YQ== 0\n", "no token for the byte 0x00"},
		{"special clash", good.String(), `tokens "\x05" and "<|x|>" share id 5`},
	} {
		_, err := LoadTiktoken(strings.NewReader(c.file), GPT2, map[string]int32{"<|x|>": 5})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
