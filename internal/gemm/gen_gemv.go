//go:build ignore

// gen_gemv (run with gen_kernels.go, whose helpers it uses) writes
// gemv_amd64.s, the matrix–vector kernels behind Sgemv:
//
//	go run gen_kernels.go gen_gemv.go
//
// Each kernel comes for AVX-512 (zmm, 16 lanes) and AVX2+FMA (ymm, 8
// lanes), and for weights in float32 or in bfloat16 bits (widened to
// float32 as they are loaded; x, accumulators and y stay float32):
//
//	gemvN: t[j] += Σ_{p<k} x[p]·w[p·ldw+j] for j < n, the weights stored
//	       [K, N]; each element's sum runs over p in order, one fused
//	       multiply-add each (vector lanes, then a scalar FMA for the
//	       columns past the last whole vector).
//	gemvT: y[i] = alpha·Σ_{p<k} w[i·ldw+p]·x[p] + beta·y[i] for the rows
//	       of one or two blocks of 16 (8), the weights stored [N, K].
//	       Tiles of a block's rows × lanes columns are transposed in
//	       registers, so that lane i accumulates row i's sum over p in
//	       order; the columns past the last whole tile go through scalar
//	       FMAs on the spilled accumulators.
//	gemvTRows: gemvT over one block for 2 to 8 (AVX2: 5) rows of x and
//	       of y at once, each tile of W loaded and transposed once and
//	       multiplied against every x row (SgemvRows); each row's sums
//	       are gemvT's for that row alone.
//	gemvDot: the same for one row, scalar (the rows past the last block).
//	gemvScale: y[j] = alpha·t[j] + beta·y[j] for j < n.
//
// The sums are those of the sgemm micro-kernels (gen_kernels.go) for one
// row of A, down to the epilogue (acc·alpha, then beta·C + that, fused;
// beta == ±0 does not read y), so Sgemv gives Sgemm's bits.
package main

import "fmt"

// isa is a vector width: register prefix and lanes.
type isa struct {
	name  string // AVX512 or AVX2
	reg   string // Z or Y
	lanes int
}

func (s isa) r(n int) string { return fmt.Sprintf("%s%d", s.reg, n) }

// text starts the function name with its Go prototype as a comment, a
// frame of frame bytes and args bytes of arguments, and loads the
// arguments: each "name+offset(FP), register".
func text(name, proto string, frame, args int, loads ...string) {
	fmt.Fprintf(&out, "\n// func %s%s\n", name, proto)
	fmt.Fprintf(&out, "TEXT ·%s(SB), NOSPLIT, $%d-%d\n", name, frame, args)
	for _, l := range loads {
		p("MOVQ %s", l)
	}
}

// dtype is how the weights are stored.
type dtype struct {
	name  string // F32, BF16 or F16
	size  int    // bytes per weight
	shift int    // log2(size)
	goTyp string
	f16   bool // IEEE binary16, widened by VCVTPH2PS (AVX-512F or F16C)
}

// loadVec loads lanes weights at addr into register dst as float32.
func (d dtype) loadVec(s isa, addr, dst string) {
	if d.size == 4 {
		p("VMOVUPS %s, %s", addr, dst)
		return
	}
	if d.f16 {
		p("VCVTPH2PS %s, %s", addr, dst)
		return
	}
	p("VPMOVZXWD %s, %s", addr, dst)
	p("VPSLLD $16, %s, %s", dst, dst)
}

// fmaVec adds x·w[addr] to acc, x in register x, using tmp for a bfloat16 load.
func (d dtype) fmaVec(s isa, addr, x, acc, tmp string) {
	if d.size == 4 {
		p("VFMADD231PS %s, %s, %s", addr, x, acc)
		return
	}
	d.loadVec(s, addr, tmp)
	p("VFMADD231PS %s, %s, %s", tmp, x, acc)
}

