package gguf

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no input makes the reader panic or allocate past what the
// input can hold; what it accepts has tensors of their stated size, can
// be dequantized where the type allows, and writes back to a file that
// reads the same and writes the same bytes again.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"ggml.gguf", "plain.gguf", "misaligned.gguf", "ggufpy.gguf"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(file(2, 1, 1, func(e *encoder) {
		e.str("k")
		e.u32(uint32(Array))
		e.u32(uint32(String))
		e.u64(2)
		e.str("a")
		e.str("bc")
		info(e, "w", Q4_0, 0, 32)
		padTo(e, 32)
		e.raw(make([]byte, 18))
	}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		file, err := Parse(in)
		if err != nil {
			return
		}
		for _, tt := range file.Tensors {
			b, err := file.Data(tt.Name)
			if err != nil || int64(len(b)) != tt.Size {
				t.Fatalf("tensor %q: %d bytes of %d, %v", tt.Name, len(b), tt.Size, err)
			}
			if CanDequantize(tt.Type) && tt.Len() < 1<<20 {
				if _, err := file.Dequantize(tt.Name); err != nil {
					t.Fatalf("tensor %q: %v", tt.Name, err)
				}
			}
		}
		if file.Alignment > 1<<12 {
			return // valid, but writing it back pads each tensor to up to 2 GiB
		}
		var once bytes.Buffer
		if err := Write(&once, file.KV, tensorsOf(t, file)); err != nil {
			t.Fatalf("Write of a parsed file: %v", err)
		}
		back, err := Parse(once.Bytes())
		if err != nil {
			t.Fatalf("Parse of a written file: %v", err)
		}
		var twice bytes.Buffer
		if err := Write(&twice, back.KV, tensorsOf(t, back)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatal("writing the file read back changed its bytes")
		}
	})
}
