package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

var allDTypes = []DType{Float32, Float16, Float64, Int32, Int64, Uint16, Uint8, Int8, Bool}

// randomData returns valid random element bytes for n elements of d.
func randomData(rng *rand.Rand, d DType, n int) []byte {
	b := make([]byte, n*d.ItemSize())
	for i := range b {
		b[i] = byte(rng.Uint32())
		if d == Bool {
			b[i] &= 1
		}
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][]int{{}, {0}, {7}, {3, 5}, {2, 3, 4}}
	for _, d := range allDTypes {
		for _, shape := range shapes {
			t.Run(fmt.Sprintf("%s%v", d, shape), func(t *testing.T) {
				n := 1
				for _, s := range shape {
					n *= s
				}
				data := randomData(rng, d, n)
				var buf bytes.Buffer
				if err := Write(&buf, d, shape, data); err != nil {
					t.Fatal(err)
				}
				raw := buf.Bytes()
				hl := headerLen(t, raw)
				if hl%64 != 0 || raw[hl-1] != '\n' {
					t.Errorf("header is %d bytes ending in %q; want a multiple of 64 ending in '\\n'", hl, raw[hl-1])
				}
				if len(raw) != hl+len(data) {
					t.Errorf("file is %d bytes, want header %d + data %d", len(raw), hl, len(data))
				}
				a, err := Read(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				if a.DType != d || !slices.Equal(a.Shape, shape) || !bytes.Equal(a.Data, data) {
					t.Errorf("got %s %v %x, want %s %v %x", a.DType, a.Shape, a.Data, d, shape, data)
				}
				if a.Shape == nil {
					t.Error("Shape is nil; want empty non-nil for a scalar")
				}
				if a.Len() != n {
					t.Errorf("Len() = %d, want %d", a.Len(), n)
				}
			})
		}
	}
}

// headerLen returns the number of bytes before the data in a .npy file.
func headerLen(t *testing.T, raw []byte) int {
	t.Helper()
	switch raw[6] {
	case 1:
		return 10 + int(binary.LittleEndian.Uint16(raw[8:]))
	case 2, 3:
		return 12 + int(binary.LittleEndian.Uint32(raw[8:]))
	}
	t.Fatalf("bad version byte %d", raw[6])
	return 0
}

func TestWriteHeaderBytes(t *testing.T) {
	tests := []struct {
		dtype DType
		shape []int
		dict  string
	}{
		{Float32, []int{3, 5}, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }" + strings.Repeat(" ", 20)},
		{Uint8, []int{7}, "{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }" + strings.Repeat(" ", 20)},
		{Float64, nil, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }"},
		{Float64, []int{}, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }"},
		{Int64, []int{1000000000000000, 0}, "{'descr': '<i8', 'fortran_order': False, 'shape': (1000000000000000, 0), }" + strings.Repeat(" ", 5)},
	}
	for _, tt := range tests {
		n := 1
		for _, s := range tt.shape {
			n *= s
		}
		var buf bytes.Buffer
		if err := Write(&buf, tt.dtype, tt.shape, make([]byte, n*tt.dtype.ItemSize())); err != nil {
			t.Fatal(err)
		}
		want := "\x93NUMPY\x01\x00\x76\x00" + tt.dict + strings.Repeat(" ", 127-10-len(tt.dict)) + "\n"
		if got := buf.String()[:128]; got != want {
			t.Errorf("%s %v: header\n got %q\nwant %q", tt.dtype, tt.shape, got, want)
		}
	}
}

// TestWriteHeaderAlignment checks the padding rule at and around 64-byte
// boundaries, including NumPy's quirk of adding 64 spaces to a header that
// is already aligned, and the switch to version 2.0 for huge headers.
func TestWriteHeaderAlignment(t *testing.T) {
	for ndim := 0; ndim < 200; ndim++ {
		shape := make([]int, ndim)
		for i := range shape {
			shape[i] = i * 37 // axis 0 is 0: no data
		}
		raw := encodeHeader(Int8, shape)
		hl := headerLen(t, raw)
		if hl != len(raw) || hl%64 != 0 || raw[hl-1] != '\n' {
			t.Fatalf("ndim %d: header %d bytes (len %d), last %q", ndim, hl, len(raw), raw[len(raw)-1])
		}
		// NumPy: pad = 64 - (10 + len(dict) + 1) % 64, always 1..64.
		dict := bytes.TrimRight(raw[10:], " \n")
		dictLen := len(dict)
		if ndim > 0 {
			dictLen += growthAxisMaxDigits - 1 // shape[0] == 0 has one digit
		}
		if want := 64 - (10+dictLen+1)%64; hl-10-dictLen-1 != want {
			t.Fatalf("ndim %d: %d padding spaces, want %d", ndim, hl-10-dictLen-1, want)
		}
		h, err := parseHeader(string(raw[10:]), 1)
		if err != nil || h.dtype != Int8 || !slices.Equal(h.shape, shape) {
			t.Fatalf("ndim %d: parse back: %v %v", ndim, h, err)
		}
	}
	// A header too long for version 1.0's uint16 length uses 2.0.
	shape := make([]int, 30000)
	raw := encodeHeader(Uint8, shape)
	if raw[6] != 2 || len(raw)%64 != 0 || headerLen(t, raw) != len(raw) {
		t.Fatalf("long header: version %d, %d bytes", raw[6], len(raw))
	}
	a, err := Read(bytes.NewReader(raw))
	if err != nil || len(a.Shape) != 30000 || a.Len() != 0 {
		t.Fatalf("long header: read back: %v", err)
	}
}

func TestReferenceFiles(t *testing.T) {
	f16 := func(bits ...uint16) []uint16 { return bits }
	tests := []struct {
		file      string
		dtype     DType
		shape     []int
		floats    []float32
		ints      []int64
		halfs     []uint16
		identical bool // our writer reproduces the file exactly
	}{
		{file: "f4_3x5.npy", dtype: Float32, shape: []int{3, 5}, identical: true,
			floats: []float32{-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5}},
		{file: "f2_10.npy", dtype: Float16, shape: []int{10}, identical: true,
			halfs:  f16(0x0000, 0x8000, 0x3c00, 0xc100, 0x7bff, 0x0400, 0x0001, 0x7c00, 0xfc00, 0x7e00),
			floats: []float32{0, float32(math.Copysign(0, -1)), 1, -2.5, 65504, 6.103515625e-05, 0x1p-24, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}},
		{file: "f8_scalar.npy", dtype: Float64, shape: []int{}, identical: true, floats: []float32{math.Pi}},
		{file: "i4_2x3x4.npy", dtype: Int32, shape: []int{2, 3, 4}, identical: true,
			ints: []int64{-12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{file: "i8_0.npy", dtype: Int64, shape: []int{0}, identical: true, ints: []int64{}},
		{file: "u1_7.npy", dtype: Uint8, shape: []int{7}, identical: true, ints: []int64{0, 1, 127, 128, 200, 254, 255}},
		{file: "i1_7.npy", dtype: Int8, shape: []int{7}, identical: true, ints: []int64{-128, -1, 0, 1, 2, 100, 127}},
		{file: "u2_2x2.npy", dtype: Uint16, shape: []int{2, 2}, identical: true,
			ints: []int64{0, 1, 65535, 40000}, halfs: f16(0, 1, 65535, 40000)},
		{file: "b1_2x3.npy", dtype: Bool, shape: []int{2, 3}, identical: true, ints: []int64{1, 0, 1, 0, 0, 1}},
		{file: "f4_bigdim_0.npy", dtype: Float32, shape: []int{1000000000000000, 0}, identical: true, floats: []float32{}},
		{file: "be_f4_3.npy", dtype: Float32, shape: []int{3}, floats: []float32{1.5, -2, 3.25}},
		{file: "be_i8_2.npy", dtype: Int64, shape: []int{2}, ints: []int64{-2, 1<<40 + 7}},
		{file: "v2_f4_3.npy", dtype: Float32, shape: []int{3}, floats: []float32{1.5, -2, 3.25}},
		{file: "v3_f4_3.npy", dtype: Float32, shape: []int{3}, floats: []float32{1.5, -2, 3.25}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			a, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if a.DType != tt.dtype || !slices.Equal(a.Shape, tt.shape) {
				t.Fatalf("got %s %v, want %s %v", a.DType, a.Shape, tt.dtype, tt.shape)
			}
			if tt.floats != nil {
				got, err := a.Float32s()
				if err != nil {
					t.Fatal(err)
				}
				if !sameFloats(got, tt.floats) {
					t.Errorf("Float32s() = %v, want %v", got, tt.floats)
				}
			}
			if tt.ints != nil {
				got, err := a.Int64s()
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tt.ints) {
					t.Errorf("Int64s() = %v, want %v", got, tt.ints)
				}
			}
			if tt.halfs != nil {
				got, err := a.Uint16s()
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tt.halfs) {
					t.Errorf("Uint16s() = %#x, want %#x", got, tt.halfs)
				}
			}
			if tt.identical {
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := Write(&buf, a.DType, a.Shape, a.Data); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("Write output differs from NumPy's\n got %q\nwant %q", buf.Bytes(), want)
				}
			}
		})
	}
}