// loadScalar loads one weight at addr into the low lane of X register dst.
func (d dtype) loadScalar(addr, dst string) {
	if d.size == 4 {
		p("VMOVSS %s, %s", addr, dst)
		return
	}
	p("MOVWLZX %s, R12", addr)
	if d.f16 {
		p("VMOVD R12, %s", dst)
		p("VCVTPH2PS %s, %s", dst, dst)
		return
	}
	p("SHLL $16, R12")
	p("VMOVD R12, %s", dst)
}

// pfRows is how many rows ahead gemvN prefetches (a scale of x86
// addressing: 1, 2, 4 or 8).
const pfRows = 4

// gemvN: func(k, n int, x *float32, w *T, ldw int, t *float32).
// Rows go four at a time (the x values broadcast in registers 12–15), each
// vector of t loaded once per four rows.
func gemvN(s isa, d dtype) {
	name := "gemvN" + d.name + s.name
	L := s.lanes
	text(name, fmt.Sprintf("(k, n int, x *float32, w *%s, ldw int, t *float32)", d.goTyp), 0, 48,
		"k+0(FP), CX", "n+8(FP), BX", "x+16(FP), SI", "w+24(FP), R8", "ldw+32(FP), DX", "t+40(FP), DI")
	p("SHLQ $%d, DX", d.shift)
	p("MOVQ BX, R13")
	p("ANDQ $-%d, R13", L) // columns in whole vectors
	rowsPass := func(tag string, rows int) {
		ptr := []string{"R8", "R9", "R10", "R11"}
		for i := range rows {
			p("VBROADCASTSS %d(SI), %s", 4*i, s.r(12+i))
		}
		for i := 1; i < rows; i++ {
			p("LEAQ (%s)(DX*1), %s", ptr[i-1], ptr[i])
		}
		p("XORQ AX, AX")
		label(name + "_vec" + tag)
		p("CMPQ AX, R13")
		p("JGE %s_tail%s", name, tag)
		p("VMOVUPS (DI)(AX*4), %s", s.r(0))
		for i := range rows {
			addr := fmt.Sprintf("(%s)(AX*%d)", ptr[i], d.size)
			p("LEAQ %s, R12", addr)
			p("PREFETCHT0 (R12)(DX*%d)", pfRows) // the same columns pfRows rows on
			d.fmaVec(s, addr, s.r(12+i), s.r(0), s.r(1+i))
		}
		p("VMOVUPS %s, (DI)(AX*4)", s.r(0))
		p("ADDQ $%d, AX", L)
		p("JMP %s_vec%s", name, tag)
		label(name + "_tail" + tag)
		p("CMPQ AX, BX")
		p("JGE %s_next%s", name, tag)
		p("VMOVSS (DI)(AX*4), X0")
		for i := range rows {
			if d.size == 4 {
				p("VFMADD231SS (%s)(AX*4), X%d, X0", ptr[i], 12+i)
			} else {
				d.loadScalar(fmt.Sprintf("(%s)(AX*2)", ptr[i]), "X1")
				p("VFMADD231SS X1, X%d, X0", 12+i)
			}
		}
		p("VMOVSS X0, (DI)(AX*4)")
		p("INCQ AX")
		p("JMP %s_tail%s", name, tag)
		label(name + "_next" + tag)
		p("LEAQ (%s)(DX*1), R8", ptr[rows-1])
		p("ADDQ $%d, SI", 4*rows)
	}
	label(name + "_rows4")
	p("CMPQ CX, $4")
	p("JLT %s_rows1", name)
	rowsPass("4", 4)
	p("SUBQ $4, CX")
	p("JMP %s_rows4", name)
	label(name + "_rows1")
	p("TESTQ CX, CX")
	p("JZ %s_done", name)
	rowsPass("1", 1)
	p("DECQ CX")
	p("JMP %s_rows1", name)
	label(name + "_done")
	p("VZEROUPPER")
	p("RET")
}

// regs maps the logical vectors of a transpose to physical registers; one
// more register is free. A step takes a pair of vectors to a pair: the
// first result goes to the free register, the second over the second
// input, and the first input's register becomes the free one.
type regs struct {
	s    isa
	phys []int
	free int
}

