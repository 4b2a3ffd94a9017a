//go:build ignore

// gen_amd64 writes kernels_amd64.s, the AVX-512 VNNI and AVX2 kernels of the
// quantized products:
//
//	go run gen_amd64.go
//
// Each kernel computes eight rows of W against a tile of sixteen rows of
// x, one row of x per lane, over nb blocks:
//
//	func name(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)
//
// x is the tile's quants plus 128 (unsigned), four values of each of the
// 16 rows in turn: byte 64·(k/4) + 4·lane + k%4 is value k of that lane;
// xd [nb][16] the rows' block scales; xb [in/32][16][2] (K types) each
// lane's sums of 16 quants, two groups of 16 per lane. w is the first of
// eight rows of W unpacked (wpack in kernels_amd64.go), rs bytes apart,
// each nb records of bs signed quants followed by that block's d
// (float32) and −128·Σ w (int32), or (K types) d, dmin (float32),
// −128·Σ_g sc_g·Σ w (int32), 4 bytes unused, the 16 groups' integer
// scales (int32) and mins (int16 pairs). out [8][16] receives the
// sums.
//
// Per lane and block, VPDPBUSD adds Σ (x+128)·w over each group of
// values, four bytes of a row of W broadcast to every lane; the group
// scale multiplies (VPMULLD), the −128·Σ sc·w term removes the 128s, so
// the block's integer is exactly the generic path's. It is scaled and
// summed in float32 as the generic path does (VMULPS, VCVTDQ2PS, VADDPS,
// VSUBPS; no fused multiply-add), so every lane gives the generic path's
// bits.
package main

import (
	"bytes"
	"fmt"
	"os"
)

var out bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&out, "\t"+format+"\n", args...) }

// row is the address of byte disp of row r's current block: rows 0–2 from
// AX, 3–5 from BX, 6–7 from R8, with R9 = rs as index.
func row(r, disp int) string {
	base := []string{"AX", "BX", "R8"}[r/3]
	switch r % 3 {
	case 0:
		return fmt.Sprintf("%d(%s)", disp, base)
	case 1:
		return fmt.Sprintf("%d(%s)(R9*1)", disp, base)
	}
	return fmt.Sprintf("%d(%s)(R9*2)", disp, base)
}

const rows = 8

func z(i int) string { return fmt.Sprintf("Z%d", i) }