// sameFloats compares bit patterns, so that NaN equals NaN and -0 differs from 0.
func sameFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.IsNaN(float64(a[i])) && math.IsNaN(float64(b[i])) {
			continue
		}
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// npyWith builds a version 1.0 file around an arbitrary header dict.
func npyWith(dict string, data []byte) []byte {
	hdr := dict + "\n"
	b := []byte(magic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(hdr)))
	b = append(b, hdr...)
	return append(b, data...)
}

// npyV3 builds a version 3.0 file around a header dict, without data.
func npyV3(dict string) []byte {
	b := []byte(magic + "\x03\x00")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)+1))
	return append(append(b, dict...), '\n')
}

func TestReadAcceptsHeaderVariants(t *testing.T) {
	tests := []struct {
		name  string
		file  []byte
		dtype DType
		shape []int
	}{
		{"keys reordered", npyWith("{'shape': (2,), 'fortran_order': False, 'descr': '<i4'}", make([]byte, 8)), Int32, []int{2}},
		{"double quotes", npyWith(`{"descr": "<i4", "fortran_order": False, "shape": (2,)}`, make([]byte, 8)), Int32, []int{2}},
		{"no spaces", npyWith("{'descr':'<u2','fortran_order':False,'shape':(1,2)}", make([]byte, 4)), Uint16, []int{1, 2}},
		{"extra whitespace", npyWith("  {\n 'descr' : '<u2' ,\t'fortran_order' :False , 'shape' : ( 1 , 2 , ) , }  ", make([]byte, 4)), Uint16, []int{1, 2}},
		{"trailing comma in tuple", npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1,), }", make([]byte, 16)), Float64, []int{2, 1}},
		{"scalar", npyWith("{'descr': '<f2', 'fortran_order': False, 'shape': (), }", make([]byte, 2)), Float16, []int{}},
		{"python2 long", npyWith("{'descr': '<f2', 'fortran_order': False, 'shape': (2L, 1L), }", make([]byte, 4)), Float16, []int{2, 1}},
		{"u1 with <", npyWith("{'descr': '<u1', 'fortran_order': False, 'shape': (3,), }", make([]byte, 3)), Uint8, []int{3}},
		{"b1 with >", npyWith("{'descr': '>b1', 'fortran_order': False, 'shape': (3,), }", make([]byte, 3)), Bool, []int{3}},
		{"16-byte aligned (old numpy)", npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }     ", make([]byte, 4)), Float32, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Read(bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if a.DType != tt.dtype || !slices.Equal(a.Shape, tt.shape) {
				t.Errorf("got %s %v, want %s %v", a.DType, a.Shape, tt.dtype, tt.shape)
			}
		})
	}
}

