package loss

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
)

// unfusedLinear is the reference path the fused head must agree with:
// sgemm → cross-entropy kernel (in place) → two sgemms, with all [N, V]
// logits in memory.
func unfusedLinear(t testing.TB, h []float32, n int, w []float32, v, c int, targets Targets, opt Options) (Result, []float32, []float32) {
	dh := make([]float32, n*c)
	dW := make([]float32, v*c)
	return unfusedInto(t, h, n, w, v, c, targets, opt, dh, dW), dh, dW
}

// unfusedInto is unfusedLinear writing into the caller's dh [N, C] and
// dW [V, C] (overwritten).
func unfusedInto(t testing.TB, h []float32, n int, w []float32, v, c int, targets Targets, opt Options, dh, dW []float32) Result {
	t.Helper()
	logits := make([]float32, n*v)
	gemm.Sgemm(gemm.NoTrans, gemm.Trans, n, v, c, 1, h, c, w, c, 0, logits, v, 0)
	x := F32(logits, n, v)
	res, err := CrossEntropyForwardBackward(x, targets, opt, []float32{1}, x)
	if err != nil {
		t.Fatal(err)
	}
	gemm.Sgemm(gemm.NoTrans, gemm.NoTrans, n, c, v, 1, logits, v, w, c, 0, dh, c, 0)
	gemm.Sgemm(gemm.Trans, gemm.NoTrans, v, c, n, 1, logits, v, h, c, 0, dW, c, 0)
	return res
}

func randHead(r *rand.Rand, n, v, c int) (h, w []float32) {
	h = make([]float32, n*c)
	w = make([]float32, v*c)
	for i := range h {
		h[i] = float32(r.NormFloat64())
	}
	for i := range w {
		w[i] = float32(r.NormFloat64() * 0.3)
	}
	return h, w
}

func TestLinearMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	const n, v, c = 23, 5003, 24 // V > blockRows: a bfloat16 head takes two blocks
	h, w := randHead(r, n, v, c)
	wBits := make([]uint16, len(w))
	kernels.F32ToBF16(wBits, w)
	wRounded := make([]float32, len(w)) // the float32 values a bfloat16 head holds
	kernels.BF16ToF32(wRounded, wBits)
	for _, probs := range []bool{false, true} {
		targets := randProblem(r, n, v, probs, 1).targets
		for _, opt := range []Options{{}, {LabelSmoothing: 0.1, ZLoss: 1e-4, SoftCap: 15}, {Reduction: Sum}, {Reduction: None}} {
			for _, bf16 := range []bool{false, true} {
				head, ref := Head{V: v, C: c, W: w}, w
				if bf16 {
					head, ref = Head{V: v, C: c, BF16: wBits}, wRounded
				}
				want, wantDh, wantDW := unfusedLinear(t, h, n, ref, v, c, targets, opt)
				dh := make([]float32, n*c)
				dW := make([]float32, v*c)
				// 4 rows per chunk: the 23 rows take six chunks, the last one short.
				got, err := LinearCrossEntropy(h, n, head, targets, LinearOptions{Options: opt, ChunkBytes: 4 * v * 4}, []float32{1}, dh, dW)
				if err != nil {
					t.Fatal(err)
				}
				tag := describe(opt, probs) + map[bool]string{true: " bf16", false: " f32"}[bf16]
				if !near(got.Loss, want.Loss, 1e-6) || !slices.Equal(got.LSE, want.LSE) {
					t.Errorf("%s: loss %.9g, unfused %.9g", tag, got.Loss, want.Loss)
				}
				checkClose(t, tag+" dh", dh, wantDh)
				checkClose(t, tag+" dW", dW, wantDW)
				fwd, err := LinearCrossEntropy(h, n, head, targets, LinearOptions{Options: opt}, nil, nil, nil)
				if err != nil || fwd.Loss != got.Loss {
					t.Errorf("%s: forward-only loss %v (%v), fused %v", tag, fwd.Loss, err, got.Loss)
				}
			}
		}
	}
}

