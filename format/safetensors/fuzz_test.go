package safetensors

import (
	"bytes"
	"slices"
	"testing"
)

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, sample(), map[string]string{"format": "pt"})
	f.Add(buf.Bytes())
	f.Add(raw(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{0, 0, 128, 63}))
	f.Add(raw(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"U8","shape":[1],"data_offsets":[4,5]}}`, make([]byte, 8)))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, in []byte) {
		file, err := Parse(in)
		if err != nil {
			return
		}
		for _, tt := range file.Tensors {
			if len(tt.Data) != tt.Len()*tt.DType.Size() {
				t.Fatalf("tensor %q: %d bytes for %v of %s", tt.Name, len(tt.Data), tt.Shape, tt.DType)
			}
			tt.Float32s() // must not panic
		}
		var out bytes.Buffer
		if err := Write(&out, file.Tensors, file.Metadata); err != nil {
			t.Fatalf("Write of a parsed file: %v", err)
		}
		back, err := Parse(out.Bytes())
		if err != nil {
			t.Fatalf("Parse of a written file: %v", err)
		}
		for i, tt := range back.Tensors {
			o := file.Tensors[i]
			if tt.Name != o.Name || tt.DType != o.DType || !slices.Equal(tt.Shape, o.Shape) || !bytes.Equal(tt.Data, o.Data) {
				t.Fatalf("round trip changed tensor %q", o.Name)
			}
		}
	})
}
