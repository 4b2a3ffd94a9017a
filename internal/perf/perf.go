// Package perf measures what this machine does with xent's kernels: the
// cross-entropy forward+backward, sgemm on the transformer's shapes, and the
// fused linear cross-entropy head. `xent bench kernels` prints its results;
// the same shapes have `go test -bench` benchmarks in their packages
// (BenchmarkCrossEntropy, BenchmarkSgemm, BenchmarkLinearCrossEntropy).
package perf

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/loss"
)

// Measurement is one number: the median over the timed iterations, with
// the slowest and fastest beside it (in the same unit: for a throughput
// Min is the slowest iteration's).
type Measurement struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
}

// Config sets how much to measure.
type Config struct {
	Iters    int          // timed iterations per measurement, after one warm-up
	Threads  int          // 0: GOMAXPROCS
	Only     string       // run only the measurements whose name contains it ("" runs all)
	Progress func(string) // called before each measurement; may be nil
}

func (c Config) wants(name string) bool { return strings.Contains(name, c.Only) }

// Kernels runs every measurement in turn.
func Kernels(cfg Config) ([]Measurement, error) {
	if cfg.Iters < 1 {
		return nil, fmt.Errorf("perf: %d iterations; need at least 1", cfg.Iters)
	}
	if cfg.Progress == nil {
		cfg.Progress = func(string) {}
	}
	var out []Measurement
	for _, c := range []struct {
		n, v  int
		dtype loss.DType
		ls    float32
	}{
		{4096, 50257, loss.Float32, 0},
		{4096, 50257, loss.Float32, 0.1},
		{2048, 128256, loss.BFloat16, 0},
	} {
		name := fmt.Sprintf("cross-entropy/N=%d,V=%d,dtype=%s", c.n, c.v, map[loss.DType]string{loss.Float32: "f32", loss.BFloat16: "bf16"}[c.dtype])
		if c.ls > 0 {
			name += fmt.Sprintf(",ls=%g", c.ls)
		}
		if !cfg.wants(name) {
			continue
		}
		cfg.Progress(name)
		m, err := crossEntropy(cfg, c.n, c.v, c.dtype, c.ls)
		if err != nil {
			return nil, err
		}
		m.Name = name + " (" + kernels.Active() + ")"
		out = append(out, m)
	}
	for _, s := range [][3]int{{2048, 2048, 2048}, {256, 768, 2304}, {256, 768, 3072}, {256, 3072, 768}, {256, 768, 50257}} {
		name := fmt.Sprintf("sgemm/%dx%dx%d", s[0], s[1], s[2])
		if !cfg.wants(name) {
			continue
		}
		cfg.Progress(name)
		m := sgemm(cfg, s[0], s[1], s[2])
		m.Name = name + " (" + gemm.Active() + ")"
		out = append(out, m)
	}
	const n, c, v = 1024, 768, 50257
	name := fmt.Sprintf("linear-cross-entropy/N=%d,C=%d,V=%d", n, c, v)
	if !cfg.wants(name) {
		return out, nil
	}
	cfg.Progress(name)
	m, err := linear(cfg, n, c, v)
	if err != nil {
		return nil, err
	}
	m.Name = name
	return append(out, m), nil
}

// timeIt runs f once to warm up and then cfg.Iters times, and turns the
// durations into a throughput of work units per second.
func timeIt(cfg Config, work float64, unit string, f func() error) (Measurement, error) {
	if err := f(); err != nil {
		return Measurement{}, err
	}
	rates := make([]float64, cfg.Iters)
	for i := range rates {
		t0 := time.Now()
		if err := f(); err != nil {
			return Measurement{}, err
		}
		rates[i] = work / time.Since(t0).Seconds()
	}
	slices.Sort(rates)
	return Measurement{Value: rates[len(rates)/2], Unit: unit, Min: rates[0], Max: rates[len(rates)-1]}, nil
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

// crossEntropy times the fused forward+backward in place, in MB/s of
// float32 logits (N·V·4 bytes), as BenchmarkCrossEntropy does.
func crossEntropy(cfg Config, n, v int, dtype loss.DType, ls float32) (Measurement, error) {
	r := rand.New(rand.NewPCG(1, 1))
	f := normals(r, n*v, 2)
	x := loss.F32(f, n, v)
	if dtype == loss.BFloat16 {
		bits := make([]uint16, len(f))
		kernels.F32ToBF16(bits, f)
		x = loss.BF16(bits, n, v)
	}
	t := loss.Targets{Index: classes(r, n, v)}
	opt := loss.Options{LabelSmoothing: ls, Threads: cfg.Threads}
	return timeIt(cfg, float64(n)*float64(v)*4/1e6, "MB/s", func() error {
		_, err := loss.CrossEntropyForwardBackward(x, t, opt, []float32{1}, x)
		return err
	})
}

// sgemm times C = A·B for A [m, k], B [k, n], in GFLOPS (2·m·n·k).
func sgemm(cfg Config, m, k, n int) Measurement {
	r := rand.New(rand.NewPCG(2, 2))
	a, b, c := normals(r, m*k, 1), normals(r, k*n, 1), make([]float32, m*n)
	meas, _ := timeIt(cfg, 2*float64(m)*float64(n)*float64(k)/1e9, "GFLOPS", func() error {
		gemm.Sgemm(gemm.NoTrans, gemm.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n, cfg.Threads)
		return nil
	})
	return meas
}

// linear times the fused head forward and backward in tokens/s.
func linear(cfg Config, n, c, v int) (Measurement, error) {
	r := rand.New(rand.NewPCG(3, 3))
	h, w := normals(r, n*c, 1), normals(r, v*c, 0.05)
	t := loss.Targets{Index: classes(r, n, v)}
	dh, dW := make([]float32, n*c), make([]float32, v*c)
	opt := loss.LinearOptions{Options: loss.Options{Threads: cfg.Threads}}
	return timeIt(cfg, float64(n), "tokens/s", func() error {
		_, err := loss.LinearCrossEntropy(h, n, loss.Head{V: v, C: c, W: w}, t, opt, []float32{1}, dh, dW)
		return err
	})
}
