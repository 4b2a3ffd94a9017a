package safetensors

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeTemp writes b to a file in a test's directory and returns its path.
func writeTemp(t testing.TB, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.safetensors")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOpenReads checks that a Reader gives each tensor's values as
// ReadFile does, in float32 and, for BF16, as bits; and refuses a wrong
// dtype or length by name.
func TestOpenReads(t *testing.T) {
	vals := make([]float32, 3000)
	for i := range vals {
		vals[i] = float32(i%97) / 7
	}
	big := make([]float32, chunk/2+3) // a BF16 tensor of more than one chunk
	for i := range big {
		big[i] = float32(i%31) - 15
	}
	ts := []Tensor{FromFloat32As("f32", []int{3, 1000}, vals, F32), FromFloat32As("f16", []int{3000}, vals, F16),
		FromFloat32As("bf16", []int{len(big)}, big, BF16), {Name: "u8", DType: U8, Shape: []int{2}, Data: []byte{1, 2}}}
	var buf bytes.Buffer
	if err := Write(&buf, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, buf.Bytes())
	want, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Metadata["format"] != "pt" || len(r.Tensors) != len(want.Tensors) {
		t.Fatalf("metadata %v, %d tensors; want %v, %d", r.Metadata, len(r.Tensors), want.Metadata, len(want.Tensors))
	}
	for i, wt := range want.Tensors {
		tt := r.Tensors[i]
		if tt.Name != wt.Name || tt.DType != wt.DType || !slices.Equal(tt.Shape, wt.Shape) || tt.Data != nil {
			t.Fatalf("tensor %d is %q %s %v, want %q %s %v", i, tt.Name, tt.DType, tt.Shape, wt.Name, wt.DType, wt.Shape)
		}
		if wt.DType == U8 {
			err := r.Float32s(i, make([]float32, 2))
			if err == nil || !strings.Contains(err.Error(), `"u8" has dtype U8`) {
				t.Fatalf("Float32s of U8: %v", err)
			}
			continue
		}
		wf, _ := wt.Float32s()
		got := make([]float32, tt.Len())
		if err := r.Float32s(i, got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, wf) {
			t.Fatalf("tensor %q: Float32s differ from ReadFile's", tt.Name)
		}
		bits := make([]uint16, tt.Len())
		err := r.BF16s(i, bits)
		if tt.DType != BF16 {
			if err == nil || !strings.Contains(err.Error(), "not BF16") {
				t.Fatalf("BF16s of %s: %v", tt.DType, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for k, b := range bits {
			if b != uint16(wt.Data[2*k])|uint16(wt.Data[2*k+1])<<8 {
				t.Fatalf("tensor %q: bits differ at %d", tt.Name, k)
			}
		}
	}
	if err := r.Float32s(0, make([]float32, 2)); err == nil || !strings.Contains(err.Error(), "has 3000 values, not 2") {
		t.Fatalf("a short buffer: %v", err)
	}
}

// FuzzOpen checks that Open agrees with Parse on any input: both refuse
// it, or both accept it and the Reader reads every tensor's values as
// Parse's tensors hold them.
func FuzzOpen(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, sample(), map[string]string{"format": "pt"})
	f.Add(buf.Bytes())
	f.Add(raw(`{"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, []byte{0, 0, 128, 63}))
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in []byte) {
		path := filepath.Join(dir, "x.safetensors")
		if err := os.WriteFile(path, in, 0o644); err != nil {
			t.Fatal(err)
		}
		file, perr := Parse(in)
		r, err := Open(path)
		if (perr == nil) != (err == nil) {
			t.Fatalf("Parse: %v; Open: %v", perr, err)
		}
		if err != nil {
			return
		}
		defer r.Close()
		for i, tt := range file.Tensors {
			want, werr := tt.Float32s()
			got := make([]float32, tt.Len())
			gerr := r.Float32s(i, got)
			if (werr == nil) != (gerr == nil) || (werr == nil && !slices.EqualFunc(got, want, func(a, b float32) bool { return a == b || (a != a && b != b) })) {
				t.Fatalf("tensor %q: Float32s %v, %v; Parse's %v, %v", tt.Name, got, gerr, want, werr)
			}
		}
	})
}
