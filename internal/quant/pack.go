package quant

import (
	"encoding/binary"
	"math"

	"github.com/xent-dev/xent/format/gguf"
)

// Fast packers: a row of GGUF blocks straight into the kernels' records
// (simd.go's packRow gives the layout), eight quants at a time in a
// uint64 (bytes as lanes), for the types llama-quantize's usual presets
// produce. They write exactly what unpack then packRow write (the kernels'
// bit-equality test runs through them).

const (
	lo4   = 0x0F0F0F0F0F0F0F0F
	ones8 = 0x0101010101010101
)

// spread8[b] has byte i set to bit i of b.
var spread8 = func() (t [256]uint64) {
	for b := range t {
		for i := range 8 {
			t[b] |= uint64(b>>i&1) << (8 * i)
		}
	}
	return
}()

// byteSum is the sum of the eight bytes of w (each sum below 256).
func byteSum(w uint64) int32 { return int32((w * ones8) >> 56) }

// wordSum is the sum of the eight bytes of w, any values.
func wordSum(w uint64) int32 {
	const m = 0x00FF00FF00FF00FF
	return int32(((w&m + w>>8&m) * 0x0001000100010001) >> 48)
}

var le = binary.LittleEndian

// packers by type; nil for the types packRow serves.
var packers = map[gguf.Type]func(src, dst []byte, nb int){
	gguf.Q8_0: packQ8_0, gguf.Q4_0: packQ4_0, gguf.Q5_0: packQ5_0,
	gguf.Q4_K: packQ45_K, gguf.Q5_K: packQ45_K, gguf.Q6_K: packQ6_K,
}

func putF32(b []byte, f float32) { le.PutUint32(b, math.Float32bits(f)) }

func packQ8_0(src, dst []byte, nb int) {
	for b := range nb {
		x, d := src[b*34:b*34+34], dst[b*40:b*40+40]
		copy(d[:32], x[2:34])
		var s int32
		for w := range 4 { // Σ int8 = Σ (b ^ 0x80) − 128 per byte
			s += wordSum(le.Uint64(x[2+8*w:])^0x8080808080808080) - 8*128
		}
		putF32(d[32:], half(x))
		le.PutUint32(d[36:], uint32(-corrScale*s))
	}
}

// packQ4_0: v − 8 for v in 0..15 is v's low three bits, or with 0xF8
// when bit 3 is clear.
func packQ4_0(src, dst []byte, nb int) {
	for b := range nb {
		x, d := src[b*18:b*18+18], dst[b*40:b*40+40]
		var s int32
		for h := range 2 {
			w := le.Uint64(x[2+8*h:])
			for i, v := range [2]uint64{w & lo4, w >> 4 & lo4} {
				s += byteSum(v) - 64
				le.PutUint64(d[16*i+8*h:], v&0x0707070707070707|(^v>>3&ones8)*0xF8)
			}
		}
		putF32(d[32:], half(x))
		le.PutUint32(d[36:], uint32(-corrScale*s))
	}
}

// packQ5_0: v − 16 with v = q + 16·h is q, or q | 0xF0 when h is clear.
func packQ5_0(src, dst []byte, nb int) {
	for b := range nb {
		x, d := src[b*22:b*22+22], dst[b*40:b*40+40]
		qh := le.Uint32(x[2:])
		var s int32
		for h := range 2 {
			w := le.Uint64(x[6+8*h:])
			for i, v := range [2]uint64{w & lo4, w >> 4 & lo4} {
				hb := spread8[byte(qh>>(16*i+8*h))]
				s += byteSum(v) + 16*byteSum(hb) - 128
				le.PutUint64(d[16*i+8*h:], v|(hb^ones8)*0xF0)
			}
		}
		putF32(d[32:], half(x))
		le.PutUint32(d[36:], uint32(-corrScale*s))
	}
}

// kRec is the K types' record size; kScales and kMins where the group
// scales (int32) and mins (int16) start.
const (
	kRec    = 256 + recMetaK
	kScales = 256 + 16
	kMins   = 256 + 80
)

// packQ45_K (q4_K, q5_K): sub-block s of 32 is the low (s even) or high
// nibbles of bytes 32·(s/2)…, plus 16 where bit s of qh[l] is set (q5_K).
func packQ45_K(src, dst []byte, nb int) {
	ts := 144
	q5 := len(src) == nb*176
	if q5 {
		ts = 176
	}
	for b := range nb {
		x, d := src[b*ts:(b+1)*ts], dst[b*kRec:(b+1)*kRec]
		scales := x[4:16]
		ql, qh := x[16:144], []byte(nil)
		if q5 {
			qh, ql = x[16:48], x[48:176]
		}
		var corr int32
		for s := range 8 {
			sc, mn := scaleMinK4(s, scales)
			var sum int32
			for w := range 4 {
				v := le.Uint64(ql[32*(s/2)+8*w:]) >> (4 * (s % 2)) & lo4
				if q5 {
					v |= le.Uint64(qh[8*w:]) >> s & ones8 << 4
				}
				sum += byteSum(v)
				le.PutUint64(d[32*s+8*w:], v)
			}
			corr += sc * sum
			le.PutUint32(d[kScales+4*s:], uint32(sc))
			le.PutUint16(d[kMins+4*s:], uint16(mn))
			le.PutUint16(d[kMins+4*s+2:], uint16(mn))
		}
		putF32(d[256:], half(x))
		putF32(d[260:], half(x[2:]))
		le.PutUint32(d[264:], uint32(-corrScale*corr))
	}
}

// packQ6_K: v = low nibble | 2 high bits << 4, v − 32 is v's low five
// bits, or with 0xE0 when bit 5 is clear; the scales are int8 per 16.
func packQ6_K(src, dst []byte, nb int) {
	for b := range nb {
		x, d := src[b*210:(b+1)*210], dst[b*kRec:(b+1)*kRec]
		ql, qh, sc := x[0:128], x[128:192], x[192:208]
		var sums [16]int32
		for n := range 2 {
			for w := range 4 { // bytes l = 8w… of this half
				l0 := le.Uint64(ql[64*n+8*w:])
				l1 := le.Uint64(ql[64*n+32+8*w:])
				h := le.Uint64(qh[32*n+8*w:])
				for k, v := range [4]uint64{
					l0&lo4 | (h&0x0303030303030303)<<4,
					l1&lo4 | (h>>2&0x0303030303030303)<<4,
					l0>>4&lo4 | (h>>4&0x0303030303030303)<<4,
					l1>>4&lo4 | (h>>6&0x0303030303030303)<<4,
				} {
					p := 128*n + 32*k + 8*w                                             // the values' position in the block
					sums[p/16] += 2*byteSum(v>>1&0x1F1F1F1F1F1F1F1F) + byteSum(v&ones8) // each under 256
					le.PutUint64(d[p:], v&0x1F1F1F1F1F1F1F1F|(^v>>5&ones8)*0xE0)
				}
			}
		}
		var corr int32
		for g := range 16 {
			s := int32(int8(sc[g]))
			corr += s * (sums[g] - 16*32)
			le.PutUint32(d[kScales+4*g:], uint32(s))
		}
		clear(d[kMins : kMins+32])
		putF32(d[256:], half(x[208:]))
		putF32(d[260:], 0)
		le.PutUint32(d[264:], uint32(-corrScale*corr))
	}
}
