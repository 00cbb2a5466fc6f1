//go:build !noasm

#include "textflag.h"
#include "gemm_amd64.h"

// AVX-512 micro-kernels of the mini-batch products (see gemm.go and
// gemm_amd64.h): a block of 8 rows of C by 32 floats or 16 doubles, two
// registers a row, accumulated in Z0–Z15 (row r in Z2r and Z2r+1); B's row
// in Z16, Z17; the broadcasts in Z18–Z25. Z30 holds alpha, then scratch; Z31
// is zero. One body serves both precisions: the instructions are passed in.

// EACH8 applies OP(X, Y, src, Zacc) to the two registers of every row, src
// being their place in the block at B (rows ldc apart).
#define EACH8(OP, X, Y, B) \
	OP(X, Y, (B), Z0); OP(X, Y, 64(B), Z1); \
	OP(X, Y, (B)(R13*1), Z2); OP(X, Y, 64(B)(R13*1), Z3); \
	OP(X, Y, (B)(R13*2), Z4); OP(X, Y, 64(B)(R13*2), Z5); \
	OP(X, Y, (B)(R14*1), Z6); OP(X, Y, 64(B)(R14*1), Z7); \
	OP(X, Y, (B)(R13*4), Z8); OP(X, Y, 64(B)(R13*4), Z9); \
	OP(X, Y, (B)(R15*1), Z10); OP(X, Y, 64(B)(R15*1), Z11); \
	OP(X, Y, (B)(R14*2), Z12); OP(X, Y, 64(B)(R14*2), Z13); \
	OP(X, Y, (B)(AX*1), Z14); OP(X, Y, 64(B)(AX*1), Z15)

// ALL16 applies OP R, Zacc, Zacc to the sixteen accumulators, R being the
// first register of a row (Z16 or R itself) or the second's (Z17 or R).
#define ALL16(OP, R0, R1) \
	OP R0, Z0, Z0; OP R1, Z1, Z1; OP R0, Z2, Z2; OP R1, Z3, Z3; \
	OP R0, Z4, Z4; OP R1, Z5, Z5; OP R0, Z6, Z6; OP R1, Z7, Z7; \
	OP R0, Z8, Z8; OP R1, Z9, Z9; OP R0, Z10, Z10; OP R1, Z11, Z11; \
	OP R0, Z12, Z12; OP R1, Z13, Z13; OP R0, Z14, Z14; OP R1, Z15, Z15

#define ZERO16 \
	VPXORD Z0, Z0, Z0; VPXORD Z1, Z1, Z1; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; VPXORD Z5, Z5, Z5; VPXORD Z6, Z6, Z6; VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; VPXORD Z9, Z9, Z9; VPXORD Z10, Z10, Z10; VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; VPXORD Z13, Z13, Z13; VPXORD Z14, Z14, Z14; VPXORD Z15, Z15, Z15

// FMA2 multiplies a row's broadcast A value (into Z) by B's two registers.
#define FMA2(BCAST, FMA, ADDR, Z, ACC0, ACC1) \
	BCAST ADDR, Z; \
	FMA Z16, Z, ACC0; \
	FMA Z17, Z, ACC1

#define STEP8(MOVU, BCAST, FMA) \
	MOVU (BX), Z16; \
	MOVU 64(BX), Z17; \
	FMA2(BCAST, FMA, (SI), Z18, Z0, Z1); \
	FMA2(BCAST, FMA, (SI)(R8*1), Z19, Z2, Z3); \
	FMA2(BCAST, FMA, (SI)(R8*2), Z20, Z4, Z5); \
	FMA2(BCAST, FMA, (SI)(R9*1), Z21, Z6, Z7); \
	FMA2(BCAST, FMA, (SI)(R8*4), Z22, Z8, Z9); \
	FMA2(BCAST, FMA, (SI)(R10*1), Z23, Z10, Z11); \
	FMA2(BCAST, FMA, (SI)(R9*2), Z24, Z12, Z13); \
	FMA2(BCAST, FMA, (SI)(R11*1), Z25, Z14, Z15)

