package loss

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xent-dev/xent/loss/emulate"
)

var bf16Pairwise = emulate.Arithmetic{Format: &emulate.BF16, Sum: emulate.Pairwise}

// randomRows are n rows of v logits from N(0, σ²) and uniform targets.
func randomRows(seed uint64, n, v int, sigma float64) ([]float32, []int32) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, n*v)
	for i := range x {
		x[i] = float32(sigma * rng.NormFloat64())
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(rng.IntN(v))
	}
	return x, y
}

// With Emulate, each row's loss and log-sum-exp are emulate.CrossEntropy's
// exactly, and dlogits its gradient widened to float32 and scaled by the
// mean's 1/N (the upstream gradient 1), in either summation order.
func TestEmulatedEqualsEmulation(t *testing.T) {
	const n, v = 5, 300
	x, y := randomRows(1, n, v, 3)
	for _, a := range []emulate.Arithmetic{bf16Pairwise, {Format: &emulate.BF16, Sum: emulate.Sequential}, {Format: &emulate.F16, Sum: emulate.Pairwise}} {
		grad := make([]float32, n*v)
		res, err := CrossEntropyForwardBackward(F32(x, n, v), Targets{Index: y}, Options{Emulate: a}, []float32{1}, F32(grad, n, v))
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float64, v)
		var sum float64
		for i := range n {
			l, lse := emulate.CrossEntropy(a.Format, a.Sum, x[i*v:(i+1)*v], int(y[i]), want)
			if res.RowLoss[i] != l || res.LSE[i] != lse {
				t.Errorf("%s row %d: loss %v lse %v, the emulation %v %v", a, i, res.RowLoss[i], res.LSE[i], l, lse)
			}
			sum += l
			for c, g := range want {
				if w := float32(g) * float32(1.0/n); grad[i*v+c] != w {
					t.Fatalf("%s row %d class %d: dlogit %v, want %v", a, i, c, grad[i*v+c], w)
				}
			}
		}
		if res.Loss != sum/n {
			t.Errorf("%s: mean loss %v, want %v", a, res.Loss, sum/n)
		}
	}
}

// bf16 against float32: on every row the loss differs by no more than the
// roundings emulate.CrossEntropy makes can add up to (u = 2⁻⁸, bf16's unit
// roundoff, on the stored logits, the subtraction, the sum's log2 V levels,
// the log and the two additions), and on average by a fair part of it; the
// gradient differs by about u relative to its norm.
func TestEmulatedBF16Error(t *testing.T) {
	const n, v = 64, 1024
	const u = 1.0 / 256
	x, y := randomRows(2, n, v, 2)
	g32 := make([]float32, n*v)
	g16 := make([]float32, n*v)
	r32, err := CrossEntropyForwardBackward(F32(x, n, v), Targets{Index: y}, Options{Reduction: Sum}, []float32{1}, F32(g32, n, v))
	if err != nil {
		t.Fatal(err)
	}
	r16, err := CrossEntropyForwardBackward(F32(x, n, v), Targets{Index: y}, Options{Reduction: Sum, Emulate: bf16Pairwise}, []float32{1}, F32(g16, n, v))
	if err != nil {
		t.Fatal(err)
	}
	var meanAbs, gradRel float64
	for i := range n {
		row := x[i*v : (i+1)*v]
		var m float64
		for _, z := range row {
			m = max(m, math.Abs(float64(z)))
		}
		d := math.Abs(r16.RowLoss[i] - r32.RowLoss[i])
		bound := u * (math.Abs(r32.RowLoss[i]) + 2*math.Abs(r32.LSE[i]) + math.Abs(float64(row[y[i]])) + 2*m + math.Log2(v) + 2)
		if d > bound {
			t.Errorf("row %d: |Δloss| %.3g above the rounding bound %.3g", i, d, bound)
		}
		meanAbs += d / n
		var diff, norm float64
		for c := range v {
			e := float64(g16[i*v+c] - g32[i*v+c])
			diff += e * e
			norm += float64(g32[i*v+c]) * float64(g32[i*v+c])
		}
		gradRel += math.Sqrt(diff/norm) / n
	}
	if meanAbs < u/64 {
		t.Errorf("mean |Δloss| %.3g: bf16 hardly differs from float32", meanAbs)
	}
	if gradRel < u/8 || gradRel > 4*u {
		t.Errorf("gradient relative L2 difference %.3g, want about u = %.3g", gradRel, u)
	}
	t.Logf("bf16 − float32: mean |Δloss| %.3g nats, gradient rel L2 %.3g", meanAbs, gradRel)
}

