package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xent-dev/xent/internal/kernels"
)

// gemvShapes are N×K pairs: empty and single, below, at and past a vector
// (8, 16) and a row block, odd sizes, more than one KC block (512; the
// small-blocks variants use 7), and enough work for several goroutines.
var gemvShapes = [][2]int{
	{1, 1}, {0, 5}, {5, 0}, {1, 40}, {40, 1}, {7, 9}, {8, 8}, {15, 17}, {16, 16}, {17, 15},
	{31, 33}, {33, 31}, {64, 64}, {100, 3}, {3, 100}, {257, 129}, {129, 600}, {600, 129}, {50, 1030}, {1030, 50},
}

// sameBits reports the first index where got and want differ in any bit.
func sameBits(got, want []float32) (int, bool) {
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return i, false
		}
	}
	return 0, true
}

// TestSgemvMatchesSgemm: Sgemv must give exactly Sgemm's bits for one row
// of A, for both layouts of W, every implementation and blocking, padded
// leading dimensions, any alpha and beta (beta = 0 overwrites NaN in y)
// and any thread count.
func TestSgemvMatchesSgemm(t *testing.T) {
	scalars := []struct{ alpha, beta float32 }{{1, 0}, {1, 1}, {-0.5, 2}, {0.125, float32(math.Copysign(0, -1))}}
	r := rand.New(rand.NewPCG(7, 8))
	forEachImpl(t, func(t *testing.T) {
		for _, sh := range gemvShapes {
			n, k := sh[0], sh[1]
			for _, transW := range []Transpose{NoTrans, Trans} {
				for si, sc := range scalars {
					x := newMat(r, 1, k, 0)
					var w mat
					if transW == Trans {
						w = newMat(r, n, k, si)
					} else {
						w = newMat(r, k, n, si)
					}
					y0 := newMat(r, 1, n, 0)
					if sc.beta == 0 {
						for i := range y0.x {
							y0.x[i] = float32(math.NaN())
						}
					}
					want := slices.Clone(y0.x)
					Sgemm(NoTrans, transW, 1, n, k, sc.alpha, x.x, max(1, k), w.x, max(1, w.ld), sc.beta, want, max(1, n), 1)
					for _, threads := range []int{1, 2, 3, 0} {
						got := slices.Clone(y0.x)
						Sgemv(transW, n, k, sc.alpha, x.x, w.x, max(1, w.ld), sc.beta, got, threads)
						if i, ok := sameBits(got, want); !ok {
							t.Fatalf("N=%d K=%d transW=%v alpha=%v beta=%v threads=%d: y[%d] = %v, Sgemm gives %v",
								n, k, transW, sc.alpha, sc.beta, threads, i, got[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestSgemvBF16MatchesWidened: SgemvBF16 must give exactly the bits of
// Sgemv on the widened weights (and so of Sgemm).
func TestSgemvBF16MatchesWidened(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	forEachImpl(t, func(t *testing.T) {
		for _, sh := range gemvShapes {
			n, k := sh[0], sh[1]
			for _, transW := range []Transpose{NoTrans, Trans} {
				rows, cols := k, n
				if transW == Trans {
					rows, cols = n, k
				}
				w := newMat(r, rows, cols, 3)
				bits := make([]uint16, len(w.x))
				kernels.F32ToBF16(bits, w.x)
				kernels.BF16ToF32(w.x, bits) // the float32 values the bfloat16 weights hold
				x := newMat(r, 1, k, 0)
				y0 := newMat(r, 1, n, 0)
				want, got := slices.Clone(y0.x), slices.Clone(y0.x)
				Sgemv(transW, n, k, 0.5, x.x, w.x, max(1, w.ld), 0.25, want, 2)
				SgemvBF16(transW, n, k, 0.5, x.x, bits, max(1, w.ld), 0.25, got, 2)
				if i, ok := sameBits(got, want); !ok {
					t.Fatalf("N=%d K=%d transW=%v: y[%d] = %v, Sgemv on the widened weights gives %v", n, k, transW, i, got[i], want[i])
				}
			}
		}
	})
}

func TestSgemvZeroAlphaOrK(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		nan := float32(math.NaN())
		w := []float32{nan, nan, nan, nan}
		for _, transW := range []Transpose{NoTrans, Trans} {
			y := []float32{1, 2}
			Sgemv(transW, 2, 2, 0, w[:2], w, 2, 3, y, 1) // alpha = 0: x, W unread
			if y[0] != 3 || y[1] != 6 {
				t.Fatalf("transW=%v, alpha=0: y = %v", transW, y)
			}
			y = []float32{nan, nan}
			Sgemv(transW, 2, 0, 1, nil, nil, 2, 0, y, 1) // k = 0, beta = 0
			if y[0] != 0 || y[1] != 0 {
				t.Fatalf("transW=%v, k=0, beta=0: y = %v", transW, y)
			}
		}
	})
}

func TestSgemvPanicsOnBadSizes(t *testing.T) {
	expectPanics(t, []panicCase{
		{"negative n", func() { Sgemv(NoTrans, -1, 1, 1, nil, nil, 1, 0, nil, 1) }},
		{"x too short", func() { Sgemv(NoTrans, 2, 3, 1, make([]float32, 2), make([]float32, 6), 2, 0, make([]float32, 2), 1) }},
		{"ldw too small", func() { Sgemv(Trans, 2, 3, 1, make([]float32, 3), make([]float32, 6), 2, 0, make([]float32, 2), 1) }},
		{"w too short", func() { Sgemv(NoTrans, 2, 3, 1, make([]float32, 3), make([]float32, 5), 2, 0, make([]float32, 2), 1) }},
		{"y too short", func() { Sgemv(NoTrans, 2, 3, 1, make([]float32, 3), make([]float32, 6), 2, 0, make([]float32, 1), 1) }},
		{"bf16 w too short", func() { SgemvBF16(Trans, 2, 3, 1, make([]float32, 3), make([]uint16, 5), 3, 0, make([]float32, 2), 1) }},
	})
}

// BenchmarkSgemv streams the weights of GPT-2 small's decoding products
// (one token: x [K] times W) and reports GB/s of weights read. It cycles
// through copies of W (256 MB in all) so that they come from memory, not
// from the last-level cache, as a decoding step's do.
func BenchmarkSgemv(b *testing.B) {
	shapes := []struct {
		name   string
		transW Transpose
		n, k   int
	}{
		{"qkv-768x2304", NoTrans, 2304, 768},
		{"mlp-down-3072x768", NoTrans, 768, 3072},
		{"head-50257x768,transW", Trans, 50257, 768},
	}
	for _, sh := range shapes {
		rows, cols := sh.k, sh.n
		if sh.transW == Trans {
			rows, cols = sh.n, sh.k
		}
		copies := max(2, (256<<20)/(rows*cols*4))
		r := rand.New(rand.NewPCG(1, 1))
		w := make([]float32, copies*rows*cols)
		for i := range w {
			w[i] = r.Float32() - 0.5
		}
		bits := make([]uint16, len(w))
		kernels.F32ToBF16(bits, w)
		x, y := make([]float32, sh.k), make([]float32, sh.n)
		for _, bf16 := range []bool{false, true} {
			name, size := sh.name, 4
			if bf16 {
				name, size = name+",bf16", 2
			}
			b.Run(name, func(b *testing.B) {
				i := 0
				for b.Loop() {
					off := i % copies * rows * cols
					i++
					if bf16 {
						SgemvBF16(sh.transW, sh.n, sh.k, 1, x, bits[off:], cols, 0, y, 0)
					} else {
						Sgemv(sh.transW, sh.n, sh.k, 1, x, w[off:], cols, 0, y, 0)
					}
				}
				b.ReportMetric(float64(b.N*rows*cols*size)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

func ExampleSgemv() {
	// W [2, 3] stored as nn.Linear stores it: [out, in].
	w := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	x := []float32{1, 0, -1}
	y := make([]float32, 2)
	Sgemv(Trans, 2, 3, 1, x, w, 3, 0, y, 1) // y = W·x
	fmt.Println(y)
	// Output: [-2 -2]
}

// TestForPieces: every piece runs once, whatever the goroutines, also
// with callers running at once (sharing the kept helpers) and with
// pauses longer than the helpers' spin between calls.
func TestForPieces(t *testing.T) {
	check := func(parts, pieces int) error {
		runs := make([]atomic.Int32, pieces)
		ForPieces(parts, pieces, func(u int) { runs[u].Add(1) })
		for u := range runs {
			if n := runs[u].Load(); n != 1 {
				return fmt.Errorf("parts=%d pieces=%d: piece %d ran %d times", parts, pieces, u, n)
			}
		}
		return nil
	}
	for _, c := range [][2]int{{1, 0}, {1, 5}, {2, 1}, {2, 9}, {3, 100}, {8, 3}} {
		if err := check(c[0], c[1]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * helperSpin) // the helpers go to sleep
	}
	errs := make(chan error, 4)
	for c := range 4 {
		go func() {
			var err error
			for i := 0; i < 200 && err == nil; i++ {
				err = check(1+(c+i)%3, 1+i%17)
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
