package gguf

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// ggmlKV is the metadata the harness gave ggml's writer for
// testdata/ggml.gguf (see testdata/README.md), in its order.
var ggmlKV = []KV{
	{"general.alignment", Value{Type: Uint32, V: uint32(64)}},
	{"general.architecture", Value{Type: String, V: "llama"}},
	{"t.u8", Value{Type: Uint8, V: uint8(200)}},
	{"t.i8", Value{Type: Int8, V: int8(-100)}},
	{"t.u16", Value{Type: Uint16, V: uint16(60000)}},
	{"t.i16", Value{Type: Int16, V: int16(-30000)}},
	{"t.u32", Value{Type: Uint32, V: uint32(4000000000)}},
	{"t.i32", Value{Type: Int32, V: int32(-2000000000)}},
	{"t.f32", Value{Type: Float32, V: float32(0.1)}},
	{"t.bool", Value{Type: Bool, V: true}},
	{"t.str", Value{Type: String, V: "héllo, gguf"}},
	{"t.u64", Value{Type: Uint64, V: uint64(18000000000000000000)}},
	{"t.i64", Value{Type: Int64, V: int64(-9000000000000000000)}},
	{"t.f64", Value{Type: Float64, V: 0.1}},
	{"t.empty", Value{Type: String, V: ""}},
	{"a.u8", Value{Type: Array, Elem: Uint8, V: []uint8{1, 2, 255}}},
	{"a.i8", Value{Type: Array, Elem: Int8, V: []int8{-1, 2, -128}}},
	{"a.u16", Value{Type: Array, Elem: Uint16, V: []uint16{1, 65535}}},
	{"a.i16", Value{Type: Array, Elem: Int16, V: []int16{-1, 32767}}},
	{"a.u32", Value{Type: Array, Elem: Uint32, V: []uint32{7, 4294967295}}},
	{"a.i32", Value{Type: Array, Elem: Int32, V: []int32{-7, 1, 2, 3}}},
	{"a.f32", Value{Type: Array, Elem: Float32, V: []float32{-0.5, 1e-30, 3.25}}},
	{"a.bool", Value{Type: Array, Elem: Bool, V: []bool{true, false, true}}},
	{"a.u64", Value{Type: Array, Elem: Uint64, V: []uint64{1 << 63}}},
	{"a.i64", Value{Type: Array, Elem: Int64, V: []int64{-1, 1 << 40}}},
	{"a.f64", Value{Type: Array, Elem: Float64, V: []float64{2.5, -1e300}}},
	{"a.str", Value{Type: Array, Elem: String, V: []string{"<s>", "", "▁the", "Ġworld"}}},
	{"a.empty", Value{Type: Array, Elem: Int32, V: []int32{}}},
}

