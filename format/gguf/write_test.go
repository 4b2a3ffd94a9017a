package gguf

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tensorsOf is every tensor of f with its data, as Write takes them.
func tensorsOf(t *testing.T, f *File) []TensorData {
	t.Helper()
	var out []TensorData
	for _, tt := range f.Tensors {
		b, err := f.Data(tt.Name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, TensorData{Name: tt.Name, Type: tt.Type, Dims: tt.Dims, Data: b})
	}
	return out
}

// TestWriteMatchesGGML writes back what was read from files ggml wrote and
// gets the same bytes: Write lays a file out as gguf_write_to_file does.
func TestWriteMatchesGGML(t *testing.T) {
	for _, name := range []string{"ggml.gguf", "plain.gguf"} {
		want, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(want)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, f.KV, tensorsOf(t, f)); err != nil {
			t.Fatal(err)
		}
		if got := buf.Bytes(); !bytes.Equal(got, want) {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			t.Errorf("%s: wrote %d bytes, ggml %d; first difference at byte %d", name, len(got), len(want), i)
		}
	}
}

func TestWriteFileReadsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	x := []float32{1, -2, 0.5, 3}
	data, err := Encode(F32, x)
	if err != nil {
		t.Fatal(err)
	}
	kv := []KV{{"general.architecture", Value{Type: String, V: "llama"}}, {AlignmentKey, Value{Type: Uint32, V: uint32(128)}}}
	if err := WriteFile(path, kv, []TensorData{{Name: "w", Type: F32, Dims: []int64{2, 2}, Data: data}, {Name: "b", Type: F32, Dims: []int64{4}, Data: data}}); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Alignment != 128 || f.DataOffset%128 != 0 || f.Tensors[1].Offset != 128 {
		t.Errorf("alignment %d, data at %d, second tensor at %d", f.Alignment, f.DataOffset, f.Tensors[1].Offset)
	}
	got, err := f.Dequantize("b")
	if err != nil || len(got) != 4 || got[1] != -2 || got[2] != 0.5 {
		t.Errorf("b = %v, %v", got, err)
	}
}

// TestEncodeMatchesGGML encodes the inputs ggml encoded and gets its
// bytes: f16, bf16 and q8_0 (testdata/dequant/<type>.in, the first half of
// <type>.bin).
func TestEncodeMatchesGGML(t *testing.T) {
	for _, typ := range []Type{F16, BF16, Q8_0} {
		b, err := os.ReadFile(filepath.Join("testdata", "dequant", typ.String()+".in"))
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, len(b)/4)
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		got, err := Encode(typ, x)
		if err != nil {
			t.Fatal(err)
		}
		want := readGolden(t, typ).blocks[:len(got)]
		if !bytes.Equal(got, want) {
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: byte %d (block %d) is %#02x, ggml %#02x", typ, i, i/typ.TypeSize(), got[i], want[i])
					break
				}
			}
		}
	}
}

func TestEncodeRefusals(t *testing.T) {
	for _, tc := range []struct {
		typ  Type
		n    int
		want string
	}{
		{Q4_K, 256, "xent does not encode q4_K (it writes f32, f16, bf16 and q8_0)"},
		{Q8_0, 33, "33 values are not a whole number of q8_0 blocks of 32"},
	} {
		if _, err := Encode(tc.typ, make([]float32, tc.n)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Encode(%s, %d): %v, want %q", tc.typ, tc.n, err, tc.want)
		}
	}
}

func TestWriteRefusals(t *testing.T) {
	f32 := func(n int) []byte { return make([]byte, 4*n) }
	for _, tc := range []struct {
		name    string
		kv      []KV
		tensors []TensorData
		want    string
	}{
		{"empty key", []KV{{"", Value{Type: Uint8, V: uint8(1)}}}, nil, "key #0 is empty"},
		{"duplicate key", []KV{{"a", Value{Type: Uint8, V: uint8(1)}}, {"a", Value{Type: Uint8, V: uint8(1)}}}, nil, `key "a" appears twice`},
		{"wrong Go type", []KV{{"a", Value{Type: Uint32, V: 5}}}, nil, `key "a": a uint32 holds a Go int, want uint32`},
		{"array of arrays", []KV{{"a", Value{Type: Array, Elem: Array, V: []any{}}}}, nil, `key "a": arrays of array are not written`},
		{"unknown value type", []KV{{"a", Value{Type: 13, V: 1}}}, nil, `key "a": unknown value type 13`},
		{"alignment", []KV{{AlignmentKey, Value{Type: Uint32, V: uint32(48)}}}, nil, "must be a uint32 power of 2, not 48"},
		{"duplicate tensor", nil, []TensorData{{Name: "w", Type: F32, Dims: []int64{1}, Data: f32(1)}, {Name: "w", Type: F32, Dims: []int64{1}, Data: f32(1)}}, `tensor "w" appears twice`},
		{"size", nil, []TensorData{{Name: "w", Type: F32, Dims: []int64{2, 3}, Data: f32(5)}}, `tensor "w": dims [2 3] of f32 take 24 bytes, the data has 20`},
		{"blocks", nil, []TensorData{{Name: "w", Type: Q8_0, Dims: []int64{16, 2}, Data: make([]byte, 34)}}, `tensor "w": rows of 16 values are not a whole number of q8_0 blocks of 32`},
		{"unknown type", nil, []TensorData{{Name: "w", Type: 4, Dims: []int64{1}}}, `tensor "w": unknown tensor type 4`},
		{"dims", nil, []TensorData{{Name: "w", Type: F32, Dims: []int64{1, 1, 1, 1, 1}, Data: f32(1)}}, `tensor "w": 5 dimensions, more than ggml's 4`},
		{"long name", nil, []TensorData{{Name: strings.Repeat("x", 64), Type: F32, Dims: []int64{1}, Data: f32(1)}}, "name of 64 bytes, over ggml's limit of 63"},
	} {
		var buf bytes.Buffer
		err := Write(&buf, tc.kv, tc.tensors)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written before the error", tc.name, buf.Len())
		}
	}
	// WriteFile leaves what is at the path alone when it refuses.
	path := filepath.Join(t.TempDir(), "keep.gguf")
	os.WriteFile(path, []byte("mine"), 0o644)
	if err := WriteFile(path, []KV{{"", Value{Type: Uint8, V: uint8(1)}}}, nil); err == nil {
		t.Error("WriteFile accepted an empty key")
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Errorf("the file now holds %q", b)
	}
}
