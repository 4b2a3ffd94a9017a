package quant

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/xent-dev/xent/internal/par"
)

// The driver of the assembly kernels (gen_amd64.go has their contract):
// x laid out in tiles of 16 rows, the rows of W unpacked a panel at a
// time into the kernels' records, then every tile against every eight
// rows of the panel.

// kernel is one assembly kernel: bs values a block, integer scales per g
// values (g == bs: none), mins or not.
type kernel struct {
	bs, g int
	mins  bool
	fn    func(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)
	// raw, if set, reads q8_0 blocks in place, with the matrix's
	// −128·Σw table (Matrix.corr), so no rows are unpacked.
	raw func(nb int, x *byte, xd *float32, w *byte, rs int, corr *int32, cs int, out *float32)
}

const (
	kRows      = 8  // rows of W per kernel call
	lanes      = 16 // rows of x per tile
	panelRows  = 32 // rows of W unpacked at a time
	recMeta32  = 8
	recMetaK   = 112
	corrScale  = 128 // x is offset by this to be unsigned
	pairStride = 2 * lanes
)

func (k *kernel) recBytes() int {
	if k.bs == 32 {
		return 32 + recMeta32
	}
	return 256 + recMetaK
}

// packRow writes the unpacked row r as the kernel's records (see
// gen_amd64.go): quants, d, dmin, −128·Σ sc·w, group scales, min pairs.
func (k *kernel) packRow(r *wrow, dst []byte) {
	bs, rec := k.bs, k.recBytes()
	le := binary.LittleEndian
	for b := range len(r.d) {
		d := dst[b*rec : (b+1)*rec]
		w := r.w[b*bs : (b+1)*bs]
		for i, v := range w {
			d[i] = byte(v)
		}
		le.PutUint32(d[bs:], math.Float32bits(r.d[b]))
		if bs == 32 {
			var s int32
			for _, v := range w {
				s += int32(v)
			}
			le.PutUint32(d[bs+4:], uint32(-corrScale*s))
			continue
		}
		le.PutUint32(d[bs+4:], math.Float32bits(r.dm[b]))
		var c int32
		for g := range 16 {
			var s int32
			for _, v := range w[16*g : 16*g+16] {
				s += int32(v)
			}
			c += r.sc[16*b+g] * s
		}
		le.PutUint32(d[bs+8:], uint32(-corrScale*c))
		for g := range 256 / k.g {
			le.PutUint32(d[bs+16+4*g:], uint32(r.sc[16*b+g*k.g/16]))
		}
		for g := range 16 {
			le.PutUint16(d[bs+80+2*g:], uint16(int16(r.mn[16*b+g])))
		}
	}
}

// tiles is x as the kernels read it: q [nt][in/4][16][4] the quants plus
// 128, d [nt][nb][16] the block scales, b [nt][in/32][16][2] (K types)
// the sums of 16 quants. Lanes past the last row hold zeros.
type tiles struct {
	nt int
	q  []byte
	d  []float32
	b  []int16
}

func newTiles(a *acts, k *kernel, threads int) *tiles {
	n, in, nb := a.n, a.in, a.in/a.bs
	nt := (n + lanes - 1) / lanes
	xt := &tiles{nt: nt, q: make([]byte, nt*lanes*in), d: make([]float32, nt*nb*lanes)}
	if k.bs == 256 {
		xt.b = make([]int16, nt*in/32*pairStride)
	}
	par.Split(nt, threads, func(_, lo, hi int) {
		for t := lo; t < hi; t++ {
			q := xt.q[t*lanes*in : (t+1)*lanes*in]
			for l := range lanes {
				i := t*lanes + l
				if i >= n {
					for k := 0; k < in; k += 4 {
						copy(q[k*lanes+4*l:k*lanes+4*l+4], []byte{128, 128, 128, 128})
					}
					continue
				}
				xq := unsafe.Slice((*byte)(unsafe.Pointer(&a.qs[i*in])), in)
				for k := 0; k < in; k += 4 { // q+128: the sign bit flipped
					le.PutUint32(q[k*lanes+4*l:], le.Uint32(xq[k:])^0x80808080)
				}
				for b := range nb {
					xt.d[(t*nb+b)*lanes+l] = a.d[i*nb+b]
				}
				if xt.b != nil {
					for p := range in / 32 {
						o := ((t*in/32+p)*lanes + l) * 2
						xt.b[o] = int16(a.bsums[i*in/16+2*p])
						xt.b[o+1] = int16(a.bsums[i*in/16+2*p+1])
					}
				}
			}
		}
	})
	return xt
}

// mulSIMD is mulQuant with kernel k: groups of eight rows of W split over
// the threads, the rows past the last group on the generic path.
func (m *Matrix) mulSIMD(k *kernel, a *acts, y []float32, ldy int, beta float32, threads int) {
	xt := newTiles(a, k, threads)
	in, nb, n := m.in, m.in/k.bs, a.n
	rs := nb * k.recBytes()
	groups := m.out / kRows
	raw := k.raw != nil && m.corr != nil
	par.Split(groups, threads, func(_, lo, hi int) {
		var r *wrow
		var panel []byte
		if !raw {
			r, panel = newWrow(in, m.t.BlockSize()), make([]byte, panelRows*rs)
		}
		var out [kRows * lanes]float32
		for g0 := lo; g0 < hi; g0 += panelRows / kRows {
			j0, j1 := g0*kRows, min(hi, g0+panelRows/kRows)*kRows
			for j := j0; j < j1 && !raw; j++ {
				src := m.data[j*m.rowBytes : (j+1)*m.rowBytes]
				if pack := packers[m.t]; pack != nil {
					pack(src, panel[(j-j0)*rs:(j-j0+1)*rs], nb)
					continue
				}
				unpack(m.t, src, r)
				k.packRow(r, panel[(j-j0)*rs:])
			}
			for t := range xt.nt {
				var xb *int16
				if xt.b != nil {
					xb = &xt.b[t*in/32*pairStride]
				}
				for jg := j0; jg < j1; jg += kRows {
					if raw {
						k.raw(nb, &xt.q[t*lanes*in], &xt.d[t*nb*lanes], &m.data[jg*m.rowBytes], m.rowBytes, &m.corr[jg], 4*m.out, &out[0])
					} else {
						k.fn(nb, &xt.q[t*lanes*in], &xt.d[t*nb*lanes], xb, &panel[(jg-j0)*rs], rs, &out[0])
					}
					for l := range min(lanes, n-t*lanes) {
						yr := y[(t*lanes+l)*ldy+jg:]
						for r := range kRows {
							store(&yr[r], out[r*lanes+l], beta)
						}
					}
				}
			}
		}
	})
	if groups*kRows < m.out {
		m.mulGeneric(a, y, ldy, beta, groups*kRows, m.out)
	}
}