// checkClose holds got to 1e-5 relative of want, with a floor of 1e-5 of the
// largest |want| for elements that are sums with cancellation.
func checkClose(t *testing.T, name string, got, want []float32) {
	t.Helper()
	scale := 0.0
	for _, x := range want {
		scale = math.Max(scale, math.Abs(float64(x)))
	}
	for k := range got {
		if d := math.Abs(float64(got[k] - want[k])); d > 1e-5*math.Abs(float64(want[k]))+1e-5*scale {
			t.Errorf("%s[%d] = %.9g, unfused %.9g", name, k, got[k], want[k])
			return
		}
	}
}

func TestLinearAccumulatesTiedGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	const n, v, c = 5, 40, 8
	h, w := randHead(r, n, v, c)
	targets := randProblem(r, n, v, false, 1).targets
	dW := make([]float32, v*c)
	for k := range dW {
		dW[k] = 1 // an embedding gradient already there
	}
	if _, err := LinearCrossEntropy(h, n, Head{V: v, C: c, W: w}, targets, LinearOptions{}, []float32{1}, nil, dW); err != nil {
		t.Fatal(err)
	}
	_, _, want := unfusedLinear(t, h, n, w, v, c, targets, Options{})
	for k := range dW {
		if math.Abs(float64(dW[k]-1-want[k])) > 1e-6 {
			t.Fatalf("dW[%d] = %g, want 1 + %g", k, dW[k], want[k])
		}
	}
}

func TestLinearFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	const n, v, c = 3, 7, 4
	h, w := randHead(r, n, v, c)
	targets := randProblem(r, n, v, false, 1).targets
	opt := LinearOptions{Options: Options{LabelSmoothing: 0.1, ZLoss: 1e-2}, ChunkBytes: 1}
	lossAt := func() float64 {
		res, err := LinearCrossEntropy(h, n, Head{V: v, C: c, W: w}, targets, opt, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Loss
	}
	dh := make([]float32, n*c)
	dW := make([]float32, v*c)
	if _, err := LinearCrossEntropy(h, n, Head{V: v, C: c, W: w}, targets, opt, []float32{1}, dh, dW); err != nil {
		t.Fatal(err)
	}
	const step = 1.0 / 256
	for _, p := range []struct {
		name  string
		param []float32
		grad  []float32
	}{{"h", h, dh}, {"W", w, dW}} {
		for k := range p.param {
			x0 := p.param[k]
			p.param[k] = x0 + step
			up := lossAt()
			p.param[k] = x0 - step
			down := lossAt()
			p.param[k] = x0
			if fd := (up - down) / (2 * step); math.Abs(fd-float64(p.grad[k])) > 2e-3*math.Max(1, math.Abs(fd)) {
				t.Errorf("d/d%s[%d]: analytic %.6g, finite difference %.6g", p.name, k, p.grad[k], fd)
			}
		}
	}
}

func TestLinearBadInput(t *testing.T) {
	h := make([]float32, 6)
	w := make([]float32, 12)
	idx := Targets{Index: []int32{0, 1}}
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"short h", func() error {
			_, err := LinearCrossEntropy(h[:5], 2, Head{V: 4, C: 3, W: w}, idx, LinearOptions{}, nil, nil, nil)
			return err
		}, "hidden states hold 5 values"},
		{"short head", func() error {
			_, err := LinearCrossEntropy(h, 2, Head{V: 4, C: 3, W: w[:11]}, idx, LinearOptions{}, nil, nil, nil)
			return err
		}, "holds 11 float32 values"},
		{"bad target", func() error {
			_, err := LinearCrossEntropy(h, 2, Head{V: 4, C: 3, W: w}, Targets{Index: []int32{0, 4}}, LinearOptions{}, nil, nil, nil)
			return err
		}, "target 4 of row 1"},
		{"short dW", func() error {
			_, err := LinearCrossEntropy(h, 2, Head{V: 4, C: 3, W: w}, idx, LinearOptions{}, []float32{1}, nil, w[:3])
			return err
		}, "dW holds 3 values"},
	} {
		if err := c.err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", c.name, err, c.want)
		}
	}
}

