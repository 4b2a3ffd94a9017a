package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/loss"
)

// mixedStep returns the loss and a copy of the gradients of one
// ForwardBackward of m on a fixed batch, in mixed precision or not.
func mixedStep(t *testing.T, m *Model, mixed bool, threads int) (float64, []float32) {
	t.Helper()
	const B = 2
	T := min(12, m.MaxSeqLen())
	tokens := randomTokens(B*T, m.VocabSize(), 3)
	if err := m.SetMixedBF16(mixed); err != nil {
		t.Fatal(err)
	}
	defer m.SetMixedBF16(false)
	m.Threads = threads
	m.ZeroGrads()
	l, err := m.ForwardBackward(tokens, B, T, nextTokens(tokens, B, T), loss.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return l, slices.Clone(m.GradBuffer())
}

// l2RelErr is ‖x − y‖ / ‖y‖ over float32 vectors, in float64.
func l2RelErr(x, y []float32) float64 {
	var d, s float64
	for i := range y {
		d += (float64(x[i]) - float64(y[i])) * (float64(x[i]) - float64(y[i]))
		s += float64(y[i]) * float64(y[i])
	}
	return math.Sqrt(d / s)
}

// A mixed-precision step's loss and gradients agree with float32's within
// a bfloat16 bound. Rounding an operand to bfloat16 moves it by at most
// u = 2⁻⁹ relative, so each product term of a layer's matrix product by
// at most 2u = 2⁻⁸; every block and the output head add such an error
// once forward and once backward, and the errors carry on through the rest
// of the network. The bound: the whole gradient within 2(L+1)·2⁻⁸
// (relative, Euclidean; L blocks), the loss within 2⁻⁸ relative, and any
// single tensor within 2⁻⁴ (a norm weight's or bias's gradient is a sum
// with cancellation, whose relative error can be larger: measured up to
// 0.042, Gemma 3's). Measured (2026-12-05, the head in bfloat16 too):
// whole gradients within 0.002–0.022, losses within 5·10⁻⁴ (blocks alone:
// 0.0003–0.020 and 4·10⁻⁴). The gradients of the blocks' matrices must
// differ from float32's: the bfloat16 products did run.
func TestMixedBF16GradientsWithinBound(t *testing.T) {
	for _, tc := range tinyConfigs {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			train(t, m, 20, 0.05) // away from the initialisation
			l32, g32 := mixedStep(t, m, false, 2)
			l16, g16 := mixedStep(t, m, true, 2)
			if r := math.Abs(l16-l32) / l32; !(r <= 0x1p-8) {
				t.Errorf("loss %v in bf16 against %v in float32: relative error %.3g > 2⁻⁸", l16, l32, r)
			}
			L := float64(m.d.L)
			t.Logf("loss relative error %.2g, gradient relative error %.3g", math.Abs(l16-l32)/l32, l2RelErr(g16, g32))
			if r := l2RelErr(g16, g32); !(r <= 2*(L+1)*0x1p-8) {
				t.Errorf("gradient relative error %.3g > 2(L+1)·2⁻⁸ = %.3g", r, 2*(L+1)*0x1p-8)
			}
			off, changed := 0, false
			for _, p := range m.Params() {
				n := len(p.Data)
				if r := l2RelErr(g16[off:off+n], g32[off:off+n]); !(r <= 0x1p-4) {
					t.Errorf("%s: gradient relative error %.3g > 2⁻⁴", p.Name, r)
				}
				changed = changed || !slices.Equal(g16[off:off+n], g32[off:off+n])
				off += n
			}
			if !changed {
				t.Error("the bf16 gradients equal the float32 ones: the bfloat16 products did not run")
			}
			if m.MixedBF16() {
				t.Error("MixedBF16 still on after SetMixedBF16(false)")
			}
		})
	}
}

