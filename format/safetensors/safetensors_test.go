package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// raw builds a file from a header string and a data buffer.
func raw(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func sample() []Tensor {
	return []Tensor{
		FromFloat32("a.weight", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		{Name: "b", DType: BF16, Shape: []int{2}, Data: []byte{0x80, 0x3f, 0x00, 0xc0}}, // 1, -2
		{Name: "c", DType: F16, Shape: []int{}, Data: []byte{0x00, 0x3c}},               // 1
		{Name: "empty", DType: I64, Shape: []int{0, 4}, Data: []byte{}},
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	meta := map[string]string{"format": "pt"}
	if err := Write(&buf, sample(), meta); err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(buf.Bytes()); n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	f, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "pt" || len(f.Metadata) != 1 {
		t.Errorf("metadata %v", f.Metadata)
	}
	want := sample()
	if len(f.Tensors) != len(want) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(want))
	}
	for i, w := range want {
		g := f.Tensors[i]
		if g.Name != w.Name || g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("tensor %d: got %+v, want %+v", i, g, w)
		}
	}
	for _, tc := range []struct {
		name string
		want []float32
	}{
		{"a.weight", []float32{1, 2, 3, 4, 5, 6}},
		{"b", []float32{1, -2}},
		{"c", []float32{1}},
	} {
		tt, ok := f.Tensor(tc.name)
		if !ok {
			t.Fatalf("no tensor %q", tc.name)
		}
		got, err := tt.Float32s()
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: Float32s = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := f.Tensors[3].Float32s(); err == nil || !strings.Contains(err.Error(), `"empty"`) {
		t.Errorf("Float32s of I64: err %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	f32 := func(off string, shape string) string {
		return `{"x":{"dtype":"F32","shape":` + shape + `,"data_offsets":` + off + `}}`
	}
	eight := make([]byte, 8)
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"short header", raw("", nil)[:5], "truncated"},
		{"header past the end", binary.LittleEndian.AppendUint64(nil, 50), "truncated"},
		{"huge header", binary.LittleEndian.AppendUint64(nil, 1<<62), "over the limit"},
		{"not an object", raw(`[1, 2]`, nil), "not a JSON object"},
		{"bad json", raw(`{"x": {`, nil), "tensor \"x\""},
		{"trailing json", raw(`{} {}`, nil), "after the JSON object"},
		{"duplicate", raw(`{"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`, nil), "twice"},
		{"unknown dtype", raw(`{"x":{"dtype":"F7","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), `tensor "x": unknown dtype`},
		{"no shape", raw(`{"x":{"dtype":"U8","data_offsets":[0,1]}}`, []byte{0}), "no shape"},
		{"offsets arity", raw(f32("[0]", "[2]"), eight), "must be [begin, end]"},
		{"out of range", raw(f32("[0,16]", "[4]"), eight), `tensor "x": truncated: data_offsets [0, 16] end past the 8 bytes`},
		{"reversed", raw(f32("[8,0]", "[2]"), eight), "not a range"},
		{"negative", raw(f32("[-4,4]", "[2]"), eight), "not a range"},
		{"size mismatch", raw(f32("[0,8]", "[3]"), eight), `tensor "x": shape [3] of F32 needs 12 bytes`},
		{"negative dim", raw(f32("[0,8]", "[-2]"), eight), "negative dimension"},
		{"huge shape", raw(f32("[0,8]", "[4611686018427387904,4]"), eight), "too large"},
		{"overlap", raw(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), `tensor "y": data_offsets [4, 8] overlap tensor "x"`},
		{"gap", raw(`{"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), `tensor "y": gap of 4 bytes`},
		{"trailing data", raw(f32("[0,4]", "[1]"), eight), "4 bytes of data after the last tensor"},
		{"empty name", raw(`{"":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`, nil), "empty name"},
		{"bad metadata", raw(`{"__metadata__":{"a":1}}`, nil), "__metadata__"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.in)
			if err == nil || f != nil {
				t.Fatalf("Parse = %v, %v; want an error", f, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			path := filepath.Join(t.TempDir(), "x.safetensors")
			if err := os.WriteFile(path, tc.in, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path)
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open's error %q does not mention %q and the path", err, tc.want)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		ts   []Tensor
		want string
	}{
		{"repeated", []Tensor{FromFloat32("a", []int{1}, []float32{1}), FromFloat32("a", []int{1}, []float32{1})}, "repeated"},
		{"reserved", []Tensor{FromFloat32("__metadata__", []int{1}, []float32{1})}, "reserved"},
		{"dtype", []Tensor{{Name: "a", DType: "Q4", Shape: []int{1}, Data: []byte{0}}}, `tensor "a": unknown dtype`},
		{"size", []Tensor{{Name: "a", DType: F32, Shape: []int{2}, Data: []byte{0}}}, `tensor "a": shape [2] of F32 needs 8 bytes, has 1`},
		{"negative", []Tensor{{Name: "a", DType: F32, Shape: []int{-1}}}, `tensor "a": negative dimension`},
		{"overflow", []Tensor{{Name: "a", DType: F32, Shape: []int{1 << 62, 4}}}, `tensor "a": shape [4611686018427387904 4] is too large`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tc.ts, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Write error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := WriteFile(path, sample(), nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	// A failing write (here: over a directory) leaves the old file and no
	// temporary file behind.
	err := WriteFile(dir, sample()[:1], nil)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("WriteFile over a directory: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed write changed the existing file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries left in the directory, want 1", len(entries))
	}
	f, err := ReadFile(path)
	if err != nil || len(f.Tensors) != 4 {
		t.Fatalf("ReadFile: %v", err)
	}

	// Truncation is caught and the error names the file.
	os.WriteFile(path, before[:len(before)-3], 0o644)
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadFile of a truncated file: %v", err)
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir"), sample(), nil); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

// TestFromFloat32As checks the bytes of F16 and BF16 tensors against
// values PyTorch gives (torch.tensor(x).to(dtype).view(torch.int16)),
// ties rounded to even, and that Float32s reads them back.
func TestFromFloat32As(t *testing.T) {
	x := []float32{1, -2, 1.00390625, 1.01171875, 65504, 3.0517578e-05}
	for _, tc := range []struct {
		d    DType
		want []uint16
		back []float32
	}{
		// 1.00390625 = 1 + 2⁻⁸ is a tie between bfloat16's 1 and 1 + 2⁻⁷: even is 1.
		// 1.01171875 = 1 + 3·2⁻⁸ is a tie between 1 + 2⁻⁷ and 1 + 2⁻⁶: even is 1 + 2⁻⁶.
		{BF16, []uint16{0x3f80, 0xc000, 0x3f80, 0x3f82, 0x4780, 0x3800},
			[]float32{1, -2, 1, 1.015625, 65536, 3.0517578e-05}},
		{F16, []uint16{0x3c00, 0xc000, 0x3c04, 0x3c0c, 0x7bff, 0x0200},
			[]float32{1, -2, 1.00390625, 1.01171875, 65504, 3.0517578e-05}},
	} {
		tt := FromFloat32As("x", []int{2, 3}, x, tc.d)
		for i, w := range tc.want {
			if got := binary.LittleEndian.Uint16(tt.Data[2*i:]); got != w {
				t.Errorf("%s: element %d (%g) is %#04x, want %#04x", tc.d, i, x[i], got, w)
			}
		}
		back, err := tt.Float32s()
		if err != nil || !slices.Equal(back, tc.back) {
			t.Errorf("%s: read back %v, %v; want %v", tc.d, back, err, tc.back)
		}
	}
}
