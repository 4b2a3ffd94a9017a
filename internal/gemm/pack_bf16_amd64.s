//go:build !purego

#include "textflag.h"

// The bfloat16 packers of bf16native.go: pairs of k into 32-bit words, the
// lower k in the low half.

// func pairPackF32AVX512(dst *uint32, src *float32, kq, ld, ldd, w int)
// For q < kq and i < w ≤ 16: dst[q·ldd+i] = bf(src[2q·ld+i]) |
// bf(src[(2q+1)·ld+i])<<16, bf rounding to the nearest bfloat16, ties to
// even, a NaN to its top half with the quiet bit set
// (kernels.Float32ToBFloat16). Lanes i ≥ w are neither read nor written.
TEXT ·pairPackF32AVX512(SB), NOSPLIT, $0-48
	MOVQ w+40(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ kq+16(FP), CX
	MOVQ ld+24(FP), DX
	SHLQ $2, DX
	MOVQ ldd+32(FP), BX
	SHLQ $2, BX
	MOVL $0x7fff, AX
	VPBROADCASTD AX, Z5
	MOVL $1, AX
	VPBROADCASTD AX, Z6
	MOVL $0x40, AX
	VPBROADCASTD AX, Z7
	TESTQ CX, CX
	JZ pf32done

pf32loop:
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z (SI)(DX*1), K2, Z1
	// Z2 = bf(Z0) in the low halves
	VPSRLD $16, Z0, Z8
	VPANDD Z6, Z8, Z9
	VPADDD Z5, Z0, Z2
	VPADDD Z9, Z2, Z2
	VPSRLD $16, Z2, Z2
	VCMPPS $3, Z0, Z0, K1
	VPORD Z7, Z8, Z8
	VMOVDQA32 Z8, K1, Z2
	// Z3 = bf(Z1) in the low halves
	VPSRLD $16, Z1, Z10
	VPANDD Z6, Z10, Z11
	VPADDD Z5, Z1, Z3
	VPADDD Z11, Z3, Z3
	VPSRLD $16, Z3, Z3
	VCMPPS $3, Z1, Z1, K1
	VPORD Z7, Z10, Z10
	VMOVDQA32 Z10, K1, Z3
	VPSLLD $16, Z3, Z3
	VPORD Z3, Z2, Z2
	VMOVDQU32 Z2, K2, (DI)
	LEAQ (SI)(DX*2), SI
	ADDQ BX, DI
	DECQ CX
	JNZ pf32loop

pf32done:
	VZEROUPPER
	RET

// func pairPackBF16AVX512(dst *uint32, src *uint16, kq, ld, ldd, w int)
// For q < kq and j < 32: dst[q·ldd+j] = src[2q·ld+j] | src[(2q+1)·ld+j]<<16
// if j < w ≤ 32, else 0. Lanes j ≥ w are not read.
TEXT ·pairPackBF16AVX512(SB), NOSPLIT, $0-48
	MOVQ w+40(FP), CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K2
	SHRQ $16, AX
	KMOVW AX, K3
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ kq+16(FP), CX
	MOVQ ld+24(FP), DX
	SHLQ $1, DX
	MOVQ ldd+32(FP), BX
	SHLQ $2, BX
	TESTQ CX, CX
	JZ pbf16done

pbf16loop:
	VPMOVZXWD.Z (SI), K2, Z0
	VPMOVZXWD.Z 32(SI), K3, Z1
	VPMOVZXWD.Z (SI)(DX*1), K2, Z2
	VPMOVZXWD.Z 32(SI)(DX*1), K3, Z3
	VPSLLD $16, Z2, Z2
	VPSLLD $16, Z3, Z3
	VPORD Z2, Z0, Z0
	VPORD Z3, Z1, Z1
	VMOVDQU32 Z0, (DI)
	VMOVDQU32 Z1, 64(DI)
	LEAQ (SI)(DX*2), SI
	ADDQ BX, DI
	DECQ CX
	JNZ pbf16loop

pbf16done:
	VZEROUPPER
	RET