func (r *regs) pair(op string, a, b, outA, outB int, next []int) {
	pa, pb := r.phys[a], r.phys[b]
	lo, hi := op, op
	imm := ""
	switch op {
	case "PS", "PD": // VUNPCKL/H
		lo, hi = "VUNPCKL"+op, "VUNPCKH"+op
	case "F32X4": // VSHUFF32X4 $0x88 / $0xdd
		lo, hi = "VSHUFF32X4", "VSHUFF32X4"
		imm = "$0x88, "
	case "F128": // VPERM2F128 $0x20 / $0x31
		lo, hi = "VPERM2F128", "VPERM2F128"
		imm = "$0x20, "
	}
	p("%s %s%s, %s, %s", lo, imm, r.s.r(pb), r.s.r(pa), r.s.r(r.free))
	switch op {
	case "F32X4":
		imm = "$0xdd, "
	case "F128":
		imm = "$0x31, "
	}
	p("%s %s%s, %s, %s", hi, imm, r.s.r(pb), r.s.r(pa), r.s.r(pb))
	next[outA], next[outB] = r.free, pb
	r.free = pa
}

// transpose emits the in-register transpose of the L vectors (row i of a
// block in logical vector i) into columns: afterwards logical vector q
// holds lane i = row i's element q. It returns the physical registers and
// the one left free.
func transpose(s isa) (cols []int, free int) {
	L := s.lanes
	r := &regs{s: s, phys: make([]int, L), free: L}
	for i := range r.phys {
		r.phys[i] = i
	}
	stage := func(f func(next []int)) {
		next := make([]int, L)
		f(next)
		r.phys = next
	}
	// Interleave pairs of rows: t[2i], t[2i+1].
	stage(func(next []int) {
		for i := 0; i < L/2; i++ {
			r.pair("PS", 2*i, 2*i+1, 2*i, 2*i+1, next)
		}
	})
	// Pairs of 64-bit halves: each 128-bit lane now holds 4 rows of one column.
	stage(func(next []int) {
		for g := 0; g < L/4; g++ {
			r.pair("PD", 4*g, 4*g+2, 4*g, 4*g+1, next)
			r.pair("PD", 4*g+1, 4*g+3, 4*g+2, 4*g+3, next)
		}
	})
	if L == 8 {
		// 128-bit halves: columns j and 4+j.
		stage(func(next []int) {
			for j := range 4 {
				r.pair("F128", j, 4+j, j, 4+j, next)
			}
		})
		return r.phys, r.free
	}
	// 128-bit lanes, twice (as transPackAVX512).
	stage(func(next []int) {
		for h := 0; h < 16; h += 8 {
			for j := range 4 {
				r.pair("F32X4", h+j, h+4+j, h+j, h+4+j, next)
			}
		}
	})
	stage(func(next []int) {
		for j := range 8 {
			r.pair("F32X4", j, 8+j, j, 8+j, next)
		}
	})
	return r.phys, r.free
}

