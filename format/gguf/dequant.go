package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/xent-dev/xent/internal/kernels"
)

// The dequantizers follow ggml's reference C code, dequantize_row_* in
// ggml/src/ggml-quants.c with the block layouts of ggml/src/ggml-common.h,
// at llama.cpp commit d32676d77426540327835040d5d3279728f0b4c8 (the
// unslothai/llama.cpp fork). They reproduce its float32 arithmetic
// operation for operation, so that the values are bit for bit those of
// that code compiled without contraction into fused multiply-adds; the
// explicit float32(...) conversions below keep Go from fusing either.
// testdata/dequant/*.bin hold that code's output (see testdata/README.md).

// dequantizers by type; each converts whole blocks.
var dequantizers = map[Type]func(dst []float32, src []byte){
	F32:  dequantF32,
	F16:  dequantF16,
	BF16: dequantBF16,
	Q4_0: dequantQ4_0,
	Q4_1: dequantQ4_1,
	Q5_0: dequantQ5_0,
	Q5_1: dequantQ5_1,
	Q8_0: dequantQ8_0,
	Q2_K: dequantQ2_K,
	Q3_K: dequantQ3_K,
	Q4_K: dequantQ4_K,
	Q5_K: dequantQ5_K,
	Q6_K: dequantQ6_K,
}

// dequantOrder lists the types Dequantize accepts, for error messages.
var dequantOrder = []Type{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K}

// CanDequantize reports whether Dequantize converts tensors of type t.
func CanDequantize(t Type) bool {
	_, ok := dequantizers[t]
	return ok
}

func refusal(t Type) error {
	names := make([]string, len(dequantOrder))
	for i, u := range dequantOrder {
		names[i] = u.String()
	}
	return fmt.Errorf("xent cannot dequantize %s tensors (it reads %s)", t, strings.Join(names, ", "))
}