// kernel writes one kernel: bs values per block, scale groups of g values
// (g == bs: no group scales), with mins or not.
func kernel(name string, bs, g int, mins bool) {
	meta, corr := 8, bs+4 // d, −128·Σw
	if bs == 256 {
		meta, corr = 112, bs+8 // d, dmin, −128·Σ sc·w, scales, mins
	}
	rec := bs + meta
	fmt.Fprintf(&out, "\n// func %s(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)\n", name)
	fmt.Fprintf(&out, "// %d values a block, groups of %d, mins %v; records of %d bytes.\n", bs, g, mins, rec)
	fmt.Fprintf(&out, "TEXT ·%s(SB), NOSPLIT, $0-56\n", name)
	p("MOVQ nb+0(FP), CX")
	p("MOVQ x+8(FP), SI")
	p("MOVQ xd+16(FP), DX")
	p("MOVQ xb+24(FP), R11")
	p("MOVQ w+32(FP), AX")
	p("MOVQ rs+40(FP), R9")
	p("MOVQ out+48(FP), DI")
	p("LEAQ (AX)(R9*2), BX")
	p("ADDQ R9, BX")
	p("LEAQ (BX)(R9*2), R8")
	p("ADDQ R9, R8")
	for r := range rows {
		p("VPXORD %s, %s, %s", z(r), z(r), z(r))
	}
	acc := func(r int) string { return z(8 + r) }  // the block's integer
	grp := func(r int) string { return z(16 + r) } // a group's integer
	fmt.Fprintf(&out, "%s_block:\n", name)
	p("VMOVUPS (DX), Z25")
	for r := range rows {
		p("VPBROADCASTD %s, %s", row(r, corr), acc(r))
	}
	for gi := 0; gi < bs/g; gi++ {
		dst := acc
		if g < bs {
			dst = grp
			for r := range rows {
				p("VPXORD %s, %s, %s", grp(r), grp(r), grp(r))
			}
		}
		for u := 0; u < g/4; u++ {
			k := gi*g + 4*u
			p("VMOVDQU32 %d(SI), Z24", 16*k)
			for r := range rows {
				p("VPDPBUSD.BCST %s, Z24, %s", row(r, k), dst(r))
			}
		}
		if g < bs {
			for r := range rows {
				p("VPMULLD.BCST %s, %s, %s", row(r, bs+16+4*gi), grp(r), grp(r))
				p("VPADDD %s, %s, %s", grp(r), acc(r), acc(r))
			}
		}
	}
	for r := range rows {
		p("VMULPS.BCST %s, Z25, Z26", row(r, bs))
		p("VCVTDQ2PS %s, Z27", acc(r))
		p("VMULPS Z27, Z26, Z27")
		p("VADDPS Z27, %s, %s", z(r), z(r))
	}
	if mins {
		for r := range rows {
			p("VPXORD %s, %s, %s", grp(r), grp(r), grp(r))
		}
		for q := range 8 {
			p("VMOVDQU32 %d(R11), Z24", 64*q)
			for r := range rows {
				p("VPDPWSSD.BCST %s, Z24, %s", row(r, bs+80+4*q), grp(r))
			}
		}
		for r := range rows {
			p("VMULPS.BCST %s, Z25, Z26", row(r, bs+4))
			p("VCVTDQ2PS %s, Z27", grp(r))
			p("VMULPS Z27, Z26, Z27")
			p("VSUBPS Z27, %s, %s", z(r), z(r))
		}
		p("ADDQ $512, R11")
	}
	p("ADDQ $%d, AX", rec)
	p("ADDQ $%d, BX", rec)
	p("ADDQ $%d, R8", rec)
	p("ADDQ $%d, SI", 16*bs)
	p("ADDQ $64, DX")
	p("DECQ CX")
	p("JNZ %s_block", name)
	for r := range rows {
		p("VMOVUPS %s, %d(DI)", z(r), 64*r)
	}
	p("VZEROUPPER")
	p("RET")
}

// raw writes the q8_0 kernel that reads W's blocks as the file holds
// them (f16 d, then 32 quants) rather than unpacked records:
//
//	func qdot8RawVNNI(nb int, x *byte, xd *float32, w *byte, rs int, corr *int32, cs int, out *float32)
//
// corr holds −128·Σw of block b of rows 0…7 at corr[b·cs/4 + r].
func raw(name string) {
	fmt.Fprintf(&out, "\n// func %s(nb int, x *byte, xd *float32, w *byte, rs int, corr *int32, cs int, out *float32)\n", name)
	fmt.Fprintf(&out, "// q8_0 blocks read in place; the block's d widened from f16 (VCVTPH2PS).\n")
	fmt.Fprintf(&out, "TEXT ·%s(SB), NOSPLIT, $0-64\n", name)
	p("MOVQ nb+0(FP), CX")
	p("MOVQ x+8(FP), SI")
	p("MOVQ xd+16(FP), DX")
	p("MOVQ w+24(FP), AX")
	p("MOVQ rs+32(FP), R9")
	p("MOVQ corr+40(FP), R10")
	p("MOVQ cs+48(FP), R11")
	p("MOVQ out+56(FP), DI")
	p("LEAQ (AX)(R9*2), BX")
	p("ADDQ R9, BX")
	p("LEAQ (BX)(R9*2), R8")
	p("ADDQ R9, R8")
	for r := range rows {
		p("VPXORD %s, %s, %s", z(r), z(r), z(r))
	}
	acc := func(r int) string { return z(8 + r) }
	fmt.Fprintf(&out, "%s_block:\n", name)
	p("VMOVUPS (DX), Z25")
	for r := range rows {
		p("VPBROADCASTD %d(R10), %s", 4*r, acc(r))
	}
	for u := range 8 {
		p("VMOVDQU32 %d(SI), Z24", 64*u)
		for r := range rows {
			p("VPDPBUSD.BCST %s, Z24, %s", row(r, 2+4*u), acc(r))
		}
	}
	for r := range rows {
		p("VPBROADCASTW %s, Y26", row(r, 0))
		p("VCVTPH2PS Y26, Z26")
		p("VMULPS Z26, Z25, Z26")
		p("VCVTDQ2PS %s, Z27", acc(r))
		p("VMULPS Z27, Z26, Z27")
		p("VADDPS Z27, %s, %s", z(r), z(r))
	}
	p("ADDQ $34, AX")
	p("ADDQ $34, BX")
	p("ADDQ $34, R8")
	p("ADDQ $512, SI")
	p("ADDQ $64, DX")
	p("ADDQ R11, R10")
	p("DECQ CX")
	p("JNZ %s_block", name)
	for r := range rows {
		p("VMOVUPS %s, %d(DI)", z(r), 64*r)
	}
	p("VZEROUPPER")
	p("RET")
}