// openAll opens a testdata file the three ways: mapped, streamed through
// an io.ReaderAt, and parsed from memory.
func openAll(t *testing.T, name string) map[string]*File {
	t.Helper()
	path := filepath.Join("testdata", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mapped, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mapped.Close() })
	if mapped.mem == nil {
		t.Log("Open did not map the file on this system; it reads it")
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	streamed, err := NewReader(fh, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*File{"Open": mapped, "NewReader": streamed, "Parse": parsed}
}

func TestReadGGMLFile(t *testing.T) {
	q8 := readGolden(t, Q8_0)
	q4 := readGolden(t, Q4_K)
	for how, f := range openAll(t, "ggml.gguf") {
		t.Run(how, func(t *testing.T) {
			if f.Version != 3 || f.Alignment != 64 || f.DataOffset%64 != 0 {
				t.Errorf("version %d alignment %d data at %d", f.Version, f.Alignment, f.DataOffset)
			}
			if !reflect.DeepEqual(f.KV, ggmlKV) {
				for i := range max(len(f.KV), len(ggmlKV)) {
					if i >= len(f.KV) || i >= len(ggmlKV) || !reflect.DeepEqual(f.KV[i], ggmlKV[i]) {
						t.Fatalf("metadata #%d differs: got %+v, want %+v", i, f.KV[min(i, len(f.KV)-1)], ggmlKV[min(i, len(ggmlKV)-1)])
					}
				}
			}
			wantInfo := []struct {
				name string
				typ  Type
				dims []int64
			}{
				{"norm.weight", F32, []int64{5}},
				{"tok_embd.weight", F16, []int64{3, 2}},
				{"blk.0.attn_q.weight", Q8_0, []int64{64, int64(len(q8.values) / 64)}},
				{"blk.0.ffn_up.weight", Q4_K, []int64{256, 2, int64(len(q4.values) / 512)}},
				{"four.d", F32, []int64{1, 2, 1, 3}},
			}
			if len(f.Tensors) != len(wantInfo) {
				t.Fatalf("%d tensors, want %d", len(f.Tensors), len(wantInfo))
			}
			for i, w := range wantInfo {
				g := f.Tensors[i]
				if g.Name != w.name || g.Type != w.typ || !slices.Equal(g.Dims, w.dims) || g.Offset%64 != 0 {
					t.Errorf("tensor %d: %+v, want %s %s %v at a multiple of 64", i, g, w.name, w.typ, w.dims)
				}
			}
			check := func(name string, want []float32) {
				t.Helper()
				got, err := f.Dequantize(name)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.EqualFunc(got, want, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
					t.Errorf("%s: got %v, want %v", name, got[:min(8, len(got))], want[:min(8, len(want))])
				}
			}
			check("norm.weight", []float32{-0.5, -0.25, 0, 0.25, 0.5})
			check("tok_embd.weight", []float32{-4, -2.5, -1, 0.5, 2, 3.5})
			check("four.d", []float32{float32(math.Copysign(0, -1)), -1, -2, -3, -4, -5}) // the harness wrote -(float)0
			check("blk.0.attn_q.weight", q8.values)
			check("blk.0.ffn_up.weight", q4.values)
			if b, _ := f.Data("blk.0.ffn_up.weight"); !bytes.Equal(b, q4.blocks) {
				t.Error("the q4_K tensor's bytes are not the blocks ggml was given")
			}
			if tt, _ := f.Tensor("tok_embd.weight"); !slices.Equal(tt.Shape(), []int{2, 3}) || tt.Len() != 6 || tt.Size != 12 {
				t.Errorf("tok_embd.weight: shape %v len %d size %d", tt.Shape(), tt.Len(), tt.Size)
			}
		})
	}
}

func TestReadDefaultAlignment(t *testing.T) {
	for how, f := range openAll(t, "plain.gguf") {
		if f.Alignment != DefaultAlignment || f.DataOffset%DefaultAlignment != 0 {
			t.Errorf("%s: alignment %d, data at %d", how, f.Alignment, f.DataOffset)
		}
		if s, err := f.String("general.name"); s != "plain" || err != nil {
			t.Errorf("%s: general.name %q, %v", how, s, err)
		}
	}
}

// TestReadVersion2 reads ggml's file with its version field set to 2: the
// two versions have the same little-endian layout.
func TestReadVersion2(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "ggml.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(b[4:], 2)
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 2 || len(f.KV) != len(ggmlKV) || len(f.Tensors) != 5 {
		t.Errorf("version %d, %d keys, %d tensors", f.Version, len(f.KV), len(f.Tensors))
	}
}

func TestAccessors(t *testing.T) {
	f, err := Open(filepath.Join("testdata", "ggml.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		key  string
		want int64
	}{{"t.u8", 200}, {"t.i8", -100}, {"t.u16", 60000}, {"t.i16", -30000}, {"t.u32", 4000000000}, {"t.i32", -2000000000}, {"t.i64", -9000000000000000000}} {
		if n, err := f.Int(tc.key); n != tc.want || err != nil {
			t.Errorf("Int(%q) = %d, %v, want %d", tc.key, n, err, tc.want)
		}
	}
	if x, err := f.Float("t.f32"); x != float64(float32(0.1)) || err != nil {
		t.Errorf("Float(t.f32) = %v, %v", x, err)
	}
	if b, err := f.Bool("t.bool"); !b || err != nil {
		t.Errorf("Bool(t.bool) = %v, %v", b, err)
	}
	if s, err := f.Strings("a.str"); !slices.Equal(s, []string{"<s>", "", "▁the", "Ġworld"}) || err != nil {
		t.Errorf("Strings(a.str) = %q, %v", s, err)
	}
	if s, err := f.Float32s("a.f32"); !slices.Equal(s, []float32{-0.5, 1e-30, 3.25}) || err != nil {
		t.Errorf("Float32s(a.f32) = %v, %v", s, err)
	}
	for key, want := range map[string][]int64{"a.u8": {1, 2, 255}, "a.i8": {-1, 2, -128}, "a.u32": {7, 4294967295}, "a.i64": {-1, 1 << 40}, "a.empty": {}} {
		if s, err := f.Ints(key); !slices.Equal(s, want) || err != nil {
			t.Errorf("Ints(%q) = %v, %v, want %v", key, s, err, want)
		}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{second(f.Int("t.u64")), `key "t.u64" is 18000000000000000000, past the int64 range`},
		{second(f.Ints("a.u64")), `key "a.u64": element 0 is 9223372036854775808, past the int64 range`},
		{second(f.Int("t.str")), `key "t.str" is a string, want an integer`},
		{second(f.String("a.str")), `key "a.str" is an array of string, want a string`},
		{second(f.Strings("nope")), `no metadata key "nope"`},
		{second(f.Float32s("a.f64")), `key "a.f64" is an array of float64, want an array of float32`},
		{second(f.Data("nope")), `no tensor "nope"`},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("error %v, want %q", tc.err, tc.want)
		}
	}
	// The copies are the caller's.
	s, _ := f.Strings("a.str")
	s[0] = "changed"
	if s2, _ := f.Strings("a.str"); s2[0] != "<s>" {
		t.Error("Strings returned the file's own slice")
	}
}

func second[T any](_ T, err error) error { return err }

func TestClose(t *testing.T) {
	f, err := Open(filepath.Join("testdata", "plain.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := f.Data("norm.weight"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Data after Close: %v", err)
	}
}

func TestFileType(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{Value{Type: Uint32, V: uint32(15)}, "Q4_K_M"},
		{Value{Type: Int32, V: int32(7)}, "Q8_0"},
		{Value{Type: Uint32, V: uint32(1)}, "F16"},
		{Value{Type: Uint32, V: uint32(99)}, "file type 99"},
	} {
		f := &File{KV: []KV{{FileTypeKey, tc.v}}, index: map[string]int{FileTypeKey: 0}}
		if got, err := f.FileType(); got != tc.want || err != nil {
			t.Errorf("%v: %q, %v, want %q", tc.v.V, got, err, tc.want)
		}
	}
	f, err := Open(filepath.Join("testdata", "plain.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := f.FileType(); got != "" || err != nil {
		t.Errorf("no general.file_type: %q, %v", got, err)
	}
}

func TestOpenRefusals(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.gguf")
	os.WriteFile(empty, nil, 0o644)
	for _, tc := range []struct{ path, want string }{
		{empty, "empty.gguf: truncated: magic of 4 bytes at offset 0"},
		{dir, "is not a regular file"},
		{filepath.Join(dir, "missing.gguf"), "no such file"},
	} {
		if _, err := Open(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s): %v, want %q", tc.path, err, tc.want)
		}
	}
}
