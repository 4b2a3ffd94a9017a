package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/xent-dev/xent/internal/dispatch"
)

// kernelFunc is a micro-kernel: the MR×NR tile C = alpha·A·B + beta·C with
// A a packed sliver a[p·MR+i] and B a packed sliver b[p·NR+j], p < k, and C
// row-major with leading dimension ldc. beta == 0 must not read C.
type kernelFunc func(k int, a, b, c *float32, ldc int, alpha, beta float32)

// impl is one micro-kernel and its blocking: mc is a multiple of mr, nc of nr.
type impl struct {
	name       string
	bf16       bool // multiplies bfloat16 pairs (bf16native.go)
	amx        bool // and on AMX tiles: A slivers row-major, k pairs by 16
	mr, nr     int
	mc, kc, nc int
	kernel     kernelFunc
	// gather, if set, packs strided runs (A without transpose, B
	// transposed): dst[p·ld+j] = src[j·stride+p] for p < kc, j < w, and 0
	// for w ≤ j < width ≤ 16. Only called when 16·stride < 2³¹.
	gather func(dst, src *float32, kc, ld, stride, w, width int)
	// copy, if set, packs contiguous runs (A transposed, B without
	// transpose): dst[p·ldd+j] = src[p·ld+j] for p < kc and the lanes
	// j < 32 in lmask, 0 for the other lanes in smask.
	copy func(dst, src *float32, kc, ld, ldd int, lmask, smask uint32)
	// trans, if set, transposes 16×16 blocks: dst[(16b+q)·ldd+j] =
	// src[j·ld+16b+q] for b < blocks and j, q < 16.
	trans func(dst, src *float32, blocks, ld, ldd int)
	// pairF32 and pairBF16, if set, pack pairs of k for the bfloat16
	// kernels: dst[q·ldd+j] = the pair (row 2q, row 2q+1) of column j of
	// src (leading dimension ld), for q < kq; pairF32 rounds float32 to
	// bfloat16 and writes the lanes j < w ≤ 16, pairBF16 writes 32 lanes,
	// zero from w ≤ 32 (pack_bf16_amd64.s).
	pairF32  func(dst *uint32, src *float32, kq, ld, ldd, w int)
	pairBF16 func(dst *uint32, src *uint16, kq, ld, ldd, w int)
	// The matrix–vector kernels of Sgemv and SgemvBF16 (gemv.go), and
	// their epilogue y = alpha·t + beta·y over n values.
	gemv      *gemvKernels[float32]
	gemvBF16  *gemvKernels[uint16]
	gemvF16   *gemvKernels[uint16] // nil: SgemvF16 widens blocks for gemv (f16.go)
	gemvScale func(n int, t, y *float32, alpha, beta float32)
}

var generic = &impl{name: "generic", mr: 4, nr: 4, mc: 128, kc: 256, nc: 1024, kernel: kernelGeneric,
	gemv: genericGemv[float32](), gemvBF16: genericGemv[uint16](), gemvScale: gemvScaleGeneric}

// impls are the micro-kernels this machine can run, best first.
var impls = dispatch.NewSet(append(simdImpls(), generic), func(k *impl) string { return k.name })

// Implementations names the micro-kernels this machine can run, best first
// (for example "avx512", "avx2", "generic").
func Implementations() []string { return impls.Names() }

// Active names the micro-kernel in use.
func Active() string { return impls.Active() }

// Use switches to the named micro-kernel and reports whether it is available
// here. It is meant for tests and benchmarks; do not call it while Sgemm runs.
func Use(name string) bool { return impls.Use(name) }

