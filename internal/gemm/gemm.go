package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// kernelFunc is a micro-kernel: the MR×NR tile C = alpha·A·B + beta·C with
// A a packed sliver a[p·MR+i] and B a packed sliver b[p·NR+j], p < k, and C
// row-major with leading dimension ldc. beta == 0 must not read C.
type kernelFunc func(k int, a, b, c *float32, ldc int, alpha, beta float32)

// impl is one micro-kernel and its blocking: mc is a multiple of mr, nc of nr.
type impl struct {
	name       string
	mr, nr     int
	mc, kc, nc int
	kernel     kernelFunc
}

var generic = &impl{name: "generic", mr: 4, nr: 4, mc: 128, kc: 256, nc: 1024, kernel: kernelGeneric}

// available lists the implementations this machine can run, best first.
var available = append(simdImpls(), generic)

var current atomic.Pointer[impl]

func init() { current.Store(available[0]) }

// Implementations names the micro-kernels this machine can run, best first
// (for example "avx512", "avx2", "generic").
func Implementations() []string {
	names := make([]string, len(available))
	for i, k := range available {
		names[i] = k.name
	}
	return names
}

// Active names the micro-kernel in use.
func Active() string { return current.Load().name }

// Use switches to the named micro-kernel and reports whether it is available
// here. It is meant for tests and benchmarks; do not call it while Sgemm runs.
func Use(name string) bool {
	for _, k := range available {
		if k.name == name {
			current.Store(k)
			return true
		}
	}
	return false
}

