package gemm

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

// SgemmBF16 must give exactly the bits of Sgemm on the widened B, also
// when B spans several conversion blocks.
func TestSgemmBF16MatchesWidened(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, impl := range Implementations() {
		Use(impl)
		for _, tr := range [][2]Transpose{{NoTrans, NoTrans}, {NoTrans, Trans}, {Trans, NoTrans}, {Trans, Trans}} {
			for _, s := range [][3]int{{3, 7, 5000}, {5, 4100, 9}, {1, 1, 1}, {0, 3, 4}, {2, 3, 0}} {
				m, n, k := s[0], s[1], s[2]
				ra, ca, rb, cb := m, k, k, n
				if tr[0] == Trans {
					ra, ca = k, m
				}
				if tr[1] == Trans {
					rb, cb = n, k
				}
				lda, ldb := ca+2, cb+3
				a := make([]float32, max(0, ra*lda))
				for i := range a {
					a[i] = float32(r.NormFloat64())
				}
				bf := make([]float32, max(0, rb*ldb))
				for i := range bf {
					bf[i] = float32(r.NormFloat64())
				}
				bits := make([]uint16, len(bf))
				kernels.F32ToBF16(bits, bf)
				kernels.BF16ToF32(bf, bits) // the float32 values the bfloat16 B holds
				want := make([]float32, m*n)
				got := make([]float32, m*n)
				for i := range want {
					want[i] = float32(i)
					got[i] = float32(i)
				}
				Sgemm(tr[0], tr[1], m, n, k, 0.5, a, max(1, lda), bf, max(1, ldb), 0.25, want, max(1, n), 2)
				SgemmBF16(tr[0], tr[1], m, n, k, 0.5, a, max(1, lda), bits, max(1, ldb), 0.25, got, max(1, n), 2)
				if !slices.Equal(got, want) {
					t.Errorf("%s trans=%v %dx%dx%d: SgemmBF16 differs from Sgemm on the widened B", impl, tr, m, n, k)
				}
			}
		}
	}
	Use(Implementations()[0])
}
