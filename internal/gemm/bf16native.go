package gemm

import (
	"math"
	"unsafe"

	"github.com/xent-dev/xent/internal/dispatch"
	"github.com/xent-dev/xent/internal/kernels"
)

// # Native bfloat16 products
//
// SgemmBF16Native multiplies in bfloat16 and adds in float32, as the
// AVX512_BF16 instruction VDPBF16PS does: for each of 16 lanes j,
//
//	acc[j] += x.bf16[2j+1]·y.bf16[2j+1]
//	acc[j] += x.bf16[2j]·y.bf16[2j]
//
// each product added exactly and the sum rounded to float32 (nearest
// even), bfloat16 subnormal inputs read as zero and subnormal results
// flushed to zero, whatever MXCSR says (TestVDPBF16PSEncodings checks this
// model against the instruction, bit for bit). Packing therefore stores op(A) and op(B) as pairs of
// bfloat16, one 32-bit word per row (column) and pair of k, the lower k in
// the low half: an A sliver [ceil(kc/2)][MR] words, a B sliver
// [ceil(kc/2)][NR] words, zero-padded past K. The micro-kernel's k loop runs
// over the pairs; everything else is Sgemm's loop nest (gemm.go), with the
// packed word taking a float32's place.
//
// Where Linux grants this process the AMX tile state (amxGranted), the
// AMX kernel runs first: a 32×32 tile of C in four 16×16 float32 tiles, k
// by 16 pairs per TDPBF16PS (A slivers then row-major, [MR][ceil(kc/32)·16]
// pairs). Its sums are in float32 too but in an order of the hardware's
// own (neither k order nor VDPBF16PS's), so its bits differ from the other
// kernels' within the same bound; it gives the same bits for any thread
// count.
//
// The Go kernel (kernelBF16Generic) computes the same operations in the
// same order, with the same KC, so that every implementation gives the same
// bits: each element of C is, per KC block, the float32 sum of its
// products in the order k = 1, 0, 3, 2, 5, 4, …, then alpha times that sum
// rounded, then beta'·C added by one fused multiply-add.

// bf16Impls are the bfloat16 micro-kernels this machine can run, best
// first. Their KC must be equal (TestBF16NativeImplsShareKC).
var bf16Impls = dispatch.NewSet(append(bf16SimdImpls(), genericBF16), func(k *impl) string { return k.name })

var genericBF16 = &impl{name: "generic", bf16: true, mr: 4, nr: 4, mc: 128, kc: bf16KC, nc: 1024, kernel: kernelBF16Generic}

// bf16KC is the KC of every bfloat16 implementation: 1024 values of k, 512
// pairs, so that a packed B sliver of the AVX-512 kernel (512·32 words,
// 64 KiB) is the size of the float32 kernel's.
const bf16KC = 1024

// ImplementationsBF16Native names the bfloat16 micro-kernels this machine
// can run, best first: "amx" where AMX-BF16 is granted, "avx512bf16" where
// the CPU has AVX512_BF16, then "generic".
func ImplementationsBF16Native() []string { return bf16Impls.Names() }

// ActiveBF16Native names the bfloat16 micro-kernel in use.
func ActiveBF16Native() string { return bf16Impls.Active() }

// UseBF16Native switches SgemmBF16Native to the named micro-kernel and
// reports whether it is available here. For tests and benchmarks; do not
// call it while SgemmBF16Native runs.
func UseBF16Native(name string) bool { return bf16Impls.Use(name) }

// SgemmBF16Native computes C = alpha·op(A)·op(B) + beta·C with B held as
// bfloat16 bits and A rounded to bfloat16 (nearest even) as it is packed:
// products of bfloat16, sums in float32 (see the notes above). Arguments
// and their checks are Sgemm's. The same implementation gives the same bits
// for every thread count, and all but AMX give the same bits. The result differs from Sgemm on the same
// bfloat16-rounded inputs only by the order of the float32 additions and
// by the flushing of subnormals: |C − exact| ≤ (K+2)·2⁻²⁴·(|alpha|·Σ|a·b|
// + |beta·c|) where no product or partial sum is subnormal.
func SgemmBF16Native(transA, transB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, threads int) {
	checkOperands(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	(&job{im: bf16Impls.Current(), transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, bh: b, ldb: ldb, beta: beta, c: c, ldc: ldc}).start(threads)
}

// packedK is how many packed elements hold kc values of k: kc, or for the
// bfloat16 kernels ceil(kc/2) pairs, for AMX rounded up to a tile's 16.
func (im *impl) packedK(kc int) int {
	switch {
	case im.amx:
		return (kc + 31) / 32 * 16
	case im.bf16:
		return (kc + 1) / 2
	}
	return kc
}

// words views packed float32 storage as the 32-bit words of bfloat16 pairs.
func words(x []float32) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

// halves views packed words as their bfloat16 halves, the low half first.
func halves(w []uint32) []uint16 {
	return unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(w))), 2*len(w))
}