// y is AVX2 register i.
func y(i int) string { return fmt.Sprintf("Y%d", i) }

// avx2Rows are the rows of W each pass of an AVX2 kernel holds in registers.
const avx2Rows = 4

// kernelAVX2 writes one AVX2 kernel with the contract of kernel (eight
// rows of W against a tile of sixteen rows of x), for a CPU without
// VPDPBUSD. Sixteen ymm registers hold four rows of W against eight lanes,
// so the kernel makes four passes (lanes 0–7 and 8–15 of rows 0–3, then of
// rows 4–7) over the nb blocks.
//
// Per group of four values VPMADDUBSW multiplies x+128 (unsigned) by w
// (signed) and adds pairs into int16s, with saturation: that is exact
// because |w| ≤ 32 for every type but q8_0 (q4_0 −8…7, q5_0 −16…15, q2_K
// 0…3, q3_K −4…3, q4_K 0…15, q5_K 0…31, q6_K −32…31), so a pair is at most
// 2·255·32 = 16320 in magnitude. chunk groups are summed in int16 (VPADDW)
// while chunk·2·255·max|w| ≤ 32767, then widened by VPMADDWD, against ones
// or the group's integer scale (every scale fits in an int16), into the
// block's int32; the −128·Σ sc·w term removes the 128s as in the VNNI
// kernels.
//
// q8_0 (signed: w is −128…127) takes ggml's route instead (arch/x86/
// quants.c, mul_sum_i8_pairs_float): x back to signed (XOR 0x80), VPSIGNB
// moves w's sign onto x, VPMADDUBSW multiplies |w| (128 for −128, as an
// unsigned byte) by x·sign(w), pairs of at most 2·128·127 = 32512: no
// saturation, and x·sign(w) does not wrap, since |x| ≤ 127. (The q8_0
// rounding of x gives −128 only where 127/amax overflows; then the
// block's d is 0, f16 of amax/127 < 3·10⁻³⁹, and the block adds ±0 to a
// chain that is never −0, whatever its integer.) Each group is widened
// by VPMADDWD with ones.
//
// The float part is the VNNI kernels' (and the generic path's) chain,
// operand for operand.
func kernelAVX2(name string, bs, g, chunk int, mins, signed bool) {
	meta, corr := 8, bs+4
	if bs == 256 {
		meta, corr = 112, bs+8
	}
	rec := bs + meta
	steps := g / 4 // groups of four values per scale group
	if chunk > steps {
		chunk = steps
	}
	fmt.Fprintf(&out, "\n// func %s(nb int, x *byte, xd *float32, xb *int16, w *byte, rs int, out *float32)\n", name)
	fmt.Fprintf(&out, "// AVX2: %d values a block, groups of %d, int16 sums of %d groups of four, mins %v, signed %v; records of %d bytes.\n", bs, g, chunk, mins, signed, rec)
	fmt.Fprintf(&out, "TEXT ·%s(SB), NOSPLIT, $0-56\n", name)
	p("VPCMPEQW Y15, Y15, Y15")
	p("VPSRLW $15, Y15, Y15") // int16 ones
	if signed {
		p("MOVL $0x80808080, R13")
		p("MOVD R13, X10")
		p("VPBROADCASTD X10, Y10")
	}
	p("XORQ R12, R12")
	fmt.Fprintf(&out, "%s_pass:\n", name)
	p("MOVQ nb+0(FP), CX")
	p("MOVQ x+8(FP), SI")
	p("MOVQ xd+16(FP), DX")
	p("MOVQ xb+24(FP), R11")
	p("MOVQ w+32(FP), AX")
	p("MOVQ rs+40(FP), R9")
	p("MOVQ out+48(FP), DI")
	p("MOVQ R12, R13") // lanes 8–15 on odd passes: 32 bytes on
	p("ANDQ $1, R13")
	p("SHLQ $5, R13")
	p("ADDQ R13, SI")
	p("ADDQ R13, DX")
	p("ADDQ R13, R11")
	p("ADDQ R13, DI")
	p("MOVQ R12, R13") // rows 4–7 on passes 2 and 3
	p("SHRQ $1, R13")
	p("MOVQ R13, R10")
	p("SHLQ $8, R10")
	p("ADDQ R10, DI")
	p("IMULQ R9, R13")
	p("LEAQ (AX)(R13*4), AX")
	p("LEAQ (AX)(R9*2), BX")
	p("ADDQ R9, BX")
	// rows 0–2 at AX, AX+rs, AX+2rs; row 3 at BX.
	wr := func(r, disp int) string {
		switch r {
		case 0:
			return fmt.Sprintf("%d(AX)", disp)
		case 1:
			return fmt.Sprintf("%d(AX)(R9*1)", disp)
		case 2:
			return fmt.Sprintf("%d(AX)(R9*2)", disp)
		}
		return fmt.Sprintf("%d(BX)", disp)
	}
	for r := range avx2Rows {
		p("VPXOR %s, %s, %s", y(r), y(r), y(r))
	}
	acc := func(r int) string { return y(4 + r) } // the block's integer
	s16 := func(r int) string { return y(8 + r) } // int16 sums of a chunk
	fmt.Fprintf(&out, "%s_block:\n", name)
	for r := range avx2Rows {
		if signed {
			p("VPXOR %s, %s, %s", acc(r), acc(r), acc(r))
		} else {
			p("VPBROADCASTD %s, %s", wr(r, corr), acc(r))
		}
	}
	for gi := 0; gi < bs/g; gi++ {
		for c0 := 0; c0 < steps; c0 += chunk {
			for u := c0; u < c0+chunk; u++ {
				k := gi*g + 4*u
				p("VMOVDQU %d(SI), Y12", 16*k)
				if signed {
					p("VPXOR Y10, Y12, Y9") // x
					for r := range avx2Rows {
						p("VPBROADCASTD %s, Y13", wr(r, k))
						p("VPSIGNB Y13, Y9, Y14")  // x·sign(w)
						p("VPSIGNB Y13, Y13, Y13") // |w|
						p("VPMADDUBSW Y14, Y13, Y14")
						p("VPMADDWD Y15, Y14, Y14")
						p("VPADDD Y14, %s, %s", acc(r), acc(r))
					}
					continue
				}
				for r := range avx2Rows {
					p("VPBROADCASTD %s, Y13", wr(r, k))
					if u == c0 {
						p("VPMADDUBSW Y13, Y12, %s", s16(r))
					} else {
						p("VPMADDUBSW Y13, Y12, Y14")
						p("VPADDW Y14, %s, %s", s16(r), s16(r))
					}
				}
			}
			if signed {
				continue
			}
			for r := range avx2Rows {
				if g < bs {
					p("VPBROADCASTW %s, Y13", wr(r, bs+16+4*gi))
					p("VPMADDWD Y13, %s, %s", s16(r), s16(r))
				} else {
					p("VPMADDWD Y15, %s, %s", s16(r), s16(r))
				}
				p("VPADDD %s, %s, %s", s16(r), acc(r), acc(r))
			}
		}
	}
	p("VMOVDQU (DX), Y12")
	for r := range avx2Rows {
		p("VBROADCASTSS %s, Y13", wr(r, bs))
		p("VMULPS Y13, Y12, Y13")
		p("VCVTDQ2PS %s, Y14", acc(r))
		p("VMULPS Y14, Y13, Y14")
		p("VADDPS Y14, %s, %s", y(r), y(r))
	}
	if mins {
		for q := range 8 {
			p("VMOVDQU %d(R11), Y12", 64*q)
			for r := range avx2Rows {
				p("VPBROADCASTD %s, Y13", wr(r, bs+80+4*q))
				if q == 0 {
					p("VPMADDWD Y13, Y12, %s", s16(r))
				} else {
					p("VPMADDWD Y13, Y12, Y14")
					p("VPADDD Y14, %s, %s", s16(r), s16(r))
				}
			}
		}
		p("VMOVDQU (DX), Y12")
		for r := range avx2Rows {
			p("VBROADCASTSS %s, Y13", wr(r, bs+4))
			p("VMULPS Y13, Y12, Y13")
			p("VCVTDQ2PS %s, Y14", s16(r))
			p("VMULPS Y14, Y13, Y14")
			p("VSUBPS Y14, %s, %s", y(r), y(r))
		}
		p("ADDQ $512, R11")
	}
	p("ADDQ $%d, AX", rec)
	p("ADDQ $%d, BX", rec)
	p("ADDQ $%d, SI", 16*bs)
	p("ADDQ $64, DX")
	p("DECQ CX")
	p("JNZ %s_block", name)
	for r := range avx2Rows {
		p("VMOVUPS %s, %d(DI)", y(r), 64*r)
	}
	p("INCQ R12")
	p("CMPQ R12, $4")
	p("JLT %s_pass", name)
	p("VZEROUPPER")
	p("RET")
}

