//go:build ignore

// gen_amd64 writes kernels_amd64.s, the AVX-512 VNNI kernels of the
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

func main() {
	out.WriteString("// Code generated by gen_amd64.go; DO NOT EDIT.\n\n//go:build !purego\n\n#include \"textflag.h\"\n")
	kernel("qdot32VNNI", 32, 32, false)
	kernel("qdotK16VNNI", 256, 16, false)
	kernel("qdotK16MinVNNI", 256, 16, true)
	kernel("qdotK32MinVNNI", 256, 32, true)
	raw("qdot8RawVNNI")
	if err := os.WriteFile("kernels_amd64.s", out.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
