//go:build !purego

package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
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