func main() {
	out.WriteString("// Code generated by gen_amd64.go; DO NOT EDIT.\n\n//go:build !purego\n\n#include \"textflag.h\"\n")
	kernel("qdot32VNNI", 32, 32, false)
	kernel("qdotK16VNNI", 256, 16, false)
	kernel("qdotK16MinVNNI", 256, 16, true)
	kernel("qdotK32MinVNNI", 256, 32, true)
	raw("qdot8RawVNNI")
	// AVX2: chunk is the most groups of four whose int16 sum cannot
	// overflow, 32767 / (2·255·max|w|).
	kernelAVX2("qdotQ4_0AVX2", 32, 32, 8, false, false)
	kernelAVX2("qdotQ5_0AVX2", 32, 32, 4, false, false)
	kernelAVX2("qdotQ8_0AVX2", 32, 32, 1, false, true)
	kernelAVX2("qdotQ2_KAVX2", 256, 16, 4, true, false)
	kernelAVX2("qdotQ3_KAVX2", 256, 16, 4, false, false)
	kernelAVX2("qdotQ4_KAVX2", 256, 32, 4, true, false)
	kernelAVX2("qdotQ5_KAVX2", 256, 32, 2, true, false)
	kernelAVX2("qdotQ6_KAVX2", 256, 16, 2, false, false)
	if err := os.WriteFile("kernels_amd64.s", out.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