// The emulated path keeps the kernel's other contracts: ignored rows give
// nothing, class weights scale a row's loss and gradient, any thread count
// gives the same bits, and the fused head gives what the logits give.
func TestEmulatedContracts(t *testing.T) {
	const n, v = 6, 200
	x, y := randomRows(3, n, v, 1)
	y[2] = DefaultIgnoreIndex
	w := make([]float32, v)
	for c := range w {
		w[c] = 0.5 + float32(c%3)
	}
	opt := Options{Emulate: bf16Pairwise, Weights: w}
	var first []float32
	var firstLoss float64
	for _, threads := range []int{1, 3} {
		opt.Threads = threads
		grad := make([]float32, n*v)
		res, err := CrossEntropyForwardBackward(F32(x, n, v), Targets{Index: y}, opt, []float32{1}, F32(grad, n, v))
		if err != nil {
			t.Fatal(err)
		}
		if res.Count != n-1 || res.RowLoss[2] != 0 {
			t.Errorf("ignored row: count %d, row loss %v", res.Count, res.RowLoss[2])
		}
		for c := range v {
			if grad[2*v+c] != 0 {
				t.Fatalf("ignored row has dlogit %v at %d", grad[2*v+c], c)
			}
		}
		g := make([]float64, v)
		l, _ := emulate.CrossEntropy(bf16Pairwise.Format, bf16Pairwise.Sum, x[:v], int(y[0]), g)
		if wt := float64(w[y[0]]); res.RowLoss[0] != wt*l {
			t.Errorf("weighted row loss %v, want %v", res.RowLoss[0], wt*l)
		}
		if first == nil {
			first, firstLoss = grad, res.Loss
		} else if res.Loss != firstLoss || !equalBits(grad, first) {
			t.Errorf("threads %d: a different result", threads)
		}
	}
	// The fused head on h = I (C = V, W = I): the logits are h's rows.
	eye := make([]float32, v*v)
	for c := range v {
		eye[c*v+c] = 1
	}
	opt.Threads = 0
	lin, err := LinearCrossEntropy(x, n, Head{V: v, C: v, W: eye}, Targets{Index: y}, LinearOptions{Options: opt}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lin.Loss != firstLoss {
		t.Errorf("LinearCrossEntropy %v, CrossEntropy %v", lin.Loss, firstLoss)
	}
}

func equalBits(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

func TestEmulatedRefuses(t *testing.T) {
	x, y := randomRows(4, 2, 4, 1)
	m := F32(x, 2, 4)
	for name, opt := range map[string]Options{
		"smoothing": {Emulate: bf16Pairwise, LabelSmoothing: 0.1},
		"z-loss":    {Emulate: bf16Pairwise, ZLoss: 1e-4},
		"soft-cap":  {Emulate: bf16Pairwise, SoftCap: 30},
	} {
		if _, err := CrossEntropy(m, Targets{Index: y}, opt); err == nil {
			t.Errorf("%s with bf16 emulation accepted", name)
		}
	}
	if _, err := CrossEntropy(m, Targets{Probs: make([]float32, 8)}, Options{Emulate: bf16Pairwise}); err == nil {
		t.Error("probability targets with bf16 emulation accepted")
	}
	if err := CrossEntropyBackward(m, Targets{Index: y}, Options{Emulate: bf16Pairwise}, []float64{1, 1}, []float32{1}, F32(make([]float32, 8), 2, 4)); err == nil {
		t.Error("CrossEntropyBackward with emulation accepted")
	}
	inf := float32(math.Inf(-1))
	if _, err := CrossEntropy(F32([]float32{inf, inf}, 1, 2), Targets{Index: []int32{0}}, Options{Emulate: bf16Pairwise}); err == nil {
		t.Error("a kept row of -Inf accepted")
	}
	if _, err := CrossEntropy(F32([]float32{1, float32(math.NaN())}, 1, 2), Targets{Index: []int32{0}}, Options{Emulate: bf16Pairwise}); err == nil {
		t.Error("a NaN logit accepted")
	}
	f16 := emulate.Arithmetic{Format: &emulate.F16}
	if _, err := CrossEntropy(F32([]float32{1, 1e5}, 1, 2), Targets{Index: []int32{0}}, Options{Emulate: f16}); err == nil {
		t.Error("a logit beyond f16's range accepted")
	}
}
