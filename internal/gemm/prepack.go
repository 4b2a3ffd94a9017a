package gemm

import (
	"math"
	"runtime"
	"slices"
	"unsafe"
)

// # Weights packed once
//
// Sgemm packs B anew for every call, which is right for activations but
// wasteful for a model's weights: the same W is packed for every window a
// model scores. A Packed holds a bfloat16 weight W [N, K] (nn.Linear's
// layout, the B operand transposed: op(B) = Wᵀ) already in the layout of
// the bfloat16 kernel's B slivers, packed once when a model is loaded:
// ceil(N/32) slivers of 32 columns, each [ceil(K/2)][32] words, word (q, j)
// the pair (W[j, 2q], W[j, 2q+1]), the lower k in the low half. With N a
// multiple of 32 and K even, sliver s holds exactly the values of rows
// [32s, 32s+32) of W, in the bytes those rows took: PackBF16 packs W in
// place, a sliver at a time through a copy of its rows, so packing costs
// no memory. A Packed serves every product over W with the bits it had
// before it was packed:
//
//   - SgemmPacked with native: the bfloat16 kernel reads the slivers in
//     place (a KC block of k is a run of pairs of each sliver), so B is
//     never packed; the bits of SgemmBF16Native.
//   - SgemmPacked without native: each panel is widened to float32 as it
//     is packed (a pair word gives the two rows w<<16 and w&0xffff0000,
//     no transpose), the bits of SgemmBF16 (Sgemm on the widened W).
//   - SgemvPacked, one row of A or a few (a decoding step): each sliver's
//     32 columns are summed in k order by fused multiply-adds per KC block
//     and folded into y by the micro-kernel's epilogue, the bits of
//     SgemvBF16 and SgemvRowsBF16 (both Sgemm's).
//
// Packing needs the AVX-512 kernels (32 columns a sliver in both the
// float32 and the bfloat16 kernel): CanPack says whether this machine has
// them, and a Packed keeps the kernels it was packed for, whatever Use
// switches later.

// packNR is the width of a packed sliver: the NR of the float32 and the
// bfloat16 AVX-512 kernels.
const packNR = 32

// Packed is a bfloat16 matrix W [N, K] packed once (see above), or a
// stack of such matrices (Stack).
type Packed struct {
	n, k, kp int
	w        []float32 // N/32 slivers of kp·32 words of bfloat16 pairs; nil for a stack
	parts    []*Packed // a stack's matrices, the rows of parts[0] first
	f32, bf  *impl     // the kernels it was packed for
}

// Stack returns the matrices parts, packed with the same K, stacked into
// one W [Σ N_i, K] (the rows of parts[0] first) without copying: products
// of an A with several matrices then pack A once. nil if any part is.
func Stack(parts ...*Packed) *Packed {
	if len(parts) == 0 || slices.Contains(parts, nil) {
		return nil
	}
	st := &Packed{k: parts[0].k, kp: parts[0].kp, parts: parts, f32: parts[0].f32, bf: parts[0].bf}
	for _, p := range parts {
		if p.k != st.k || p.f32 != st.f32 || p.bf != st.bf || p.parts != nil {
			panic("gemm: Stack of matrices with different K or kernels, or of a stack")
		}
		st.n += p.n
	}
	return st
}

// sliver is the packed sliver s [kp][32] words: columns [32s, 32s+32).
func (pk *Packed) sliver(s int) []float32 {
	for _, p := range pk.parts {
		if s < p.n/packNR {
			return p.sliver(s)
		}
		s -= p.n / packNR
	}
	return pk.w[s*pk.kp*packNR : (s+1)*pk.kp*packNR]
}

// CanPack reports whether PackBF16 packs on this machine: the float32 and
// the bfloat16 kernels in use are AVX-512's (not AMX).
func CanPack() bool {
	f, b := impls.Current(), bf16Impls.Current()
	return f.nr == packNR && f.trans != nil && b.nr == packNR && b.bf16 && !b.amx && b.trans != nil
}

