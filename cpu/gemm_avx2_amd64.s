//go:build !noasm

#include "textflag.h"
#include "gemm_amd64.h"

// AVX2 and FMA micro-kernels of the mini-batch products, for CPUs without
// AVX-512 (see gemm.go and gemm_amd64.h): a block of 4 rows of C by 16
// floats or 8 doubles, two registers a row, accumulated in Y0–Y7 (row r in
// Y2r and Y2r+1); B's row in Y8, Y9; the broadcasts in Y10–Y13. Y14 holds
// alpha, then scratch; Y15 is zero. B is packed 64 bytes a row.

// EACH4 applies OP(X, Y, src, Yacc) to the two registers of every row, src
// being their place in the block at B (rows ldc apart).
#define EACH4(OP, X, Y, B) \
	OP(X, Y, (B), Y0); OP(X, Y, 32(B), Y1); \
	OP(X, Y, (B)(R13*1), Y2); OP(X, Y, 32(B)(R13*1), Y3); \
	OP(X, Y, (B)(R13*2), Y4); OP(X, Y, 32(B)(R13*2), Y5); \
	OP(X, Y, (B)(R14*1), Y6); OP(X, Y, 32(B)(R14*1), Y7)

// ALL8 applies OP R, Yacc, Yacc to the eight accumulators, R0 to the first
// register of each row and R1 to the second.
#define ALL8(OP, R0, R1) \
	OP R0, Y0, Y0; OP R1, Y1, Y1; OP R0, Y2, Y2; OP R1, Y3, Y3; \
	OP R0, Y4, Y4; OP R1, Y5, Y5; OP R0, Y6, Y6; OP R1, Y7, Y7

#define ZERO8 \
	VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; VXORPS Y5, Y5, Y5; VXORPS Y6, Y6, Y6; VXORPS Y7, Y7, Y7

// FMA2 multiplies a row's broadcast A value (into Y) by B's two registers.
#define FMA2(BCAST, FMA, ADDR, Y, ACC0, ACC1) \
	BCAST ADDR, Y; \
	FMA Y8, Y, ACC0; \
	FMA Y9, Y, ACC1

#define STEP4(MOVU, BCAST, FMA) \
	MOVU (BX), Y8; \
	MOVU 32(BX), Y9; \
	FMA2(BCAST, FMA, (SI), Y10, Y0, Y1); \
	FMA2(BCAST, FMA, (SI)(R8*1), Y11, Y2, Y3); \
	FMA2(BCAST, FMA, (SI)(R8*2), Y12, Y4, Y5); \
	FMA2(BCAST, FMA, (SI)(R9*1), Y13, Y6, Y7)

// ADD1 adds the value at ADDR to Yacc; STORE1 stores Yacc there.
#define ADD1(ADD, UNUSED, ADDR, ACC) ADD ADDR, ACC, ACC
#define STORE1(MOVU, UNUSED, ADDR, ACC) MOVU ACC, ADDR

// MASK1 zeroes Yacc where !(aux > 0), aux at ADDR (Y15 is zero).
#define MASK1(CMP, AND, ADDR, ACC) \
	CMP $1, ADDR, Y15, Y14; \
	AND Y14, ACC, ACC

// RELU1 stores max(Yacc, 0) at ADDR, NaN kept (Y15 is zero).
#define RELU1(MAX, MOVU, ADDR, ACC) \
	MAX ACC, Y15, Y14; \
	MOVU Y14, ADDR

#define BIAS8(MOVU, ADD) \
	MOVU (BX), Y8; \
	MOVU 32(BX), Y9; \
	ALL8(ADD, Y8, Y9)

#define WITHZERO(OP, X, Y) \
	VXORPS Y15, Y15, Y15; \
	EACH4(OP, X, Y, BX)

// func gemm4x16F32(k int, alpha float32, a *float32, ars, acs int, b *float32, c *float32, ldc int, flags int, bias, aux *float32)
TEXT ·gemm4x16F32(SB), NOSPLIT, $0-88
	GEMM_KERNEL(2, 64, VBROADCASTSS, Y14, ZERO8, STEP4(VMOVUPS, VBROADCASTSS, VFMADD231PS), ALL8(VMULPS, Y14, Y14), EACH4(ADD1, VADDPS, VADDPS, DI), BIAS8(VMOVUPS, VADDPS), WITHZERO(MASK1, VCMPPS, VANDPS), EACH4(STORE1, VMOVUPS, VMOVUPS, DI), WITHZERO(RELU1, VMAXPS, VMOVUPS))

// func gemm4x8F64(k int, alpha float64, a *float64, ars, acs int, b *float64, c *float64, ldc int, flags int, bias, aux *float64)
TEXT ·gemm4x8F64(SB), NOSPLIT, $0-88
	GEMM_KERNEL(3, 64, VBROADCASTSD, Y14, ZERO8, STEP4(VMOVUPD, VBROADCASTSD, VFMADD231PD), ALL8(VMULPD, Y14, Y14), EACH4(ADD1, VADDPD, VADDPD, DI), BIAS8(VMOVUPD, VADDPD), WITHZERO(MASK1, VCMPPD, VANDPD), EACH4(STORE1, VMOVUPD, VMOVUPD, DI), WITHZERO(RELU1, VMAXPD, VMOVUPD))

// func copyRows(dst, src unsafe.Pointer, lds, rows, width int)
// copies rows rows of width bytes (a multiple of 32) from src, lds bytes
// apart, to dst, one after the other.
TEXT ·copyRows(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	MOVQ rows+24(FP), CX
	MOVQ width+32(FP), R9
	TESTQ CX, CX
	JEQ packDone

packRow:
	XORQ AX, AX

packChunk:
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, R9
	JLT     packChunk
	ADDQ    R8, SI
	ADDQ    R9, DI
	DECQ    CX
	JNE     packRow

packDone:
	VZEROUPPER
	RET