// ADD1 adds the value at ADDR to Zacc; STORE1 stores Zacc there.
#define ADD1(ADD, UNUSED, ADDR, ACC) ADD ADDR, ACC, ACC
#define STORE1(MOVU, UNUSED, ADDR, ACC) MOVU ACC, ADDR

// MASK1 zeroes Zacc where !(aux > 0), aux at ADDR (Z31 is zero).
#define MASK1(CMP, MOVU, ADDR, ACC) \
	CMP $1, ADDR, Z31, K1; \
	MOVU.Z ACC, K1, ACC

// RELU1 stores max(Zacc, 0) at ADDR, NaN kept (Z31 is zero).
#define RELU1(MAX, MOVU, ADDR, ACC) \
	MAX ACC, Z31, Z30; \
	MOVU Z30, ADDR

#define BIAS16(MOVU, ADD) \
	MOVU (BX), Z16; \
	MOVU 64(BX), Z17; \
	ALL16(ADD, Z16, Z17)

#define WITHZERO(OP, X, Y) \
	VPXORD Z31, Z31, Z31; \
	EACH8(OP, X, Y, BX)

// Transpositions of B's blocks into packed panels: dst[l·ldd + j] =
// src[j·lds + l] for a 16×16 block of floats or an 8×8 block of doubles
// (strides in elements), in registers: unpack pairs, then lanes.

// TRANSPOSE_ARGS loads the arguments: DI = dst, SI = src, R8 = ldd, R9 = lds
// and R10 = 3·lds, in bytes (SH is log2 of the element's size).
#define TRANSPOSE_ARGS(SH) \
	MOVQ dst+0(FP), DI; MOVQ ldd+8(FP), R8; SHLQ $SH, R8; \
	MOVQ src+16(FP), SI; MOVQ lds+24(FP), R9; SHLQ $SH, R9; \
	LEAQ (R9)(R9*2), R10

// LOAD4 loads the four rows at SI (R9 = lds, R10 = 3·lds, in bytes) and moves SI on by four.
#define LOAD4(MOVU, A, B, C, D) \
	MOVU (SI), A; MOVU (SI)(R9*1), B; MOVU (SI)(R9*2), C; MOVU (SI)(R10*1), D; \
	LEAQ (SI)(R9*4), SI

// STORE4 stores four rows at DI (R8 = ldd, R10 = 3·ldd, in bytes) and moves DI on by four.
#define STORE4(MOVU, A, B, C, D) \
	MOVU A, (DI); MOVU B, (DI)(R8*1); MOVU C, (DI)(R8*2); MOVU D, (DI)(R10*1); \
	LEAQ (DI)(R8*4), DI

// func gemm8x32F32(k int, alpha float32, a *float32, ars, acs int, b *float32, c *float32, ldc int, flags int, bias, aux *float32)
TEXT ·gemm8x32F32(SB), NOSPLIT, $0-88
	GEMM_KERNEL(2, 128, VBROADCASTSS, Z30, ZERO16, STEP8(VMOVUPS, VBROADCASTSS, VFMADD231PS), ALL16(VMULPS, Z30, Z30), EACH8(ADD1, VADDPS, VADDPS, DI), BIAS16(VMOVUPS, VADDPS), WITHZERO(MASK1, VCMPPS, VMOVUPS), EACH8(STORE1, VMOVUPS, VMOVUPS, DI), WITHZERO(RELU1, VMAXPS, VMOVUPS))

// func gemm8x16F64(k int, alpha float64, a *float64, ars, acs int, b *float64, c *float64, ldc int, flags int, bias, aux *float64)
TEXT ·gemm8x16F64(SB), NOSPLIT, $0-88
	GEMM_KERNEL(3, 128, VBROADCASTSD, Z30, ZERO16, STEP8(VMOVUPD, VBROADCASTSD, VFMADD231PD), ALL16(VMULPD, Z30, Z30), EACH8(ADD1, VADDPD, VADDPD, DI), BIAS16(VMOVUPD, VADDPD), WITHZERO(MASK1, VCMPPD, VMOVUPD), EACH8(STORE1, VMOVUPD, VMOVUPD, DI), WITHZERO(RELU1, VMAXPD, VMOVUPD))