// PackBF16 packs W [len(w)/k, k] in bfloat16, row-major, in place on up
// to threads goroutines and returns it as a Packed: w then holds the
// packed layout and must not be read as W again. It returns nil, leaving
// w as it was, when CanPack is false or W cannot be packed in place: its
// rows not a multiple of 32, k odd, or w not 4-byte aligned.
func PackBF16(w []uint16, k, threads int) *Packed {
	if !CanPack() || k < 2 || k%2 != 0 || len(w)%(packNR*k) != 0 || len(w) == 0 || uintptr(unsafe.Pointer(&w[0]))%4 != 0 {
		return nil
	}
	n := len(w) / k
	pk := &Packed{n: n, k: k, kp: k / 2, f32: impls.Current(), bf: bf16Impls.Current(),
		w: unsafe.Slice((*float32)(unsafe.Pointer(&w[0])), len(w)/2)}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	slivers := n / packNR
	pieces := min(slivers, threads)
	ForPieces(threads, pieces, func(u int) {
		rows := make([]uint16, packNR*k) // a sliver's rows, packed from here into their own place
		lo, hi := share(slivers, u, pieces)
		for s := lo; s < hi; s++ {
			copy(rows, w[s*packNR*k:(s+1)*packNR*k])
			packBBF16(pk.bf, pk.w[s*pk.kp*packNR:], rows, k, Trans, 0, k, pk.kp, 0, packNR, packNR)
		}
	})
	return pk
}

// Dims returns W's dimensions [N, K].
func (pk *Packed) Dims() (n, k int) { return pk.n, pk.k }

// Bytes is the memory the packed matrix holds (a stack: its parts').
func (pk *Packed) Bytes() int64 {
	n := 4 * int64(len(pk.w))
	for _, p := range pk.parts {
		n += p.Bytes()
	}
	return n
}

// Row widens row j < N of W into dst [K].
func (pk *Packed) Row(j int, dst []float32) {
	w := words(pk.sliver(j / packNR))
	for q := range pk.kp {
		x := w[q*packNR+j%packNR]
		dst[2*q] = widenLo(x)
		if 2*q+1 < pk.k {
			dst[2*q+1] = widenHi(x)
		}
	}
}

// widenLo and widenHi widen the low and the high bfloat16 of a pair.
func widenLo(x uint32) float32 { return math.Float32frombits(x << 16) }
func widenHi(x uint32) float32 { return math.Float32frombits(x & 0xffff0000) }

// SgemmPacked computes C = alpha·A·Wᵀ + beta·C for A [M, K] (leading
// dimension lda) and C [M, N] (ldc): with native, bfloat16 products added
// in float32 with A rounded to bfloat16 (the bits of SgemmBF16Native on
// W's bfloat16), else float32 arithmetic on the widened W (the bits of
// SgemmBF16). The same bits for every thread count.
func SgemmPacked(m int, alpha float32, a []float32, lda int, pk *Packed, beta float32, c []float32, ldc int, native bool, threads int) {
	checkMatrix("a", a, m, pk.k, lda)
	checkMatrix("c", c, m, pk.n, ldc)
	im := pk.f32
	if native {
		im = pk.bf
	}
	(&job{im: im, transA: NoTrans, transB: Trans, m: m, n: pk.n, k: pk.k, alpha: alpha, a: a, lda: lda, pk: pk, beta: beta, c: c, ldc: ldc}).start(threads)
}

// widen packs op(B)[p0:p0+kc, j0:j0+nc] (p0 even, j0 a multiple of 32)
// as float32 slivers [kc][32] at dst, widening the packed pairs.
func (pk *Packed) widen(dst []float32, p0, kc, j0, nc int) {
	for s := 0; s*packNR < nc; s++ {
		src := pk.sliver(j0/packNR + s)[p0/2*packNR:]
		widenPairs(&dst[s*kc*packNR], &words(src)[0], kc)
	}
}