// A mixed-precision step gives the same bits for 1, 2 and 3 threads, and
// under every bfloat16 kernel that follows VDPBF16PS's arithmetic (the
// assembly one and the Go one that -tags purego builds alone); AMX sums in
// an order of its own and is left out.
func TestMixedBF16SameBits(t *testing.T) {
	defer gemm.UseBF16Native(gemm.ActiveBF16Native())
	for _, tc := range tinyConfigs[:3] {
		m, err := New(tc.cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		var want []float32
		var wantLoss float64
		for _, impl := range gemm.ImplementationsBF16Native() {
			if impl == "amx" {
				continue
			}
			gemm.UseBF16Native(impl)
			for _, threads := range []int{1, 2, 3} {
				l, g := mixedStep(t, m, true, threads)
				if want == nil {
					want, wantLoss = g, l
					continue
				}
				if l != wantLoss || !slices.EqualFunc(g, want, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
					t.Fatalf("%s: kernel %s, %d threads: loss %v and gradients differ from the first run's (loss %v)", tc.name, impl, threads, l, wantLoss)
				}
			}
		}
	}
}

// linear.backward in bfloat16 computes dx = dy·Wᵀ and dW += dyᵀ·x (Conv1D:
// xᵀ·dy) on the operands rounded to bfloat16, in float32: within the
// bound of float32 summation, (K+2)·2⁻²⁴·Σ|a·b| (+ the accumulated term),
// of the exact products of the rounded operands, for nn.Linear and
// Conv1D weights, with and without accumulation into dx.
func TestLinearBackwardBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	rounded := func(x []float32) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(kernels.BFloat16ToFloat32(kernels.Float32ToBFloat16(v)))
		}
		return out
	}
	const n, in, out, lddy = 37, 19, 23, 29 // dy [n, out] with leading dimension lddy
	for _, conv := range []bool{false, true} {
		for _, acc := range []bool{false, true} {
			w, x, dy := fill(in*out), fill(n*in), fill(n*lddy)
			l := linear{w: w, dw: fill(in * out), in: in, out: out, conv: conv, native: true, wb: make([]uint16, in*out)}
			kernels.F32ToBF16(l.wb, w)
			dw0, dx := slices.Clone(l.dw), fill(n*in)
			dx0 := slices.Clone(dx)
			l.backward(x, n, dy, lddy, dx, acc, nil, 2)
			wr, xr, dyr := rounded(w), rounded(x), rounded(dy)
			wAt := func(i, o int) float64 { // W as [in, out]
				if conv {
					return wr[i*out+o]
				}
				return wr[o*in+i]
			}
			check := func(what string, got float32, sum, mag, c float64) {
				t.Helper()
				if tol := float64(max(n, out)+2) * 0x1p-24 * (mag + math.Abs(c)); !(math.Abs(float64(got)-(sum+c)) <= tol) {
					t.Fatalf("conv %v acc %v: %s = %v, want %v ± %.3g", conv, acc, what, got, sum+c, tol)
				}
			}
			for i := range n {
				for k := range in {
					var s, mag float64
					for o := range out {
						s += dyr[i*lddy+o] * wAt(k, o)
						mag += math.Abs(dyr[i*lddy+o] * wAt(k, o))
					}
					c := 0.0
					if acc {
						c = float64(dx0[i*in+k])
					}
					check("dx", dx[i*in+k], s, mag, c)
				}
			}
			for k := range in {
				for o := range out {
					var s, mag float64
					for i := range n {
						s += xr[i*in+k] * dyr[i*lddy+o]
						mag += math.Abs(xr[i*in+k] * dyr[i*lddy+o])
					}
					j := o*in + k
					if conv {
						j = k*out + o
					}
					check("dW", l.dw[j], s, mag, float64(dw0[j]))
				}
			}
		}
	}
}

// Mixed precision runs the head's fused loss with bfloat16 products
// (loss.Head.Native) and leaves it float32 again when turned off; an
// inference model's bfloat16 head never gets them from the fused loss.
func TestMixedBF16Head(t *testing.T) {
	for _, tc := range tinyConfigs[:3] {
		m, err := New(tc.cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.SetMixedBF16(true); err != nil {
			t.Fatal(err)
		}
		hd, err := m.lossHead()
		if err != nil || !hd.Native || hd.BF16 == nil || hd.W != nil {
			t.Errorf("%s: mixed precision's head: native %v, bf16 %v, float32 %v (%v)", tc.name, hd.Native, hd.BF16 != nil, hd.W != nil, err)
		}
		for i, b := range hd.BF16 {
			if want := kernels.Float32ToBFloat16(m.head.w[i]); b != want {
				t.Fatalf("%s: head weight %d in bfloat16 %#04x, want %#04x", tc.name, i, b, want)
			}
		}
		if err := m.SetMixedBF16(false); err != nil {
			t.Fatal(err)
		}
		if hd, _ := m.lossHead(); hd.Native || hd.BF16 != nil || hd.W == nil {
			t.Errorf("%s: after SetMixedBF16(false) the head is native %v, bf16 %v", tc.name, hd.Native, hd.BF16 != nil)
		}
	}
}
