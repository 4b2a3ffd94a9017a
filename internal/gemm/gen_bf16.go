//go:build ignore

package main

import (
	"fmt"
	"strings"
)

// Go's assembler does not know the AVX512_BF16 instructions, so the
// generator encodes VDPBF16PS itself and emits its bytes, with the
// instruction in a comment. bf16_test.go executes every form emitted here
// on known inputs, and the kernels' tests compare each accumulator's result
// with the Go emulation, so a wrong bit in an encoding fails a test.

// General-purpose register numbers in the ModRM/EVEX encoding.
const (
	regAX = 0
	regCX = 1
	regDX = 2
	regBX = 3
	regSI = 6
	regDI = 7
)

var gprName = map[int]string{regAX: "AX", regCX: "CX", regDX: "DX", regBX: "BX", regSI: "SI", regDI: "DI"}

// evex is the 4-byte EVEX prefix of a 512-bit instruction in map 0F38 with
// prefix F3 and W0 (VDPBF16PS), for destination register reg (ModRM.reg),
// first source vvvv and, in rmHi, bit 4 of a register ModRM.rm (the EVEX.X
// bit); base is ModRM.rm's bit 3 (EVEX.B); bcast sets EVEX.b.
func evex(reg, vvvv, rmBit3, rmBit4 int, bcast bool) []byte {
	inv := func(bit int) byte { return byte(1 - bit) }
	p0 := inv(reg>>3&1)<<7 | inv(rmBit4)<<6 | inv(rmBit3)<<5 | inv(reg>>4&1)<<4 | 0b10 // mm = 0F38
	p1 := byte(0)<<7 | byte(^vvvv&15)<<3 | 1<<2 | 0b10                                 // W0, pp = F3
	p2 := byte(0b10) << 5                                                              // L'L = 512 bits
	if bcast {
		p2 |= 1 << 4
	}
	p2 |= inv(vvvv>>4&1) << 3
	return []byte{0x62, p0, p1, p2}
}

// vdpbf16ps encodes VDPBF16PS disp(base){1to16}, Z(src), Z(dst): for each
// lane j, dst[j] += src.bf16[2j+1]·m.bf16[1] + src.bf16[2j]·m.bf16[0],
// with m the 32-bit word at disp(base) broadcast.
func vdpbf16ps(dst, src, base, disp int) string {
	if base&7 == 4 || base > 7 {
		panic("vdpbf16ps: base register needs a SIB byte or EVEX.B")
	}
	b := evex(dst, src, 0, 0, true)
	b = append(b, 0x52)
	switch {
	case disp == 0 && base != 5:
		b = append(b, byte(dst&7)<<3|byte(base))
	case disp%4 == 0 && disp/4 >= -128 && disp/4 <= 127: // disp8·N, N = 4 for a broadcast dword
		b = append(b, 0b01<<6|byte(dst&7)<<3|byte(base), byte(int8(disp/4)))
	default:
		b = append(b, 0b10<<6|byte(dst&7)<<3|byte(base))
		b = append(b, byte(disp), byte(disp>>8), byte(disp>>16), byte(disp>>24))
	}
	return bytesLine(b, fmt.Sprintf("VDPBF16PS %d(%s){1to16}, Z%d, Z%d", disp, gprName[base], src, dst))
}

// vdpbf16psReg encodes VDPBF16PS Z(src2), Z(src1), Z(dst).
func vdpbf16psReg(dst, src1, src2 int) string {
	b := evex(dst, src1, src2>>3&1, src2>>4&1, false)
	b = append(b, 0x52, 0b11<<6|byte(dst&7)<<3|byte(src2&7))
	return bytesLine(b, fmt.Sprintf("VDPBF16PS Z%d, Z%d, Z%d", src2, src1, dst))
}

func bytesLine(b []byte, comment string) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("BYTE $0x%02x", x)
	}
	return strings.Join(parts, "; ") + " // " + comment
}

