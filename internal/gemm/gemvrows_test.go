package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

// TestSgemvRowsMatchesSgemv: every row of SgemvRows (and SgemvRowsBF16)
// must be exactly the bits Sgemv (SgemvBF16) gives that row alone, for 1
// to 9 rows (9: past the multi-row kernels, through Sgemm), both layouts
// of W, padded leading dimensions, K past and short of a tile, odd N, any
// alpha and beta (beta = 0 overwrites NaN in y), every implementation and
// blocking and 1 to 3 goroutines.
func TestSgemvRowsMatchesSgemv(t *testing.T) {
	scalars := []struct{ alpha, beta float32 }{{1, 0}, {1, 1}, {-0.5, 2}, {0.125, float32(math.Copysign(0, -1))}}
	shapes := append(slices.Clone(gemvShapes), [2]int{33, 47}, [2]int{48, 96}, [2]int{161, 40})
	r := rand.New(rand.NewPCG(11, 12))
	forEachImpl(t, func(t *testing.T) {
		for _, sh := range shapes {
			n, k := sh[0], sh[1]
			for m := 1; m <= gemvRowsMax+1; m++ {
				for _, transW := range []Transpose{NoTrans, Trans} {
					sc := scalars[(m+n)%len(scalars)]
					rows, cols := k, n
					if transW == Trans {
						rows, cols = n, k
					}
					w := newMat(r, rows, cols, m%3)
					bits := make([]uint16, len(w.x))
					kernels.F32ToBF16(bits, w.x)
					kernels.BF16ToF32(w.x, bits)
					ldw := max(1, w.ld)
					x := newMat(r, m, k, 1+m%2)
					y0 := newMat(r, m, n, 2)
					if sc.beta == 0 {
						for i := range y0.x {
							y0.x[i] = float32(math.NaN())
						}
					}
					ldx, ldy := max(1, x.ld), max(1, y0.ld)
					want := slices.Clone(y0.x)
					for i := range m {
						Sgemv(transW, n, k, sc.alpha, x.x[i*ldx:], w.x, ldw, sc.beta, want[i*ldy:], 1)
					}
					for _, threads := range []int{1, 2, 3} {
						for _, bf := range []bool{false, true} {
							got := slices.Clone(y0.x)
							if bf {
								SgemvRowsBF16(transW, m, n, k, sc.alpha, x.x, ldx, bits, ldw, sc.beta, got, ldy, threads)
							} else {
								SgemvRows(transW, m, n, k, sc.alpha, x.x, ldx, w.x, ldw, sc.beta, got, ldy, threads)
							}
							for i := range m {
								for j := range n {
									g, v := got[i*ldy+j], want[i*ldy+j]
									if math.Float32bits(g) != math.Float32bits(v) {
										t.Fatalf("M=%d N=%d K=%d transW=%v bf16=%v alpha=%v beta=%v threads=%d: y[%d,%d] = %v, Sgemv gives %v",
											m, n, k, transW, bf, sc.alpha, sc.beta, threads, i, j, g, v)
									}
								}
							}
						}
					}
				}
			}
		}
	})
}

// BenchmarkSgemvRows: SgemvRows over n rows against n Sgemv calls and one
// Sgemm, W [N, K] (nn.Linear, the tied head) in float32 and bfloat16.
func BenchmarkSgemvRows(b *testing.B) {
	for _, sh := range [][2]int{{768, 2304}, {768, 3072}, {3072, 768}, {768, 50257}} {
		k, nOut := sh[0], sh[1] // K in, N out
		r := rand.New(rand.NewPCG(1, 2))
		w := newMat(r, nOut, k, 0).x
		bits := make([]uint16, len(w))
		kernels.F32ToBF16(bits, w)
		for _, m := range []int{1, 2, 4, 7, 8} {
			x := newMat(r, m, k, 0).x
			y := make([]float32, m*nOut)
			name := fmt.Sprintf("%dx%d/n=%d", k, nOut, m)
			b.Run(name+"/rows", func(b *testing.B) {
				b.SetBytes(int64(4 * len(w)))
				for b.Loop() {
					SgemvRows(Trans, m, nOut, k, 1, x, k, w, k, 0, y, nOut, 0)
				}
			})
			b.Run(name+"/gemv", func(b *testing.B) {
				b.SetBytes(int64(4 * len(w)))
				for b.Loop() {
					for i := range m {
						Sgemv(Trans, nOut, k, 1, x[i*k:], w, k, 0, y[i*nOut:], 0)
					}
				}
			})
			b.Run(name+"/gemm", func(b *testing.B) {
				b.SetBytes(int64(4 * len(w)))
				for b.Loop() {
					Sgemm(NoTrans, Trans, m, nOut, k, 1, x, k, w, k, 0, y, nOut, 0)
				}
			})
			b.Run(name+"/rows-bf16", func(b *testing.B) {
				b.SetBytes(int64(2 * len(bits)))
				for b.Loop() {
					SgemvRowsBF16(Trans, m, nOut, k, 1, x, k, bits, k, 0, y, nOut, 0)
				}
			})
		}
	}
}
