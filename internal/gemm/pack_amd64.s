//go:build amd64

#include "textflag.h"

// iota<> is the int32 vector 0, 1, …, 15.
DATA iota<>+0(SB)/4, $0
DATA iota<>+4(SB)/4, $1
DATA iota<>+8(SB)/4, $2
DATA iota<>+12(SB)/4, $3
DATA iota<>+16(SB)/4, $4
DATA iota<>+20(SB)/4, $5
DATA iota<>+24(SB)/4, $6
DATA iota<>+28(SB)/4, $7
DATA iota<>+32(SB)/4, $8
DATA iota<>+36(SB)/4, $9
DATA iota<>+40(SB)/4, $10
DATA iota<>+44(SB)/4, $11
DATA iota<>+48(SB)/4, $12
DATA iota<>+52(SB)/4, $13
DATA iota<>+56(SB)/4, $14
DATA iota<>+60(SB)/4, $15
GLOBL iota<>(SB), RODATA|NOPTR, $64

// func gatherPackAVX512(dst, src *float32, kc, ld, stride, w, width int)
// For p < kc and j < width: dst[p·ld+j] = src[j·stride+p] if j < w, else 0.
// w ≤ width ≤ 16 and 16·stride < 2³¹ (the gather takes int32 indices).
TEXT ·gatherPackAVX512(SB), NOSPLIT, $0-56
	// K2: the w lanes to gather; K3: the width lanes to store.
	MOVQ w+40(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	MOVQ width+48(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K3
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ kc+16(FP), CX
	MOVQ ld+24(FP), DX
	SHLQ $2, DX
	VPBROADCASTD stride+32(FP), Z1
	VPMULLD iota<>(SB), Z1, Z1
	TESTQ CX, CX
	JZ done

loop:
	KMOVW K2, K1
	VPXORD Z0, Z0, Z0
	VGATHERDPS (SI)(Z1*4), K1, Z0
	VMOVUPS Z0, K3, (DI)
	ADDQ $4, SI
	ADDQ DX, DI
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	RET

// func copyPackAVX512(dst, src *float32, kc, ld, ldd int, lmask, smask uint32)
// For p < kc: dst[p·ldd+j] = src[p·ld+j] for the lanes j < 32 set in lmask,
// and 0 for the other lanes set in smask. Lanes outside lmask are not read,
// lanes outside smask are not written.
TEXT ·copyPackAVX512(SB), NOSPLIT, $0-48
	MOVL lmask+40(FP), AX
	KMOVW AX, K1
	SHRL $16, AX
	KMOVW AX, K2
	MOVL smask+44(FP), AX
	KMOVW AX, K3
	SHRL $16, AX
	KMOVW AX, K4
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ kc+16(FP), CX
	MOVQ ld+24(FP), DX
	SHLQ $2, DX
	MOVQ ldd+32(FP), BX
	SHLQ $2, BX
	TESTQ CX, CX
	JZ copydone

copyloop:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVUPS Z0, K3, (DI)
	VMOVUPS Z1, K4, 64(DI)
	ADDQ DX, SI
	ADDQ BX, DI
	DECQ CX
	JNZ copyloop

copydone:
	VZEROUPPER
	RET
