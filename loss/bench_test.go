package loss

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/xent-dev/xent/internal/kernels"
)

// BenchmarkCrossEntropy measures the fused forward+backward, in place over
// the logits (the training path: the logits buffer becomes dlogits). MB/s
// count N·V·4 bytes, the size of float32 logits, whatever the dtype. The
// out-of-place case writes a separate, preallocated float32 gradient.
func BenchmarkCrossEntropy(b *testing.B) {
	cases := []struct {
		n, v       int
		dtype      DType
		ls         float32
		outOfPlace bool
	}{
		{4096, 50257, Float32, 0, false},
		{4096, 50257, Float32, 0.1, false},
		{2048, 128256, BFloat16, 0, false},
		{4096, 50257, Float32, 0, true},
	}
	for _, c := range cases {
		name := fmt.Sprintf("N=%d,V=%d,dtype=%s", c.n, c.v, map[DType]string{Float32: "f32", BFloat16: "bf16"}[c.dtype])
		if c.ls != 0 {
			name += fmt.Sprintf(",ls=%g", c.ls)
		}
		if c.outOfPlace {
			name += ",out-of-place"
		}
		b.Run(name, func(b *testing.B) {
			x, targets := benchInput(c.n, c.v, c.dtype)
			grad := x
			if c.outOfPlace {
				grad = F32(make([]float32, c.n*c.v), c.n, c.v)
			}
			opt := Options{LabelSmoothing: c.ls}
			up := []float32{1}
			b.SetBytes(int64(c.n) * int64(c.v) * 4)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CrossEntropyForwardBackward(x, targets, opt, up, grad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchInput(n, v int, dtype DType) (Matrix, Targets) {
	r := rand.New(rand.NewPCG(1, 1))
	f := make([]float32, n*v)
	for i := range f {
		f[i] = float32(r.NormFloat64() * 2)
	}
	t := make([]int32, n)
	for i := range t {
		t[i] = int32(r.IntN(v))
	}
	if dtype == BFloat16 {
		bits := make([]uint16, len(f))
		kernels.F32ToBF16(bits, f)
		return BF16(bits, n, v), Targets{Index: t}
	}
	return F32(f, n, v), Targets{Index: t}
}