// Filtering must equal the unfused gradient with the skipped blocks' dlogits
// set to zero, and change nothing when the threshold keeps every block.
func TestLinearFiltering(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	const n, v, c = 9, 1300, 64 // 6 blocks, the last one short
	h, w := randHead(r, n, v, c)
	targets := Targets{Index: make([]int32, n)}
	for i := range targets.Index {
		// Targets in the first two blocks, and hidden states pointing at
		// them: peaked rows, as a trained model has.
		targets.Index[i] = int32(r.IntN(300))
		for k := range c {
			h[i*c+k] = 4*w[int(targets.Index[i])*c+k] + 0.1*h[i*c+k]
		}
	}
	// dlogits of the unfused path
	logits := make([]float32, n*v)
	gemm.Sgemm(gemm.NoTrans, gemm.Trans, n, v, c, 1, h, c, w, c, 0, logits, v, 0)
	x := F32(logits, n, v)
	if _, err := CrossEntropyForwardBackward(x, targets, Options{}, []float32{1}, x); err != nil {
		t.Fatal(err)
	}
	const below = 2e-3
	for b0 := 0; b0 < v; b0 += FilterBlock {
		b1 := min(v, b0+FilterBlock)
		keep := false
		for i := range n {
			for _, g := range logits[i*v+b0 : i*v+b1] {
				keep = keep || math.Abs(float64(g))*n >= below
			}
		}
		for i := 0; i < n && !keep; i++ {
			clear(logits[i*v+b0 : i*v+b1])
		}
	}
	wantDh := make([]float32, n*c)
	wantDW := make([]float32, v*c)
	gemm.Sgemm(gemm.NoTrans, gemm.NoTrans, n, c, v, 1, logits, v, w, c, 0, wantDh, c, 0)
	gemm.Sgemm(gemm.Trans, gemm.NoTrans, v, c, n, 1, logits, v, h, c, 0, wantDW, c, 0)

	for _, chunk := range []int{n, 4} {
		dh := make([]float32, n*c)
		dW := make([]float32, v*c)
		opt := LinearOptions{FilterBelow: below, ChunkBytes: chunk * v * 4}
		if _, err := LinearCrossEntropy(h, n, Head{V: v, C: c, W: w}, targets, opt, []float32{1}, dh, dW); err != nil {
			t.Fatal(err)
		}
		if chunk < n { // several chunks choose their blocks apart: only check it runs
			continue
		}
		checkClose(t, "filtered dh", dh, wantDh)
		checkClose(t, "filtered dW", dW, wantDW)
		if !slices.Contains(dW[300*c:], 0) {
			t.Error("no block was skipped")
		}
	}
	// A threshold below every |dlogit| keeps everything: the exact result.
	dh := make([]float32, n*c)
	dW := make([]float32, v*c)
	if _, err := LinearCrossEntropy(h, n, Head{V: v, C: c, W: w}, targets, LinearOptions{FilterBelow: 1e-30}, []float32{1}, dh, dW); err != nil {
		t.Fatal(err)
	}
	_, refDh, refDW := unfusedLinear(t, h, n, w, v, c, targets, Options{})
	checkClose(t, "dh", dh, refDh)
	checkClose(t, "dW", dW, refDW)
}

