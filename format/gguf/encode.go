package gguf

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/xent-dev/xent/internal/kernels"
)

// CanEncode reports whether Encode writes values of type t: f32, f16,
// bf16 and q8_0.
func CanEncode(t Type) bool {
	switch t {
	case F32, F16, BF16, Q8_0:
		return true
	}
	return false
}

// Encode converts src to type t, one of the types CanEncode accepts, and
// returns the bytes, as ggml's reference encoders give them
// (ggml_fp32_to_fp16_row, ggml_fp32_to_bf16_row_ref and
// quantize_row_q8_0_ref at the commit named in dequant.go):
// round-to-nearest-even for f16 and bf16; for q8_0, per block of 32 the
// scale d = max|x|/127 (stored as f16) and q = round(x/d), halves away
// from zero. len(src) must be a whole number of blocks.
func Encode(t Type, src []float32) ([]byte, error) {
	if !CanEncode(t) {
		return nil, fmt.Errorf("gguf: xent does not encode %s (it writes f32, f16, bf16 and q8_0)", t)
	}
	blk := t.BlockSize()
	if len(src)%blk != 0 {
		return nil, fmt.Errorf("gguf: %d values are not a whole number of %s blocks of %d", len(src), t, blk)
	}
	dst := make([]byte, len(src)/blk*t.TypeSize())
	switch t {
	case F32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case F16, BF16:
		bits := make([]uint16, len(src))
		if t == F16 {
			kernels.F32ToF16(bits, src)
		} else {
			kernels.F32ToBF16(bits, src)
		}
		for i, h := range bits {
			binary.LittleEndian.PutUint16(dst[2*i:], h)
		}
	case Q8_0:
		encodeQ8_0(dst, src)
	}
	return dst, nil
}

// encodeQ8_0 is quantize_row_q8_0_ref.
func encodeQ8_0(dst []byte, src []float32) {
	for b := 0; b < len(src)/32; b++ {
		x, y := src[b*32:b*32+32], dst[b*34:]
		amax := float32(0)
		for _, v := range x {
			if a := float32(math.Abs(float64(v))); !(amax > a) { // MAX(amax, fabsf(v)), NaN included
				amax = a
			}
		}
		d := amax / 127
		id := float32(0)
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(y, kernels.Float32ToFloat16(d))
		for j, v := range x {
			y[2+j] = byte(int8(math.Round(float64(v * id))))
		}
	}
}
