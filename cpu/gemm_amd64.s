#include "textflag.h"

// Micro-kernels of the mini-batch products: a block of 4 rows of C, 16
// floats or 8 doubles wide, accumulated in eight registers over the whole
// inner dimension, then C += alpha·accumulator:
//
//	C[i, 0:w] += alpha · Σ_l A[i, l] · B[l, 0:w]    for i in 0..3
//
// A[i, l] is at a + (i·ars + l·acs) elements, B[l, j] at b + l·ldb + j and
// C[i, j] at c + i·ldc + j. The caller checks the bounds and that the CPU has
// AVX2 and FMA.

// func gemm4x16F32(k int, alpha float32, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int)
TEXT ·gemm4x16F32(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+16(FP), SI
	MOVQ ars+24(FP), R8
	SHLQ $2, R8                 // R8 = 4·ars bytes: row 1 of A
	LEAQ (R8)(R8*1), R9         // R9: row 2
	LEAQ (R9)(R8*1), R10        // R10: row 3
	MOVQ acs+32(FP), R11
	SHLQ $2, R11                // A's step per l, in bytes
	MOVQ b+40(FP), BX
	MOVQ ldb+48(FP), R12
	SHLQ $2, R12                // B's step per l, in bytes
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

gemmF32Loop:
	CMPQ         CX, $0
	JE           gemmF32Store
	VMOVUPS      (BX), Y8
	VMOVUPS      32(BX), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (SI)(R8*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (SI)(R9*1), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (SI)(R10*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         R11, SI
	ADDQ         R12, BX
	DECQ         CX
	JMP          gemmF32Loop

gemmF32Store:
	VBROADCASTSS alpha+8(FP), Y14
	MOVQ         c+56(FP), DI
	MOVQ         ldc+64(FP), R13
	SHLQ         $2, R13
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VFMADD231PS  Y0, Y14, Y8
	VFMADD231PS  Y1, Y14, Y9
	VMOVUPS      Y8, (DI)
	VMOVUPS      Y9, 32(DI)
	ADDQ         R13, DI
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VFMADD231PS  Y2, Y14, Y8
	VFMADD231PS  Y3, Y14, Y9
	VMOVUPS      Y8, (DI)
	VMOVUPS      Y9, 32(DI)
	ADDQ         R13, DI
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VFMADD231PS  Y4, Y14, Y8
	VFMADD231PS  Y5, Y14, Y9
	VMOVUPS      Y8, (DI)
	VMOVUPS      Y9, 32(DI)
	ADDQ         R13, DI
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VFMADD231PS  Y6, Y14, Y8
	VFMADD231PS  Y7, Y14, Y9
	VMOVUPS      Y8, (DI)
	VMOVUPS      Y9, 32(DI)
	VZEROUPPER
	RET

// func gemm4x8F64(k int, alpha float64, a *float64, ars, acs int, b *float64, ldb int, c *float64, ldc int)
TEXT ·gemm4x8F64(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+16(FP), SI
	MOVQ ars+24(FP), R8
	SHLQ $3, R8
	LEAQ (R8)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	MOVQ acs+32(FP), R11
	SHLQ $3, R11
	MOVQ b+40(FP), BX
	MOVQ ldb+48(FP), R12
	SHLQ $3, R12
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

gemmF64Loop:
	CMPQ         CX, $0
	JE           gemmF64Store
	VMOVUPD      (BX), Y8
	VMOVUPD      32(BX), Y9
	VBROADCASTSD (SI), Y10
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y9, Y10, Y1
	VBROADCASTSD (SI)(R8*1), Y11
	VFMADD231PD  Y8, Y11, Y2
	VFMADD231PD  Y9, Y11, Y3
	VBROADCASTSD (SI)(R9*1), Y12
	VFMADD231PD  Y8, Y12, Y4
	VFMADD231PD  Y9, Y12, Y5
	VBROADCASTSD (SI)(R10*1), Y13
	VFMADD231PD  Y8, Y13, Y6
	VFMADD231PD  Y9, Y13, Y7
	ADDQ         R11, SI
	ADDQ         R12, BX
	DECQ         CX
	JMP          gemmF64Loop

gemmF64Store:
	VBROADCASTSD alpha+8(FP), Y14
	MOVQ         c+56(FP), DI
	MOVQ         ldc+64(FP), R13
	SHLQ         $3, R13
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VFMADD231PD  Y0, Y14, Y8
	VFMADD231PD  Y1, Y14, Y9
	VMOVUPD      Y8, (DI)
	VMOVUPD      Y9, 32(DI)
	ADDQ         R13, DI
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VFMADD231PD  Y2, Y14, Y8
	VFMADD231PD  Y3, Y14, Y9
	VMOVUPD      Y8, (DI)
	VMOVUPD      Y9, 32(DI)
	ADDQ         R13, DI
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VFMADD231PD  Y4, Y14, Y8
	VFMADD231PD  Y5, Y14, Y9
	VMOVUPD      Y8, (DI)
	VMOVUPD      Y9, 32(DI)
	ADDQ         R13, DI
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VFMADD231PD  Y6, Y14, Y8
	VFMADD231PD  Y7, Y14, Y9
	VMOVUPD      Y8, (DI)
	VMOVUPD      Y9, 32(DI)
	VZEROUPPER
	RET
