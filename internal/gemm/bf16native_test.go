package gemm

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

// forEachBF16Impl runs f under every bfloat16 micro-kernel this machine
// supports, and again with tiny blocks (the same for all, KC even and odd
// K tails) so that small shapes cross every MC, KC and NC boundary.
func forEachBF16Impl(t *testing.T, small bool, f func(t *testing.T)) {
	t.Helper()
	defer UseBF16Native(ImplementationsBF16Native()[0])
	for _, name := range ImplementationsBF16Native() {
		if !UseBF16Native(name) {
			t.Fatalf("UseBF16Native(%q) = false", name)
		}
		t.Run(name, f)
		if small {
			im := *bf16Impls.Current()
			im.mc, im.kc, im.nc = 2*im.mr, 8, 3*im.nr
			bf16Impls.Set(&im)
			t.Run(name+"/small-blocks", f)
		}
	}
}

// bf16Case is one product with A and B already rounded to bfloat16: a as
// float32 values that bfloat16 holds exactly, b as the bits.
type bf16Case struct {
	name           string
	transA, transB Transpose
	m, n, k        int
	alpha, beta    float32
	a, b, c        mat
	bh             []uint16
}

// roundBF16 rounds a matrix's values (not its padding) to bfloat16 and
// returns its bits.
func roundBF16(x mat) []uint16 {
	bits := make([]uint16, len(x.x))
	kernels.F32ToBF16(bits, x.x)
	kernels.BF16ToF32(x.x, bits)
	return bits
}

func bf16Cases(r *rand.Rand) []bf16Case {
	shapes := []struct{ m, n, k int }{ // M×N×K
		{1, 1, 1}, {1, 1, 2}, {7, 13, 5}, {3, 100, 7}, {33, 65, 129},
		{15, 33, 1100}, {29, 70, 6}, {130, 150, 200}, {1, 300, 64}, {300, 2, 31},
	}
	scalars := []struct{ alpha, beta float32 }{{1, 0}, {1, 1}, {-0.5, 2}, {1, float32(math.Copysign(0, -1))}}
	var cases []bf16Case
	for _, sh := range shapes {
		for _, ta := range []Transpose{NoTrans, Trans} {
			for _, tb := range []Transpose{NoTrans, Trans} {
				for si, sc := range scalars {
					tc := bf16Case{transA: ta, transB: tb, m: sh.m, n: sh.n, k: sh.k, alpha: sc.alpha, beta: sc.beta}
					tc.name = fmt.Sprintf("%dx%dx%d tA=%v tB=%v alpha=%v beta=%v", sh.m, sh.n, sh.k, ta, tb, sc.alpha, sc.beta)
					if ta == Trans {
						tc.a = newMat(r, sh.k, sh.m, si)
					} else {
						tc.a = newMat(r, sh.m, sh.k, si)
					}
					if tb == Trans {
						tc.b = newMat(r, sh.n, sh.k, si+1)
					} else {
						tc.b = newMat(r, sh.k, sh.n, si+1)
					}
					roundBF16(tc.a)
					tc.bh = roundBF16(tc.b)
					tc.c = newMat(r, sh.m, sh.n, si+2)
					if sc.beta == 0 {
						for i := range sh.m {
							for j := range sh.n {
								tc.c.x[i*tc.c.ld+j] = float32(math.NaN())
							}
						}
					}
					cases = append(cases, tc)
				}
			}
		}
	}
	return cases
}

// run computes the case with SgemmBF16Native on a copy of C.
func (tc bf16Case) run(threads int) mat {
	c := tc.c
	c.x = slices.Clone(tc.c.x)
	SgemmBF16Native(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.a.x, tc.a.ld, tc.bh, tc.b.ld, tc.beta, c.x, c.ld, threads)
	return c
}