// checkMatrix panics unless x can hold a rows×cols row-major matrix with
// leading dimension ld.
func checkMatrix(name string, x []float32, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: ld%s = %d < max(1, %d columns)", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: len(%s) = %d < %d for a %d×%d matrix with ld %d",
			name, len(x), (rows-1)*ld+cols, rows, cols, ld))
	}
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C. A is [M,K] (or [K,M] if
// transA), B is [K,N] (or [N,K] if transB), C is [M,N], row-major with
// leading dimensions lda, ldb, ldc ≥ the row width. threads ≤ 0 means
// GOMAXPROCS. beta == 0 does not read C; alpha == 0 or k == 0 does not read
// A or B. Inconsistent sizes panic.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, threads int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	if transA {
		checkMatrix("a", a, k, m, lda)
	} else {
		checkMatrix("a", a, m, k, lda)
	}
	if transB {
		checkMatrix("b", b, n, k, ldb)
	} else {
		checkMatrix("b", b, k, n, ldb)
	}
	checkMatrix("c", c, m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	im := current.Load()
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	// Below about a megaflop per goroutine the start-up costs more than it saves.
	threads = min(threads, max(1, m*n*k>>19))
	tm, tn := grid(im, m, n, threads)
	mp := ceilDiv(ceilDiv(m, im.mr), tm) * im.mr // rows per part, a multiple of mr
	np := ceilDiv(ceilDiv(n, im.nr), tn) * im.nr
	job := &job{im: im, transA: transA, transB: transB, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	if tm*tn == 1 {
		job.run(0, m, 0, n)
		return
	}
	var wg sync.WaitGroup
	for i0 := 0; i0 < m; i0 += mp {
		for j0 := 0; j0 < n; j0 += np {
			i1, j1 := min(i0+mp, m), min(j0+np, n)
			wg.Go(func() { job.run(i0, i1, j0, j1) })
		}
	}
	wg.Wait()
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

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// grid picks tm×tn ≤ threads parts for an m×n C: the split with the least
// work per part, counting padded tiles and (roughly) the packing of each
// part's A rows and B columns; ties go to splitting N, which keeps the
// shared-row A packing per goroutine small.
func grid(im *impl, m, n, threads int) (tm, tn int) {
	tiM, tiN := ceilDiv(m, im.mr), ceilDiv(n, im.nr)
	best := -1
	for a := 1; a <= min(threads, tiM); a++ {
		b := min(threads/a, tiN)
		mp := ceilDiv(tiM, a) * im.mr
		np := ceilDiv(tiN, b) * im.nr
		cost := mp*np + 16*(mp+np)
		if best < 0 || cost < best || (cost == best && b > tn) {
			best, tm, tn = cost, a, b
		}
	}
	return tm, tn
}

// job holds the arguments of one Sgemm call.
type job struct {
	im             *impl
	transA, transB bool
	k              int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

// workspace is one goroutine's packing buffers, aligned to 64 bytes.
type workspace struct {
	buf        []float32
	ap, bp, tp []float32
}

var workspaces sync.Pool

func getWorkspace(im *impl) *workspace {
	na, nb, nt := im.mc*im.kc, im.kc*im.nc, im.mr*im.nr
	// Each buffer is rounded up to 16 floats (64 bytes) so all stay aligned.
	r16 := func(x int) int { return (x + 15) &^ 15 }
	need := r16(na) + r16(nb) + r16(nt) + 16
	w, _ := workspaces.Get().(*workspace)
	if w == nil || cap(w.buf) < need {
		w = &workspace{buf: make([]float32, need)}
	}
	buf := w.buf[:need]
	off := int((64 - uintptr(unsafe.Pointer(&buf[0]))%64) % 64 / 4)
	buf = buf[off:]
	w.ap = buf[:na]
	w.bp = buf[r16(na) : r16(na)+nb]
	w.tp = buf[r16(na)+r16(nb) : r16(na)+r16(nb)+nt]
	return w
}

// run computes rows [i0,i1) × columns [j0,j1) of C. i0 is a multiple of mr
// and j0 of nr, so every tile sits where it would in a one-goroutine run.
func (jb *job) run(i0, i1, j0, j1 int) {
	im := jb.im
	w := getWorkspace(im)
	defer workspaces.Put(w)
	for jc := j0; jc < j1; jc += im.nc {
		nc := min(im.nc, j1-jc)
		for pc := 0; pc < jb.k; pc += im.kc {
			kc := min(im.kc, jb.k-pc)
			beta := jb.beta
			if pc > 0 {
				beta = 1
			}
			packB(w.bp, jb.b, jb.ldb, jb.transB, pc, kc, jc, nc, im.nr)
			for ic := i0; ic < i1; ic += im.mc {
				mc := min(im.mc, i1-ic)
				packA(w.ap, jb.a, jb.lda, jb.transA, ic, mc, pc, kc, im.mr)
				jb.macro(w, ic, mc, jc, nc, kc, beta)
			}
		}
	}
}

// macro runs the micro-kernel over the mc×nc block of C at (ic, jc) from the
// packed A block and B panel.
func (jb *job) macro(w *workspace, ic, mc, jc, nc, kc int, beta float32) {
	im := jb.im
	mr, nr, ldc := im.mr, im.nr, jb.ldc
	c, tp := jb.c, w.tp
	for jr := 0; jr < nc; jr += nr {
		nb := min(nr, nc-jr)
		bp := &w.bp[jr*kc]
		for ir := 0; ir < mc; ir += mr {
			mb := min(mr, mc-ir)
			ap := &w.ap[ir*kc]
			ci := (ic+ir)*ldc + jc + jr
			if mb == mr && nb == nr {
				im.kernel(kc, ap, bp, &c[ci], ldc, jb.alpha, beta)
				continue
			}
			// Edge tile: run the same kernel on a scratch copy.
			if beta != 0 {
				for i := range mb {
					copy(tp[i*nr:i*nr+nb], c[ci+i*ldc:ci+i*ldc+nb])
				}
			}
			im.kernel(kc, ap, bp, &tp[0], nr, jb.alpha, beta)
			for i := range mb {
				copy(c[ci+i*ldc:ci+i*ldc+nb], tp[i*nr:i*nr+nb])
			}
		}
	}
}

// packA packs op(A)[i0:i0+mc, p0:p0+kc] into ceil(mc/mr) slivers, sliver s
// at dst[s·kc·mr:] laid out [kc][mr]; rows past mc are zero.
func packA(dst, a []float32, lda int, trans bool, i0, mc, p0, kc, mr int) {
	for s := 0; s*mr < mc; s++ {
		d := dst[s*kc*mr : (s+1)*kc*mr]
		rows := min(mr, mc-s*mr)
		r0 := i0 + s*mr
		if trans {
			// op(A)(i,p) = a[p·lda+i]: each p is a contiguous run of rows.
			for p := range kc {
				src := a[(p0+p)*lda+r0:]
				dp := d[p*mr : p*mr+mr]
				copy(dp[:rows], src[:rows])
				clear(dp[rows:])
			}
			continue
		}
		// op(A)(i,p) = a[i·lda+p]: each row is strided into the sliver.
		for i := range rows {
			src := a[(r0+i)*lda+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*mr+i] = v
			}
		}
		for i := rows; i < mr; i++ {
			for p := range kc {
				d[p*mr+i] = 0
			}
		}
	}
}

// packB packs op(B)[p0:p0+kc, j0:j0+nc] into ceil(nc/nr) slivers, sliver s
// at dst[s·kc·nr:] laid out [kc][nr]; columns past nc are zero.
func packB(dst, b []float32, ldb int, trans bool, p0, kc, j0, nc, nr int) {
	for s := 0; s*nr < nc; s++ {
		d := dst[s*kc*nr : (s+1)*kc*nr]
		cols := min(nr, nc-s*nr)
		c0 := j0 + s*nr
		if !trans {
			// op(B)(p,j) = b[p·ldb+j]: contiguous runs of columns.
			for p := range kc {
				src := b[(p0+p)*ldb+c0:]
				dp := d[p*nr : p*nr+nr]
				copy(dp[:cols], src[:cols])
				clear(dp[cols:])
			}
			continue
		}
		// op(B)(p,j) = b[j·ldb+p]: each column of op(B) is a row of b.
		for j := range cols {
			src := b[(c0+j)*ldb+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for p := range kc {
				d[p*nr+j] = 0
			}
		}
	}
}
