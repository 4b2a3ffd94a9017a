//go:build !purego

#include "textflag.h"

// func widenPairsAVX512(dst *float32, src *uint32, kc int)
// For each pair row q of src [ceil(kc/2)][32] words: dst row 2q [32] =
// the low bfloat16 halves widened (w << 16), row 2q+1 = the high ones
// (w & 0xffff0000); an odd kc's last pair gives its low row only.
TEXT ·widenPairsAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ kc+16(FP), CX
	MOVQ CX, DX
	SHRQ $1, DX
	JZ   widentail

widenloop:
	VMOVDQU32 (SI), Z0
	VMOVDQU32 64(SI), Z1
	VPSLLD    $16, Z0, Z2
	VPSLLD    $16, Z1, Z3
	VPSRLD    $16, Z0, Z0
	VPSRLD    $16, Z1, Z1
	VPSLLD    $16, Z0, Z0
	VPSLLD    $16, Z1, Z1
	VMOVDQU32 Z2, (DI)
	VMOVDQU32 Z3, 64(DI)
	VMOVDQU32 Z0, 128(DI)
	VMOVDQU32 Z1, 192(DI)
	ADDQ      $128, SI
	ADDQ      $256, DI
	DECQ      DX
	JNZ       widenloop

widentail:
	ANDQ $1, CX
	JZ   widendone
	VMOVDQU32 (SI), Z0
	VMOVDQU32 64(SI), Z1
	VPSLLD    $16, Z0, Z2
	VPSLLD    $16, Z1, Z3
	VMOVDQU32 Z2, (DI)
	VMOVDQU32 Z3, 64(DI)

widendone:
	VZEROUPPER
	RET

// func gemvPackedAVX512(acc *[32]float32, x *float32, w *uint32, k int)
// acc[j] = Σ_{p<k} x[p]·W(p, j) for the 32 columns of one packed sliver
// w [ceil(k/2)][32] pair words, summed in p order by VFMADD231PS from
// zero: the chain the float32 micro-kernel runs for each element.
TEXT ·gemvPackedAVX512(SB), NOSPLIT, $0-32
	MOVQ   acc+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   w+16(FP), BX
	MOVQ   k+24(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	MOVQ   CX, DX
	SHRQ   $1, DX
	JZ     gemvtail

gemvloop:
	VMOVDQU32    (BX), Z2
	VMOVDQU32    64(BX), Z3
	VBROADCASTSS (SI), Z6
	VBROADCASTSS 4(SI), Z7
	VPSLLD       $16, Z2, Z4
	VPSLLD       $16, Z3, Z5
	VPSRLD       $16, Z2, Z2
	VPSRLD       $16, Z3, Z3
	VPSLLD       $16, Z2, Z2
	VPSLLD       $16, Z3, Z3
	VFMADD231PS  Z6, Z4, Z0
	VFMADD231PS  Z6, Z5, Z1
	VFMADD231PS  Z7, Z2, Z0
	VFMADD231PS  Z7, Z3, Z1
	ADDQ         $128, BX
	ADDQ         $8, SI
	DECQ         DX
	JNZ          gemvloop

gemvtail:
	ANDQ         $1, CX
	JZ           gemvdone
	VMOVDQU32    (BX), Z2
	VMOVDQU32    64(BX), Z3
	VBROADCASTSS (SI), Z6
	VPSLLD       $16, Z2, Z4
	VPSLLD       $16, Z3, Z5
	VFMADD231PS  Z6, Z4, Z0
	VFMADD231PS  Z6, Z5, Z1

gemvdone:
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VZEROUPPER
	RET

// func gemvPacked4AVX512(acc *[4][32]float32, x0, x1, x2, x3 *float32, w *uint32, k int)
// gemvPackedAVX512 for four rows of x at once, each loaded pair of W
// widened once for all four: acc[r] is row r's sum, in the chain the
// one-row kernel runs (rows may repeat).
TEXT ·gemvPacked4AVX512(SB), NOSPLIT, $0-56
	MOVQ acc+0(FP), DI
	MOVQ x0+8(FP), R8
	MOVQ x1+16(FP), R9
	MOVQ x2+24(FP), R10
	MOVQ x3+32(FP), R11
	MOVQ w+40(FP), BX
	MOVQ k+48(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	MOVQ CX, DX
	SHRQ $1, DX
	JZ   gemv4tail

gemv4loop:
	VMOVDQU32 (BX), Z8
	VMOVDQU32 64(BX), Z9
	VPSLLD    $16, Z8, Z10
	VPSLLD    $16, Z9, Z11
	VPSRLD    $16, Z8, Z8
	VPSRLD    $16, Z9, Z9
	VPSLLD    $16, Z8, Z8
	VPSLLD    $16, Z9, Z9
	VBROADCASTSS (R8), Z12
	VBROADCASTSS 4(R8), Z13
	VFMADD231PS  Z12, Z10, Z0
	VFMADD231PS  Z12, Z11, Z1
	VFMADD231PS  Z13, Z8, Z0
	VFMADD231PS  Z13, Z9, Z1
	VBROADCASTSS (R9), Z12
	VBROADCASTSS 4(R9), Z13
	VFMADD231PS  Z12, Z10, Z2
	VFMADD231PS  Z12, Z11, Z3
	VFMADD231PS  Z13, Z8, Z2
	VFMADD231PS  Z13, Z9, Z3
	VBROADCASTSS (R10), Z12
	VBROADCASTSS 4(R10), Z13
	VFMADD231PS  Z12, Z10, Z4
	VFMADD231PS  Z12, Z11, Z5
	VFMADD231PS  Z13, Z8, Z4
	VFMADD231PS  Z13, Z9, Z5
	VBROADCASTSS (R11), Z12
	VBROADCASTSS 4(R11), Z13
	VFMADD231PS  Z12, Z10, Z6
	VFMADD231PS  Z12, Z11, Z7
	VFMADD231PS  Z13, Z8, Z6
	VFMADD231PS  Z13, Z9, Z7
	ADDQ $128, BX
	ADDQ $8, R8
	ADDQ $8, R9
	ADDQ $8, R10
	ADDQ $8, R11
	DECQ DX
	JNZ  gemv4loop

gemv4tail:
	ANDQ      $1, CX
	JZ        gemv4done
	VMOVDQU32 (BX), Z8
	VMOVDQU32 64(BX), Z9
	VPSLLD    $16, Z8, Z10
	VPSLLD    $16, Z9, Z11
	VBROADCASTSS (R8), Z12
	VFMADD231PS  Z12, Z10, Z0
	VFMADD231PS  Z12, Z11, Z1
	VBROADCASTSS (R9), Z12
	VFMADD231PS  Z12, Z10, Z2
	VFMADD231PS  Z12, Z11, Z3
	VBROADCASTSS (R10), Z12
	VFMADD231PS  Z12, Z10, Z4
	VFMADD231PS  Z12, Z11, Z5
	VBROADCASTSS (R11), Z12
	VFMADD231PS  Z12, Z10, Z6
	VFMADD231PS  Z12, Z11, Z7

gemv4done:
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, 256(DI)
	VMOVUPS Z5, 320(DI)
	VMOVUPS Z6, 384(DI)
	VMOVUPS Z7, 448(DI)
	VZEROUPPER
	RET