// func transpose16F32(dst *float32, ldd int, src *float32, lds int)
TEXT ·transpose16F32(SB), NOSPLIT, $0-32
	TRANSPOSE_ARGS(2)
	LOAD4(VMOVUPS, Z0, Z1, Z2, Z3)
	LOAD4(VMOVUPS, Z4, Z5, Z6, Z7)
	LOAD4(VMOVUPS, Z8, Z9, Z10, Z11)
	LOAD4(VMOVUPS, Z12, Z13, Z14, Z15)
	// pairs of rows: lane q of Z16 holds r0[4q], r1[4q], r0[4q+1], r1[4q+1]
	VUNPCKLPS Z1, Z0, Z16
	VUNPCKHPS Z1, Z0, Z17
	VUNPCKLPS Z3, Z2, Z18
	VUNPCKHPS Z3, Z2, Z19
	VUNPCKLPS Z5, Z4, Z20
	VUNPCKHPS Z5, Z4, Z21
	VUNPCKLPS Z7, Z6, Z22
	VUNPCKHPS Z7, Z6, Z23
	VUNPCKLPS Z9, Z8, Z24
	VUNPCKHPS Z9, Z8, Z25
	VUNPCKLPS Z11, Z10, Z26
	VUNPCKHPS Z11, Z10, Z27
	VUNPCKLPS Z13, Z12, Z28
	VUNPCKHPS Z13, Z12, Z29
	VUNPCKLPS Z15, Z14, Z30
	VUNPCKHPS Z15, Z14, Z31
	// quads: Z(4g+c) lane q holds rows 4g..4g+3 of column 4q+c
	VUNPCKLPD Z18, Z16, Z0
	VUNPCKHPD Z18, Z16, Z1
	VUNPCKLPD Z19, Z17, Z2
	VUNPCKHPD Z19, Z17, Z3
	VUNPCKLPD Z22, Z20, Z4
	VUNPCKHPD Z22, Z20, Z5
	VUNPCKLPD Z23, Z21, Z6
	VUNPCKHPD Z23, Z21, Z7
	VUNPCKLPD Z26, Z24, Z8
	VUNPCKHPD Z26, Z24, Z9
	VUNPCKLPD Z27, Z25, Z10
	VUNPCKHPD Z27, Z25, Z11
	VUNPCKLPD Z30, Z28, Z12
	VUNPCKHPD Z30, Z28, Z13
	VUNPCKLPD Z31, Z29, Z14
	VUNPCKHPD Z31, Z29, Z15
	// lanes: Z16+c holds lanes 0, 2 of rows 0..7 and Z20+c lanes 1, 3; Z24+c, Z28+c those of rows 8..15
	VSHUFF32X4 $0x88, Z4, Z0, Z16
	VSHUFF32X4 $0x88, Z5, Z1, Z17
	VSHUFF32X4 $0x88, Z6, Z2, Z18
	VSHUFF32X4 $0x88, Z7, Z3, Z19
	VSHUFF32X4 $0xdd, Z4, Z0, Z20
	VSHUFF32X4 $0xdd, Z5, Z1, Z21
	VSHUFF32X4 $0xdd, Z6, Z2, Z22
	VSHUFF32X4 $0xdd, Z7, Z3, Z23
	VSHUFF32X4 $0x88, Z12, Z8, Z24
	VSHUFF32X4 $0x88, Z13, Z9, Z25
	VSHUFF32X4 $0x88, Z14, Z10, Z26
	VSHUFF32X4 $0x88, Z15, Z11, Z27
	VSHUFF32X4 $0xdd, Z12, Z8, Z28
	VSHUFF32X4 $0xdd, Z13, Z9, Z29
	VSHUFF32X4 $0xdd, Z14, Z10, Z30
	VSHUFF32X4 $0xdd, Z15, Z11, Z31
	// column c (0..3) of lane 0 and 2, 4+c of lanes 1 and 3
	VSHUFF32X4 $0x88, Z24, Z16, Z0
	VSHUFF32X4 $0x88, Z25, Z17, Z1
	VSHUFF32X4 $0x88, Z26, Z18, Z2
	VSHUFF32X4 $0x88, Z27, Z19, Z3
	VSHUFF32X4 $0x88, Z28, Z20, Z4
	VSHUFF32X4 $0x88, Z29, Z21, Z5
	VSHUFF32X4 $0x88, Z30, Z22, Z6
	VSHUFF32X4 $0x88, Z31, Z23, Z7
	VSHUFF32X4 $0xdd, Z24, Z16, Z8
	VSHUFF32X4 $0xdd, Z25, Z17, Z9
	VSHUFF32X4 $0xdd, Z26, Z18, Z10
	VSHUFF32X4 $0xdd, Z27, Z19, Z11
	VSHUFF32X4 $0xdd, Z28, Z20, Z12
	VSHUFF32X4 $0xdd, Z29, Z21, Z13
	VSHUFF32X4 $0xdd, Z30, Z22, Z14
	VSHUFF32X4 $0xdd, Z31, Z23, Z15
	LEAQ (R8)(R8*2), R10
	STORE4(VMOVUPS, Z0, Z1, Z2, Z3)
	STORE4(VMOVUPS, Z4, Z5, Z6, Z7)
	STORE4(VMOVUPS, Z8, Z9, Z10, Z11)
	STORE4(VMOVUPS, Z12, Z13, Z14, Z15)
	VZEROUPPER
	RET

