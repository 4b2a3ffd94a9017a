package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/xent-dev/xent/internal/kernels"
)

// A packed matrix must give every product the bits of the unpacked one:
// SgemmPacked those of SgemmBF16 (float32) and SgemmBF16Native (native),
// SgemvPacked those of SgemvBF16 row by row, for any thread count, with
// several KC blocks of K and of N.
func TestPackedMatchesUnpacked(t *testing.T) {
	if !CanPack() {
		t.Skip("packing needs the AVX-512 float32 and bfloat16 kernels")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range []struct{ m, n, k int }{{5, 32, 10}, {3, 64, 1100}, {40, 4160, 1100}, {1, 32, 2}, {17, 96, 64}} {
		n := s.n
		all := make([]uint16, n*s.k)
		for i := range all {
			all[i] = kernels.Float32ToBFloat16(float32(r.NormFloat64()))
		}
		pk := PackBF16(slices.Clone(all), s.k, 3)
		if n > packNR { // and as a stack of its first 32 rows and the rest
			st := Stack(PackBF16(slices.Clone(all[:packNR*s.k]), s.k, 1), PackBF16(slices.Clone(all[packNR*s.k:]), s.k, 2))
			checkPacked(t, r, st, all, s.m, n, s.k)
		}
		checkPacked(t, r, pk, all, s.m, n, s.k)
	}
}

// checkPacked checks pk, W [n, k] packed, against the products over all,
// W as stored, with m rows of A.
func checkPacked(t *testing.T, r *rand.Rand, pk *Packed, all []uint16, m, n, k int) {
	t.Helper()
	s := struct{ m, n, k int }{m, n, k}
	{
		if gn, gk := pk.Dims(); gn != n || gk != s.k {
			t.Fatalf("Dims %d×%d, want %d×%d", gn, gk, n, s.k)
		}
		row, want := make([]float32, s.k), make([]float32, s.k)
		for j := range n {
			pk.Row(j, row)
			kernels.BF16ToF32(want, all[j*s.k:])
			if !slices.Equal(row, want) {
				t.Fatalf("%v: Row %d differs", s, j)
			}
		}
		lda, ldc := s.k+3, n+2
		a := make([]float32, s.m*lda)
		for i := range a {
			a[i] = float32(r.NormFloat64())
		}
		c0 := make([]float32, s.m*ldc)
		for i := range c0 {
			c0[i] = float32(r.NormFloat64())
		}
		for _, beta := range []float32{0, 1, 0.25} {
			for _, threads := range []int{1, 2, 3} {
				want, got := slices.Clone(c0), slices.Clone(c0)
				SgemmBF16(NoTrans, Trans, s.m, n, s.k, 0.5, a, lda, all, s.k, beta, want, ldc, threads)
				SgemmPacked(s.m, 0.5, a, lda, pk, beta, got, ldc, false, threads)
				if !slices.Equal(got, want) {
					t.Errorf("%v beta %g threads %d: SgemmPacked differs from SgemmBF16", s, beta, threads)
				}
				want, got = slices.Clone(c0), slices.Clone(c0)
				SgemmBF16Native(NoTrans, Trans, s.m, n, s.k, 0.5, a, lda, all, s.k, beta, want, ldc, threads)
				SgemmPacked(s.m, 0.5, a, lda, pk, beta, got, ldc, true, threads)
				if !slices.Equal(got, want) {
					t.Errorf("%v beta %g threads %d: native SgemmPacked differs from SgemmBF16Native", s, beta, threads)
				}
				rows := min(s.m, 8)
				want, got = slices.Clone(c0), slices.Clone(c0)
				for i := range rows {
					SgemvBF16(Trans, n, s.k, 0.5, a[i*lda:], all, s.k, beta, want[i*ldc:], threads)
				}
				SgemvPacked(rows, 0.5, a, lda, pk, beta, got, ldc, threads)
				if !slices.Equal(got, want) {
					t.Errorf("%v beta %g threads %d: SgemvPacked differs from SgemvBF16", s, beta, threads)
				}
			}
		}
	}
}

// The Go kernels are the assembly ones' reference: the same bits, NaN and
// Inf included.
func TestPackedKernelsMatchGo(t *testing.T) {
	if !CanPack() {
		t.Skip("packing needs the AVX-512 kernels")
	}
	r := rand.New(rand.NewPCG(9, 10))
	for _, k := range []int{1, 2, 7, 512} {
		w := make([]uint32, (k+1)/2*packNR)
		for i := range w {
			w[i] = r.Uint32()
			if i%37 == 0 { // Inf and NaN
				w[i] |= 0x7f807f80
			}
		}
		x := make([]float32, k)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		d1, d2 := make([]float32, k*packNR), make([]float32, k*packNR)
		widenPairs(&d1[0], &w[0], k)
		widenPairsGo(&d2[0], &w[0], k)
		if !slices.EqualFunc(d1, d2, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
			t.Errorf("k %d: widenPairs differs from Go", k)
		}
		var a1, a2 [packNR]float32
		gemvPacked(&a1, &x[0], &w[0], k)
		gemvPackedGo(&a2, &x[0], &w[0], k)
		for j := range a1 {
			if math.Float32bits(a1[j]) != math.Float32bits(a2[j]) && !(a1[j] != a1[j] && a2[j] != a2[j]) {
				t.Errorf("k %d column %d: gemvPacked %g, Go %g", k, j, a1[j], a2[j])
			}
		}
	}
}

// PackBF16 refuses what it cannot pack in place and leaves it as it was.
func TestPackBF16Refuses(t *testing.T) {
	if !CanPack() {
		t.Skip("packing needs the AVX-512 kernels")
	}
	for _, c := range []struct{ n, k int }{{31, 8}, {32, 7}, {33, 8}, {0, 8}} {
		w := make([]uint16, c.n*c.k)
		for i := range w {
			w[i] = uint16(i)
		}
		if pk := PackBF16(w, c.k, 2); pk != nil {
			t.Errorf("%d×%d packed", c.n, c.k)
		}
		for i := range w {
			if w[i] != uint16(i) {
				t.Fatalf("%d×%d: w changed", c.n, c.k)
			}
		}
	}
	w := make([]uint16, 64*8+1)
	if PackBF16(w[1:], 8, 1) != nil && uintptr(unsafe.Pointer(&w[1]))%4 != 0 {
		t.Error("a misaligned W was packed")
	}
}

// BenchmarkSgemvPacked times a decoding step's product over Qwen2.5-0.5B's
// up projection W [4864, 896] in bfloat16, packed (SgemvPacked) and as
// stored (SgemvBF16), one row and four.
func BenchmarkSgemvPacked(b *testing.B) {
	if !CanPack() {
		b.Skip("packing needs the AVX-512 kernels")
	}
	const n, k = 4864, 896
	r := rand.New(rand.NewPCG(1, 2))
	w := make([]uint16, n*k)
	for i := range w {
		w[i] = kernels.Float32ToBFloat16(float32(r.NormFloat64()))
	}
	pk := PackBF16(slices.Clone(w), k, 0)
	x, y := make([]float32, 4*k), make([]float32, 4*n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for _, rows := range []int{1, 4} {
		b.Run(fmt.Sprintf("packed/rows=%d", rows), func(b *testing.B) {
			for b.Loop() {
				SgemvPacked(rows, 1, x, k, pk, 0, y, n, 0)
			}
			b.ReportMetric(float64(2*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
		b.Run(fmt.Sprintf("stored/rows=%d", rows), func(b *testing.B) {
			for b.Loop() {
				SgemvRowsBF16(Trans, rows, n, k, 1, x, k, w, k, 0, y, n, 0)
			}
			b.ReportMetric(float64(2*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
