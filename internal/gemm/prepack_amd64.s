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
