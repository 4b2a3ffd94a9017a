//go:build !purego

package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/xent-dev/xent/internal/kernels"
)

// The hand-encoded VDPBF16PS of each form the generator emits (register
// operands, memory broadcast with no, an 8-bit and a 32-bit displacement),
// run on known inputs, gives dotBF16's bits in every lane: normal values
// over a wide range of exponents (so that the order of the two additions
// shows), cancellations, subnormal inputs and results, infinities and NaN.
func TestVDPBF16PSEncodings(t *testing.T) {
	if !cpu.X86.HasAVX512BF16 {
		t.Skip("this CPU (or OS) has no AVX512_BF16")
	}
	r := rand.New(rand.NewPCG(13, 14))
	bf := func() uint16 {
		switch r.IntN(16) {
		case 0:
			return uint16(r.IntN(0x80)) | uint16(r.IntN(2))<<15 // subnormal or zero
		case 1:
			return []uint16{0x7f80, 0xff80, 0x7fc0, 0x0080, 0x8080, 0x7f7f}[r.IntN(6)]
		case 2:
			return 0x0080 + uint16(r.IntN(0x300)) // tiny: products underflow
		}
		e := 127 + r.IntN(40) - 20
		return uint16(r.IntN(2))<<15 | uint16(e)<<7 | uint16(r.IntN(128))
	}
	word := func() uint32 { return pair(bf(), bf()) }
	orderShows := 0
	for range 20000 {
		var acc, want [16]float32
		var x, y [16]uint32
		for j := range 16 {
			acc[j] = float32(math.Ldexp(r.NormFloat64(), r.IntN(40)-20))
			if r.IntN(8) == 0 {
				acc[j] = 0
			}
			x[j], y[j] = word(), word()
		}
		for j := range 16 {
			want[j] = dotBF16(acc[j], x[j], y[j])
			swapped := dotBF16(acc[j], x[j]<<16|x[j]>>16, y[j]<<16|y[j]>>16)
			if math.Float32bits(swapped) != math.Float32bits(want[j]) && !math.IsNaN(float64(want[j])) {
				orderShows++
			}
		}
		check := func(form string, got [16]float32) {
			t.Helper()
			for j := range 16 {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) && !(math.IsNaN(float64(got[j])) && math.IsNaN(float64(want[j]))) {
					t.Fatalf("%s lane %d: %v + %08x·%08x = %v (%08x), want %v (%08x)", form, j, acc[j], x[j], y[j],
						got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
				}
			}
		}
		got := acc
		dpbf16psReg(&got, &x, &y)
		// The helper runs two instructions, the second on the first's result.
		for j := range 16 {
			want[j] = dotBF16(want[j], x[j], y[j])
		}
		check("register form (twice)", got)
		for j := range 16 {
			want[j] = dotBF16(acc[j], x[j], y[0])
		}
		for _, disp := range []int{0, 4, 1024} {
			got := acc
			dpbf16psBcast(&got, &x, &y[0], disp)
			check("broadcast form", got)
		}
	}
	if orderShows == 0 {
		t.Fatal("no input where the order of the two products matters: the test cannot tell the orders apart")
	}
}

// The assembly packers give the Go packing's words: float32 pairs rounded
// as kernels.Float32ToBFloat16 rounds (ties to even, NaN quieted, ±Inf,
// values that round up into the next binade and to Inf), bfloat16 pairs
// as they are; lanes past w are left alone (pairPackF32AVX512) or zeroed
// (pairPackBF16AVX512), and the source past w is never read (the rows end
// at the slice's end).
func TestBF16PackersAVX512(t *testing.T) {
	if !cpu.X86.HasAVX512F || !cpu.X86.HasAVX512BW {
		t.Skip("no AVX-512 here")
	}
	r := rand.New(rand.NewPCG(15, 16))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)),
		math.Float32frombits(0x3f808000), math.Float32frombits(0x3f818000), math.Float32frombits(0x7f7fffff), math.Float32frombits(0x00008000),
		math.Float32frombits(0xffc00001), math.Float32frombits(0x7fbfffff)}
	val := func() float32 {
		if r.IntN(4) == 0 {
			return special[r.IntN(len(special))]
		}
		return math.Float32frombits(r.Uint32())
	}
	bf := kernels.Float32ToBFloat16
	for range 200 {
		kq, ld, w := 1+r.IntN(9), 16+r.IntN(40), 1+r.IntN(16)
		ldd := w + r.IntN(4)
		src := make([]float32, (2*kq-1)*ld+w) // ends at the last row's lane w−1
		for i := range src {
			src[i] = val()
		}
		dst := make([]uint32, kq*ldd)
		for i := range dst {
			dst[i] = 0xdeadbeef
		}
		pairPackF32AVX512(&dst[0], &src[0], kq, ld, ldd, w)
		for q := range kq {
			for j := range ldd {
				want := uint32(0xdeadbeef)
				if j < w {
					want = pair(bf(src[2*q*ld+j]), bf(src[(2*q+1)*ld+j]))
				}
				if dst[q*ldd+j] != want {
					t.Fatalf("pairPackF32AVX512 kq=%d ld=%d w=%d: dst[%d][%d] = %#x, want %#x", kq, ld, w, q, j, dst[q*ldd+j], want)
				}
			}
		}
	}
	for range 200 {
		kq, ld, w := 1+r.IntN(9), 32+r.IntN(40), 1+r.IntN(32)
		src := make([]uint16, (2*kq-1)*ld+w)
		for i := range src {
			src[i] = uint16(r.Uint32())
		}
		dst := make([]uint32, kq*32)
		for i := range dst {
			dst[i] = 0xdeadbeef
		}
		pairPackBF16AVX512(&dst[0], &src[0], kq, ld, 32, w)
		for q := range kq {
			for j := range 32 {
				want := uint32(0)
				if j < w {
					want = pair(src[2*q*ld+j], src[(2*q+1)*ld+j])
				}
				if dst[q*32+j] != want {
					t.Fatalf("pairPackBF16AVX512 kq=%d ld=%d w=%d: dst[%d][%d] = %#x, want %#x", kq, ld, w, q, j, dst[q*32+j], want)
				}
			}
		}
	}
}
