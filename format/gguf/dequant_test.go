package gguf

import (
	"bufio"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// golden is one testdata/dequant/<type>.bin: ggml's encoding of n values
// and ggml's dequantization of it (see testdata/README.md).
type golden struct {
	blocks []byte
	values []float32
}

func readGolden(t testing.TB, typ Type) golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "dequant", typ.String()+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(b))
	size := n / typ.BlockSize() * typ.TypeSize()
	if len(b) != 4+size+4*n {
		t.Fatalf("%s golden: %d bytes, want %d for %d values", typ, len(b), 4+size+4*n, n)
	}
	g := golden{blocks: b[4 : 4+size], values: make([]float32, n)}
	for i := range g.values {
		g.values[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4+size+4*i:]))
	}
	return g
}

// TestDequantizeMatchesGGML checks each type against ggml's own
// dequantize_row_* on blocks its quantizer made and on random blocks, bit
// for bit.
func TestDequantizeMatchesGGML(t *testing.T) {
	for _, typ := range dequantOrder {
		if typ == F32 {
			continue // no golden needed: the bytes are the values
		}
		t.Run(typ.String(), func(t *testing.T) {
			g := readGolden(t, typ)
			got := make([]float32, len(g.values))
			if err := Dequantize(typ, g.blocks, got); err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i, w := range g.values {
				if math.Float32bits(got[i]) != math.Float32bits(w) {
					if bad++; bad <= 5 {
						t.Errorf("value %d (block %d): got %g (%#08x), ggml %g (%#08x)", i, i/typ.BlockSize(), got[i], math.Float32bits(got[i]), w, math.Float32bits(w))
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d values differ from ggml", bad, len(got))
			}
		})
	}
}

func TestDequantizeF32(t *testing.T) {
	src := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0} // 1, -2
	got := make([]float32, 2)
	if err := Dequantize(F32, src, got); err != nil {
		t.Fatal(err)
	}
	if got[0] != 1 || got[1] != -2 {
		t.Errorf("got %v, want [1 -2]", got)
	}
}

func TestDequantizeRefusals(t *testing.T) {
	for _, tc := range []struct {
		typ  Type
		src  int
		dst  int
		want string
	}{
		{IQ2_XXS, 66, 256, "cannot dequantize iq2_xxs tensors (it reads f32, f16, bf16, q4_0"},
		{IQ4_NL, 18, 32, "cannot dequantize iq4_nl"},
		{Type(4), 0, 0, "cannot dequantize type 4"},
		{Q4_K, 144, 255, "255 values of q4_K are not a whole number of blocks of 256"},
		{Q8_0, 33, 32, "32 values of q8_0 take 34 bytes, not 33"},
		{F16, 6, 2, "2 values of f16 take 4 bytes, not 6"},
	} {
		err := Dequantize(tc.typ, make([]byte, tc.src), make([]float32, tc.dst))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Dequantize(%s, %d bytes, %d values): %v, want %q", tc.typ, tc.src, tc.dst, err, tc.want)
		}
	}
}

// TestTraitsMatchGGML checks the type table against the names, block
// sizes and block bytes ggml printed, both ways.
func TestTraitsMatchGGML(t *testing.T) {
	fh, err := os.Open(filepath.Join("testdata", "traits.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	seen := map[Type]bool{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			t.Fatalf("traits.txt line %q", sc.Text())
		}
		id, _ := strconv.Atoi(f[0])
		blk, _ := strconv.Atoi(f[2])
		ts, _ := strconv.Atoi(f[3])
		typ := Type(id)
		if typ.String() != f[1] || typ.BlockSize() != blk || typ.TypeSize() != ts {
			t.Errorf("type %d: %s %d %d, ggml %s %d %d", id, typ, typ.BlockSize(), typ.TypeSize(), f[1], blk, ts)
		}
		seen[typ] = true
	}
	for typ := range typeTraits {
		if !seen[typ] {
			t.Errorf("type %d (%s) is not in ggml's table", uint32(typ), typ)
		}
	}
	if len(seen) == 0 {
		t.Fatal("traits.txt is empty")
	}
}
