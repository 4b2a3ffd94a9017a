package quant

import (
	"encoding/binary"

	"github.com/xent-dev/xent/format/gguf"
	"github.com/xent-dev/xent/internal/par"
)

// The generic path: each row of W is unpacked once into int8 quants and
// per-block scales (wrow), then dotted with every row of the quantized x.

// wrow is one row of W unpacked: the quants w [in] with the type's offset
// applied (q4_0: q−8, q6_K: q−32, …; the _1 and K types keep q ≥ 0), per
// block d [nb] (the scale; K types: d) and dm [nb] (q4_1/q5_1: m; K
// types: dmin), and for the K types per 16 values sc and mn [in/16] (the
// sub-block's integer scale and min; q4_K/q5_K repeat theirs of 32).
type wrow struct {
	w      []int8
	d, dm  []float32
	sc, mn []int32
}

func newWrow(in, bs int) *wrow {
	return &wrow{w: make([]int8, in), d: make([]float32, in/bs), dm: make([]float32, in/bs),
		sc: make([]int32, in/16), mn: make([]int32, in/16)}
}

// vecDotType is the activations' block size: 32 (q8_0, q8_1) or 256
// (q8_K); withSum says q8_1 (the activations carry s).
func vecDotType(t gguf.Type) (bs int, withSum bool) {
	switch t {
	case gguf.Q4_1, gguf.Q5_1:
		return 32, true
	case gguf.Q4_0, gguf.Q5_0, gguf.Q8_0:
		return 32, false
	}
	return 256, false
}

// hasMin: K types whose values are d·sc·q − dmin·m.
func hasMin(t gguf.Type) bool { return t == gguf.Q2_K || t == gguf.Q4_K || t == gguf.Q5_K }

// unpack fills r from one row of W of type t (the layouts of
// ggml-common.h, read as format/gguf/dequant.go reads them).
func unpack(t gguf.Type, src []byte, r *wrow) {
	ts := t.TypeSize()
	nb := len(src) / ts
	for b := range nb {
		x := src[b*ts : (b+1)*ts]
		switch t {
		case gguf.Q8_0:
			r.d[b] = half(x)
			for j := range 32 {
				r.w[32*b+j] = int8(x[2+j])
			}
		case gguf.Q4_0, gguf.Q4_1:
			r.d[b] = half(x)
			qs := x[2:18]
			off := int8(8)
			if t == gguf.Q4_1 {
				r.dm[b], qs, off = half(x[2:]), x[4:20], 0
			}
			for j := range 16 {
				r.w[32*b+j] = int8(qs[j]&0xF) - off
				r.w[32*b+j+16] = int8(qs[j]>>4) - off
			}
		case gguf.Q5_0, gguf.Q5_1:
			r.d[b] = half(x)
			qh, qs := binary.LittleEndian.Uint32(x[2:]), x[6:22]
			off := int8(16)
			if t == gguf.Q5_1 {
				r.dm[b], qh, qs, off = half(x[2:]), binary.LittleEndian.Uint32(x[4:]), x[8:24], 0
			}
			for j := range 16 {
				h0 := uint8(qh>>j<<4) & 0x10
				h1 := uint8(qh>>(j+12)) & 0x10
				r.w[32*b+j] = int8(qs[j]&0xF|h0) - off
				r.w[32*b+j+16] = int8(qs[j]>>4|h1) - off
			}
		case gguf.Q2_K:
			unpackQ2_K(x, b, r)
		case gguf.Q3_K:
			unpackQ3_K(x, b, r)
		case gguf.Q4_K, gguf.Q5_K:
			unpackQ45_K(t, x, b, r)
		case gguf.Q6_K:
			unpackQ6_K(x, b, r)
		}
	}
}

func unpackQ2_K(x []byte, b int, r *wrow) {
	scales, q := x[0:16], x[16:80]
	r.d[b], r.dm[b] = half(x[80:]), half(x[82:])
	w, g := r.w[256*b:], 16*b
	for n := range 2 {
		for shift := 0; shift < 8; shift += 2 {
			for _, off := range [2]int{0, 16} {
				r.sc[g], r.mn[g] = int32(scales[g-16*b]&0xF), int32(scales[g-16*b]>>4)
				for l := range 16 {
					w[l] = int8((q[32*n+l+off] >> shift) & 3)
				}
				w, g = w[16:], g+1
			}
		}
	}
}

func unpackQ3_K(x []byte, b int, r *wrow) {
	hm, q := x[0:32], x[32:96]
	r.d[b] = half(x[108:])
	scales := gguf.Q3KScales(x)
	w, g := r.w[256*b:], 16*b
	m := uint8(1)
	for n := range 2 {
		for shift := 0; shift < 8; shift += 2 {
			for _, off := range [2]int{0, 16} {
				is := g - 16*b
				r.sc[g] = int32(scales[is]) - 32
				for l := range 16 {
					v := int8((q[32*n+l+off] >> shift) & 3)
					if hm[l+off]&m == 0 {
						v -= 4
					}
					w[l] = v
				}
				w, g = w[16:], g+1
			}
			m <<= 1
		}
	}
}

// scaleMinK4 is ggml's get_scale_min_k4: the j-th 6-bit scale and min of
// a q4_K or q5_K block's 12 packed bytes q.
func scaleMinK4(j int, q []byte) (sc, m int32) {
	if j < 4 {
		return int32(q[j] & 63), int32(q[j+4] & 63)
	}
	return int32(q[j+4]&0xF | (q[j-4]>>6)<<4), int32(q[j+4]>>4 | (q[j]>>6)<<4)
}

