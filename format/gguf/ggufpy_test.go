package gguf

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// pyVals is vals(n) of the gguf-py script in testdata/README.md, exact in
// float32.
func pyVals(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32((i*37)%101-50) / 16
	}
	return x
}

// TestReadGGUFPyFile reads the file gguf-py's GGUFWriter (the writer of
// llama.cpp's convert_hf_to_gguf.py) made: the metadata a converter
// writes, and f32, f16, bf16 and q8_0 tensors of known values, the latter
// two quantized by gguf-py's NumPy code. Encode gives the same bytes, and
// Write lays the file out byte for byte as gguf-py did.
func TestReadGGUFPyFile(t *testing.T) {
	path := filepath.Join("testdata", "ggufpy.gguf")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := f.String("general.architecture"); a != "llama" {
		t.Errorf("general.architecture %q", a)
	}
	for key, want := range map[string]int64{"llama.block_count": 2, "llama.context_length": 512, "llama.attention.head_count_kv": 2, "tokenizer.ggml.bos_token_id": 0} {
		if n, err := f.Int(key); n != want || err != nil {
			t.Errorf("%s = %d, %v, want %d", key, n, err, want)
		}
	}
	if eps, _ := f.Float("llama.attention.layer_norm_rms_epsilon"); eps != float64(float32(1e-5)) {
		t.Errorf("rms epsilon %v", eps)
	}
	if tok, _ := f.Strings("tokenizer.ggml.tokens"); !slices.Equal(tok, []string{"<|endoftext|>", "a", "b", "ab", "Ġ"}) {
		t.Errorf("tokens %q", tok)
	}
	if types, _ := f.Ints("tokenizer.ggml.token_type"); !slices.Equal(types, []int64{3, 1, 1, 1, 1}) {
		t.Errorf("token types %v", types)
	}
	x := pyVals(256)
	for _, tc := range []struct {
		name  string
		typ   Type
		shape []int
		want  []float32
	}{
		{"t.f32", F32, []int{4, 64}, x},
		{"t.f16", F16, []int{4, 64}, x},
		{"t.bf16", BF16, []int{4, 64}, x},
		{"t.q8_0", Q8_0, []int{4, 64}, nil},
		{"t.3d", F32, []int{2, 3, 32}, pyVals(192)},
		{"t.norm", F32, []int{7}, pyVals(7)},
	} {
		tt, ok := f.Tensor(tc.name)
		if !ok || tt.Type != tc.typ || !slices.Equal(tt.Shape(), tc.shape) {
			t.Errorf("%s: %+v, want %s of shape %v", tc.name, tt, tc.typ, tc.shape)
			continue
		}
		got, err := f.Dequantize(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want != nil && !slices.Equal(got, tc.want) { // every value is exact in f16 and bf16
			t.Errorf("%s: %v…, want %v…", tc.name, got[:6], tc.want[:6])
		}
		data, _ := f.Data(tc.name)
		if enc, err := Encode(tc.typ, pyVals(int(tt.Len()))); err != nil || !bytes.Equal(enc, data) {
			t.Errorf("%s: Encode does not give gguf-py's bytes (%v)", tc.name, err)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, f.KV, tensorsOf(t, f)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), raw) {
		t.Errorf("Write made %d bytes, gguf-py %d", buf.Len(), len(raw))
	}
}