// gemvT: func(k int, w *T, ldw int, x, y *float32, alpha, beta float32),
// over nb blocks of L rows. Registers 0..L hold a block's tile and its
// transpose, the nb after them the blocks' accumulators: each row's sum is
// a chain of dependent FMAs, so nb blocks keep nb chains in flight.
//
// A float32 tile is L×L. A bfloat16 tile is L rows of 2L columns, one
// 32-bit lane a pair of columns: transposing the pairs gives, per pair,
// its first column (the lane shifted up 16 bits) and its second (the lane
// with the low 16 bits cleared), half the shuffles a column of widened
// float32 tiles would cost. An f16 tile is L×L, widened as it is loaded.
func gemvT(s isa, d dtype, nb int) {
	name := fmt.Sprintf("gemvT%s%sx%d", d.name, s.name, nb)
	L := s.lanes
	cw := L * 4 / d.size // columns per tile
	if d.f16 {
		cw = L
	}
	acc := func(b int) string { return s.r(L + 1 + b) }
	bc, mask := s.r(L+1+nb), s.r(L+2+nb)
	// The frame holds the accumulators while the column tail runs.
	text(name, fmt.Sprintf("(k int, w *%s, ldw int, x, y *float32, alpha, beta float32)", d.goTyp), 4*L*nb, 48,
		"k+0(FP), CX", "w+8(FP), SI", "ldw+16(FP), DX", "x+24(FP), AX", "y+32(FP), DI")
	p("SHLQ $%d, DX", d.shift)
	p("MOVQ DX, R9")
	p("SHLQ $%d, R9", log2(L*nb)) // the next nb blocks of rows, same columns
	zero := "VXORPS"
	if s.reg == "Z" {
		zero = "VPXORD"
	}
	for b := range nb {
		p("%s %s, %s, %s", zero, acc(b), acc(b), acc(b))
	}
	if d.size == 2 && !d.f16 { // 0xffff0000 in every lane
		if s.reg == "Z" {
			p("VPTERNLOGD $0xff, %s, %s, %s", mask, mask, mask)
		} else {
			p("VPCMPEQD %s, %s, %s", mask, mask, mask)
		}
		p("VPSLLD $16, %s, %s", mask, mask)
	}
	// fma adds column vector v times x[q] to accumulator a.
	fma := func(q int, v, a string) {
		if s.reg == "Z" {
			p("VFMADD231PS.BCST %d(AX), %s, %s", 4*q, v, a)
			return
		}
		p("VBROADCASTSS %d(AX), %s", 4*q, bc)
		p("VFMADD231PS %s, %s, %s", bc, v, a)
	}
	label(name + "_block")
	p("CMPQ CX, $%d", cw)
	p("JLT %s_tail", name)
	p("MOVQ SI, R8")
	for b := range nb {
		for i := range L {
			if d.f16 {
				p("VCVTPH2PS (R8), %s", s.r(i))
			} else {
				p("VMOVUPS (R8), %s", s.r(i)) // float32 lanes or pairs of bfloat16
			}
			p("PREFETCHT1 (R8)(R9*1)")
			if b < nb-1 || i < L-1 {
				p("ADDQ DX, R8")
			}
		}
		cols, free := transpose(s)
		for q := range L {
			if d.size == 4 || d.f16 {
				fma(q, s.r(cols[q]), acc(b))
				continue
			}
			c, t := s.r(cols[q]), s.r(free)
			p("VPSLLD $16, %s, %s", c, t)
			fma(2*q, t, acc(b))
			and := "VPAND"
			if s.reg == "Z" {
				and = "VPANDD"
			}
			p("%s %s, %s, %s", and, mask, c, c)
			fma(2*q+1, c, acc(b))
		}
	}
	p("ADDQ $%d, SI", cw*d.size)
	p("ADDQ $%d, AX", 4*cw)
	p("SUBQ $%d, CX", cw)
	p("JMP %s_block", name)
	label(name + "_tail")
	p("TESTQ CX, CX")
	p("JZ %s_epilogue", name)
	for b := range nb {
		p("VMOVUPS %s, %d(SP)", acc(b), 4*L*b)
	}
	p("MOVQ SI, R8")
	p("XORQ R10, R10")
	label(name + "_row")
	p("VMOVSS (SP)(R10*4), X0")
	p("XORQ R11, R11")
	label(name + "_col")
	d.loadScalar(fmt.Sprintf("(R8)(R11*%d)", d.size), "X1")
	p("VFMADD231SS (AX)(R11*4), X1, X0")
	p("INCQ R11")
	p("CMPQ R11, CX")
	p("JLT %s_col", name)
	p("VMOVSS X0, (SP)(R10*4)")
	p("ADDQ DX, R8")
	p("INCQ R10")
	p("CMPQ R10, $%d", L*nb)
	p("JLT %s_row", name)
	for b := range nb {
		p("VMOVUPS %d(SP), %s", 4*L*b, acc(b))
	}
	label(name + "_epilogue")
	alpha, beta := s.r(0), s.r(1)
	p("VBROADCASTSS alpha+40(FP), %s", alpha)
	p("VBROADCASTSS beta+44(FP), %s", beta)
	p("MOVL beta+44(FP), R8")
	p("ANDL $0x7fffffff, R8")
	for _, b0 := range []bool{false, true} {
		if b0 {
			label(name + "_beta0")
		} else {
			p("JZ %s_beta0", name)
		}
		for b := range nb {
			p("VMULPS %s, %s, %s", alpha, acc(b), acc(b))
			if !b0 {
				p("VFMADD231PS %d(DI), %s, %s", 4*L*b, beta, acc(b))
			}
			p("VMOVUPS %s, %d(DI)", acc(b), 4*L*b)
		}
		p("VZEROUPPER")
		p("RET")
	}
}

