//go:build !purego

#include "textflag.h"

// Constants of Cephes' expf, one float32 each, broadcast by the AVX-512
// kernels; the AVX2 kernels read the 32-byte rows of c256 below.
DATA c32<>+0(SB)/4, $0x3fb8aa3b  // log2(e)
DATA c32<>+4(SB)/4, $0xbf318000  // -ln2 high part (0.693359375)
DATA c32<>+8(SB)/4, $0x395e8083  // -ln2 low part (+2.12194440e-4)
DATA c32<>+12(SB)/4, $0x39506967 // p0
DATA c32<>+16(SB)/4, $0x3ab743ce // p1
DATA c32<>+20(SB)/4, $0x3c088908 // p2
DATA c32<>+24(SB)/4, $0x3d2aa9c1 // p3
DATA c32<>+28(SB)/4, $0x3e2aaaaa // p4
DATA c32<>+32(SB)/4, $0x3f000000 // p5
DATA c32<>+36(SB)/4, $0x3f800000 // 1
DATA c32<>+40(SB)/4, $0xc2dc0000 // -110: exp underflows to 0 below this
DATA c32<>+44(SB)/4, $0xff7fffff // -MaxFloat32: the empty running max
DATA c32<>+48(SB)/4, $0x00007fff // bf16 rounding bias
DATA c32<>+52(SB)/4, $0x00000001
DATA c32<>+56(SB)/4, $0x00000040 // bf16 quiet-NaN bit
GLOBL c32<>(SB), RODATA|NOPTR, $60

#define ROW8(off, v) \
	DATA c256<>+(off+0)(SB)/4, v \
	DATA c256<>+(off+4)(SB)/4, v \
	DATA c256<>+(off+8)(SB)/4, v \
	DATA c256<>+(off+12)(SB)/4, v \
	DATA c256<>+(off+16)(SB)/4, v \
	DATA c256<>+(off+20)(SB)/4, v \
	DATA c256<>+(off+24)(SB)/4, v \
	DATA c256<>+(off+28)(SB)/4, v

ROW8(0, $0x3fb8aa3b)   // log2(e)
ROW8(32, $0xbf318000)  // -ln2 high
ROW8(64, $0x395e8083)  // -ln2 low
ROW8(96, $0x39506967)  // p0
ROW8(128, $0x3ab743ce) // p1
ROW8(160, $0x3c088908) // p2
ROW8(192, $0x3d2aa9c1) // p3
ROW8(224, $0x3e2aaaaa) // p4
ROW8(256, $0x3f000000) // p5
ROW8(288, $0x3f800000) // 1
ROW8(320, $0xc2aeac4f) // -87.33654: smallest normal exp; below it the result is 0
ROW8(352, $0xff7fffff) // -MaxFloat32
ROW8(384, $0x0000007f) // exponent bias 127
GLOBL c256<>(SB), RODATA|NOPTR, $416

// ---------------------------------------------------------------- AVX-512

#define LOADC512 \
	VBROADCASTSS c32<>+0(SB), Z20  \
	VBROADCASTSS c32<>+4(SB), Z21  \
	VBROADCASTSS c32<>+8(SB), Z22  \
	VBROADCASTSS c32<>+12(SB), Z23 \
	VBROADCASTSS c32<>+16(SB), Z24 \
	VBROADCASTSS c32<>+20(SB), Z25 \
	VBROADCASTSS c32<>+24(SB), Z26 \
	VBROADCASTSS c32<>+28(SB), Z27 \
	VBROADCASTSS c32<>+32(SB), Z28 \
	VBROADCASTSS c32<>+36(SB), Z29 \
	VBROADCASTSS c32<>+40(SB), Z30

