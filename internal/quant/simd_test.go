package quant

import (
	"math"
	"math/rand/v2"
	"testing"
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
