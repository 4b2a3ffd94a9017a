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
}