// pair packs two bfloat16 values, lo the lower k.
func pair(lo, hi uint16) uint32 { return uint32(lo) | uint32(hi)<<16 }

// packABF16 packs op(A)[i0:i0+mc, p0:p0+kc], rounded to bfloat16, into
// ceil(mc/mr) slivers of kp·mr pairs (kp ≥ kc/2), sliver s at dst[s·kp·mr:];
// rows past mc and the k past kc are zero. A sliver is [kp][mr], or for
// AMX [mr][kp] (it reads 16 pairs of a row at a time). tmp holds mr·kp
// words: a sliver's rows, rounded, before the gather puts them in place.
func packABF16(im *impl, dst, a []float32, lda int, trans Transpose, i0, mc, p0, kc, kp, mr int, tmp []float32) {
	w := words(dst)
	bf := kernels.Float32ToBFloat16
	is, qs := 1, mr // pair q of row i is at d[i·is + q·qs]
	if im.amx {
		is, qs = kp, 1
	}
	for s := 0; s*mr < mc; s++ {
		d := w[s*kp*mr : (s+1)*kp*mr]
		rows := min(mr, mc-s*mr)
		r0 := i0 + s*mr
		if trans == NoTrans && (im.amx || im.gather != nil && mr <= 16 && len(tmp) >= mr*kp) {
			// Row i's pairs are its bfloat16 in order: round each row
			// (into place for AMX, else into tmp, and gather from there).
			rm, h := d, halves(d)
			if !im.amx {
				rm = words(tmp[:mr*kp])
				h = halves(rm)
			} else {
				clear(d)
			}
			for i := range rows {
				kernels.F32ToBF16(h[2*i*kp:2*i*kp+kc], a[(r0+i)*lda+p0:])
				clear(h[2*i*kp+kc : 2*(i+1)*kp])
			}
			if !im.amx {
				im.gather(&dst[s*kp*mr], &tmp[0], kp, mr, kp, rows, mr)
			}
			continue
		}
		clear(d)
		if trans == NoTrans { // row i of op(A) is a row of a
			for i := range rows {
				src := a[(r0+i)*lda+p0 : (r0+i)*lda+p0+kc]
				di := d[i*is:]
				for q := 0; 2*q+1 < kc; q++ {
					di[q*qs] = pair(bf(src[2*q]), bf(src[2*q+1]))
				}
				if kc%2 == 1 {
					di[kc/2*qs] = uint32(bf(src[kc-1]))
				}
			}
			continue
		}
		q0 := 0 // column p of op(A) is a row of a
		if im.pairF32 != nil && !im.amx && rows <= 16 && kc >= 2 {
			q0 = kc / 2
			im.pairF32(&d[0], &a[p0*lda+r0], q0, lda, mr, rows)
		}
		for q := q0; 2*q < kc; q++ {
			p := p0 + 2*q
			lo := a[p*lda+r0 : p*lda+r0+rows]
			dq := d[q*qs:]
			if 2*q+1 == kc {
				for i, x := range lo {
					dq[i*is] = uint32(bf(x))
				}
				continue
			}
			hi := a[(p+1)*lda+r0 : (p+1)*lda+r0+rows]
			for i, x := range lo {
				dq[i*is] = pair(bf(x), bf(hi[i]))
			}
		}
	}
}

// packBBF16 packs op(B)[p0:p0+kc, j0:j0+nc] of a bfloat16 B into
// ceil(nc/nr) slivers of kp·nr pairs (kp ≥ kc/2), [kp][nr], sliver s at
// dst[s·kp·nr:]; columns past nc and the k past kc are zero.
func packBBF16(im *impl, dst []float32, b []uint16, ldb int, trans Transpose, p0, kc, kp, j0, nc, nr int) {
	w := words(dst)
	for s := 0; s*nr < nc; s++ {
		d := w[s*kp*nr : (s+1)*kp*nr]
		cols := min(nr, nc-s*nr)
		c0 := j0 + s*nr
		if trans == NoTrans { // row p of op(B) is a row of b
			q0 := 0
			if im.pairBF16 != nil && nr == 32 && kc >= 2 {
				q0 = kc / 2
				im.pairBF16(&d[0], &b[p0*ldb+c0], q0, ldb, nr, cols)
			}
			clear(d[q0*nr:])
			for q := q0; 2*q < kc; q++ {
				p := p0 + 2*q
				lo := b[p*ldb+c0 : p*ldb+c0+cols]
				row := d[q*nr : q*nr+cols]
				if 2*q+1 == kc {
					for j, x := range lo {
						row[j] = uint32(x)
					}
					continue
				}
				hi := b[(p+1)*ldb+c0 : (p+1)*ldb+c0+cols]
				for j, x := range lo {
					row[j] = pair(x, hi[j])
				}
			}
			continue
		}
		clear(d)
		// Column j of op(B) is a row of b, whose pairs are 32-bit words:
		// with an even ldb (p0 is even), 16 columns by 16 pairs at a time
		// are a transpose of 32-bit words, as in the float32 packing.
		full, done := cols&^15, 0 // columns and pairs packed by whole transposes
		if im.trans != nil && ldb%2 == 0 && nr%16 == 0 {
			done = kc / 2 &^ 15
		}
		for h := 0; h < full && done > 0; h += 16 {
			im.trans(&dst[s*kp*nr+h], (*float32)(unsafe.Pointer(&b[(c0+h)*ldb+p0])), done/16, ldb/2, nr)
		}
		for j := range cols {
			q0 := 0
			if j < full {
				q0 = done
			}
			src := b[(c0+j)*ldb+p0 : (c0+j)*ldb+p0+kc]
			for q := q0; 2*q+1 < kc; q++ {
				d[q*nr+j] = pair(src[2*q], src[2*q+1])
			}
			if kc%2 == 1 {
				d[kc/2*nr+j] = uint32(src[kc-1])
			}
		}
	}
}