func TestReadBigEndianSwaps(t *testing.T) {
	tests := []struct {
		descr string
		in    []byte
		want  DType
		out   []byte
	}{
		{">f2", []byte{0x3c, 0x00, 0xc1, 0x00}, Float16, []byte{0x00, 0x3c, 0x00, 0xc1}},
		{">u2", []byte{1, 2}, Uint16, []byte{2, 1}},
		{">i4", []byte{1, 2, 3, 4}, Int32, []byte{4, 3, 2, 1}},
		{">f8", []byte{1, 2, 3, 4, 5, 6, 7, 8}, Float64, []byte{8, 7, 6, 5, 4, 3, 2, 1}},
	}
	for _, tt := range tests {
		n := len(tt.in) / tt.want.ItemSize()
		a, err := Read(bytes.NewReader(npyWith(fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }", tt.descr, n), tt.in)))
		if err != nil {
			t.Fatal(err)
		}
		if a.DType != tt.want || !bytes.Equal(a.Data, tt.out) {
			t.Errorf("%s: got %s %x, want %s %x", tt.descr, a.DType, a.Data, tt.want, tt.out)
		}
	}
}

func TestReadErrors(t *testing.T) {
	f4 := func(shape string) string {
		return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }"
	}
	good := npyWith(f4("(3, 5)"), make([]byte, 60))
	tests := []struct {
		name string
		in   []byte
		want string // the whole message when it starts with "npy: ", else a substring
	}{
		{"empty", nil, "npy: empty input, not a .npy file"},
		{"bad magic", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), `npy: not a .npy file: bad magic "\x89PNG\r\n" (want "\x93NUMPY")`},
		{"text file", []byte("hello"), "bad magic"},
		{"truncated magic", []byte("\x93NUM"), "npy: file is truncated: only 4 bytes, too short for the .npy preamble"},
		{"no length", []byte(magic + "\x01\x00\x76"), "npy: file is truncated: 1 of 2 header length bytes present"},
		{"version 4", []byte(magic + "\x04\x00\x10\x00\x00\x00"), "npy: unsupported format version 4.0 (want 1.0, 2.0 or 3.0)"},
		{"version 1.1", []byte(magic + "\x01\x01\x10\x00"), "unsupported format version 1.1"},
		{"truncated header", good[:30], "npy: header is truncated: declared 60 bytes, file has 20"},
		{"huge header length", []byte(magic + "\x02\x00\xff\xff\xff\xff{"), "npy: header length 4294967295 is larger than the 1048576 bytes allowed"},
		{"truncated data", good[:len(good)-20], "npy: file has 40 bytes of data, shape [3 5] of <f4 needs 60"},
		{"no data", good[:len(good)-60], "npy: file has 0 bytes of data, shape [3 5] of <f4 needs 60"},
		{"missing shape", npyWith("{'descr': '<f4', 'fortran_order': False, }", nil), `npy: header: missing 'shape' key in "{'descr': '<f4', 'fortran_order': False, }"`},
		{"missing descr", npyWith("{'fortran_order': False, 'shape': (), }", nil), "header: missing 'descr' key"},
		{"missing fortran_order", npyWith("{'descr': '<f4', 'shape': (), }", nil), "header: missing 'fortran_order' key"},
		{"duplicate key", npyWith("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (), }", nil), "header: duplicate key 'descr' at byte 17"},
		{"unknown key", npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", nil), `header: unexpected key "x" at byte 54`},
		{"not a dict", npyWith("[1, 2]", nil), "header: expected '{' at byte 0"},
		{"unterminated dict", npyWith("{'descr': '<f4'", nil), "header: expected ',' or '}' after the value of 'descr'"},
		{"missing colon", npyWith("{'descr' '<f4'}", nil), "header: expected ':' after key 'descr' at byte 9"},
		{"unquoted key", npyWith("{descr: '<f4'}", nil), "header: expected a quoted string for key at byte 1"},
		{"unterminated string", npyWith("{'descr': '<f4}", nil), "header: unterminated string for 'descr' value"},
		{"text after dict", npyWith(f4("()")+" x", make([]byte, 4)), "header: unexpected text after the header dict"},
		{"shape not tuple", npyWith(f4("[3, 5]"), nil), "header: 'shape' must be a tuple such as (3, 5)"},
		{"shape int in parens", npyWith(f4("(5)"), nil), "header: 'shape' (n) is an integer, not a tuple; write (n,)"},
		{"shape missing comma", npyWith(f4("(3 5)"), nil), "header: expected ',' or ')' in 'shape'"},
		{"backslash in string", npyWith(`{'descr': '<f\4', 'fortran_order': False, 'shape': (), }`, nil), "header: backslash escapes are not supported in the string for 'descr' value at byte 13"},
		{"shape double comma", npyWith(f4("(3,,)"), nil), "header: expected a non-negative integer in 'shape'"},
		{"shape negative", npyWith(f4("(-1,)"), nil), "header: negative dimension in 'shape'"},
		{"shape float", npyWith(f4("(1.5,)"), nil), "header: expected ',' or ')' in 'shape'"},
		{"shape L in v3", npyV3(f4("(1L,)")), "header: expected ',' or ')' in 'shape'"},
		{"dimension too large", npyWith(f4("(99999999999999999999,)"), nil), "header: dimension 99999999999999999999 in 'shape' is too large"},
		{"element count overflow", npyWith(f4("(4294967296, 4294967296)"), nil), "header: shape [4294967296 4294967296] is too large: element count overflows"},
		{"byte size overflow", npyWith(f4("(4611686018427387904,)"), nil), "header: shape [4611686018427387904] of float32 (<f4) is too large: byte size overflows"},
		{"fortran order", npyWith("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 5), }", make([]byte, 60)), "npy: header: fortran_order is True; only C-order arrays are supported (shape [3 5] of <f4)"},
		{"fortran_order not bool", npyWith("{'descr': '<f4', 'fortran_order': 0, 'shape': (3, 5), }", nil), "header: 'fortran_order' must be True or False"},
		{"fortran_order Truex", npyWith("{'descr': '<f4', 'fortran_order': Truex, 'shape': (3, 5), }", nil), "header: 'fortran_order' must be True or False"},
		{"complex dtype", npyWith("{'descr': '<c8', 'fortran_order': False, 'shape': (), }", nil), `npy: unsupported dtype "<c8"`},
		{"string dtype", npyWith("{'descr': '<U4', 'fortran_order': False, 'shape': (), }", nil), `npy: unsupported dtype "<U4"`},
		{"object dtype", npyWith("{'descr': '|O', 'fortran_order': False, 'shape': (), }", nil), `npy: unsupported dtype "|O"`},
		{"empty descr", npyWith("{'descr': '', 'fortran_order': False, 'shape': (), }", nil), `npy: unsupported dtype ""`},
		{"native order", npyWith("{'descr': '=f4', 'fortran_order': False, 'shape': (), }", nil), `npy: unsupported dtype "=f4": byte order '=' is not one of '<' or '>'`},
		{"pipe order for f4", npyWith("{'descr': '|f4', 'fortran_order': False, 'shape': (), }", nil), `unsupported dtype "|f4"`},
		{"structured dtype", npyWith("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (), }", nil), "header: structured dtypes (descr is a list) are not supported"},
		{"huge shape, no data", npyWith(f4("(1000000000000,)"), nil), "npy: file has 0 bytes of data, shape [1000000000000] of <f4 needs 4000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Read(bytes.NewReader(tt.in))
			if err == nil {
				t.Fatalf("Read succeeded (%s %v); want error %q", a.DType, a.Shape, tt.want)
			}
			if strings.HasPrefix(tt.want, "npy: ") {
				if err.Error() != tt.want {
					t.Errorf("error\n got %s\nwant %s", err, tt.want)
				}
			} else if !strings.HasPrefix(err.Error(), "npy: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not start with \"npy: \" and contain %q", err, tt.want)
			}
		})
	}
}