// gemvDot: func(k int, w *T, x, y *float32, alpha, beta float32), scalar.
func gemvDot(d dtype) {
	name := "gemvDot" + d.name + "FMA"
	text(name, fmt.Sprintf("(k int, w *%s, x, y *float32, alpha, beta float32)", d.goTyp), 0, 40,
		"k+0(FP), CX", "w+8(FP), SI", "x+16(FP), AX", "y+24(FP), DI")
	p("VXORPS X0, X0, X0")
	p("XORQ R11, R11")
	label(name + "_col")
	p("CMPQ R11, CX")
	p("JGE %s_epilogue", name)
	d.loadScalar(fmt.Sprintf("(SI)(R11*%d)", d.size), "X1")
	p("VFMADD231SS (AX)(R11*4), X1, X0")
	p("INCQ R11")
	p("JMP %s_col", name)
	label(name + "_epilogue")
	p("VMULSS alpha+32(FP), X0, X0")
	p("MOVL beta+36(FP), R8")
	p("ANDL $0x7fffffff, R8")
	p("JZ %s_store", name)
	p("VMOVSS beta+36(FP), X2")
	p("VFMADD231SS (DI), X2, X0")
	label(name + "_store")
	p("VMOVSS X0, (DI)")
	p("RET")
}

// gemvScale: func(n int, t, y *float32, alpha, beta float32).
func gemvScale(s isa) {
	name := "gemvScale" + s.name
	L := s.lanes
	text(name, "(n int, t, y *float32, alpha, beta float32)", 0, 32, "n+0(FP), BX", "t+8(FP), SI", "y+16(FP), DI")
	p("VBROADCASTSS alpha+24(FP), %s", s.r(1))
	p("VBROADCASTSS beta+28(FP), %s", s.r(2))
	p("MOVQ BX, R13")
	p("ANDQ $-%d, R13", L)
	p("XORQ AX, AX")
	p("MOVL beta+28(FP), R8")
	p("ANDL $0x7fffffff, R8")
	p("JZ %s_vec0", name)
	for _, b0 := range []bool{false, true} {
		tag := ""
		if b0 {
			tag = "0"
		}
		label(name + "_vec" + tag)
		p("CMPQ AX, R13")
		p("JGE %s_tail%s", name, tag)
		p("VMULPS (SI)(AX*4), %s, %s", s.r(1), s.r(0))
		if !b0 {
			p("VFMADD231PS (DI)(AX*4), %s, %s", s.r(2), s.r(0))
		}
		p("VMOVUPS %s, (DI)(AX*4)", s.r(0))
		p("ADDQ $%d, AX", L)
		p("JMP %s_vec%s", name, tag)
		label(name + "_tail" + tag)
		p("CMPQ AX, BX")
		p("JGE %s_done", name)
		p("VMULSS (SI)(AX*4), X1, X0")
		if !b0 {
			p("VFMADD231SS (DI)(AX*4), X2, X0")
		}
		p("VMOVSS X0, (DI)(AX*4)")
		p("INCQ AX")
		p("JMP %s_tail%s", name, tag)
	}
	label(name + "_done")
	p("VZEROUPPER")
	p("RET")
}

// gemvRowsMax is the most x rows gemvTRows takes (gemvrows.go's
// gemvRowsMax): 8 accumulators beside the 17 registers of a tile.
const gemvRowsMax = 8

// gemvRowsAVX2 is the most x rows the AVX2 gemvTRows takes: 16 ymm
// registers hold a tile (9), the accumulators, the mask and a broadcast.
const gemvRowsAVX2 = 5

