package npy

import (
	"github.com/xent-dev/xent/internal/kernels"

	"encoding/binary"
	"math"
	"testing"
)

// refFloat16 decodes a binary16 value arithmetically, independently of the
// bit manipulation in Float16ToFloat32.
func refFloat16(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(mant, -24) // subnormal (or zero): mant * 2^-24
	case 0x1f:
		if mant == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1024+mant, exp-25) // (1 + mant/1024) * 2^(exp-15)
}

func TestFloat16ToFloat32Exhaustive(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		got := kernels.Float16ToFloat32(h)
		want := refFloat16(h)
		gotBits := math.Float32bits(got)
		if gotBits>>31 != uint32(h>>15) {
			t.Fatalf("%#04x: sign of %v is wrong", h, got)
		}
		if math.IsNaN(want) {
			// NaN: all-ones exponent, payload moved to the top of the mantissa.
			if !math.IsNaN(float64(got)) || gotBits>>23&0xff != 0xff || gotBits&0x7fffff != uint32(h&0x3ff)<<13 {
				t.Fatalf("%#04x: got %#08x, want NaN with payload %#x", h, gotBits, h&0x3ff)
			}
			continue
		}
		// Every binary16 value is exactly representable as a float32 (and
		// float64), so the conversion must be exact, -0 included.
		if float64(float32(want)) != want {
			t.Fatalf("%#04x: reference %v is not a float32", h, want)
		}
		if gotBits != math.Float32bits(float32(want)) {
			t.Fatalf("%#04x: got %v (%#08x), want %v (%#08x)", h, got, gotBits, want, math.Float32bits(float32(want)))
		}
	}
}

func TestFloat16Landmarks(t *testing.T) {
	tests := []struct {
		h    uint16
		want float32
	}{
		{0x0001, 0x1p-24},              // smallest subnormal
		{0x03ff, 1023 * 0x1p-24},       // largest subnormal
		{0x0400, 0x1p-14},              // smallest normal
		{0x3c00, 1},                    //
		{0x3555, 0.333251953125},       // nearest to 1/3
		{0x7bff, 65504},                // largest finite
		{0xc000, -2},                   //
		{0x7c00, float32(math.Inf(1))}, //
	}
	for _, tt := range tests {
		if got := kernels.Float16ToFloat32(tt.h); got != tt.want {
			t.Errorf("kernels.Float16ToFloat32(%#04x) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

// TestFloat32sFromFloat16 checks that the Array path agrees with the scalar
// conversion for every bit pattern.
func TestFloat32sFromFloat16(t *testing.T) {
	data := make([]byte, 2<<16)
	for i := range 1 << 16 {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(i))
	}
	a := &Array{DType: Float16, Shape: []int{256, 256}, Data: data}
	fs, err := a.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	bits, err := a.Uint16s()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1 << 16 {
		if bits[i] != uint16(i) {
			t.Fatalf("Uint16s()[%d] = %#x", i, bits[i])
		}
		if math.Float32bits(fs[i]) != math.Float32bits(kernels.Float16ToFloat32(uint16(i))) {
			t.Fatalf("Float32s()[%d] = %v", i, fs[i])
		}
	}
}