// TestReadDoesNotTrustHeader checks that a header declaring a huge array
// over a short stream fails without allocating anything like its size.
func TestReadDoesNotTrustHeader(t *testing.T) {
	in := npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", make([]byte, 100))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read(bytes.NewReader(in))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "file has 100 bytes of data, shape [1000000 1000000] of <f8 needs 8000000000000") {
		t.Fatalf("err = %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("Read allocated %d bytes for a 100-byte body", alloc)
	}
}

// TestReadLargeStream reads data larger than the initial buffer through a
// reader that returns small chunks, exercising buffer growth.
func TestReadLargeStream(t *testing.T) {
	n := 3*initialDataBuf/4 + 5 // float32s: 3 MiB + 20 bytes
	want := make([]float32, n)
	for i := range want {
		want[i] = float32(i) * 0.5
	}
	var buf bytes.Buffer
	if err := WriteFloat32(&buf, []int{n}, want); err != nil {
		t.Fatal(err)
	}
	a, err := Read(smallReads{&buf})
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Error("large array did not round-trip")
	}
	if len(a.Data) != cap(a.Data) {
		t.Errorf("data slice has cap %d for len %d", cap(a.Data), len(a.Data))
	}
}

// smallReads returns at most 1000 bytes per Read.
type smallReads struct{ r io.Reader }