func log2(n int) int {
	l := 0
	for 1<<l < n {
		l++
	}
	return l
}

func genGemv() {
	isas := []isa{{"AVX512", "Z", 16}, {"AVX2", "Y", 8}}
	dtypes := []dtype{{"F32", 4, 2, "float32", false}, {"BF16", 2, 1, "uint16", false}}
	for _, s := range isas {
		for _, d := range dtypes {
			gemvN(s, d)
			gemvT(s, d, 1)
			gemvT(s, d, 2)
		}
		gemvScale(s)
	}
	for _, d := range dtypes {
		for nx := 2; nx <= gemvRowsMax; nx++ {
			gemvTRows(isas[0], d, nx)
		}
		for nx := 2; nx <= gemvRowsAVX2; nx++ {
			gemvTRows(isas[1], d, nx)
		}
	}
	for _, d := range dtypes {
		gemvDot(d)
	}
}

// genGemvF16 writes SgemvF16's kernels: gemvN, gemvT x1 and x2 and gemvDot
// over f16 weights, AVX-512 only (f16gemv_amd64.s).
func genGemvF16() {
	s, d := isa{"AVX512", "Z", 16}, dtype{"F16", 2, 1, "uint16", true}
	gemvN(s, d)
	gemvT(s, d, 1)
	gemvT(s, d, 2)
	gemvDot(d)
}

// xAddr is the address of x row r (r < 8) at byte offset off of the
// current columns: AX is row 0, BX the bytes from one row to the next, R10
// three times that, R11 five times, R12 seven times.
func xAddr(r, off int) string {
	switch r {
	case 0:
		return fmt.Sprintf("%d(AX)", off)
	case 1, 2, 4:
		return fmt.Sprintf("%d(AX)(BX*%d)", off, r)
	case 3:
		return fmt.Sprintf("%d(AX)(R10*1)", off)
	case 5:
		return fmt.Sprintf("%d(AX)(R11*1)", off)
	case 6:
		return fmt.Sprintf("%d(AX)(R10*2)", off)
	default:
		return fmt.Sprintf("%d(AX)(R12*1)", off)
	}
}