// genBF16 writes the test helpers of bf16_amd64.s: one VDPBF16PS of each
// form the kernels use, on 16-lane vectors in memory, with registers that
// set every extension bit (EVEX.R, R', X, B, V').
func genBF16() {
	fmt.Fprintf(&out, "\n// func dpbf16psReg(acc *[16]float32, x, y *[16]uint32)\n")
	fmt.Fprintf(&out, "// acc += VDPBF16PS(x, y), register form: Z17 += Z30·Z9, then Z3 += Z12·Z25.\n")
	fmt.Fprintf(&out, "TEXT ·dpbf16psReg(SB), NOSPLIT, $0-24\n")
	p("MOVQ acc+0(FP), DI")
	p("MOVQ x+8(FP), SI")
	p("MOVQ y+16(FP), DX")
	p("VMOVUPS (DI), Z17")
	p("VMOVUPS (SI), Z30")
	p("VMOVUPS (DX), Z9")
	p("%s", vdpbf16psReg(17, 30, 9))
	p("VMOVUPS Z17, Z3")
	p("VMOVUPS Z30, Z12")
	p("VMOVUPS Z9, Z25")
	p("VPXORD Z17, Z17, Z17")
	p("%s", vdpbf16psReg(3, 12, 25))
	p("VMOVUPS Z3, (DI)")
	p("VZEROUPPER")
	p("RET")
	fmt.Fprintf(&out, "\n// func dpbf16psBcast(acc *[16]float32, x *[16]uint32, y *uint32, disp int)\n")
	fmt.Fprintf(&out, "// acc += VDPBF16PS(x, y broadcast) with the memory operand at (AX)\n")
	fmt.Fprintf(&out, "// (disp 0), 4(AX) (disp8) or 1024(AX) (disp32): y is read at y+disp.\n")
	fmt.Fprintf(&out, "TEXT ·dpbf16psBcast(SB), NOSPLIT, $0-32\n")
	p("MOVQ acc+0(FP), DI")
	p("MOVQ x+8(FP), SI")
	p("MOVQ y+16(FP), AX")
	p("MOVQ disp+24(FP), CX")
	p("VMOVUPS (DI), Z20")
	p("VMOVUPS (SI), Z29")
	for _, d := range []int{0, 4, 1024} {
		p("CMPQ CX, $%d", d)
		p("JNE bcast_not%d", d)
		p("SUBQ $%d, AX", d)
		p("%s", vdpbf16ps(20, 29, regAX, d))
		p("JMP bcast_done")
		label(fmt.Sprintf("bcast_not%d", d))
	}
	label("bcast_done")
	p("VMOVUPS Z20, (DI)")
	p("VZEROUPPER")
	p("RET")
	genAMX()
}

// AMX (Advanced Matrix Extensions) instructions are VEX-encoded; these
// take the legacy registers only (AX–DI), so VEX.R, X and B stay clear.

// vex3 is the 3-byte VEX prefix for map 0F38, W0, 128 bits, with vvvv and
// the prefix pp (0 none, 1 66, 2 F3, 3 F2).
func vex3(vvvv, pp int) []byte {
	return []byte{0xc4, 0xe2, byte(^vvvv&15)<<3 | byte(pp)}
}

// sibDisp is ModRM (reg, memory) + SIB (base + index·1) + displacement.
func sibDisp(reg, base, index, disp int) []byte {
	if base == 5 || index == 4 {
		panic("sibDisp: BP base or SP index")
	}
	sib := byte(index)<<3 | byte(base)
	switch {
	case disp == 0:
		return []byte{byte(reg)<<3 | 4, sib}
	case disp >= -128 && disp <= 127:
		return []byte{0b01<<6 | byte(reg)<<3 | 4, sib, byte(int8(disp))}
	}
	return []byte{0b10<<6 | byte(reg)<<3 | 4, sib, byte(disp), byte(disp >> 8), byte(disp >> 16), byte(disp >> 24)}
}

// ldtilecfg encodes LDTILECFG (base).
func ldtilecfg(base int) string {
	return bytesLine(append(vex3(0, 0), 0x49, byte(base)), fmt.Sprintf("LDTILECFG (%s)", gprName[base]))
}

func tilerelease() string { return bytesLine(append(vex3(0, 0), 0x49, 0xc0), "TILERELEASE") }

// tilezero encodes TILEZERO TMMt.
func tilezero(t int) string {
	return bytesLine(append(vex3(0, 3), 0x49, 0xc0|byte(t)<<3), fmt.Sprintf("TILEZERO TMM%d", t))
}

// tileloadd encodes TILELOADD disp(base)(index·1), TMMt: row r of the
// tile from base+disp+r·index.
func tileloadd(t, base, index, disp int) string {
	return bytesLine(append(append(vex3(0, 3), 0x4b), sibDisp(t, base, index, disp)...),
		fmt.Sprintf("TILELOADD %d(%s)(%s*1), TMM%d", disp, gprName[base], gprName[index], t))
}

// tilestored encodes TILESTORED TMMt, disp(base)(index·1).
func tilestored(t, base, index, disp int) string {
	return bytesLine(append(append(vex3(0, 2), 0x4b), sibDisp(t, base, index, disp)...),
		fmt.Sprintf("TILESTORED TMM%d, %d(%s)(%s*1)", t, disp, gprName[base], gprName[index]))
}

// tdpbf16ps encodes TDPBF16PS TMMb, TMMa, TMMc: C += A·B, A's rows
// pairs of bfloat16 along k, B's rows the pairs of k of 16 columns.
func tdpbf16ps(c, a, b int) string {
	return bytesLine(append(vex3(b, 2), 0x5c, 0xc0|byte(c)<<3|byte(a)), fmt.Sprintf("TDPBF16PS TMM%d, TMM%d, TMM%d", b, a, c))
}