// EXP512 replaces X with exp(X), using T and U. X is clamped below at -110,
// where the VSCALEFPS result underflows to exactly 0.
#define EXP512(X, T, U) \
	VMAXPS Z30, X, X          \
	VMULPS Z20, X, T          \
	VRNDSCALEPS $0, T, T      \
	VFMADD231PS Z21, T, X     \
	VFMADD231PS Z22, T, X     \
	VMOVAPS Z23, U            \
	VFMADD213PS Z24, X, U     \
	VFMADD213PS Z25, X, U     \
	VFMADD213PS Z26, X, U     \
	VFMADD213PS Z27, X, U     \
	VFMADD213PS Z28, X, U     \
	VFMADD213PS Z29, X, U     \
	VFMADD213PS Z29, X, U     \
	VSCALEFPS T, U, X

// func statsAVX512(x *float32, n int, lanes *[48]float32)
// Per lane: Z0 running max, Z1 Σ exp(x − max), Z2 Σ x.
// Blocks of 64: one rescale exp per block, not per element.
TEXT ·statsAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ lanes+16(FP), DI
	LOADC512
	VBROADCASTSS c32<>+44(SB), Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2

stats512_64:
	CMPQ CX, $64
	JL   stats512_16
	VMOVUPS (SI), Z4
	VMOVUPS 64(SI), Z5
	VMOVUPS 128(SI), Z6
	VMOVUPS 192(SI), Z7
	VADDPS  Z5, Z4, Z8
	VADDPS  Z7, Z6, Z9
	VADDPS  Z9, Z8, Z8
	VADDPS  Z8, Z2, Z2
	VMAXPS  Z5, Z4, Z8
	VMAXPS  Z7, Z6, Z9
	VMAXPS  Z9, Z8, Z8
	VMAXPS  Z8, Z0, Z8
	VSUBPS  Z8, Z0, Z3
	VSUBPS  Z8, Z4, Z4
	VSUBPS  Z8, Z5, Z5
	VSUBPS  Z8, Z6, Z6
	VSUBPS  Z8, Z7, Z7
	VMOVAPS Z8, Z0
	EXP512(Z3, Z10, Z11)
	EXP512(Z4, Z12, Z13)
	EXP512(Z5, Z14, Z15)
	EXP512(Z6, Z16, Z17)
	EXP512(Z7, Z18, Z19)
	VADDPS      Z5, Z4, Z4
	VADDPS      Z7, Z6, Z6
	VADDPS      Z6, Z4, Z4
	VFMADD213PS Z4, Z3, Z1
	ADDQ        $256, SI
	SUBQ        $64, CX
	JMP         stats512_64

stats512_16:
	CMPQ CX, $16
	JL   stats512_done
	VMOVUPS     (SI), Z4
	VADDPS      Z4, Z2, Z2
	VMAXPS      Z4, Z0, Z8
	VSUBPS      Z8, Z0, Z3
	VSUBPS      Z8, Z4, Z4
	VMOVAPS     Z8, Z0
	EXP512(Z3, Z10, Z11)
	EXP512(Z4, Z12, Z13)
	VFMADD213PS Z4, Z3, Z1
	ADDQ        $64, SI
	SUBQ        $16, CX
	JMP         stats512_16

stats512_done:
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VZEROUPPER
	RET

// func expAffineAVX512(dst, x *float32, n int, shift, a, b float32)
// dst[i] = a·exp(x[i] − shift) + b
TEXT ·expAffineAVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	LOADC512
	VBROADCASTSS shift+24(FP), Z0
	VBROADCASTSS a+28(FP), Z1
	VBROADCASTSS b+32(FP), Z2

affine512_64:
	CMPQ CX, $64
	JL   affine512_16
	VMOVUPS (SI), Z4
	VMOVUPS 64(SI), Z5
	VMOVUPS 128(SI), Z6
	VMOVUPS 192(SI), Z7
	VSUBPS  Z0, Z4, Z4
	VSUBPS  Z0, Z5, Z5
	VSUBPS  Z0, Z6, Z6
	VSUBPS  Z0, Z7, Z7
	EXP512(Z4, Z12, Z13)
	EXP512(Z5, Z14, Z15)
	EXP512(Z6, Z16, Z17)
	EXP512(Z7, Z18, Z19)
	VFMADD213PS Z2, Z1, Z4
	VFMADD213PS Z2, Z1, Z5
	VFMADD213PS Z2, Z1, Z6
	VFMADD213PS Z2, Z1, Z7
	VMOVUPS Z4, (DI)
	VMOVUPS Z5, 64(DI)
	VMOVUPS Z6, 128(DI)
	VMOVUPS Z7, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, DI
	SUBQ    $64, CX
	JMP     affine512_64