// widenPairsGo is widenPairs in Go: for each pair row q of src [kc/2][32]
// words, rows 2q and 2q+1 of dst [kc][32], the low and the high halves
// (only the low one for an odd kc's last pair).
func widenPairsGo(dst *float32, src *uint32, kc int) {
	d := unsafe.Slice(dst, kc*packNR)
	s := unsafe.Slice(src, (kc+1)/2*packNR)
	for p := range kc {
		for j := range packNR {
			x := s[p/2*packNR+j]
			if p%2 == 0 {
				d[p*packNR+j] = widenLo(x)
			} else {
				d[p*packNR+j] = widenHi(x)
			}
		}
	}
}

// gemvPackedGo is gemvPacked in Go: acc[j] = Σ_{p<k} x[p]·W(p, j) over
// the widened pairs of one sliver, summed in p order by fused
// multiply-adds from zero.
func gemvPackedGo(acc *[packNR]float32, x *float32, w *uint32, k int) {
	xs := unsafe.Slice(x, k)
	s := unsafe.Slice(w, (k+1)/2*packNR)
	for j := range packNR {
		var t float32
		for p, xp := range xs {
			v := s[p/2*packNR+j]
			if p%2 == 0 {
				t = fma32(widenLo(v), xp, t)
			} else {
				t = fma32(widenHi(v), xp, t)
			}
		}
		acc[j] = t
	}
}

// gemvPacked4Go is gemvPacked4 in Go: gemvPackedGo for each of four rows.
func gemvPacked4Go(acc *[4][packNR]float32, x0, x1, x2, x3 *float32, w *uint32, k int) {
	for r, x := range []*float32{x0, x1, x2, x3} {
		gemvPackedGo(&acc[r], x, w, k)
	}
}

// widenPairs, gemvPacked and gemvPacked4 (four rows of x at once) are the
// assembly kernels where packing runs (prepack_amd64.go), else the Go ones.
var (
	widenPairs  = widenPairsGo
	gemvPacked  = gemvPackedGo
	gemvPacked4 = gemvPacked4Go
)

// SgemvPacked computes y = alpha·x·Wᵀ + beta·y for m rows of x [m, K]
// (leading dimension ldx) and y [m, N] (ldy), in float32 arithmetic on
// the widened W: each row gets the bits SgemvBF16 (and Sgemm) give it.
// W is read from memory once for all the rows: each sliver's KC block
// serves every row while it is in cache.
func SgemvPacked(m int, alpha float32, x []float32, ldx int, pk *Packed, beta float32, y []float32, ldy int, threads int) {
	checkMatrix("x", x, m, pk.k, ldx)
	checkMatrix("y", y, m, pk.n, ldy)
	if m == 0 {
		return
	}
	if alpha == 0 {
		scaleC(m, pk.n, beta, y, ldy)
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = max(1, min(threads, pk.n*pk.k>>15))
	kc, slivers := pk.f32.kc, ceilDiv(pk.n, packNR)
	pieces := min(slivers, threads*gemvShare)
	ForPieces(threads, pieces, func(u int) {
		var acc [4][packNR]float32
		lo, hi := share(slivers, u, pieces)
		for s := lo; s < hi; s++ {
			cols := min(packNR, pk.n-s*packNR)
			for p0 := 0; p0 < pk.k; p0 += kc {
				n := min(kc, pk.k-p0)
				w := &words(pk.sliver(s)[p0/2*packNR:])[0]
				bt := beta
				if p0 > 0 {
					bt = 1
				}
				for r := range m {
					switch g := r % 4; {
					case g == 0 && m-r >= 2: // rows r to r+3 (the last repeated) in one pass
						xr := func(i int) *float32 { return &x[min(r+i, m-1)*ldx+p0] }
						gemvPacked4(&acc, xr(0), xr(1), xr(2), xr(3), w, n)
					case g == 0:
						gemvPacked(&acc[0], &x[r*ldx+p0], w, n)
					}
					yr := y[r*ldy+s*packNR : r*ldy+s*packNR+cols]
					for j := range yr {
						t := float32(alpha * acc[r%4][j])
						switch bt {
						case 0:
							yr[j] = t
						case 1:
							yr[j] += t
						default:
							yr[j] = fma32(bt, yr[j], t)
						}
					}
				}
			}
		}
	})
}