// bf16Float is a bfloat16 as VDPBF16PS reads it: subnormals are zero.
func bf16Float(h uint16) float32 {
	if h&0x7f80 == 0 {
		h &= 0x8000
	}
	return math.Float32frombits(uint32(h) << 16)
}

// flush is VDPBF16PS's flush of a subnormal result to zero of its sign.
func flush(x float32) float32 {
	if b := math.Float32bits(x); b&0x7f800000 == 0 {
		return math.Float32frombits(b & 0x80000000)
	}
	return x
}

// dotBF16 is one lane of VDPBF16PS: acc plus the products of the two
// bfloat16 pairs x and y, the high halves first, each product added
// exactly and the sum rounded once (the instruction does not round a
// product that leaves float32's range: TestVDPBF16PSEncodings).
func dotBF16(acc float32, x, y uint32) float32 {
	return addProduct(addProduct(acc, uint16(x>>16), uint16(y>>16)), uint16(x), uint16(y))
}

// addProduct is acc + x·y for bfloat16 x and y, rounded once and flushed.
func addProduct(acc float32, x, y uint16) float32 {
	a, b := bf16Float(x), bf16Float(y)
	// A product of two bfloat16 (8 by 8 significant bits) is exact in
	// float32 when it is a normal number, or a zero of zeros: then one
	// float32 addition rounds the exact sum.
	p := float32(a * b)
	if e := math.Float32bits(p) & 0x7f800000; (e != 0 && e != 0x7f800000) || a == 0 || b == 0 {
		return flush(acc + p)
	}
	return flush(fma32(a, b, acc))
}

// fma32 is the float32 fused multiply-add a·b + c, rounded once (to
// nearest even). a·b is exact in float64; the sum is rounded to odd in
// float64 (Boldo and Melquiond), which then rounds to float32 as the exact
// sum would.
func fma32(a, b, c float32) float32 {
	p := float64(float64(a) * float64(b)) // the conversion keeps it from fusing with the sum
	s := float64(p + float64(c))
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return float32(s)
	}
	// e is the error of s (TwoSum), exact.
	bv := float64(s - p)
	e := float64(p-float64(s-bv)) + float64(float64(c)-bv)
	if bits := math.Float64bits(s); e != 0 && bits&1 == 0 {
		if (e > 0) == (s > 0) {
			bits++
		} else {
			bits--
		}
		s = math.Float64frombits(bits)
	}
	return float32(s)
}

// kernelBF16Generic is the portable 4×4 bfloat16 micro-kernel: VDPBF16PS's
// arithmetic (dotBF16) over k pairs, then the assembly kernels' epilogue:
// C = alpha·acc, rounded, plus beta·C by a fused multiply-add (beta == 0,
// either sign, does not read C).
func kernelBF16Generic(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	const mr, nr = 4, 4
	as := words(unsafe.Slice(a, k*mr))
	bs := words(unsafe.Slice(b, k*nr))
	var acc [mr][nr]float32
	for p := range k {
		ap := as[p*mr : p*mr+mr : p*mr+mr]
		bp := bs[p*nr : p*nr+nr : p*nr+nr]
		for i, x := range ap {
			for j, y := range bp {
				acc[i][j] = dotBF16(acc[i][j], x, y)
			}
		}
	}
	cs := unsafe.Slice(c, (mr-1)*ldc+nr)
	for i := range mr {
		row := cs[i*ldc : i*ldc+nr]
		for j := range nr {
			t := float32(alpha * acc[i][j])
			if beta == 0 {
				row[j] = t
			} else {
				row[j] = fma32(beta, row[j], t)
			}
		}
	}
}
