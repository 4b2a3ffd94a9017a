package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/kernels"
)

// halves are the byte offsets of a block's f16 scales (d, m, dmin), which
// randomBlocks sets to sane values; the other bytes are random quants.
var halves = map[gguf.Type][]int{
	gguf.Q4_0: {0}, gguf.Q4_1: {0, 2}, gguf.Q5_0: {0}, gguf.Q5_1: {0, 2}, gguf.Q8_0: {0},
	gguf.Q2_K: {80, 82}, gguf.Q3_K: {108}, gguf.Q4_K: {0, 2}, gguf.Q5_K: {0, 2}, gguf.Q6_K: {208},
}

// randomMatrix is out×in random weights of type t: random quants, scales
// of either sign between 2⁻¹⁰ and 2⁻⁴ (plain types: values in ±1).
func randomMatrix(t testing.TB, typ gguf.Type, out, in int, rng *rand.Rand) *Matrix {
	n := out * in / typ.BlockSize()
	ts := typ.TypeSize()
	data := make([]byte, n*ts)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	scale := func() float32 {
		return float32(math.Ldexp(1+rng.Float64(), -10+rng.IntN(6))) * float32(1-2*rng.IntN(2))
	}
	switch typ {
	case gguf.F32:
		for i := 0; i < len(data); i += 4 {
			binary.LittleEndian.PutUint32(data[i:], math.Float32bits(float32(rng.NormFloat64())))
		}
	case gguf.F16:
		for i := 0; i < len(data); i += 2 {
			binary.LittleEndian.PutUint16(data[i:], kernels.Float32ToFloat16(float32(rng.NormFloat64())))
		}
	case gguf.BF16:
		for i := 0; i < len(data); i += 2 {
			binary.LittleEndian.PutUint16(data[i:], kernels.Float32ToBFloat16(float32(rng.NormFloat64())))
		}
	default:
		for b := range n {
			for _, off := range halves[typ] {
				binary.LittleEndian.PutUint16(data[b*ts+off:], kernels.Float32ToFloat16(scale()))
			}
		}
	}
	m, err := New(typ, out, in, data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// randomActs is n×ld activations: normal values with a few large ones
// per row (as real hidden states have), and some all-zero blocks.
func randomActs(n, ld int, rng *rand.Rand) []float32 {
	x := make([]float32, n*ld)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		if rng.IntN(64) == 0 {
			x[i] *= 20
		}
	}
	if n > 1 {
		clear(x[ld : ld+64])
	}
	return x
}

var quantTypes = []gguf.Type{gguf.Q4_0, gguf.Q4_1, gguf.Q5_0, gguf.Q5_1, gguf.Q8_0, gguf.Q2_K, gguf.Q3_K, gguf.Q4_K, gguf.Q5_K, gguf.Q6_K}

// TestUnpackEqualsDequantize: the generic path's unpacked quants and
// scales give gguf.Dequantize's values (ggml's), to float32 rounding of
// the two terms.
func TestUnpackEqualsDequantize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range quantTypes {
		const in = 512
		m := randomMatrix(t, typ, 3, in, rng)
		r := newWrow(in, typ.BlockSize())
		want := make([]float32, in)
		for j := range 3 {
			unpack(typ, m.data[j*m.rowBytes:(j+1)*m.rowBytes], r)
			m.Row(j, want)
			for k := range in {
				v, mag := r.value(typ, k)
				if d := math.Abs(v - float64(want[k])); d > mag*0x1p-22 {
					t.Fatalf("%s row %d value %d: unpacked %g, dequantized %g", typ, j, k, v, want[k])
				}
			}
		}
	}
}

// value is W[k] from the unpacked row in float64, and the magnitude of its
// terms (|scale·q| + |min|) that bounds float32 rounding.
func (r *wrow) value(t gguf.Type, k int) (v, mag float64) {
	bs := t.BlockSize()
	b, g := k/bs, k/16
	d, q := float64(r.d[b]), float64(r.w[k])
	switch {
	case bs == 32 && (t == gguf.Q4_1 || t == gguf.Q5_1):
		return d*q + float64(r.dm[b]), math.Abs(d*q) + math.Abs(float64(r.dm[b]))
	case bs == 32:
		return d * q, math.Abs(d * q)
	}
	a := d * float64(r.sc[g]) * q
	mn := float64(r.dm[b]) * float64(r.mn[g])
	return a - mn, math.Abs(a) + math.Abs(mn)
}