// SgemmBF16Native agrees with exact arithmetic on the same bfloat16 inputs
// to the bound of float32 recursive summation in any order, (K+2)·2⁻²⁴
// times |alpha|·Σ|a·b| + |beta·c|, and so with Sgemm on those inputs to
// twice that; C's padding is never written.
func TestSgemmBF16NativeWithinSummationBound(t *testing.T) {
	cases := bf16Cases(rand.New(rand.NewPCG(7, 8)))
	forEachBF16Impl(t, true, func(t *testing.T) {
		for _, tc := range cases {
			got := tc.run(2)
			ref, mag := reference(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.a, tc.b, tc.beta, tc.c)
			f32 := tc.c
			f32.x = slices.Clone(tc.c.x)
			Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.a.x, tc.a.ld, tc.b.x, tc.b.ld, tc.beta, f32.x, f32.ld, 2)
			bound := float64(tc.k+2) * 0x1p-24
			bad := 0
			for i := range tc.m {
				for j := range tc.n {
					g, want, tol := float64(got.at(i, j)), ref[i*tc.n+j], bound*mag[i*tc.n+j]
					if !(math.Abs(g-want) <= tol) || !(math.Abs(g-float64(f32.at(i, j))) <= 2*tol) {
						if bad++; bad <= 3 {
							t.Errorf("%s: C[%d,%d] = %v, exact %v, Sgemm %v, bound ±%.3g", tc.name, i, j, g, want, f32.at(i, j), tol)
						}
					}
				}
				for j := tc.n; j < got.ld && i*got.ld+j < len(got.x); j++ {
					if !math.IsInf(float64(got.x[i*got.ld+j]), 1) {
						t.Fatalf("%s: C padding [%d,%d] overwritten", tc.name, i, j)
					}
				}
			}
		}
	})
}

// The bfloat16 implementations on VDPBF16PS's arithmetic (the assembly
// kernel and the Go one) compute the same operations in the same order:
// the same bits, also with float32 A that packing rounds. AMX sums in an
// order of its own, so it is compared with itself. Every implementation
// gives the same bits whatever the thread count.
func TestSgemmBF16NativeSameBits(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	cases := bf16Cases(r)
	for i := range cases { // unrounded A: packing rounds it
		a := cases[i].a
		a.x = slices.Clone(a.x)
		for j := range a.x {
			if !math.IsInf(float64(a.x[j]), 0) {
				a.x[j] = float32(r.NormFloat64())
			}
		}
		cases[i].a = a
	}
	same := func(x, y []float32) bool {
		return slices.EqualFunc(x, y, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
	}
	// want holds, per family (AMX or not) and block size, the first
	// implementation's results with 1 thread.
	want := map[string][][]float32{}
	forEachBF16Impl(t, true, func(t *testing.T) {
		im := bf16Impls.Current()
		family := fmt.Sprintf("amx=%v kc=%d", im.amx, im.kc)
		first := want[family] == nil
		for ci, tc := range cases {
			one := tc.run(1).x
			if first {
				want[family] = append(want[family], one)
			} else if !same(one, want[family][ci]) {
				t.Fatalf("%s: C differs from the first implementation's (%s)", tc.name, family)
			}
			for _, threads := range []int{2, 3, 4} {
				if !same(tc.run(threads).x, one) {
					t.Fatalf("%s: C with %d threads differs from C with 1", tc.name, threads)
				}
			}
		}
	})
}

// TestBF16NativeKernels logs the bfloat16 kernels here, best first, and
// what the operating system said about AMX (go test -v -run this).
func TestBF16NativeKernels(t *testing.T) {
	t.Logf("bfloat16 kernels %q; AMX: %v", ImplementationsBF16Native(), amxStatus())
	if ImplementationsBF16Native()[len(ImplementationsBF16Native())-1] != "generic" {
		t.Fatal("the generic kernel is not the last resort")
	}
}

// The bit-identity rests on every bfloat16 implementation sharing KC.
func TestBF16NativeImplsShareKC(t *testing.T) {
	for _, im := range bf16Impls.All() {
		if im.kc != bf16KC || !im.bf16 {
			t.Errorf("%s: KC %d, bf16 %v; want KC %d", im.name, im.kc, im.bf16, bf16KC)
		}
	}
}

// NaN in A (before rounding) or B reaches exactly the C entries whose dot
// products include it; beta == 0 overwrites NaN in C; alpha == 0 and
// K == 0 read neither A nor B.
func TestSgemmBF16NativeSpecialValues(t *testing.T) {
	const m, n, k = 37, 45, 300
	forEachBF16Impl(t, true, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		a, b := newMat(r, m, k, 0), newMat(r, k, n, 0)
		bh := roundBF16(b)
		a.x[17*k+290] = float32(math.NaN())
		bh[5*n+40] = 0x7fc0 // NaN
		c := make([]float32, m*n)
		for i := range c {
			c[i] = float32(math.NaN())
		}
		SgemmBF16Native(NoTrans, NoTrans, m, n, k, 1, a.x, k, bh, n, 0, c, n, 2)
		for i := range m {
			for j := range n {
				if isNaN := math.IsNaN(float64(c[i*n+j])); isNaN != (i == 17 || j == 40) {
					t.Fatalf("C[%d,%d] = %v", i, j, c[i*n+j])
				}
			}
		}
		nan := float32(math.NaN())
		c = []float32{1, 2, 3, 4}
		SgemmBF16Native(NoTrans, NoTrans, 2, 2, 2, 0, []float32{nan, nan, nan, nan}, 2, []uint16{0x7fc0, 0x7fc0, 0x7fc0, 0x7fc0}, 2, 3, c, 2, 1)
		if !slices.Equal(c, []float32{3, 6, 9, 12}) {
			t.Fatalf("alpha=0: C = %v", c)
		}
		SgemmBF16Native(NoTrans, NoTrans, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2, 1)
		if !slices.Equal(c, []float32{0, 0, 0, 0}) {
			t.Fatalf("k=0, beta=0: C = %v", c)
		}
	})
}

