package gguf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// file builds raw bytes: a header with the given version and counts, then
// whatever body writes, so that tests can state malformed files exactly.
func file(version uint32, nTensors, nKV uint64, body func(e *encoder)) []byte {
	var buf bytes.Buffer
	e := &encoder{w: &buf}
	e.raw(magic)
	e.u32(version)
	e.u64(nTensors)
	e.u64(nKV)
	if body != nil {
		body(e)
	}
	return buf.Bytes()
}

// info writes one tensor info entry.
func info(e *encoder, name string, typ Type, offset uint64, dims ...int64) {
	e.str(name)
	e.u32(uint32(len(dims)))
	for _, d := range dims {
		e.u64(uint64(d))
	}
	e.u32(uint32(typ))
	e.u64(offset)
}

// padTo pads e's output to a multiple of a.
func padTo(e *encoder, a int64) { e.zeros(pad(e.n, a) - e.n) }

func TestBadInput(t *testing.T) {
	kv := func(key string, typ ValueType, v any) func(e *encoder) {
		return func(e *encoder) {
			e.str(key)
			e.u32(uint32(typ))
			e.scalar(typ, v)
		}
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated: magic of 4 bytes at offset 0 runs past the end of the file (0 bytes)"},
		{"magic", append([]byte("GGML"), make([]byte, 20)...), `not a GGUF file: it begins "GGML", not "GGUF"`},
		{"version 1", file(1, 0, 0, nil), "GGUF version 1 is not supported"},
		{"version 4", file(4, 0, 0, nil), "GGUF version 4 is not supported (xent reads versions 2 and 3)"},
		{"big-endian", file(0x03000000, 0, 0, nil), "big-endian"},
		{"no counts", file(3, 0, 0, nil)[:12], "truncated: tensor count of 8 bytes at offset 8"},
		{"negative count", file(3, 1<<63, 0, nil), "tensor count is -9223372036854775808, negative"},
		{"huge count", file(3, 0, 1<<40, nil), "truncated: metadata key/value count is 1099511627776, but the 0 bytes left in the file hold at most 0"},
		{"key past the end", file(3, 0, 1, func(e *encoder) { e.u64(1000); e.raw([]byte("abcdefghijklmn")) }), "truncated: key #0 of 1000 bytes at offset 32 runs past the end"},
		{"empty key", file(3, 0, 1, kv("", Uint8, uint8(1))), "key #0 is empty"},
		{"string past the end", file(3, 0, 1, func(e *encoder) { e.str("k"); e.u32(uint32(String)); e.u64(1 << 50); e.raw(make([]byte, 16)) }), `truncated: key "k" of 1125899906842624 bytes`},
		{"scalar past the end", file(3, 0, 1, func(e *encoder) { e.str("k"); e.u32(uint32(Uint64)); e.u32(0) }), `truncated: key "k" of 8 bytes at offset 37 runs past the end of the file (41 bytes)`},
		{"array past the end", file(3, 0, 1, func(e *encoder) {
			e.str("k")
			e.u32(uint32(Array))
			e.u32(uint32(Int32))
			e.u64(100)
			e.raw(make([]byte, 40))
		}), `truncated: key "k": array length is 100, but the 40 bytes left in the file hold at most 10`},
		{"string element past the end", file(3, 0, 1, func(e *encoder) {
			e.str("k")
			e.u32(uint32(Array))
			e.u32(uint32(String))
			e.u64(2)
			e.str("ab")
			e.u64(99)
		}), `truncated: key "k": element 1 of 99 bytes`},
		{"unknown value type", file(3, 0, 1, func(e *encoder) { e.str("k"); e.u32(13); e.u64(0) }), `key "k": unknown value type 13`},
		{"unknown element type", file(3, 0, 1, func(e *encoder) { e.str("k"); e.u32(uint32(Array)); e.u32(99); e.u64(0) }), `key "k": unknown array element type 99`},
		{"array of arrays", file(3, 0, 1, func(e *encoder) { e.str("k"); e.u32(uint32(Array)); e.u32(uint32(Array)); e.u64(0) }), `key "k": an array of arrays`},
		{"duplicate key", file(3, 0, 2, func(e *encoder) { kv("k", Uint8, uint8(1))(e); kv("k", Uint8, uint8(2))(e) }), `key "k" appears twice`},
		{"alignment type", file(3, 0, 1, kv(AlignmentKey, Uint64, uint64(32))), `key "general.alignment" is a uint64, want a uint32`},
		{"alignment value", file(3, 0, 1, kv(AlignmentKey, Uint32, uint32(48))), `key "general.alignment" is 48, not a power of 2`},
		{"alignment zero", file(3, 0, 1, kv(AlignmentKey, Uint32, uint32(0))), `key "general.alignment" is 0, not a power of 2`},
		{"tensor name past the end", file(3, 1, 0, func(e *encoder) { e.u64(1 << 40); e.raw(make([]byte, 30)) }), "truncated: tensor #0 name of 1099511627776 bytes"},
		{"empty name", file(3, 1, 0, func(e *encoder) { info(e, "", F32, 0, 1) }), "tensor #0 has an empty name"},
		{"long name", file(3, 1, 0, func(e *encoder) { info(e, strings.Repeat("n", 64), F32, 0, 1) }), "tensor #0: name \"nnnnnnnnnnnnnnnnnnnn\"… is 64 bytes, over ggml's limit of 63"},
		{"duplicate tensor", file(3, 2, 0, func(e *encoder) { info(e, "w", F32, 0, 1); info(e, "w", F32, 32, 1) }), `tensor "w" appears twice`},
		{"too many dims", file(3, 1, 0, func(e *encoder) { info(e, "w", F32, 0, 1, 1, 1, 1, 1) }), `tensor "w": 5 dimensions, more than ggml's 4`},
		{"negative dim", file(3, 1, 0, func(e *encoder) { info(e, "w", F32, 0, 2, -3) }), `tensor "w": dimension 1 is -3, negative`},
		{"dims overflow", file(3, 1, 0, func(e *encoder) { info(e, "w", F32, 0, 1<<32, 1<<32) }), `tensor "w": dims [4294967296 4294967296] hold more than 2^63 values`},
		{"bytes overflow", file(3, 1, 0, func(e *encoder) { info(e, "w", F32, 0, 1<<31, 1<<31) }), `tensor "w": dims [2147483648 2147483648] of f32 take more than 2^63 bytes`},
		{"removed type", file(3, 1, 0, func(e *encoder) { info(e, "w", Type(4), 0, 32) }), `tensor "w": unknown tensor type 4`},
		{"unknown type", file(3, 1, 0, func(e *encoder) { info(e, "w", Type(200), 0, 32) }), `tensor "w": unknown tensor type 200`},
		{"partial block", file(3, 1, 0, func(e *encoder) { info(e, "w", Q4_K, 0, 128, 2) }), `tensor "w": rows of 128 values are not a whole number of q4_K blocks of 256`},
		{"no dims, partial block", file(3, 1, 0, func(e *encoder) { info(e, "w", Q4_0, 0) }), `tensor "w": rows of 1 values are not a whole number of q4_0 blocks of 32`},
		{"info past the end", file(3, 1, 0, func(e *encoder) { info(e, "w", F32, 0, 2); e.raw(make([]byte, 8)) })[:50], `truncated: tensor "w": data offset of 8 bytes`},
		{"first offset", file(3, 1, 0, func(e *encoder) { info(e, "w", F32, 32, 2); padTo(e, 32); e.raw(make([]byte, 64)) }), `tensor "w": data offset 32, want 0`},
		{"overlap", file(3, 2, 0, func(e *encoder) {
			info(e, "a", F32, 0, 2)
			info(e, "b", F32, 8, 2)
			padTo(e, 32)
			e.raw(make([]byte, 64))
		}), `tensor "b": data offset 8, want 32 (the end of the previous tensor, padded to 32)`},
		{"data past the end", file(3, 1, 0, func(e *encoder) { info(e, "w", F32, 0, 2, 3); padTo(e, 32); e.raw(make([]byte, 20)) }), `truncated: tensor "w": 24 bytes of f32 [2 3] at data offset 0 run past the end of the file (20 bytes of data)`},
		{"no data section", file(3, 1, 0, func(e *encoder) { info(e, "w", F32, 0, 1) }), "truncated: the data section would begin at offset 64, past the end of the file (57 bytes)"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v\n\twant %q", tc.name, err, tc.want)
		}
	}
}

// TestMisalignedGGMLFile reads the file ggml's own reader refuses: a
// general.alignment of 64 that its writer did not apply.
func TestMisalignedGGMLFile(t *testing.T) {
	_, err := Open(filepath.Join("testdata", "misaligned.gguf"))
	want := `testdata/misaligned.gguf: tensor "tok_embd.weight": data offset 32, want 64`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%v, want %q", err, want)
	}
}

// TestTruncated cuts ggml's file at every length: each cut that loses a
// byte of header or data is an error that says "truncated"; cutting only
// the last tensor's padding leaves a file ggml reads too.
func TestTruncated(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "ggml.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	last := f.Tensors[len(f.Tensors)-1]
	end := int(f.DataOffset + last.Offset + last.Size)
	for n := range len(b) {
		_, err := Parse(b[:n])
		switch {
		case n < end && (err == nil || !strings.Contains(err.Error(), "truncated")):
			t.Fatalf("%d of %d bytes: %v, want a truncation error", n, len(b), err)
		case n >= end && err != nil:
			t.Fatalf("%d of %d bytes (all the data): %v", n, len(b), err)
		}
	}
}
