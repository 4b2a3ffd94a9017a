package loss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLinearCrossEntropy times the output head forward and backward
// (loss, dh and dW) fused, and the unfused path with its [N, V] logits,
// reporting tokens/s, peak-MB and alloc-MB. peak-MB is the largest rise of
// the live heap over its level before the call, sampled every millisecond
// during the call (runtime/metrics, no stop-the-world); alloc-MB is every
// byte allocated during the call, an upper bound that also counts buffers
// re-made after a GC emptied a pool. The outputs dh and dW are the
// caller's and are counted in neither.
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
	measure := func(b *testing.B, call func()) {
		var peak, allocated uint64
		for b.Loop() {
			clear(dW)
			b.StopTimer()
			runtime.GC() // a clean baseline (and the unfused logits handed back), untimed
			b.StartTimer()
			p, a := heapRise(call)
			peak, allocated = max(peak, p), max(allocated, a)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		b.ReportMetric(float64(peak)/1e6, "peak-MB")
		b.ReportMetric(float64(allocated)/1e6, "alloc-MB")
	}
	b.Run("N=8192,C=768,V=50257", func(b *testing.B) {
		measure(b, func() {
			if _, err := LinearCrossEntropy(h, n, Head{V: v, C: c, W: w}, t, LinearOptions{}, []float32{1}, dh, dW); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("N=8192,C=768,V=50257,unfused", func(b *testing.B) {
		measure(b, func() { unfusedInto(b, h, n, w, v, c, t, Options{}, dh, dW) })
	})
}

// heapRise runs call and returns the largest rise of the live heap above
// its level before the call, sampled every millisecond, and the bytes
// allocated during it.
func heapRise(call func()) (peak, allocated uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(sample)
	base, alloc0 := sample[0].Value.Uint64(), sample[1].Value.Uint64()
	done := make(chan struct{})
	var top atomic.Uint64
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > top.Load() {
				top.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	call()
	close(done)
	metrics.Read(sample)
	if v := sample[0].Value.Uint64(); v > top.Load() {
		top.Store(v)
	}
	if t := top.Load(); t > base {
		peak = t - base
	}
	return peak, sample[1].Value.Uint64() - alloc0
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