// gemvTRows: func(k int, w *T, ldw int, x *float32, ldx int, y *float32,
// ldy int, alpha, beta float32): gemvT over one block of L
// rows of W for nx rows of x (and of y) at once. Each tile of W is loaded
// and transposed once and multiplied against every x row; accumulator
// L+1+r is x row r's, and its lanes' sums are exactly gemvT's for that
// x row alone (the same fused multiply-adds in the same order, the same
// scalar tail and epilogue), so SgemvRows gives Sgemv's bits row by row.
func gemvTRows(s isa, d dtype, nx int) {
	name := fmt.Sprintf("gemvTRows%s%sx%d", d.name, s.name, nx)
	L := s.lanes
	cw := L * 4 / d.size
	acc := func(r int) string { return s.r(L + 1 + r) }
	mask, bc := s.r(L+1+nx), s.r(L+2+nx) // AVX2 broadcasts x through bc
	text(name, fmt.Sprintf("(k int, w *%s, ldw int, x *float32, ldx int, y *float32, ldy int, alpha, beta float32)", d.goTyp), 4*L*nx, 64,
		"k+0(FP), CX", "w+8(FP), SI", "ldw+16(FP), DX", "x+24(FP), AX", "ldx+32(FP), BX", "y+40(FP), DI")
	p("SHLQ $%d, DX", d.shift)
	p("MOVQ DX, R9")
	p("SHLQ $%d, R9", log2(L)) // the next block of rows, same columns
	p("SHLQ $2, BX")
	p("LEAQ (BX)(BX*2), R10")
	p("LEAQ (BX)(BX*4), R11")
	p("LEAQ (R10)(BX*4), R12")
	zero, and := "VXORPS", "VPAND"
	if s.reg == "Z" {
		zero, and = "VPXORD", "VPANDD"
	}
	for r := range nx {
		p("%s %s, %s, %s", zero, acc(r), acc(r), acc(r))
	}
	if d.size == 2 {
		if s.reg == "Z" {
			p("VPTERNLOGD $0xff, %s, %s, %s", mask, mask, mask)
		} else {
			p("VPCMPEQD %s, %s, %s", mask, mask, mask)
		}
		p("VPSLLD $16, %s, %s", mask, mask)
	}
	fma := func(q int, v string) {
		for r := range nx {
			if s.reg == "Z" {
				p("VFMADD231PS.BCST %s, %s, %s", xAddr(r, 4*q), v, acc(r))
				continue
			}
			p("VBROADCASTSS %s, %s", xAddr(r, 4*q), bc)
			p("VFMADD231PS %s, %s, %s", bc, v, acc(r))
		}
	}
	label(name + "_block")
	p("CMPQ CX, $%d", cw)
	p("JLT %s_tail", name)
	p("MOVQ SI, R8")
	for i := range L {
		p("VMOVUPS (R8), %s", s.r(i))
		p("PREFETCHT1 (R8)(R9*1)")
		if i < L-1 {
			p("ADDQ DX, R8")
		}
	}
	cols, free := transpose(s)
	for q := range L {
		if d.size == 4 {
			fma(q, s.r(cols[q]))
			continue
		}
		c, t := s.r(cols[q]), s.r(free)
		p("VPSLLD $16, %s, %s", c, t)
		fma(2*q, t)
		p("%s %s, %s, %s", and, mask, c, c)
		fma(2*q+1, c)
	}
	p("ADDQ $%d, SI", cw*d.size)
	p("ADDQ $%d, AX", 4*cw)
	p("SUBQ $%d, CX", cw)
	p("JMP %s_block", name)
	label(name + "_tail")
	p("TESTQ CX, CX")
	p("JZ %s_epilogue", name)
	for r := range nx {
		p("VMOVUPS %s, %d(SP)", acc(r), 4*L*r)
	}
	// Row counter R9, column counter DI (y is loaded again after); the x
	// rows go last first, since a bfloat16 load clobbers R12.
	for r := nx - 1; r >= 0; r-- {
		tag := fmt.Sprint(r)
		p("LEAQ %s, R13", xAddr(r, 0)) // x row r's tail
		p("MOVQ SI, R8")
		p("XORQ R9, R9")
		label(name + "_row" + tag)
		p("VMOVSS %d(SP)(R9*4), X0", 4*L*r)
		p("XORQ DI, DI")
		label(name + "_col" + tag)
		d.loadScalar(fmt.Sprintf("(R8)(DI*%d)", d.size), "X1")
		p("VFMADD231SS (R13)(DI*4), X1, X0")
		p("INCQ DI")
		p("CMPQ DI, CX")
		p("JLT %s_col%s", name, tag)
		p("VMOVSS X0, %d(SP)(R9*4)", 4*L*r)
		p("ADDQ DX, R8")
		p("INCQ R9")
		p("CMPQ R9, $%d", L)
		p("JLT %s_row%s", name, tag)
	}
	p("MOVQ y+40(FP), DI")
	for r := range nx {
		p("VMOVUPS %d(SP), %s", 4*L*r, acc(r))
	}
	label(name + "_epilogue")
	alpha, beta := s.r(0), s.r(1)
	p("MOVQ ldy+48(FP), BX")
	p("SHLQ $2, BX")
	p("VBROADCASTSS alpha+56(FP), %s", alpha)
	p("VBROADCASTSS beta+60(FP), %s", beta)
	p("MOVL beta+60(FP), R8")
	p("ANDL $0x7fffffff, R8")
	for _, b0 := range []bool{false, true} {
		if b0 {
			label(name + "_beta0")
		} else {
			p("JZ %s_beta0", name)
		}
		p("MOVQ DI, R8")
		for r := range nx {
			p("VMULPS %s, %s, %s", alpha, acc(r), acc(r))
			if !b0 {
				p("VFMADD231PS (R8), %s, %s", beta, acc(r))
			}
			p("VMOVUPS %s, (R8)", acc(r))
			if r < nx-1 {
				p("ADDQ BX, R8")
			}
		}
		p("VZEROUPPER")
		p("RET")
	}
}