// genAMX writes kernel32x32AMX, the 32×32 tile on AMX: C in TMM0–TMM3
// (16×16 float32 each), A's two 16-row halves in TMM4–5, B's two 16-column
// halves in TMM6–7. It runs whole: LDTILECFG to TILERELEASE in one
// assembly function, which the Go scheduler never preempts midway.
//
// A is a sliver of 32 rows of k pairs, row-major (row i's pairs at
// a[i·k:]), B a sliver of k pairs by 32 columns ([k][32] words); k is a
// multiple of 16. The sums go through the frame (4 KiB) to the same
// epilogue as the other kernels: C = alpha·acc + beta·C.
func genAMX() {
	const name = "kernel32x32AMX"
	fmt.Fprintf(&out, "\n// amxConfig<> is the tile configuration: palette 1, TMM0–TMM7 16 rows of 64 bytes.\n")
	fmt.Fprintf(&out, "DATA amxConfig<>+0(SB)/8, $1\n")
	for off := 8; off < 16; off += 8 {
		fmt.Fprintf(&out, "DATA amxConfig<>+%d(SB)/8, $0\n", off)
	}
	for t := 0; t < 16; t++ {
		colsb := 0
		if t < 8 {
			colsb = 64
		}
		fmt.Fprintf(&out, "DATA amxConfig<>+%d(SB)/2, $%d\n", 16+2*t, colsb)
	}
	for t := 0; t < 16; t++ {
		rows := 0
		if t < 8 {
			rows = 16
		}
		fmt.Fprintf(&out, "DATA amxConfig<>+%d(SB)/1, $%d\n", 48+t, rows)
	}
	fmt.Fprintf(&out, "GLOBL amxConfig<>(SB), RODATA|NOPTR, $64\n")
	fmt.Fprintf(&out, "\n// func %s(k int, a, b, c *float32, ldc int, alpha, beta float32)\n", name)
	fmt.Fprintf(&out, "// k counts pairs of k, a multiple of 16; the frame holds the 32×32 sums.\n")
	fmt.Fprintf(&out, "TEXT ·%s(SB), $4096-48\n", name)
	p("LEAQ amxConfig<>(SB), AX")
	p("%s", ldtilecfg(regAX))
	for t := 0; t < 4; t++ {
		p("%s", tilezero(t))
	}
	p("MOVQ k+0(FP), R8")
	p("MOVQ a+8(FP), SI")
	p("MOVQ b+16(FP), BX")
	p("MOVQ R8, DX")
	p("SHLQ $2, DX") // A's row stride in bytes
	p("MOVQ DX, DI")
	p("SHLQ $4, DI")
	p("ADDQ SI, DI")   // A's rows 16–31
	p("MOVQ $128, AX") // B's row stride
	p("SHRQ $4, R8")
	p("JZ %s_store", name)
	label(name + "_loop")
	p("%s", tileloadd(4, regSI, regDX, 0))
	p("%s", tileloadd(6, regBX, regAX, 0))
	p("%s", tdpbf16ps(0, 4, 6))
	p("%s", tileloadd(7, regBX, regAX, 64))
	p("%s", tdpbf16ps(1, 4, 7))
	p("%s", tileloadd(5, regDI, regDX, 0))
	p("%s", tdpbf16ps(2, 5, 6))
	p("%s", tdpbf16ps(3, 5, 7))
	p("ADDQ $64, SI")
	p("ADDQ $64, DI")
	p("ADDQ $2048, BX")
	p("DECQ R8")
	p("JNZ %s_loop", name)
	label(name + "_store")
	p("LEAQ 0(SP), DI") // the frame: 32 rows of 32 floats
	for t := 0; t < 4; t++ {
		p("%s", tilestored(t, regDI, regAX, (t/2)*2048+(t%2)*64))
	}
	p("%s", tilerelease())
	p("MOVQ c+24(FP), SI")
	p("MOVQ ldc+32(FP), DX")
	p("SHLQ $2, DX")
	p("VBROADCASTSS alpha+40(FP), Z30")
	p("VBROADCASTSS beta+44(FP), Z31")
	p("MOVL beta+44(FP), R8")
	p("ANDL $0x7fffffff, R8")
	p("MOVQ $32, CX")
	p("JZ %s_beta0", name)
	label(name + "_rows")
	for v := 0; v < 2; v++ {
		p("VMULPS %d(DI), Z30, Z%d", 64*v, v)
		p("VFMADD231PS %d(SI), Z31, Z%d", 64*v, v)
		p("VMOVUPS Z%d, %d(SI)", v, 64*v)
	}
	p("ADDQ $128, DI")
	p("ADDQ DX, SI")
	p("DECQ CX")
	p("JNZ %s_rows", name)
	p("VZEROUPPER")
	p("RET")
	label(name + "_beta0")
	for v := 0; v < 2; v++ {
		p("VMULPS %d(DI), Z30, Z%d", 64*v, v)
		p("VMOVUPS Z%d, %d(SI)", v, 64*v)
	}
	p("ADDQ $128, DI")
	p("ADDQ DX, SI")
	p("DECQ CX")
	p("JNZ %s_beta0", name)
	p("VZEROUPPER")
	p("RET")
}