// Dequantize converts len(dst) values of type t, held in src, to float32.
// len(dst) must be a whole number of t's blocks and src exactly their
// bytes; a tensor can be converted whole or a run of blocks at a time.
func Dequantize(t Type, src []byte, dst []float32) error {
	if err := dequantize(t, src, dst); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

func dequantize(t Type, src []byte, dst []float32) error {
	fn, ok := dequantizers[t]
	if !ok {
		return refusal(t)
	}
	blk, ts := t.BlockSize(), t.TypeSize()
	if len(dst)%blk != 0 {
		return fmt.Errorf("%d values of %s are not a whole number of blocks of %d", len(dst), t, blk)
	}
	if want := len(dst) / blk * ts; len(src) != want {
		return fmt.Errorf("%d values of %s take %d bytes, not %d", len(dst), t, want, len(src))
	}
	fn(dst, src)
	return nil
}

func half(b []byte) float32 { return kernels.Float16ToFloat32(binary.LittleEndian.Uint16(b)) }

func dequantF32(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func dequantF16(dst []float32, src []byte) {
	bits := make([]uint16, len(dst))
	for i := range bits {
		bits[i] = binary.LittleEndian.Uint16(src[2*i:])
	}
	kernels.F16ToF32(dst, bits)
}

func dequantBF16(dst []float32, src []byte) {
	bits := make([]uint16, len(dst))
	for i := range bits {
		bits[i] = binary.LittleEndian.Uint16(src[2*i:])
	}
	kernels.BF16ToF32(dst, bits)
}

// dequantQ4_0: block_q4_0 is d (f16), then 16 bytes of nibbles: the low
// nibble of byte j is value j, the high nibble value j+16; x = (q-8)·d.
func dequantQ4_0(dst []float32, src []byte) {
	for b := 0; b < len(dst)/32; b++ {
		x, y := src[b*18:], dst[b*32:]
		d := half(x)
		qs := x[2:18]
		for j := range 16 {
			y[j] = float32(int(qs[j]&0x0F)-8) * d
			y[j+16] = float32(int(qs[j]>>4)-8) * d
		}
	}
}

// dequantQ4_1: block_q4_1 is d, m (f16), 16 bytes of nibbles; x = q·d + m.
func dequantQ4_1(dst []float32, src []byte) {
	for b := 0; b < len(dst)/32; b++ {
		x, y := src[b*20:], dst[b*32:]
		d, m := half(x), half(x[2:])
		qs := x[4:20]
		for j := range 16 {
			y[j] = float32(float32(qs[j]&0x0F)*d) + m
			y[j+16] = float32(float32(qs[j]>>4)*d) + m
		}
	}
}

// dequantQ5_0: block_q5_0 is d (f16), qh (32 fifth bits, little-endian
// uint32), 16 bytes of nibbles; x = (q-16)·d.
func dequantQ5_0(dst []float32, src []byte) {
	for b := 0; b < len(dst)/32; b++ {
		x, y := src[b*22:], dst[b*32:]
		d := half(x)
		qh := binary.LittleEndian.Uint32(x[2:])
		qs := x[6:22]
		for j := range 16 {
			h0 := uint8(qh>>j<<4) & 0x10
			h1 := uint8(qh>>(j+12)) & 0x10
			y[j] = float32(int32(qs[j]&0x0F|h0)-16) * d
			y[j+16] = float32(int32(qs[j]>>4|h1)-16) * d
		}
	}
}

// dequantQ5_1: block_q5_1 is d, m (f16), qh, 16 bytes of nibbles;
// x = q·d + m.
func dequantQ5_1(dst []float32, src []byte) {
	for b := 0; b < len(dst)/32; b++ {
		x, y := src[b*24:], dst[b*32:]
		d, m := half(x), half(x[2:])
		qh := binary.LittleEndian.Uint32(x[4:])
		qs := x[8:24]
		for j := range 16 {
			h0 := uint8(qh>>j<<4) & 0x10
			h1 := uint8(qh>>(j+12)) & 0x10
			y[j] = float32(float32(qs[j]&0x0F|h0)*d) + m
			y[j+16] = float32(float32(qs[j]>>4|h1)*d) + m
		}
	}
}

// dequantQ8_0: block_q8_0 is d (f16), 32 int8; x = q·d.
func dequantQ8_0(dst []float32, src []byte) {
	for b := 0; b < len(dst)/32; b++ {
		x, y := src[b*34:], dst[b*32:]
		d := half(x)
		for j := range 32 {
			y[j] = float32(int8(x[2+j])) * d
		}
	}
}

// dequantQ2_K: block_q2_K is 16 bytes of scales (low nibble a scale, high
// nibble a min, for each 16 values), 64 bytes of 2-bit quants, d and dmin
// (f16); x = d·sc·q − dmin·m.
func dequantQ2_K(dst []float32, src []byte) {
	for b := 0; b < len(dst)/256; b++ {
		x, y := src[b*84:], dst[b*256:]
		scales, q := x[0:16], x[16:80]
		d, dmin := half(x[80:]), half(x[82:])
		is := 0
		for n := 0; n < 256; n += 128 {
			shift := 0
			for range 4 {
				for _, off := range [2]int{0, 16} {
					sc := scales[is]
					is++
					dl := d * float32(sc&0xF)
					ml := dmin * float32(sc>>4)
					for l := range 16 {
						y[0] = float32(dl*float32((q[l+off]>>shift)&3)) - ml
						y = y[1:]
					}
				}
				shift += 2
			}
			q = q[32:]
		}
	}
}

// dequantQ3_K: block_q3_K is 32 bytes of high bits (hmask), 64 bytes of
// 2-bit quants, 12 bytes of 6-bit scales, d (f16); x = d·(sc−32)·(q−4·!h).
func dequantQ3_K(dst []float32, src []byte) {
	for b := 0; b < len(dst)/256; b++ {
		x, y := src[b*110:], dst[b*256:]
		hm, q := x[0:32], x[32:96]
		dAll := half(x[108:])
		scales := Q3KScales(x)
		is := 0
		m := uint8(1)
		for n := 0; n < 256; n += 128 {
			shift := 0
			for range 4 {
				for _, off := range [2]int{0, 16} {
					dl := dAll * float32(int(scales[is])-32)
					is++
					for l := range 16 {
						v := int((q[l+off] >> shift) & 3)
						if hm[l+off]&m == 0 {
							v -= 4
						}
						y[0] = dl * float32(v)
						y = y[1:]
					}
				}
				shift += 2
				m <<= 1
			}
			q = q[32:]
		}
	}
}

// scaleMinK4 is ggml's get_scale_min_k4 on the 12 packed bytes q of a
// q4_K or q5_K block, its j-th 6-bit scale and min, times the block's d
// and dmin.
func scaleMinK4(j int, q []byte, d, dmin float32) (scale, min float32) {
	var sc, m uint8
	if j < 4 {
		sc, m = q[j]&63, q[j+4]&63
	} else {
		sc, m = (q[j+4]&0xF)|((q[j-4]>>6)<<4), (q[j+4]>>4)|((q[j]>>6)<<4)
	}
	return d * float32(sc), dmin * float32(m)
}

// dequantQ4_K: block_q4_K is d, dmin (f16), 12 bytes of 6-bit scales and
// mins (one each per 32 values), 128 bytes of nibbles; x = d·sc·q − dmin·m.
func dequantQ4_K(dst []float32, src []byte) {
	for b := 0; b < len(dst)/256; b++ {
		x, y := src[b*144:], dst[b*256:]
		d, dmin := half(x), half(x[2:])
		scales, q := x[4:16], x[16:144]
		is := 0
		for j := 0; j < 256; j += 64 {
			d1, m1 := scaleMinK4(is, scales, d, dmin)
			d2, m2 := scaleMinK4(is+1, scales, d, dmin)
			for l := range 32 {
				y[j+l] = float32(d1*float32(q[l]&0xF)) - m1
				y[j+32+l] = float32(d2*float32(q[l]>>4)) - m2
			}
			q = q[32:]
			is += 2
		}
	}
}

// dequantQ5_K: block_q5_K is d, dmin (f16), 12 bytes of scales and mins,
// 32 bytes of fifth bits (qh), 128 bytes of nibbles; x = d·sc·q − dmin·m.
func dequantQ5_K(dst []float32, src []byte) {
	for b := 0; b < len(dst)/256; b++ {
		x, y := src[b*176:], dst[b*256:]
		d, dmin := half(x), half(x[2:])
		scales, qh, ql := x[4:16], x[16:48], x[48:176]
		is := 0
		u1, u2 := uint8(1), uint8(2)
		for j := 0; j < 256; j += 64 {
			d1, m1 := scaleMinK4(is, scales, d, dmin)
			d2, m2 := scaleMinK4(is+1, scales, d, dmin)
			for l := range 32 {
				q1, q2 := ql[l]&0xF, ql[l]>>4
				if qh[l]&u1 != 0 {
					q1 += 16
				}
				if qh[l]&u2 != 0 {
					q2 += 16
				}
				y[j+l] = float32(d1*float32(q1)) - m1
				y[j+32+l] = float32(d2*float32(q2)) - m2
			}
			ql = ql[32:]
			is += 2
			u1 <<= 2
			u2 <<= 2
		}
	}
}

// dequantQ6_K: block_q6_K is 128 bytes of low nibbles (ql), 64 bytes of
// high 2-bit pairs (qh), 16 int8 scales (one per 16 values), d (f16);
// x = d·sc·(q−32).
func dequantQ6_K(dst []float32, src []byte) {
	for b := 0; b < len(dst)/256; b++ {
		x, y := src[b*210:], dst[b*256:]
		ql, qh, sc := x[0:128], x[128:192], x[192:208]
		d := half(x[208:])
		for n := 0; n < 256; n += 128 {
			for l := range 32 {
				is := l / 16
				q1 := int8(ql[l]&0xF|((qh[l]>>0)&3)<<4) - 32
				q2 := int8(ql[l+32]&0xF|((qh[l]>>2)&3)<<4) - 32
				q3 := int8(ql[l]>>4|((qh[l]>>4)&3)<<4) - 32
				q4 := int8(ql[l+32]>>4|((qh[l]>>6)&3)<<4) - 32
				y[n+l] = d * float32(int8(sc[is])) * float32(q1)
				y[n+l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				y[n+l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				y[n+l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
			ql, qh, sc = ql[64:], qh[32:], sc[8:]
		}
	}
}

// Q3KScales unpacks the sixteen 6-bit scales of a block_q3_K (the 12
// bytes after its hmask and quants), before the −32 offset, as ggml's
// dequantize_row_q3_K does with its kmask1/kmask2 shuffle.
func Q3KScales(block []byte) [16]int8 {
	const kmask1, kmask2 = 0x03030303, 0x0f0f0f0f
	var aux [4]uint32
	for i := range 3 {
		aux[i] = binary.LittleEndian.Uint32(block[96+4*i:])
	}
	tmp := aux[2]
	aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4)
	aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4)
	aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4)
	aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4)
	var scales [16]int8
	for i := range scales {
		scales[i] = int8(aux[i/4] >> (8 * (i % 4)))
	}
	return scales
}
