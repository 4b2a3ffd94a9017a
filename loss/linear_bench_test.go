package loss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkLinearCrossEntropy times the output head forward and backward
// (loss, dh and dW) fused, and the unfused path with its [N, V] logits,
// reporting tokens/s and peak-MB: the bytes allocated during one call (an
// upper bound on the extra memory the call holds at once; the outputs dh
// and dW are allocated outside it).
func BenchmarkLinearCrossEntropy(b *testing.B) {
	const n, c, v = 8192, 768, 50257
	r := rand.New(rand.NewPCG(1, 2))
	h, w := randHead(r, n, v, c)
	targets := make([]int32, n)
	for i := range targets {
		targets[i] = int32(r.IntN(v))
	}
	t := Targets{Index: targets}
	dh := make([]float32, n*c)
	dW := make([]float32, v*c)
	report := func(b *testing.B, allocated uint64) {
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		b.ReportMetric(float64(allocated)/1e6, "peak-MB")
	}
	b.Run("N=8192,C=768,V=50257", func(b *testing.B) {
		var allocated uint64
		for b.Loop() {
			clear(dW)
			before := totalAlloc()
			if _, err := LinearCrossEntropy(h, n, Head{V: v, C: c, W: w}, t, LinearOptions{}, []float32{1}, dh, dW); err != nil {
				b.Fatal(err)
			}
			allocated = max(allocated, totalAlloc()-before)
		}
		report(b, allocated)
	})
	b.Run("N=8192,C=768,V=50257,unfused", func(b *testing.B) {
		var allocated uint64
		for b.Loop() {
			before := totalAlloc()
			unfusedLinear(b, h, n, w, v, c, t, Options{})
			allocated = max(allocated, totalAlloc()-before-uint64(len(dh)+len(dW))*4)
			b.StopTimer()
			runtime.GC() // hand the 1.65 GB of logits back before the next call, untimed
			b.StartTimer()
		}
		report(b, allocated)
	})
}

// BenchmarkLinearCrossEntropyFilter measures gradient filtering on rows
// peaked the way a trained model's are (p(target) ≈ 0.98, Zipf-distributed
// targets): tokens/s without and with FilterBelow = 2⁻¹², and the filtered
// gradients' relative error ‖g_filtered − g‖/‖g‖ for dh and dW.
func BenchmarkLinearCrossEntropyFilter(b *testing.B) {
	const n, c, v = 8192, 768, 50257
	r := rand.New(rand.NewPCG(3, 4))
	w := make([]float32, v*c)
	for k := range w {
		w[k] = float32(r.NormFloat64() * 0.05)
	}
	zipf := rand.NewZipf(r, 1.1, 1, v-1)
	targets := make([]int32, n)
	h := make([]float32, n*c)
	for i := range targets {
		targets[i] = int32(zipf.Uint64())
		for k := range c {
			h[i*c+k] = 8*w[int(targets[i])*c+k] + float32(0.5*r.NormFloat64())
		}
	}
	t := Targets{Index: targets}
	head := Head{V: v, C: c, W: w}
	run := func(filter float32, dh, dW []float32) {
		clear(dW)
		if _, err := LinearCrossEntropy(h, n, head, t, LinearOptions{FilterBelow: filter}, []float32{1}, dh, dW); err != nil {
			b.Fatal(err)
		}
	}
	refDh, refDW := make([]float32, n*c), make([]float32, v*c)
	run(0, refDh, refDW)
	for _, filter := range []float32{0, 0x1p-12} {
		b.Run(fmt.Sprintf("N=8192,C=768,V=50257,peaked,filter=%g", filter), func(b *testing.B) {
			dh, dW := make([]float32, n*c), make([]float32, v*c)
			for b.Loop() {
				run(filter, dh, dW)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
			b.ReportMetric(relErr(dh, refDh), "dh-rel-err")
			b.ReportMetric(relErr(dW, refDW), "dW-rel-err")
		})
	}
}

// relErr is ‖got − want‖₂ / ‖want‖₂.
func relErr(got, want []float32) float64 {
	var d, s float64
	for k := range got {
		e := float64(got[k] - want[k])
		d += e * e
		s += float64(want[k]) * float64(want[k])
	}
	return math.Sqrt(d / s)
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}
