package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/loss"
)

// Kernels measures the kernels on the shapes of the transformers xent
// trains, each named with its shape and the kernel set in use:
//
//	cross-entropy/...          CrossEntropy (seed 1), MB/s of float32 logits
//	sgemm/MxKxN                C = A·B in float32, GFLOPS (2·M·N·K flops)
//	linear-cross-entropy/...   the output head, loss with dh and dW, tokens/s
//
// Each runs once to warm up and then cfg.Iters times.
func Kernels(cfg Config) ([]Measurement, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	var out []Measurement
	for _, c := range []CrossEntropySpec{
		{N: 4096, V: 50257, DType: loss.Float32},
		{N: 4096, V: 50257, DType: loss.Float32, LabelSmoothing: 0.1},
		{N: 2048, V: 128256, DType: loss.BFloat16},
	} {
		c.Seed = 1
		name := fmt.Sprintf("cross-entropy/N=%d,V=%d,dtype=%s", c.N, c.V, map[loss.DType]string{loss.Float32: "f32", loss.BFloat16: "bf16"}[c.DType])
		if c.LabelSmoothing > 0 {
			name += fmt.Sprintf(",ls=%g", c.LabelSmoothing)
		}
		if !cfg.wants(name) {
			continue
		}
		cfg.Progress(name)
		res, err := CrossEntropy(cfg, c)
		if err != nil {
			return nil, err
		}
		out = append(out, rate(name+" ("+kernels.Active()+")", "MB/s", res.Seconds, float64(res.Bytes)/1e6))
	}
	for _, s := range [][3]int{{2048, 2048, 2048}, {256, 768, 2304}, {256, 768, 3072}, {256, 3072, 768}, {256, 768, 50257}} {
		name := fmt.Sprintf("sgemm/%dx%dx%d", s[0], s[1], s[2])
		if !cfg.wants(name) {
			continue
		}
		cfg.Progress(name)
		m, err := sgemm(cfg, name+" ("+gemm.Active()+")", s[0], s[1], s[2])
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	const n, c, v = 1024, 768, 50257
	name := fmt.Sprintf("linear-cross-entropy/N=%d,C=%d,V=%d", n, c, v)
	if !cfg.wants(name) {
		return out, nil
	}
	cfg.Progress(name)
	m, err := linear(cfg, name, n, c, v)
	if err != nil {
		return nil, err
	}
	return append(out, m), nil
}

func normals(r *rand.Rand, n int, std float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * std)
	}
	return x
}

func classes(r *rand.Rand, n, v int) []int32 {
	t := make([]int32, n)
	for i := range t {
		t[i] = int32(r.IntN(v))
	}
	return t
}

// sgemm times C = A·B for A [m, k], B [k, n], in GFLOPS (2·m·n·k).
func sgemm(cfg Config, name string, m, k, n int) (Measurement, error) {
	r := rand.New(rand.NewPCG(2, 2))
	a, b, c := normals(r, m*k, 1), normals(r, k*n, 1), make([]float32, m*n)
	secs, err := Time(cfg.Iters, 1, nil, func() error {
		gemm.Sgemm(gemm.NoTrans, gemm.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n, cfg.Threads)
		return nil
	})
	return rate(name, "GFLOPS", secs, 2*float64(m)*float64(n)*float64(k)/1e9), err
}

// linear times the fused head forward and backward in tokens/s.
func linear(cfg Config, name string, n, c, v int) (Measurement, error) {
	r := rand.New(rand.NewPCG(3, 3))
	h, w := normals(r, n*c, 1), normals(r, v*c, 0.05)
	t := loss.Targets{Index: classes(r, n, v)}
	dh, dW := make([]float32, n*c), make([]float32, v*c)
	opt := loss.LinearOptions{Options: loss.Options{Threads: cfg.Threads}}
	secs, err := Time(cfg.Iters, 1, nil, func() error {
		_, err := loss.LinearCrossEntropy(h, n, loss.Head{V: v, C: c, W: w}, t, opt, []float32{1}, dh, dW)
		return err
	})
	return rate(name, "tokens/s", secs, float64(n)), err
}
