package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xent-dev/xent/format/gguf"
)

// TestKernelsEqualGeneric: every kernel set gives the generic path's bits
// for every type it speeds up, on tiles with and without padded lanes and
// groups of rows with a generic tail, with beta 0 and not.
func TestKernelsEqualGeneric(t *testing.T) {
	names := Implementations()
	defer Use(names[0])
	rng := rand.New(rand.NewPCG(9, 10))
	for _, im := range impls.All() {
		if im == generic {
			continue
		}
		for typ := range im.kernels {
			for _, sh := range [][3]int{{1, 8, 256}, {16, 16, 512}, {37, 43, 768}, {5, 64, 2304}} {
				n, out, in := sh[0], sh[1], sh[2]
				m := randomMatrix(t, typ, out, in, rng)
				x := randomActs(n, in+3, rng)
				y0 := make([]float32, n*out)
				for i := range y0 {
					y0[i] = float32(rng.NormFloat64())
				}
				for _, beta := range []float32{0, 0.75} {
					var ys [2][]float32
					for v, name := range []string{"generic", im.name} {
						Use(name)
						ys[v] = append([]float32(nil), y0...)
						m.MulT(x, n, in+3, ys[v], out, beta, 2)
					}
					for i := range ys[0] {
						if math.Float32bits(ys[0][i]) != math.Float32bits(ys[1][i]) {
							t.Fatalf("%s %s %v beta %g: y[%d] = %g, generic %g", im.name, typ, sh, beta, i, ys[1][i], ys[0][i])
						}
					}
				}
			}
		}
	}
}

func TestImplementations(t *testing.T) {
	t.Logf("kernel sets here: %v", Implementations())
}

// TestQuantizeQ8_0Fast: the assembly q8_0 rounding gives quantizeQ8_0's
// quants and scales, on random rows, ties and a zero block.
func TestQuantizeQ8_0Fast(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, im := range impls.All() {
		if im.quantQ8_0 == nil {
			continue
		}
		const nb = 40
		x := randomActs(1, 32*nb, rng)
		clear(x[64:96])
		for j := range 32 { // amax 127: id 1, every .5 a tie
			x[96+j] = float32(j) - 15.5
		}
		x[96] = 127
		q, d := make([]int8, 32*nb), make([]float32, nb)
		im.quantQ8_0(nb, &x[0], &q[0], &d[0])
		wq := make([]int8, 32)
		for b := range nb {
			wd, _, _ := quantizeQ8_0(x[32*b:], wq)
			if math.Float32bits(wd) != math.Float32bits(d[b]) {
				t.Fatalf("%s block %d: d %g, want %g", im.name, b, d[b], wd)
			}
			for j := range 32 {
				if q[32*b+j] != wq[j] {
					t.Fatalf("%s block %d: q[%d] %d, want %d (x %g)", im.name, b, j, q[32*b+j], wq[j], x[32*b+j])
				}
			}
		}
	}
}

// TestQuantizeQ8_KFast: the assembly q8_K rounding gives quantizeQ8_K's
// quants, scales and sums, on random blocks, a zero block, a block whose
// largest magnitude is negative and repeated, and ties.
func TestQuantizeQ8_KFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, im := range impls.All() {
		if im.quantQ8_K == nil {
			continue
		}
		const nb = 6
		x := randomActs(1, 256*nb, rng)
		clear(x[256:512])
		x[512+40], x[512+41], x[512+200] = -50, 50, -50 // the first −50 is max
		for j := range 256 {                            // iscale −1: every .5 a tie
			x[768+j] = float32(j%64) - 31.5
		}
		x[768+3] = 127
		q, d, bs := make([]int8, 256*nb), make([]float32, nb), make([]int32, 16*nb)
		im.quantQ8_K(nb, &x[0], &q[0], &d[0], &bs[0])
		wq, wbs := make([]int8, 256), make([]int32, 16)
		for b := range nb {
			wd := quantizeQ8_K(x[256*b:], wq, wbs)
			if math.Float32bits(wd) != math.Float32bits(d[b]) {
				t.Fatalf("%s block %d: d %g, want %g", im.name, b, d[b], wd)
			}
			for j := range 256 {
				if q[256*b+j] != wq[j] {
					t.Fatalf("%s block %d: q[%d] %d, want %d (x %g)", im.name, b, j, q[256*b+j], wq[j], x[256*b+j])
				}
			}
			for j := range 16 {
				if bs[16*b+j] != wbs[j] {
					t.Fatalf("%s block %d: bsums[%d] %d, want %d", im.name, b, j, bs[16*b+j], wbs[j])
				}
			}
		}
	}
}

