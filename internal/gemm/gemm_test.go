package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// forEachImpl runs f once under every micro-kernel this machine supports,
// and again with tiny blocks so that small shapes cross every MC, KC and NC
// boundary and exercise odd KC tails.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	defer Use(Implementations()[0])
	for _, name := range Implementations() {
		if !Use(name) {
			t.Fatalf("Use(%q) = false", name)
		}
		t.Run(name, f)
		small := *impls.Current()
		small.mc, small.kc, small.nc = 2*small.mr, 7, 3*small.nr
		impls.Set(&small)
		t.Run(name+"/small-blocks", f)
	}
}

// mat is a stored row-major matrix with leading dimension ld ≥ cols; the
// padding past cols holds a sentinel that must never leak into results.
type mat struct {
	rows, cols, ld int
	x              []float32
}

func newMat(r *rand.Rand, rows, cols, pad int) mat {
	ld := cols + pad
	m := mat{rows, cols, ld, make([]float32, max(0, (rows-1)*ld+cols))}
	for i := range m.x {
		m.x[i] = float32(math.Inf(1)) // padding sentinel
	}
	for i := range rows {
		for j := range cols {
			m.x[i*ld+j] = float32(r.NormFloat64())
		}
	}
	return m
}

func (m mat) at(i, j int) float32 { return m.x[i*m.ld+j] }

// opAt is op(X)(i, j) for a stored matrix.
func opAt(x mat, trans Transpose, i, j int) float32 {
	if trans == Trans {
		return x.at(j, i)
	}
	return x.at(i, j)
}

// reference computes alpha·op(A)·op(B) + beta·C0 in float64 and, per element,
// the magnitude |alpha|·Σ|a||b| + |beta·c0| that bounds its rounding error.
func reference(transA, transB Transpose, m, n, k int, alpha float32, a, b mat, beta float32, c0 mat) (ref, mag []float64) {
	ref, mag = make([]float64, m*n), make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, sa float64
			for p := range k {
				v := float64(opAt(a, transA, i, p)) * float64(opAt(b, transB, p, j))
				s += v
				sa += math.Abs(v)
			}
			r := float64(alpha) * s
			g := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				r += float64(beta) * float64(c0.at(i, j))
				g += math.Abs(float64(beta) * float64(c0.at(i, j)))
			}
			ref[i*n+j], mag[i*n+j] = r, g
		}
	}
	return ref, mag
}

func TestSgemmMatchesFloat64(t *testing.T) {
	shapes := []struct{ m, n, k int }{ // M×N×K
		{1, 1, 1}, {7, 13, 5}, {1000, 3, 1}, {3, 1000, 7}, {33, 65, 129},
		{15, 33, 400}, {29, 70, 5}, // more than one KC block; edge tiles
		{130, 150, 200}, {700, 20, 100}, // several goroutines, splitting B slivers or A slivers
	}
	scalars := []struct{ alpha, beta float32 }{{1, 0}, {1, 1}, {-0.5, 2}, {2, -1}, {1, float32(math.Copysign(0, -1))}}
	type testCase struct {
		name           string
		transA, transB Transpose
		m, n, k        int
		alpha, beta    float32
		a, b, c        mat
		ref, mag       []float64
	}
	// The inputs and float64 references are built once and shared by all
	// implementations.
	var cases []testCase
	r := rand.New(rand.NewPCG(1, 2))
	for _, sh := range shapes {
		for _, ta := range []Transpose{NoTrans, Trans} {
			for _, tb := range []Transpose{NoTrans, Trans} {
				for si, sc := range scalars {
					tc := testCase{transA: ta, transB: tb, m: sh.m, n: sh.n, k: sh.k, alpha: sc.alpha, beta: sc.beta}
					tc.name = fmt.Sprintf("%dx%dx%d tA=%v tB=%v alpha=%v beta=%v", sh.m, sh.n, sh.k, tc.transA, tc.transB, sc.alpha, sc.beta)
					pad := 3 * si // lda, ldb, ldc from tight to wider than the rows
					if tc.transA == Trans {
						tc.a = newMat(r, sh.k, sh.m, pad)
					} else {
						tc.a = newMat(r, sh.m, sh.k, pad)
					}
					if tc.transB == Trans {
						tc.b = newMat(r, sh.n, sh.k, pad+1)
					} else {
						tc.b = newMat(r, sh.k, sh.n, pad+1)
					}
					tc.c = newMat(r, sh.m, sh.n, pad+2)
					if sc.beta == 0 { // must be overwritten, not read
						for i := range sh.m {
							for j := range sh.n {
								tc.c.x[i*tc.c.ld+j] = float32(math.NaN())
							}
						}
					}
					tc.ref, tc.mag = reference(tc.transA, tc.transB, sh.m, sh.n, sh.k, sc.alpha, tc.a, tc.b, sc.beta, tc.c)
					cases = append(cases, tc)
				}
			}
		}
	}
	forEachImpl(t, func(t *testing.T) {
		for _, tc := range cases {
			c := tc.c
			c.x = slices.Clone(tc.c.x)
			Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.a.x, tc.a.ld, tc.b.x, tc.b.ld, tc.beta, c.x, c.ld, 2)
			tol := 1e-5 * math.Sqrt(float64(tc.k))
			bad := 0
			for i := range tc.m {
				for j := range tc.n {
					got, want := float64(c.at(i, j)), tc.ref[i*tc.n+j]
					if !(math.Abs(got-want) <= tol*tc.mag[i*tc.n+j]+1e-30) {
						if bad++; bad <= 3 {
							t.Errorf("%s: C[%d,%d] = %v, want %v", tc.name, i, j, got, want)
						}
					}
				}
				for j := tc.n; j < c.ld && i*c.ld+j < len(c.x); j++ {
					if !math.IsInf(float64(c.x[i*c.ld+j]), 1) {
						t.Fatalf("%s: C padding [%d,%d] overwritten", tc.name, i, j)
					}
				}
			}
		}
	})
}