affine512_16:
	CMPQ CX, $16
	JL   affine512_done
	VMOVUPS     (SI), Z4
	VSUBPS      Z0, Z4, Z4
	EXP512(Z4, Z12, Z13)
	VFMADD213PS Z2, Z1, Z4
	VMOVUPS     Z4, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         affine512_16

affine512_done:
	VZEROUPPER
	RET

// func bf16ToF32AVX512(dst *float32, src *uint16, n int)
TEXT ·bf16ToF32AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

bf16w512:
	CMPQ      CX, $16
	JL        bf16w512_done
	VPMOVZXWD (SI), Z0
	VPSLLD    $16, Z0, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       bf16w512

bf16w512_done:
	VZEROUPPER
	RET

// func f16ToF32AVX512(dst *float32, src *uint16, n int)
TEXT ·f16ToF32AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

f16w512:
	CMPQ      CX, $16
	JL        f16w512_done
	VCVTPH2PS (SI), Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       f16w512

f16w512_done:
	VZEROUPPER
	RET

// func f32ToBF16AVX512(dst *uint16, src *float32, n int)
// Round to nearest even: (b + 0x7fff + ((b >> 16) & 1)) >> 16; NaN lanes
// keep their top half with the quiet bit set.
TEXT ·f32ToBF16AVX512(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VPBROADCASTD c32<>+48(SB), Z5
	VPBROADCASTD c32<>+52(SB), Z6
	VPBROADCASTD c32<>+56(SB), Z7

bf16n512:
	CMPQ      CX, $16
	JL        bf16n512_done
	VMOVDQU32 (SI), Z0
	VPSRLD    $16, Z0, Z1
	VPANDD    Z6, Z1, Z2
	VPADDD    Z5, Z0, Z3
	VPADDD    Z2, Z3, Z3
	VPSRLD    $16, Z3, Z3
	VCMPPS    $3, Z0, Z0, K1
	VPORD     Z7, Z1, Z1
	VMOVDQA32 Z1, K1, Z3
	VPMOVDW   Z3, Y4
	VMOVDQU   Y4, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JMP       bf16n512

bf16n512_done:
	VZEROUPPER
	RET

// func f32ToF16AVX512(dst *uint16, src *float32, n int)
TEXT ·f32ToF16AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

f16n512:
	CMPQ      CX, $16
	JL        f16n512_done
	VMOVUPS   (SI), Z0
	VCVTPS2PH $0, Z0, Y1
	VMOVDQU   Y1, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JMP       f16n512

f16n512_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------- AVX2

// EXP256 replaces X with exp(X), using T, U and M, reading constants from
// c256. Below -87.33654 (the smallest normal result) the result is 0.
#define EXP256(X, T, U, M) \
	VCMPPS      $0x1d, c256<>+320(SB), X, M \
	VMAXPS      c256<>+320(SB), X, X        \
	VMULPS      c256<>+0(SB), X, T          \
	VROUNDPS    $0, T, T                    \
	VFMADD231PS c256<>+32(SB), T, X         \
	VFMADD231PS c256<>+64(SB), T, X         \
	VMOVUPS     c256<>+96(SB), U            \
	VFMADD213PS c256<>+128(SB), X, U        \
	VFMADD213PS c256<>+160(SB), X, U        \
	VFMADD213PS c256<>+192(SB), X, U        \
	VFMADD213PS c256<>+224(SB), X, U        \
	VFMADD213PS c256<>+256(SB), X, U        \
	VFMADD213PS c256<>+288(SB), X, U        \
	VFMADD213PS c256<>+288(SB), X, U        \
	VCVTPS2DQ   T, T                        \
	VPADDD      c256<>+384(SB), T, T        \
	VPSLLD      $23, T, T                   \
	VMULPS      T, U, X                     \
	VANDPS      M, X, X

// func statsAVX2(x *float32, n int, lanes *[24]float32)
TEXT ·statsAVX2(SB), NOSPLIT, $0-24
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVQ    lanes+16(FP), DI
	VMOVUPS c256<>+352(SB), Y0
	VXORPS  Y1, Y1, Y1
	VXORPS  Y2, Y2, Y2

stats256_32:
	CMPQ CX, $32
	JL   stats256_8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VADDPS  Y5, Y4, Y8
	VADDPS  Y7, Y6, Y9
	VADDPS  Y9, Y8, Y8
	VADDPS  Y8, Y2, Y2
	VMAXPS  Y5, Y4, Y8
	VMAXPS  Y7, Y6, Y9
	VMAXPS  Y9, Y8, Y8
	VMAXPS  Y8, Y0, Y8
	VSUBPS  Y8, Y0, Y3
	VSUBPS  Y8, Y4, Y4
	VSUBPS  Y8, Y5, Y5
	VSUBPS  Y8, Y6, Y6
	VSUBPS  Y8, Y7, Y7
	VMOVAPS Y8, Y0
	EXP256(Y3, Y9, Y10, Y11)
	EXP256(Y4, Y12, Y13, Y14)
	EXP256(Y5, Y9, Y10, Y11)
	EXP256(Y6, Y12, Y13, Y14)
	EXP256(Y7, Y9, Y10, Y11)
	VADDPS      Y5, Y4, Y4
	VADDPS      Y7, Y6, Y6
	VADDPS      Y6, Y4, Y4
	VFMADD213PS Y4, Y3, Y1
	ADDQ        $128, SI
	SUBQ        $32, CX
	JMP         stats256_32

stats256_8:
	CMPQ CX, $8
	JL   stats256_done
	VMOVUPS     (SI), Y4
	VADDPS      Y4, Y2, Y2
	VMAXPS      Y4, Y0, Y8
	VSUBPS      Y8, Y0, Y3
	VSUBPS      Y8, Y4, Y4
	VMOVAPS     Y8, Y0
	EXP256(Y3, Y9, Y10, Y11)
	EXP256(Y4, Y12, Y13, Y14)
	VFMADD213PS Y4, Y3, Y1
	ADDQ        $32, SI
	SUBQ        $8, CX
	JMP         stats256_8

stats256_done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VZEROUPPER
	RET

// func expAffineAVX2(dst, x *float32, n int, shift, a, b float32)
TEXT ·expAffineAVX2(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS shift+24(FP), Y0
	VBROADCASTSS a+28(FP), Y1
	VBROADCASTSS b+32(FP), Y2

affine256_16:
	CMPQ CX, $16
	JL   affine256_8
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VSUBPS      Y0, Y4, Y4
	VSUBPS      Y0, Y5, Y5
	EXP256(Y4, Y8, Y9, Y10)
	EXP256(Y5, Y11, Y12, Y13)
	VFMADD213PS Y2, Y1, Y4
	VFMADD213PS Y2, Y1, Y5
	VMOVUPS     Y4, (DI)
	VMOVUPS     Y5, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         affine256_16

affine256_8:
	CMPQ CX, $8
	JL   affine256_done
	VMOVUPS     (SI), Y4
	VSUBPS      Y0, Y4, Y4
	EXP256(Y4, Y8, Y9, Y10)
	VFMADD213PS Y2, Y1, Y4
	VMOVUPS     Y4, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         affine256_8

affine256_done:
	VZEROUPPER
	RET

// func bf16ToF32AVX2(dst *float32, src *uint16, n int)
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

bf16w256:
	CMPQ      CX, $8
	JL        bf16w256_done
	VPMOVZXWD (SI), Y0
	VPSLLD    $16, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       bf16w256

bf16w256_done:
	VZEROUPPER
	RET

// func f16ToF32AVX2(dst *float32, src *uint16, n int)
TEXT ·f16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

f16w256:
	CMPQ      CX, $8
	JL        f16w256_done
	VCVTPH2PS (SI), Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       f16w256

f16w256_done:
	VZEROUPPER
	RET