func unpackQ45_K(t gguf.Type, x []byte, b int, r *wrow) {
	r.d[b], r.dm[b] = half(x), half(x[2:])
	scales := x[4:16]
	var qh, ql []byte
	if t == gguf.Q5_K {
		qh, ql = x[16:48], x[48:176]
	} else {
		ql = x[16:144]
	}
	w := r.w[256*b:]
	for s := range 8 { // sub-blocks of 32: s even the low nibbles, odd the high
		sc, mn := scaleMinK4(s, scales)
		g := 16*b + 2*s
		r.sc[g], r.sc[g+1], r.mn[g], r.mn[g+1] = sc, sc, mn, mn
		q := ql[32*(s/2):]
		for l := range 32 {
			v := q[l] & 0xF
			if s%2 == 1 {
				v = q[l] >> 4
			}
			if qh != nil && qh[l]>>s&1 != 0 {
				v += 16
			}
			w[32*s+l] = int8(v)
		}
	}
}

func unpackQ6_K(x []byte, b int, r *wrow) {
	ql, qh, sc := x[0:128], x[128:192], x[192:208]
	r.d[b] = half(x[208:])
	for g := range 16 {
		r.sc[16*b+g] = int32(int8(sc[g]))
	}
	w := r.w[256*b:]
	for n := 0; n < 256; n += 128 {
		for l := range 32 {
			w[n+l] = int8(ql[l]&0xF|((qh[l]>>0)&3)<<4) - 32
			w[n+l+32] = int8(ql[l+32]&0xF|((qh[l]>>2)&3)<<4) - 32
			w[n+l+64] = int8(ql[l]>>4|((qh[l]>>4)&3)<<4) - 32
			w[n+l+96] = int8(ql[l+32]>>4|((qh[l]>>6)&3)<<4) - 32
		}
		ql, qh = ql[64:], qh[32:]
	}
}

// dot16 is Σ x·w over 16 quants.
func dot16(x, w []int8) int32 {
	var s int32
	for l := range 16 {
		s += int32(x[l]) * int32(w[l])
	}
	return s
}

// dotRow is one output element: row i of a against r (the chains of the
// package doc).
func dotRow(t gguf.Type, a *acts, i int, r *wrow) float32 {
	in, nb := a.in, a.in/a.bs
	xq, xd := a.qs[i*in:(i+1)*in], a.d[i*nb:(i+1)*nb]
	var acc float32
	switch a.bs {
	case 32:
		for b := range nb {
			s := dot16(xq[32*b:], r.w[32*b:]) + dot16(xq[32*b+16:], r.w[32*b+16:])
			if a.s == nil {
				acc += mul(mul(xd[b], r.d[b]), float32(s))
			} else {
				acc += float32(mul(mul(xd[b], r.d[b]), float32(s)) + mul(r.dm[b], a.s[i*nb+b]))
			}
		}
	default:
		bsums := a.bsums[i*in/16 : (i+1)*in/16]
		min := hasMin(t)
		for b := range nb {
			var isum, imin int32
			for g := 16 * b; g < 16*b+16; g++ {
				isum += r.sc[g] * dot16(xq[16*g:], r.w[16*g:])
				imin += r.mn[g] * bsums[g]
			}
			acc += mul(mul(xd[b], r.d[b]), float32(isum))
			if min {
				acc -= mul(mul(xd[b], r.dm[b]), float32(imin))
			}
		}
	}
	return acc
}

// store is the epilogue: y = acc, or acc + beta·y.
func store(y *float32, acc, beta float32) {
	if beta == 0 {
		*y = acc
	} else {
		*y = acc + mul(beta, *y)
	}
}

// quantizeActs rounds n rows of x to t's vec_dot_type, the rows split
// over threads.
func quantizeActs(t gguf.Type, x []float32, n, ldx, in, threads int) *acts {
	bs, withSum := vecDotType(t)
	a := &acts{n: n, in: in, bs: bs, qs: make([]int8, n*in), d: make([]float32, n*in/bs)}
	if withSum {
		a.s = make([]float32, n*in/bs)
	}
	if bs == 256 {
		a.bsums = make([]int32, n*in/16)
	}
	par.Split(n, threads, func(_, lo, hi int) { a.quantizeRows(x, ldx, lo, hi) })
	return a
}

// mulGeneric computes rows [lo, hi) of W's outputs for every row of a.
func (m *Matrix) mulGeneric(a *acts, y []float32, ldy int, beta float32, lo, hi int) {
	r := newWrow(m.in, m.t.BlockSize())
	for j := lo; j < hi; j++ {
		unpack(m.t, m.data[j*m.rowBytes:(j+1)*m.rowBytes], r)
		for i := range a.n {
			store(&y[i*ldy+j], dotRow(m.t, a, i, r), beta)
		}
	}
}

// mulQuant is MulT for the quantized types.
func (m *Matrix) mulQuant(x []float32, n, ldx int, y []float32, ldy int, beta float32, threads int) {
	a := quantizeActs(m.t, x, n, ldx, m.in, threads)
	if k := simdKernel(m.t); k != nil {
		m.mulSIMD(k, a, y, ldy, beta, threads)
		return
	}
	par.Split(m.out, threads, func(_, lo, hi int) { m.mulGeneric(a, y, ldy, beta, lo, hi) })
}