func TestSgemmBF16NativePanicsOnBadSizes(t *testing.T) {
	expectPanics(t, []panicCase{
		{"negative k", func() { SgemmBF16Native(NoTrans, NoTrans, 1, 1, -1, 1, nil, 1, nil, 1, 0, nil, 1, 1) }},
		{"b too short", func() {
			SgemmBF16Native(NoTrans, Trans, 2, 2, 3, 1, make([]float32, 6), 3, make([]uint16, 5), 3, 0, make([]float32, 4), 2, 1)
		}},
		{"ldb too small", func() {
			SgemmBF16Native(NoTrans, NoTrans, 2, 2, 3, 1, make([]float32, 6), 3, make([]uint16, 6), 1, 0, make([]float32, 4), 2, 1)
		}},
	})
}

// fma32 rounds a·b + c once: compare with the exact value rounded by
// math/big, on random values, on sums that cancel, and on products that are
// float32 ties with a tiny c on either side (rounding a·b + c to float64
// first lands on the tie and then rounds to even: the test must see that).
func TestFMA32RoundsOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	exact := func(a, b, c float32) float32 {
		x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
		x.Mul(x, new(big.Float).SetFloat64(float64(b)))
		x.Add(x, new(big.Float).SetFloat64(float64(c)))
		f, _ := x.Float32()
		return f
	}
	rnd := func() float32 {
		return float32(math.Ldexp(r.Float64()+0.5, r.IntN(40)-20)) * float32(1-2*r.IntN(2))
	}
	doubleRounded := 0
	for i := range 200000 {
		a, b, c := rnd(), rnd(), rnd()
		switch i % 3 {
		case 1: // c cancels most of a·b, or sits half an ulp away
			c = -float32(float64(a)*float64(b)) * (1 + float32(r.IntN(3)-1)*0x1p-24)
		case 2: // (1 + i·2⁻¹²)(1 + j·2⁻¹²) has up to 25 significant bits: often a tie
			a = 1 + float32(r.IntN(4096))*0x1p-12
			b = 1 + float32(r.IntN(4096))*0x1p-12
			c = float32(math.Ldexp(1, -60-r.IntN(30))) * float32(1-2*r.IntN(2))
		}
		want := exact(a, b, c)
		if got := fma32(a, b, c); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%v, %v, %v) = %v, want %v", a, b, c, got, want)
		}
		if float32(float64(a)*float64(b)+float64(c)) != want {
			doubleRounded++
		}
	}
	if doubleRounded == 0 {
		t.Fatal("no input where rounding through float64 differs: the test cannot tell single from double rounding")
	}
}