// dequantActs is row i of a widened: d·q per element.
func (a *acts) dequant(i int) []float64 {
	x := make([]float64, a.in)
	for k := range x {
		x[k] = float64(a.d[i*a.in/a.bs+k/a.bs]) * float64(a.qs[i*a.in+k])
	}
	return x
}

// TestMulTAgainstFloat64: every type's MulT against the float64 dot
// product of the dequantized weights with (1) x as quantized, to float32
// rounding of the block sums, and (2) x itself, within the bound that
// rounding x to Q8 implies: per value |x − x̂| ≤ amax/254 + amax/2¹¹
// (q8_0: the scale stored as f16; q8_1 adds m·s's f16 rounding of Σq·d),
// amax/254 for q8_K, the block's largest |x|.
func TestMulTAgainstFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, out, in, ldx, ldy = 5, 7, 768, 770, 9
	for _, typ := range quantTypes {
		t.Run(typ.String(), func(t *testing.T) {
			m := randomMatrix(t, typ, out, in, rng)
			x := randomActs(n, ldx, rng)
			y := make([]float32, n*ldy)
			m.MulT(x, n, ldx, y, ldy, 0, 1)
			a := quantizeActs(typ, x, n, ldx, in, 1)
			r := newWrow(in, typ.BlockSize())
			bs, withSum := vecDotType(typ)
			for j := range out {
				unpack(typ, m.data[j*m.rowBytes:(j+1)*m.rowBytes], r)
				for i := range n {
					xh := a.dequant(i)
					var exact, mag, ref, bound float64
					for k := range in {
						v, vm := r.value(typ, k)
						xv := float64(x[i*ldx+k])
						exact += xh[k] * v
						mag += math.Abs(xh[k]) * vm
						ref += xv * v
					}
					for b := 0; b < in; b += bs {
						var amax float64
						for k := b; k < b+bs; k++ {
							amax = max(amax, math.Abs(float64(x[i*ldx+k])))
						}
						e := amax / 254 * (1 + 0x1p-20)
						if bs == 32 {
							e += amax * 0x1p-11
						}
						for k := b; k < b+bs; k++ {
							v, _ := r.value(typ, k)
							bound += e * math.Abs(v)
						}
						if withSum { // m·s: s = f16(d·Σq) holds Σx̂ to f16 precision
							var sx float64
							for k := b; k < b+bs; k++ {
								sx += math.Abs(xh[k])
							}
							bound += math.Abs(float64(r.dm[b/bs])) * sx * 0x1p-10
						}
					}
					got := float64(y[i*ldy+j])
					// float32 rounding: each block's terms and the running sum.
					tol := mag * float64(in/bs+4) * 0x1p-23
					if withSum {
						tol += bound // the m·s term's f16 rounding is not x̂'s
					}
					if d := math.Abs(got - exact); d > tol {
						t.Errorf("y[%d,%d] = %.9g, float64 of the quantized x %.9g (|Δ| %.3g > %.3g)", i, j, got, exact, d, tol)
					}
					if d := math.Abs(got - ref); d > bound+tol {
						t.Errorf("y[%d,%d] = %.9g, float64 of x %.9g (|Δ| %.3g > bound %.3g)", i, j, got, ref, d, bound+tol)
					}
				}
			}
		})
	}
}

// TestMulTFloat: f32, f16 and bf16 weights against float64 with x rounded
// as llama.cpp rounds it (f16, bf16), to float32 rounding of the sums.
func TestMulTFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, out, in = 4, 37, 300
	for _, typ := range []gguf.Type{gguf.F32, gguf.F16, gguf.BF16} {
		m := randomMatrix(t, typ, out, in, rng)
		x := randomActs(n, in, rng)
		y := make([]float32, n*out)
		for i := range y {
			y[i] = float32(i)
		}
		m.MulT(x, n, in, y, out, 0.5, 2)
		w := make([]float32, in)
		for j := range out {
			m.Row(j, w)
			for i := range n {
				var want, mag float64
				for k := range in {
					xv := x[i*in+k]
					switch typ {
					case gguf.F16:
						xv = f16Round(xv)
					case gguf.BF16:
						xv = kernels.BFloat16ToFloat32(kernels.Float32ToBFloat16(xv))
					}
					want += float64(xv) * float64(w[k])
					mag += math.Abs(float64(xv) * float64(w[k]))
				}
				want += 0.5 * float64(i*out+j)
				mag += 0.5 * float64(i*out+j)
				if d := math.Abs(float64(y[i*out+j]) - want); d > mag*float64(in)*0x1p-23 {
					t.Errorf("%s y[%d,%d] = %g, want %g", typ, i, j, y[i*out+j], want)
				}
			}
		}
	}
}