func (h smallReads) Read(p []byte) (int, error) {
	return h.r.Read(p[:min(len(p), 1000)])
}

func TestReadConsecutive(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFloat32(&buf, []int{2}, []float32{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := Write(&buf, Uint8, []int{3}, []byte{7, 8, 9}); err != nil {
		t.Fatal(err)
	}
	a, err := Read(&buf)
	if err != nil || a.DType != Float32 || a.Len() != 2 {
		t.Fatalf("first: %v %v", a, err)
	}
	b, err := Read(&buf)
	if err != nil || b.DType != Uint8 || !bytes.Equal(b.Data, []byte{7, 8, 9}) {
		t.Fatalf("second: %v %v", b, err)
	}
	if _, err := Read(&buf); err == nil || err.Error() != "npy: empty input, not a .npy file" {
		t.Fatalf("third: %v", err)
	}
}

type failReader struct{ n int }

func (f *failReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk on fire")
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func TestReadPropagatesReaderErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFloat32(&buf, []int{4}, make([]float32, 4)); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	for _, n := range []int{0, 3, 9, 20, len(raw) - 1} {
		r := io.MultiReader(bytes.NewReader(raw[:n]), &failReader{})
		_, err := Read(r)
		if err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("failure after %d bytes: err = %v", n, err)
		}
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFile(filepath.Join(dir, "missing.npy"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.npy") {
		t.Errorf("missing file: %v", err)
	}

	var buf bytes.Buffer
	if err := WriteFloat32(&buf, []int{3, 5}, make([]float32, 15)); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	trunc := filepath.Join(dir, "trunc.npy")
	if err := os.WriteFile(trunc, raw[:len(raw)-20], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(trunc)
	if want := "npy: " + trunc + ": file has 40 bytes of data, shape [3 5] of <f4 needs 60"; err == nil || err.Error() != want {
		t.Errorf("truncated file:\n got %v\nwant %s", err, want)
	}

	extra := filepath.Join(dir, "extra.npy")
	if err := os.WriteFile(extra, append(slices.Clip(raw), 0), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(extra)
	if want := "npy: " + extra + ": file has 61 bytes of data, shape [3 5] of <f4 needs only 60"; err == nil || err.Error() != want {
		t.Errorf("trailing data:\n got %v\nwant %s", err, want)
	}

	_, err = ReadFile(filepath.Join("testdata", "fortran_f4_2x3.npy"))
	if err == nil || !strings.Contains(err.Error(), "fortran_order is True") || !strings.Contains(err.Error(), "fortran_f4_2x3.npy") {
		t.Errorf("fortran file: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name  string
		dtype DType
		shape []int
		data  []byte
		want  string
	}{
		{"short data", Float32, []int{3, 5}, make([]byte, 40), "npy: data has 40 bytes, shape [3 5] of float32 (<f4) needs 60"},
		{"long data", Uint8, nil, make([]byte, 2), "npy: data has 2 bytes, shape [] of uint8 (|u1) needs 1"},
		{"unknown dtype", DType("<c8"), []int{1}, make([]byte, 8), `npy: unsupported dtype "<c8"`},
		{"big-endian dtype", DType(">f4"), []int{1}, make([]byte, 4), `npy: unsupported dtype ">f4"`},
		{"negative dim", Int8, []int{2, -1}, nil, "npy: shape [2 -1] has negative dimension -1 at axis 1"},
		{"overflow", Int64, []int{math.MaxInt / 4, 2}, nil, "is too large: byte size overflows"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		err := Write(&buf, tt.dtype, tt.shape, tt.data)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes despite the error", tt.name, buf.Len())
		}
	}
	if err := WriteFloat32(io.Discard, []int{2, 2}, make([]float32, 3)); err == nil ||
		err.Error() != "npy: data has 12 bytes, shape [2 2] of float32 (<f4) needs 16" {
		t.Errorf("WriteFloat32 length mismatch: %v", err)
	}
	w := &limitedWriter{n: 200}
	if err := WriteFloat32(w, []int{100}, make([]float32, 100)); err == nil || !strings.Contains(err.Error(), "writer full") {
		t.Errorf("WriteFloat32 writer error: %v", err)
	}
	w = &limitedWriter{n: 10}
	if err := Write(w, Uint8, []int{1}, []byte{1}); err == nil || !strings.Contains(err.Error(), "writer full") {
		t.Errorf("Write writer error: %v", err)
	}
}

type limitedWriter struct{ n int }

func (w *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		n := w.n
		w.n = 0
		return n, errors.New("writer full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteFloat32MatchesWrite(t *testing.T) {
	vals := make([]float32, 20000) // more than one encoding chunk
	for i := range vals {
		vals[i] = float32(i) - 0.25
	}
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	var a, b bytes.Buffer
	if err := WriteFloat32(&a, []int{100, 200}, vals); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, Float32, []int{100, 200}, raw); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("WriteFloat32 and Write disagree")
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.npy")
	vals := []float32{1, 2, 3, 4, 5, 6}
	if err := WriteFloat32File(path, []int{2, 3}, vals); err != nil {
		t.Fatal(err)
	}
	a, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := a.Float32s()
	if !slices.Equal(got, vals) || !slices.Equal(a.Shape, []int{2, 3}) {
		t.Errorf("read back %v %v", a.Shape, got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", fi.Mode().Perm())
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{"a.npy"}) {
		t.Errorf("directory holds %v", names)
	}

	// Replacing keeps the existing file's permissions.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, Uint8, []int{2}, []byte{9, 8}); err != nil {
		t.Fatal(err)
	}
	a, err = ReadFile(path)
	if err != nil || a.DType != Uint8 || !bytes.Equal(a.Data, []byte{9, 8}) {
		t.Fatalf("replaced file: %v %v", a, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced file mode %v, want 0600", fi.Mode().Perm())
	}

	// A relative path in the current directory works.
	t.Chdir(dir)
	if err := WriteFile("rel.npy", Bool, nil, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if a, err := ReadFile("rel.npy"); err != nil || a.DType != Bool {
		t.Fatalf("relative path: %v %v", a, err)
	}
}

func TestWriteFileFailureLeavesExistingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keep.npy")
	orig := []byte("original contents")
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want it to name %s and contain %q", what, err, path, want)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, orig) {
			t.Errorf("%s: existing file changed to %q", what, got)
		}
		if names := listDir(t, dir); !slices.Equal(names, []string{"keep.npy"}) {
			t.Errorf("%s: directory holds %v; temporary file left behind?", what, names)
		}
	}

	check("bad length", WriteFile(path, Float32, []int{2}, make([]byte, 7)), "data has 7 bytes")
	check("bad float32 length", WriteFloat32File(path, []int{2}, make([]float32, 3)), "data has 12 bytes")

	// Renaming over a directory fails after the temporary file is written.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(sub, Uint8, []int{1}, []byte{1})
	if err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("write over directory: %v", err)
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{"keep.npy", "sub"}) {
		t.Errorf("after failed write over directory, directory holds %v", names)
	}

	if err := WriteFile(filepath.Join(dir, "nodir", "x.npy"), Uint8, []int{1}, []byte{1}); err == nil {
		t.Error("write into missing directory succeeded")
	}
}

func TestConversions(t *testing.T) {
	f64 := make([]byte, 0, 32)
	for _, v := range []float64{0.1, 1e300, -1e-50, math.Inf(-1)} {
		f64 = binary.LittleEndian.AppendUint64(f64, math.Float64bits(v))
	}
	got, err := (&Array{DType: Float64, Shape: []int{4}, Data: f64}).Float32s()
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{0.1, float32(math.Inf(1)), float32(math.Copysign(0, -1)), float32(math.Inf(-1))}; !sameFloats(got, want) {
		t.Errorf("f8 -> Float32s = %v, want %v", got, want)
	}

	ints := []struct {
		dtype DType
		data  []byte
		want  []int64
	}{
		{Int32, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x80}, []int64{-1, math.MinInt32}},
		{Int64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, []int64{math.MaxInt64}},
		{Uint16, []byte{0xff, 0xff}, []int64{65535}},
		{Uint8, []byte{0xff, 0}, []int64{255, 0}},
		{Int8, []byte{0xff, 0x80}, []int64{-1, -128}},
		{Bool, []byte{0, 1, 2}, []int64{0, 1, 1}},
	}
	for _, tt := range ints {
		a := &Array{DType: tt.dtype, Shape: []int{len(tt.want)}, Data: tt.data}
		got, err := a.Int64s()
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s Int64s = %v, %v; want %v", tt.dtype, got, err, tt.want)
		}
	}

	wrong := []struct {
		call func(*Array) error
		ok   []DType
		name string
	}{
		{func(a *Array) error { _, err := a.Float32s(); return err }, []DType{Float32, Float16, Float64}, "Float32s"},
		{func(a *Array) error { _, err := a.Uint16s(); return err }, []DType{Float16, Uint16}, "Uint16s"},
		{func(a *Array) error { _, err := a.Int64s(); return err }, []DType{Int32, Int64, Uint16, Uint8, Int8, Bool}, "Int64s"},
	}
	for _, w := range wrong {
		for _, d := range append(slices.Clone(allDTypes), DType("<c8")) {
			a := &Array{DType: d, Shape: []int{1}, Data: make([]byte, max(d.ItemSize(), 8))[:d.ItemSize()]}
			err := w.call(a)
			if slices.Contains(w.ok, d) {
				if err != nil {
					t.Errorf("%s on %s: %v", w.name, d, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), string(d)) || !strings.Contains(err.Error(), w.name) {
				t.Errorf("%s on %s: err = %v; want one naming the method and dtype", w.name, d, err)
			}
		}
	}

	// Hand-built inconsistent arrays are errors, not panics.
	bad := []*Array{
		{DType: Float32, Shape: []int{2}, Data: make([]byte, 7)},
		{DType: Float32, Shape: []int{-2}, Data: nil},
		{DType: Float32, Shape: []int{math.MaxInt, 2}, Data: nil},
	}
	for _, a := range bad {
		if _, err := a.Float32s(); err == nil {
			t.Errorf("Float32s on %v %v (%d bytes) succeeded", a.DType, a.Shape, len(a.Data))
		}
	}
	if _, err := bad[0].Float32s(); err == nil || err.Error() != "npy: Float32s: array has 7 bytes of data, shape [2] of float32 (<f4) needs 8" {
		t.Errorf("mismatch error: %v", err)
	}
}

func TestItemSize(t *testing.T) {
	want := map[DType]int{Float32: 4, Float16: 2, Float64: 8, Int32: 4, Int64: 8, Uint16: 2, Uint8: 1, Int8: 1, Bool: 1, "<c8": 0, "": 0, ">f4": 0}
	for d, n := range want {
		if got := d.ItemSize(); got != n {
			t.Errorf("%q.ItemSize() = %d, want %d", d, got, n)
		}
	}
	// Every supported dtype parses back to itself.
	for _, d := range allDTypes {
		got, be, err := parseDescr(string(d))
		if got != d || be || err != nil {
			t.Errorf("parseDescr(%q) = %q, %v, %v", d, got, be, err)
		}
	}
}

func TestDTypeString(t *testing.T) {
	for d, want := range map[DType]string{
		Float32: "float32 (<f4)", Float64: "float64 (<f8)", Float16: "float16 (<f2)",
		Int32: "int32 (<i4)", Int64: "int64 (<i8)", Uint16: "uint16 (<u2)",
		Uint8: "uint8 (|u1)", Int8: "int8 (|i1)", Bool: "bool (|b1)",
		"<c8": `"<c8"`, "": `""`,
	} {
		if got := d.String(); got != want {
			t.Errorf("%q: String() = %q, want %q", string(d), got, want)
		}
	}
	// Every supported type has a name: no descr is left quoted.
	for _, d := range []DType{Float32, Float16, Float64, Int32, Int64, Uint16, Uint8, Int8, Bool} {
		if d.ItemSize() == 0 || strings.HasPrefix(d.String(), `"`) {
			t.Errorf("%q has no name", string(d))
		}
	}
}