// checkMatrix panics unless x can hold a rows×cols row-major matrix with
// leading dimension ld.
func checkMatrix[T any](name string, x []T, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: ld%s = %d < max(1, %d columns)", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: len(%s) = %d < %d for a %d×%d matrix with ld %d",
			name, len(x), (rows-1)*ld+cols, rows, cols, ld))
	}
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C. A is [M,K] (or [K,M] if
// transA is Trans), B is [K,N] (or [N,K] if transB is Trans), C is [M,N], row-major with
// leading dimensions lda, ldb, ldc ≥ the row width. threads ≤ 0 means
// GOMAXPROCS. beta == 0 does not read C; alpha == 0 or k == 0 does not read
// A or B. Inconsistent sizes panic.
func Sgemm(transA, transB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, threads int) {
	checkOperands(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	(&job{im: impls.Current(), transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}).start(threads)
}

// checkOperands panics unless the sizes are consistent (Sgemm's checks).
func checkOperands[B any](transA, transB Transpose, m, n, k int, a []float32, lda int, b []B, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	if transA == Trans {
		checkMatrix("a", a, k, m, lda)
	} else {
		checkMatrix("a", a, m, k, lda)
	}
	if transB == Trans {
		checkMatrix("b", b, n, k, ldb)
	} else {
		checkMatrix("b", b, k, n, ldb)
	}
	checkMatrix("c", c, m, n, ldc)
}

// start runs a checked job on up to threads goroutines (≤ 0: GOMAXPROCS).
func (jb *job) start(threads int) {
	if jb.m == 0 || jb.n == 0 {
		return
	}
	if jb.alpha == 0 || jb.k == 0 {
		scaleC(jb.m, jb.n, jb.beta, jb.c, jb.ldc)
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	// Below about a megaflop per goroutine the start-up costs more than it saves.
	jb.run(max(1, min(threads, jb.m*jb.n*jb.k>>19)))
}

// scaleC sets C = beta·C, writing zeros without reading C when beta == 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// lanes is the mask of the first n ≤ 32 lanes.
func lanes(n int) uint32 { return uint32(1<<n - 1) }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// job holds the arguments of one Sgemm or SgemmBF16Native call.
type job struct {
	im             *impl
	transA, transB Transpose
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	bh             []uint16 // B in bfloat16, for an im.bf16 kernel (b is then nil)
	pk             *Packed  // B packed once (prepack.go; b and bh are then nil)
	// half, if set, says bh holds B as 16-bit floats of this type (b is
	// then nil), widened to float32 as B is packed (f16.go).
	half          *halfType
	lda, ldb, ldc int
}

// packA packs the job's op(A)[i0:i0+mc, p0:p0+kc] as the kernel reads it;
// tmp is the goroutine's scratch (workspace.scratch).
func (jb *job) packA(dst []float32, i0, mc, p0, kc int, tmp []float32) {
	if jb.im.bf16 {
		packABF16(jb.im, dst, jb.a, jb.lda, jb.transA, i0, mc, p0, kc, jb.im.packedK(kc), jb.im.mr, tmp)
		return
	}
	packA(jb.im, dst, jb.a, jb.lda, jb.transA, i0, mc, p0, kc, jb.im.mr)
}

// packB packs the job's op(B)[p0:p0+kc, j0:j0+nc] as the kernel reads it.
func (jb *job) packB(dst []float32, p0, kc, j0, nc int) {
	if jb.half != nil {
		packBHalf(jb.im, dst, jb.bh, jb.ldb, jb.transB, p0, kc, j0, nc, jb.half)
		return
	}
	if jb.pk != nil { // the bfloat16 kernel reads it in place (run)
		if !jb.im.bf16 {
			jb.pk.widen(dst, p0, kc, j0, nc)
		}
		return
	}
	if jb.im.bf16 {
		packBBF16(jb.im, dst, jb.bh, jb.ldb, jb.transB, p0, kc, jb.im.packedK(kc), j0, nc, jb.im.nr)
		return
	}
	packB(jb.im, dst, jb.b, jb.ldb, jb.transB, p0, kc, j0, nc, jb.im.nr)
}

// r16 rounds x up to a multiple of 16 floats (64 bytes).
func r16(x int) int { return (x + 15) &^ 15 }

// aligned returns a 64-byte aligned slice of n floats inside *buf, growing it.
func aligned(buf *[]float32, n int) []float32 {
	if cap(*buf) < n+16 {
		*buf = make([]float32, n+16)
	}
	b := (*buf)[:n+16]
	off := int((64 - uintptr(unsafe.Pointer(&b[0]))%64) % 64 / 4)
	return b[off : off+n]
}

// workspace holds packing buffers: two A blocks, two B panels (double
// buffered in the shared scheme) and a scratch area per goroutine.
type workspace struct {
	buf, tbuf []float32
	ap, bp    [2][]float32
	tp        []float32 // scratch areas, nt floats apart
	nt        int
}

// spares keeps the workspaces of finished calls for the next ones,
// process-wide, as a BLAS keeps its packing buffers: a sync.Pool would drop
// them at every GC and re-fault fresh pages. There are never more than the
// most calls that ran at once (the model's attention runs two), and each
// is sized to the largest problem it has served, at most 17.5 MB with the
// AVX-512 blocking.
var spares struct {
	sync.Mutex
	free []*workspace
}

func putWorkspace(w *workspace) {
	spares.Lock()
	spares.free = append(spares.free, w)
	spares.Unlock()
}

// getWorkspace returns packing buffers for an m×n×k problem: blocks no
// larger than the problem needs, so that small products stay small.
func getWorkspace(im *impl, threads, m, n, k int) *workspace {
	kc := im.packedK(min(im.kc, k))
	mc := min(im.mc, ceilDiv(m, im.mr)*im.mr)
	nc := min(im.nc, ceilDiv(n, im.nr)*im.nr)
	na, nb, nt := r16(mc*kc), r16(kc*nc), r16(im.mr*im.nr)
	if im.bf16 {
		nt = max(nt, r16(im.mr*kc)) // packABF16's rows in bfloat16
	}
	var w *workspace
	spares.Lock()
	if k := len(spares.free); k > 0 {
		w, spares.free = spares.free[k-1], spares.free[:k-1]
	}
	spares.Unlock()
	if w == nil {
		w = new(workspace)
	}
	buf := aligned(&w.buf, 2*na+2*nb)
	w.ap = [2][]float32{buf[:na], buf[na : 2*na]}
	w.bp = [2][]float32{buf[2*na : 2*na+nb], buf[2*na+nb : 2*na+2*nb]}
	w.tp = aligned(&w.tbuf, nt*threads)
	w.nt = nt
	return w
}

// scratch is goroutine t's scratch area: its MR×NR tile for the edges
// (the first MR·NR floats) and, while it packs, packABF16's rows.
func (w *workspace) scratch(t int) []float32 { return w.tp[t*w.nt : (t+1)*w.nt] }

// barrier lets n goroutines wait for each other, spinning briefly first.
type barrier struct {
	n     int32
	count atomic.Int32
	gen   atomic.Uint32
}

func (b *barrier) wait() {
	if b.n == 1 {
		return
	}
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		return
	}
	for i := 0; b.gen.Load() == g; i++ {
		if i > 64 {
			runtime.Gosched()
		}
	}
}

// share is goroutine t's part [lo, hi) of n items split evenly among T.
func share(n, t, T int) (lo, hi int) { return n * t / T, n * (t + 1) / T }

// run runs the BLIS loop nest on T goroutines. All of them pack each B
// panel and each A block together (a share of the slivers each), meet at a
// barrier, then compute a share of the block's tiles: B slivers split among
// them when there are enough, else A slivers. Panels and blocks are double
// buffered, so one barrier per A block suffices: a goroutine that reaches
// the barrier of block i has finished computing block i−1, and the buffer it
// packs next was last read for block i−1 too.
func (jb *job) run(T int) {
	im := jb.im
	mr, nr := im.mr, im.nr
	// Never more goroutines than tiles along the split dimension.
	T = max(1, min(T, max(ceilDiv(min(jb.n, im.nc), nr), ceilDiv(min(jb.m, im.mc), mr))))
	w := getWorkspace(im, T, jb.m, jb.n, jb.k)
	defer putWorkspace(w)
	bar := &barrier{n: int32(T)}
	worker := func(t int) {
		tp := w.scratch(t)
		step, astep := 0, 0
		for jc := 0; jc < jb.n; jc += im.nc {
			nc := min(im.nc, jb.n-jc)
			nsl := ceilDiv(nc, nr)
			for pc := 0; pc < jb.k; pc += im.kc {
				kc := min(im.kc, jb.k-pc)
				kp := im.packedK(kc) // packed elements per sliver row
				beta := jb.beta
				if pc > 0 {
					beta = 1
				}
				bp := w.bp[step%2]
				step++
				if lo, hi := share(nsl, t, T); lo < hi {
					jb.packB(bp[lo*kp*nr:], pc, kc, jc+lo*nr, min(nc, hi*nr)-lo*nr)
				}
				for ic := 0; ic < jb.m; ic += im.mc {
					mc := min(im.mc, jb.m-ic)
					msl := ceilDiv(mc, mr)
					ap := w.ap[astep%2]
					astep++
					if lo, hi := share(msl, t, T); lo < hi {
						jb.packA(ap[lo*kp*mr:], ic+lo*mr, min(mc, hi*mr)-lo*mr, pc, kc, tp)
					}
					bar.wait()
					if nsl >= 2*T || nsl >= msl {
						lo, hi := share(nsl, t, T)
						jb.macro(ap, bp, tp, ic, mc, 0, mc, jc, nc, lo*nr, min(nc, hi*nr), pc, kp, beta)
					} else {
						lo, hi := share(msl, t, T)
						jb.macro(ap, bp, tp, ic, mc, lo*mr, min(mc, hi*mr), jc, nc, 0, nc, pc, kp, beta)
					}
				}
			}
		}
	}
	if T == 1 {
		worker(0)
		return
	}
	var wg sync.WaitGroup
	for t := 1; t < T; t++ {
		wg.Go(func() { worker(t) })
	}
	worker(0)
	wg.Wait()
}

// macro runs the micro-kernel over the tiles in rows [ir0,ir1) and columns
// [jr0,jr1) of the mc×nc block of C at (ic, jc), from the packed A block ap
// and B panel bp (ir0 a multiple of MR, jr0 of NR). B slivers are the outer
// loop: each is reused from cache while the A slivers stream past it.
func (jb *job) macro(ap, bp, tp []float32, ic, mc, ir0, ir1, jc, nc, jr0, jr1, pc, kc int, beta float32) {
	im := jb.im
	for jr := jr0; jr < jr1; jr += im.nr {
		for ir := ir0; ir < ir1; ir += im.mr {
			jb.tile(ap, bp, tp, ic, ir, mc, jc, jr, nc, pc, kc, beta)
		}
	}
}

// tile computes the MR×NR tile at row ic+ir, column jc+jr of C from the
// packed slivers; a tile cut by the edge of the block goes through the
// scratch tile tp so that it gets the same kernel arithmetic.
func (jb *job) tile(ap, bp, tp []float32, ic, ir, mc, jc, jr, nc, pc, kc int, beta float32) {
	im := jb.im
	mr, nr, ldc := im.mr, im.nr, jb.ldc
	mb, nb := min(mr, mc-ir), min(nr, nc-jr)
	a := &ap[ir*kc]
	var b *float32
	if jb.pk != nil && im.bf16 { // the sliver as packed once, from pair pc/2
		b = &jb.pk.sliver((jc + jr) / nr)[pc/2*nr]
	} else {
		b = &bp[jr*kc]
	}
	ci := (ic+ir)*ldc + jc + jr
	c := jb.c
	if mb == mr && nb == nr {
		im.kernel(kc, a, b, &c[ci], ldc, jb.alpha, beta)
		return
	}
	if beta != 0 {
		for i := range mb {
			copy(tp[i*nr:i*nr+nb], c[ci+i*ldc:ci+i*ldc+nb])
		}
	}
	im.kernel(kc, a, b, &tp[0], nr, jb.alpha, beta)
	for i := range mb {
		copy(c[ci+i*ldc:ci+i*ldc+nb], tp[i*nr:i*nr+nb])
	}
}

// packA packs op(A)[i0:i0+mc, p0:p0+kc] into ceil(mc/mr) slivers, sliver s
// at dst[s·kc·mr:] laid out [kc][mr]; rows past mc are zero.
func packA(im *impl, dst, a []float32, lda int, trans Transpose, i0, mc, p0, kc, mr int) {
	for s := 0; s*mr < mc; s++ {
		d := dst[s*kc*mr : (s+1)*kc*mr]
		rows := min(mr, mc-s*mr)
		r0 := i0 + s*mr
		if trans == Trans {
			// op(A)(i,p) = a[p·lda+i]: each p is a contiguous run of rows.
			if im.copy != nil && mr <= 32 {
				im.copy(&d[0], &a[p0*lda+r0], kc, lda, mr, lanes(rows), lanes(mr))
				continue
			}
			packRuns(d, a[p0*lda+r0:], lda, kc, rows, mr)
			continue
		}
		// op(A)(i,p) = a[i·lda+p]: each row is strided into the sliver.
		if im.gather != nil && mr <= 16 && lda < 1<<27 {
			im.gather(&d[0], &a[r0*lda+p0], kc, mr, lda, rows, mr)
			continue
		}
		packStrided(d, a[r0*lda+p0:], lda, kc, rows, mr)
	}
}

// packB packs op(B)[p0:p0+kc, j0:j0+nc] into ceil(nc/nr) slivers, sliver s
// at dst[s·kc·nr:] laid out [kc][nr]; columns past nc are zero.
func packB(im *impl, dst, b []float32, ldb int, trans Transpose, p0, kc, j0, nc, nr int) {
	for s := 0; s*nr < nc; s++ {
		d := dst[s*kc*nr : (s+1)*kc*nr]
		cols := min(nr, nc-s*nr)
		c0 := j0 + s*nr
		if trans == NoTrans {
			// op(B)(p,j) = b[p·ldb+j]: contiguous runs of columns.
			if im.copy != nil {
				for h := 0; h < nr; h += 32 {
					w := min(max(cols-h, 0), 32)
					src := &b[0] // not read when w == 0
					if w > 0 {
						src = &b[p0*ldb+c0+h]
					}
					im.copy(&d[h], src, kc, ldb, nr, lanes(w), lanes(min(32, nr-h)))
				}
				continue
			}
			packRuns(d, b[p0*ldb+c0:], ldb, kc, cols, nr)
			continue
		}
		// op(B)(p,j) = b[j·ldb+p]: each column of op(B) is a row of b.
		if im.gather != nil && nr%16 == 0 && ldb < 1<<27 {
			for h := 0; h < nr; h += 16 {
				w := min(max(cols-h, 0), 16)
				src := &b[0] // not read when w == 0
				if w > 0 {
					src = &b[(c0+h)*ldb+p0]
				}
				done := 0 // k rows packed by whole 16×16 transposes
				if w == 16 && im.trans != nil {
					done = kc &^ 15
					if done > 0 {
						im.trans(&d[h], src, done/16, ldb, nr)
					}
					if done == kc {
						continue
					}
					src = &b[(c0+h)*ldb+p0+done]
				}
				im.gather(&d[done*nr+h], src, kc-done, nr, ldb, w, 16)
			}
			continue
		}
		packStrided(d, b[c0*ldb+p0:], ldb, kc, cols, nr)
	}
}

// packRuns is the portable packing of contiguous runs: row p of the sliver
// d [kc][w] is src[p·ld : p·ld+n], zero-padded from n to w.
func packRuns(d, src []float32, ld, kc, n, w int) {
	for p := range kc {
		dp := d[p*w : p*w+w]
		copy(dp[:n], src[p*ld:p*ld+n])
		clear(dp[n:])
	}
}

// packStrided is the portable packing of strided runs: column i < n of the
// sliver d [kc][w] is src[i·ld : i·ld+kc]; columns n..w are zero.
func packStrided(d, src []float32, ld, kc, n, w int) {
	for i := range n {
		for p, v := range src[i*ld : i*ld+kc] {
			d[p*w+i] = v
		}
	}
	for i := n; i < w; i++ {
		for p := range kc {
			d[p*w+i] = 0
		}
	}
}
