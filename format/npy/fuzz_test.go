package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.npy"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(npyWith("{'descr': '>f2', 'fortran_order': False, 'shape': (2, 1,), }", []byte{1, 2, 3, 4}))
	f.Add(npyWith(`{"shape":(),"descr":"|b1","fortran_order":False}`, []byte{2}))
	f.Add(npyWith("{'descr': '<i8', 'fortran_order': False, 'shape': (99999999999, 9999999), }", nil))
	f.Add([]byte(magic + "\x03\x00\x00\x00\x00\x00"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := Read(bytes.NewReader(in))
		if err != nil {
			if a != nil {
				t.Fatal("Read returned an array and an error")
			}
			return
		}
		size := a.DType.ItemSize()
		if size == 0 || len(a.Data) != a.Len()*size || a.Shape == nil {
			t.Fatalf("inconsistent array: %q %v with %d bytes", a.DType, a.Shape, len(a.Data))
		}
		// Conversions must not panic; each succeeds exactly for its dtypes.
		_, err1 := a.Float32s()
		_, err2 := a.Uint16s()
		_, err3 := a.Int64s()
		if (err1 == nil) == (err3 == nil) {
			t.Fatalf("%s: Float32s err %v, Int64s err %v", a.DType, err1, err3)
		}
		if (err2 == nil) != (a.DType == Float16 || a.DType == Uint16) {
			t.Fatalf("%s: Uint16s err %v", a.DType, err2)
		}

		var buf bytes.Buffer
		if err := Write(&buf, a.DType, a.Shape, a.Data); err != nil {
			t.Fatalf("Write of a read array: %v", err)
		}
		if buf.Len()%64 != len(a.Data)%64 {
			t.Fatalf("header is not 64-byte aligned")
		}
		b, err := Read(&buf)
		if err != nil {
			t.Fatalf("Read of a written array: %v", err)
		}
		if b.DType != a.DType || !slices.Equal(b.Shape, a.Shape) || !bytes.Equal(b.Data, a.Data) {
			t.Fatalf("round trip changed %s %v to %s %v", a.DType, a.Shape, b.DType, b.Shape)
		}
		if buf.Len() != 0 {
			t.Fatalf("%d bytes left after reading back", buf.Len())
		}
	})
}