// TestThreadsSameBits: 1, 2 and 3 threads give the same bits, and beta
// scales what y held.
func TestThreadsSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, out, in = 19, 45, 512
	for _, typ := range append([]gguf.Type{gguf.F16}, quantTypes...) {
		m := randomMatrix(t, typ, out, in, rng)
		x := randomActs(n, in, rng)
		var first []float32
		for threads := 1; threads <= 3; threads++ {
			y := make([]float32, n*out)
			for i := range y {
				y[i] = float32(i % 7)
			}
			m.MulT(x, n, in, y, out, -0.25, threads)
			if first == nil {
				first = y
				continue
			}
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%s: %d threads y[%d] = %g, 1 thread %g", typ, threads, i, y[i], first[i])
				}
			}
		}
		y0 := make([]float32, n*out)
		m.MulT(x, n, in, y0, out, 0, 1)
		for i := range y0 {
			want := y0[i] + mul(-0.25, float32(i%7))
			// The float types take Sgemm's epilogue, which may fuse beta·y.
			if first[i] != want && (typ != gguf.F16 || math.Abs(float64(first[i]-want)) > 1e-6*math.Abs(float64(want))) {
				t.Fatalf("%s: beta: y[%d] = %g, want %g", typ, i, first[i], want)
			}
		}
	}
}

// TestQuantizeQ8 checks the activation rounding on blocks with known
// answers: ties round to even (x86's quantize_row_q8_0), q8_K's scale
// takes the sign of the largest value, a zero block stays zero.
func TestQuantizeQ8(t *testing.T) {
	x := make([]float32, 32)
	x[0] = 127
	x[1] = 2.5 // → 2 (ties to even), ggml's scalar roundf would give 3
	x[2] = -3.5
	x[3] = 0.5
	q := make([]int8, 32)
	d, _, sum := quantizeQ8_0(x, q)
	if d != 1 || q[0] != 127 || q[1] != 2 || q[2] != -4 || q[3] != 0 || sum != 125 {
		t.Errorf("q8_0: d %g q %v sum %d", d, q[:4], sum)
	}
	xk := make([]float32, 256)
	xk[5] = 127
	xk[6] = 63.5 // iscale −1: −63.5 → −64 (ties to even)
	qk, bs := make([]int8, 256), make([]int32, 16)
	if d := quantizeQ8_K(xk, qk, bs); d != -1 || qk[5] != -127 || qk[6] != -64 || bs[0] != -191 {
		t.Errorf("q8_K: d %g q %v bsums %v", d, qk[5:7], bs[:1])
	}
	if d := quantizeQ8_K(make([]float32, 256), qk, bs); d != 0 || qk[5] != 0 || bs[0] != 0 {
		t.Errorf("q8_K of zeros: d %g", d)
	}
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		typ     gguf.Type
		out, in int
		bytes   int
		want    string
	}{
		{gguf.IQ2_XXS, 1, 256, 66, "quant: no matrix product for iq2_xxs weights (it takes f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K, q3_K, q4_K, q5_K, q6_K)"},
		{gguf.Q4_K, 2, 100, 288, "quant: q4_K matrix of 2×100: rows of 100 values are not whole blocks of 256"},
		{gguf.Q8_0, 2, 64, 100, "quant: q8_0 matrix of 2×64 takes 136 bytes, not 100"},
		{gguf.F16, 0, 64, 0, "quant: f16 matrix of 0×64: dimensions must be positive"},
	} {
		_, err := New(c.typ, c.out, c.in, make([]byte, c.bytes))
		if err == nil || err.Error() != c.want {
			t.Errorf("New(%s, %d, %d, %d bytes) = %v, want %q", c.typ, c.out, c.in, c.bytes, err, c.want)
		}
	}
	m, _ := New(gguf.Q8_0, 2, 64, make([]byte, 136))
	if o, i := m.Dims(); o != 2 || i != 64 || m.Bytes() != 136+4*int64(len(m.corr)) || fmt.Sprint(m.Type()) != "q8_0" {
		t.Errorf("Dims %d×%d Bytes %d", o, i, m.Bytes())
	}
}