// func transpose8F64(dst *float64, ldd int, src *float64, lds int)
TEXT ·transpose8F64(SB), NOSPLIT, $0-32
	TRANSPOSE_ARGS(3)
	LOAD4(VMOVUPD, Z0, Z1, Z2, Z3)
	LOAD4(VMOVUPD, Z4, Z5, Z6, Z7)
	// pairs: Z(8+2g+c) lane q holds rows 2g, 2g+1 of column 2q+c
	VUNPCKLPD Z1, Z0, Z8
	VUNPCKHPD Z1, Z0, Z9
	VUNPCKLPD Z3, Z2, Z10
	VUNPCKHPD Z3, Z2, Z11
	VUNPCKLPD Z5, Z4, Z12
	VUNPCKHPD Z5, Z4, Z13
	VUNPCKLPD Z7, Z6, Z14
	VUNPCKHPD Z7, Z6, Z15
	// lanes 0, 2 (Z16+c) and 1, 3 (Z18+c) of rows 0..3; Z20+c and Z22+c of rows 4..7
	VSHUFF64X2 $0x88, Z10, Z8, Z16
	VSHUFF64X2 $0x88, Z11, Z9, Z17
	VSHUFF64X2 $0xdd, Z10, Z8, Z18
	VSHUFF64X2 $0xdd, Z11, Z9, Z19
	VSHUFF64X2 $0x88, Z14, Z12, Z20
	VSHUFF64X2 $0x88, Z15, Z13, Z21
	VSHUFF64X2 $0xdd, Z14, Z12, Z22
	VSHUFF64X2 $0xdd, Z15, Z13, Z23
	VSHUFF64X2 $0x88, Z20, Z16, Z0
	VSHUFF64X2 $0x88, Z21, Z17, Z1
	VSHUFF64X2 $0x88, Z22, Z18, Z2
	VSHUFF64X2 $0x88, Z23, Z19, Z3
	VSHUFF64X2 $0xdd, Z20, Z16, Z4
	VSHUFF64X2 $0xdd, Z21, Z17, Z5
	VSHUFF64X2 $0xdd, Z22, Z18, Z6
	VSHUFF64X2 $0xdd, Z23, Z19, Z7
	LEAQ (R8)(R8*2), R10
	STORE4(VMOVUPD, Z0, Z1, Z2, Z3)
	STORE4(VMOVUPD, Z4, Z5, Z6, Z7)
	VZEROUPPER
	RET
