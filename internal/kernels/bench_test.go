package kernels

import "testing"

// BenchmarkRowKernels times the two passes over one in-cache vocabulary row
// (V = 50257) on every kernel set: the statistics pass and the gradient pass.
func BenchmarkRowKernels(b *testing.B) {
	x := make([]float32, 50257)
	for i := range x {
		x[i] = float32(i%100) * 0.01
	}
	dst := make([]float32, len(x))
	defer Use(Implementations()[0])
	for _, name := range Implementations() {
		Use(name)
		b.Run("stats/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(x) * 4))
			for b.Loop() {
				Stats(x)
			}
		})
		b.Run("expaffine/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(x) * 4))
			for b.Loop() {
				ExpAffine(dst, x, 1, 0.001, 0)
			}
		})
	}
}