func TestSgemmNaNPropagates(t *testing.T) {
	const m, n, k = 37, 45, 300
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, transA := range []Transpose{NoTrans, Trans} {
			var a mat
			if transA == Trans {
				a = newMat(r, k, m, 0)
			} else {
				a = newMat(r, m, k, 0)
			}
			b := newMat(r, k, n, 0)
			const ni, np = 17, 290 // op(A)[17, 290] is NaN: row 17 of C only
			if transA == Trans {
				a.x[np*a.ld+ni] = float32(math.NaN())
			} else {
				a.x[ni*a.ld+np] = float32(math.NaN())
			}
			c := newMat(r, m, n, 0)
			Sgemm(transA, NoTrans, m, n, k, 1, a.x, a.ld, b.x, b.ld, 0.5, c.x, c.ld, 2)
			for i := range m {
				for j := range n {
					if isNaN := math.IsNaN(float64(c.at(i, j))); isNaN != (i == ni) {
						t.Fatalf("transA=%v: C[%d,%d] = %v", transA, i, j, c.at(i, j))
					}
				}
			}
		}
	})
}

func TestSgemmZeroAlphaOrK(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		nan := float32(math.NaN())
		a := []float32{nan, nan, nan, nan}
		c := []float32{1, 2, 3, 4}
		Sgemm(NoTrans, NoTrans, 2, 2, 2, 0, a, 2, a, 2, 3, c, 2, 1) // alpha = 0: A, B unread
		if c[0] != 3 || c[3] != 12 {
			t.Fatalf("alpha=0: C = %v", c)
		}
		c = []float32{nan, nan, nan, nan}
		Sgemm(NoTrans, NoTrans, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2, 1) // k = 0, beta = 0
		for _, v := range c {
			if v != 0 {
				t.Fatalf("k=0, beta=0: C = %v", c)
			}
		}
	})
}

func TestSgemmDeterministic(t *testing.T) {
	// Wide (goroutines split B slivers) and tall (they split A slivers).
	shapes := []struct{ m, n, k int }{{131, 301, 150}, {600, 10, 200}}
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, sh := range shapes {
			a := newMat(r, sh.m, sh.k, 0)
			b := newMat(r, sh.n, sh.k, 0)
			run := func(threads int) []float32 {
				c := make([]float32, sh.m*sh.n)
				Sgemm(NoTrans, Trans, sh.m, sh.n, sh.k, 1, a.x, a.ld, b.x, b.ld, 0, c, sh.n, threads)
				return c
			}
			want := run(2)
			for _, threads := range []int{2, 2, 1, 3, 4} {
				got := run(threads)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%v, threads=%d: C[%d] = %v, first run with 2 threads gave %v", sh, threads, i, got[i], want[i])
					}
				}
			}
		}
	})
}

func TestSgemmPanicsOnBadSizes(t *testing.T) {
	cases := []panicCase{
		{"negative m", func() { Sgemm(NoTrans, NoTrans, -1, 1, 1, 1, nil, 1, nil, 1, 0, nil, 1, 1) }},
		{"lda too small", func() {
			Sgemm(NoTrans, NoTrans, 2, 2, 3, 1, make([]float32, 6), 2, make([]float32, 6), 2, 0, make([]float32, 4), 2, 1)
		}},
		{"b too short", func() {
			Sgemm(NoTrans, Trans, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 5), 3, 0, make([]float32, 4), 2, 1)
		}},
		{"c too short", func() {
			Sgemm(NoTrans, NoTrans, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2, 1)
		}},
	}
	expectPanics(t, cases)
}

// panicCase is a call that must panic.
type panicCase struct {
	name string
	f    func()
}

func expectPanics(t *testing.T, cases []panicCase) {
	t.Helper()
	for _, tc := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

func TestBestImplementationIsActive(t *testing.T) {
	if got, want := Active(), Implementations()[0]; got != want {
		t.Fatalf("Active() = %q, want %q", got, want)
	}
	if Use("no-such-kernel") {
		t.Fatal("Use accepted an unknown name")
	}
}
