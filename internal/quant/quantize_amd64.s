//go:build !purego

#include "textflag.h"

// func quantQ8_0AVX512(nb int, x *float32, q *int8, d *float32)
// Rounds nb blocks of 32 values of x to q8_0 as quantizeQ8_0 does (see
// act.go): amax by VMAXPS over |x|, d = amax/127 rounded to f16 and back
// (VCVTPS2PH with rounding to nearest even), q = x·(127/amax) converted
// with VCVTPS2DQ (the default rounding, to nearest even) and narrowed with
// signed saturation (VPMOVSDB); amax == 0 gives q = 0.
TEXT ·quantQ8_0AVX512(SB), NOSPLIT, $0-32
	MOVQ nb+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ q+16(FP), DI
	MOVQ d+24(FP), DX
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z31
	MOVL $0x42fe0000, AX // 127.0
	VMOVD AX, X30
	VXORPS X29, X29, X29
block:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VANDPS Z31, Z0, Z2
	VANDPS Z31, Z1, Z3
	VMAXPS Z3, Z2, Z2
	VEXTRACTF32X8 $1, Z2, Y3
	VMAXPS Y3, Y2, Y2
	VEXTRACTF128 $1, Y2, X3
	VMAXPS X3, X2, X2
	VPERMILPS $0x4e, X2, X3
	VMAXPS X3, X2, X2
	VPERMILPS $0xb1, X2, X3
	VMAXSS X3, X2, X2          // amax
	VDIVSS X30, X2, X4         // amax/127
	VCVTPS2PH $0, X4, X5
	VCVTPH2PS X5, X5
	VMOVSS X5, (DX)
	VXORPS X6, X6, X6
	VUCOMISS X29, X2
	JEQ zero
	VDIVSS X2, X30, X6         // 127/amax
zero:
	VBROADCASTSS X6, Z6
	VMULPS Z6, Z0, Z0
	VMULPS Z6, Z1, Z1
	VCVTPS2DQ Z0, Z0
	VCVTPS2DQ Z1, Z1
	VPMOVSDB Z0, X0
	VPMOVSDB Z1, X1
	VMOVDQU X0, (DI)
	VMOVDQU X1, 16(DI)
	ADDQ $128, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JNZ block
	VZEROUPPER
	RET

// func quantQ8_KAVX512(nb int, x *float32, q *int8, d *float32, bsums *int32)
// Rounds nb blocks of 256 values of x to q8_K as quantizeQ8_K does: the
// first value of largest magnitude max (VMAXPS, then the first lane equal
// to it), iscale = −127/max, q = min(127, x·iscale converted to nearest
// even), d = 1/iscale, and the sums of each 16 quants; an all-zero block
// gives d = 0 and zeros.
TEXT ·quantQ8_KAVX512(SB), NOSPLIT, $0-40
	MOVQ nb+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ q+16(FP), DI
	MOVQ d+24(FP), DX
	MOVQ bsums+32(FP), R10
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z31
	MOVL $127, AX
	VPBROADCASTD AX, Z30
	MOVL $0xc2fe0000, AX // −127.0
	VMOVD AX, X29
	MOVL $0x3f800000, AX // 1.0
	VMOVD AX, X28
	VXORPS X27, X27, X27
kblock:
	VANDPS (SI), Z31, Z0
	MOVQ SI, R9
	MOVQ $15, R8
kmax:
	ADDQ $64, R9
	VANDPS (R9), Z31, Z1
	VMAXPS Z1, Z0, Z0
	DECQ R8
	JNZ kmax
	VEXTRACTF32X8 $1, Z0, Y1
	VMAXPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0          // amax in every lane of X0
	VUCOMISS X27, X0
	JEQ kzero
	VBROADCASTSS X0, Z2
	MOVQ SI, R9
kfind:
	VANDPS (R9), Z31, Z1
	VCMPPS $0, Z2, Z1, K1
	KMOVW K1, AX
	TESTL AX, AX
	JNZ kfound
	ADDQ $64, R9
	JMP kfind
kfound:
	TZCNTL AX, AX
	VMOVSS (R9)(AX*4), X3      // max, signed
	VDIVSS X3, X29, X5         // iscale = −127/max
	VDIVSS X5, X28, X6         // d = 1/iscale
	VMOVSS X6, (DX)
	VBROADCASTSS X5, Z5
	MOVQ $16, R8
kquant:
	VMULPS (SI), Z5, Z1
	VCVTPS2DQ Z1, Z1
	VPMINSD Z30, Z1, Z1
	VEXTRACTI64X4 $1, Z1, Y7
	VPADDD Y7, Y1, Y7
	VEXTRACTI128 $1, Y7, X8
	VPADDD X8, X7, X7
	VPSHUFD $0x4e, X7, X8
	VPADDD X8, X7, X7
	VPSHUFD $0xb1, X7, X8
	VPADDD X8, X7, X7
	VMOVD X7, (R10)
	VPMOVSDB Z1, X1
	VMOVDQU X1, (DI)
	ADDQ $64, SI
	ADDQ $16, DI
	ADDQ $4, R10
	DECQ R8
	JNZ kquant
	JMP knext
kzero:
	VMOVSS X27, (DX)
	VPXORD Z1, Z1, Z1
	VMOVDQU64 Z1, (DI)
	VMOVDQU64 Z1, 64(DI)
	VMOVDQU64 Z1, 128(DI)
	VMOVDQU64 Z1, 192(DI)
	VMOVDQU64 Z1, (R10)
	ADDQ $1024, SI
	ADDQ $256, DI
	ADDQ $64, R10
knext:
	ADDQ $4, DX
	DECQ CX
	JNZ kblock
	VZEROUPPER
	RET