// sameBits compares y with the generic path's want: the same bits, or
// both NaN (the payload of a NaN met twice depends on operand order).
func sameBits(y, want float32) bool {
	return math.Float32bits(y) == math.Float32bits(want) || (y != y && want != want)
}

// mulEach runs MulT with every kernel set and reports the first output
// that differs from the generic path's.
func mulEach(t *testing.T, m *Matrix, x []float32, n, ldx int) {
	t.Helper()
	names := Implementations()
	defer Use(names[0])
	Use("generic")
	want := make([]float32, n*m.out)
	m.MulT(x, n, ldx, want, m.out, 0, 2)
	for _, name := range names {
		Use(name)
		y := make([]float32, n*m.out)
		m.MulT(x, n, ldx, y, m.out, 0, 2)
		for i := range y {
			if !sameBits(y[i], want[i]) {
				t.Fatalf("%s %s %d×%d, n %d: y[%d] = %g, generic %g", name, m.t, m.out, m.in, n, i, y[i], want[i])
			}
		}
	}
}

// TestKernelsExtremes: the sums the AVX2 kernels keep in int16 (and
// VPMADDUBSW's pairs) at their largest: every quant byte 0x00, 0xFF, 0x80
// or 0x7F (w at the ends of its range), x rows whose blocks all round to
// ±127, and blocks so small that 127/amax overflows (q8_0 then rounds x
// to −128 with d = 0), on every kernel set.
func TestKernelsExtremes(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const out, in, n = 24, 512, 19
	x := make([]float32, n*in)
	for i := range n {
		row := x[i*in : (i+1)*in]
		for k := range row {
			switch i % 4 {
			case 0:
				row[k] = 1
			case 1:
				row[k] = -1
			case 2:
				row[k] = float32(1 - 2*(k%2))
			default:
				row[k] = float32(1-2*rng.IntN(2)) * float32(rng.IntN(3))
			}
		}
		if i%5 == 4 {
			for k := range row[:256] {
				row[k] *= 1e-38
			}
		}
	}
	for _, typ := range quantTypes {
		m := randomMatrix(t, typ, out, in, rng)
		ts := typ.TypeSize()
		fill := []byte{0x00, 0xFF, 0x80, 0x7F}
		for b := range len(m.data) / ts {
			blk := m.data[b*ts : (b+1)*ts]
			f := fill[b%len(fill)]
			for i := range blk {
				if !isHalf(typ, i) {
					blk[i] = f
				}
			}
		}
		m, err := New(typ, out, in, m.data) // New's tables from the new bytes
		if err != nil {
			t.Fatal(err)
		}
		mulEach(t, m, x, n, in)
	}
}

// isHalf reports whether byte i of a block of t belongs to an f16 scale.
func isHalf(t gguf.Type, i int) bool {
	for _, off := range halves[t] {
		if i == off || i == off+1 {
			return true
		}
	}
	return false
}

// FuzzKernels: any block bytes (scales included: Inf and NaN too) and
// activations give the generic path's bits on every kernel set.
func FuzzKernels(f *testing.F) {
	f.Add(uint8(0), []byte{1, 2, 3}, int64(1))
	f.Add(uint8(4), []byte{0xFF, 0x7C, 0x00, 0x80}, int64(2))
	f.Fuzz(func(t *testing.T, ti uint8, data []byte, seed int64) {
		if len(data) == 0 {
			return
		}
		typ := quantTypes[int(ti)%len(quantTypes)]
		const out, n = 11, 17
		in := 256
		w := make([]byte, out*in/typ.BlockSize()*typ.TypeSize())
		for i := range w {
			w[i] = data[i%len(data)] ^ byte(i/len(data))
		}
		m, err := New(typ, out, in, w)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		x := randomActs(n, in, rng)
		for i := range x {
			x[i] *= float32(math.Ldexp(1, rng.IntN(80)-40))
		}
		mulEach(t, m, x, n, in)
	})
}