// A Native head (bfloat16 products, float32 sums) against float32 math on
// the same bfloat16-rounded h and W. A product of two bfloat16 values is
// exact in float32, so the logits, and with them the loss and its
// log-sum-exps, differ from the float32 path's only by the order of the
// float32 sums. dh and dW also round dlogits (dW: h already rounded), a
// relative error of at most u = 2⁻⁹ in each term, so each element is
// within (2u + (K+2)·2⁻²⁴)·Σ|term| of the float32 path's (K the length of
// its sum; one u more for the dlogits' own float32 differences). The
// products must differ from the float32 path's (they did run in
// bfloat16), and 1, 2 and 3 threads give the same bits.
func TestLinearNativeBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	const n, v, c = 23, 1031, 40
	h, w := randHead(r, n, v, c)
	wBits := make([]uint16, len(w))
	kernels.F32ToBF16(wBits, w)
	round := func(x []float32) []float32 {
		b := make([]uint16, len(x))
		kernels.F32ToBF16(b, x)
		out := make([]float32, len(x))
		kernels.BF16ToF32(out, b)
		return out
	}
	hr, wr := round(h), round(w)
	targets := randProblem(r, n, v, false, 1).targets
	opt := Options{LabelSmoothing: 0.1, ZLoss: 1e-4}

	// float32 on the rounded operands, with the dlogits kept for the bound.
	dlogits := make([]float32, n*v)
	gemm.Sgemm(gemm.NoTrans, gemm.Trans, n, v, c, 1, hr, c, wr, c, 0, dlogits, v, 1)
	x := F32(dlogits, n, v)
	want, err := CrossEntropyForwardBackward(x, targets, opt, []float32{1}, x)
	if err != nil {
		t.Fatal(err)
	}
	wantDh := make([]float32, n*c)
	wantDW := make([]float32, v*c)
	gemm.Sgemm(gemm.NoTrans, gemm.NoTrans, n, c, v, 1, dlogits, v, wr, c, 0, wantDh, c, 1)
	gemm.Sgemm(gemm.Trans, gemm.NoTrans, v, c, n, 1, dlogits, v, hr, c, 0, wantDW, c, 1)

	const u = 0x1p-9
	var first []float32
	for _, threads := range []int{1, 2, 3} {
		dh := make([]float32, n*c)
		dW := make([]float32, v*c)
		// 5 rows per chunk: five chunks, the last one short.
		got, err := LinearCrossEntropy(h, n, Head{V: v, C: c, BF16: wBits, Native: true}, targets,
			LinearOptions{Options: Options{LabelSmoothing: 0.1, ZLoss: 1e-4, Threads: threads}, ChunkBytes: 5 * v * 4}, []float32{1}, dh, dW)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			if !near(got.Loss, want.Loss, 1e-6) {
				t.Errorf("loss %.9g, float32 on the rounded operands %.9g", got.Loss, want.Loss)
			}
			for i := range n {
				if !near(got.LSE[i], want.LSE[i], 1e-6) {
					t.Errorf("row %d: log-sum-exp %.9g, float32 %.9g", i, got.LSE[i], want.LSE[i])
				}
			}
			for i := range n {
				for k := range c {
					var s float64
					for j := range v {
						s += math.Abs(float64(dlogits[i*v+j]) * float64(wr[j*c+k]))
					}
					if d := math.Abs(float64(dh[i*c+k] - wantDh[i*c+k])); d > (3*u+float64(v+2)*0x1p-24)*s {
						t.Fatalf("dh[%d, %d] = %.9g, float32 %.9g: off by %.3g > bound %.3g", i, k, dh[i*c+k], wantDh[i*c+k], d, (3*u+float64(v+2)*0x1p-24)*s)
					}
				}
			}
			for j := range v {
				for k := range c {
					var s float64
					for i := range n {
						s += math.Abs(float64(dlogits[i*v+j]) * float64(hr[i*c+k]))
					}
					if d := math.Abs(float64(dW[j*c+k] - wantDW[j*c+k])); d > (3*u+float64(n+2)*0x1p-24)*s {
						t.Fatalf("dW[%d, %d] = %.9g, float32 %.9g: off by %.3g > bound %.3g", j, k, dW[j*c+k], wantDW[j*c+k], d, (3*u+float64(n+2)*0x1p-24)*s)
					}
				}
			}
			if slices.Equal(dh, wantDh) || slices.Equal(dW, wantDW) {
				t.Error("dh or dW equals float32's: the bfloat16 products did not run")
			}
			first = append(dh, dW...)
			continue
		}
		if !slices.Equal(append(dh, dW...), first) {
			t.Errorf("%d threads: dh and dW differ from 1 thread's", threads)
		}
	}
	if _, err := LinearCrossEntropy(h, n, Head{V: v, C: c, W: w, Native: true}, targets, LinearOptions{}, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "Native") {
		t.Errorf("a float32 head marked Native: error %v", err)
	}
}
