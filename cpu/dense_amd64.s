//go:build !noasm

#include "textflag.h"

// AVX-512 kernels of one example's dense layer (ops.go's DenseForward and
// DenseBackward), where call overheads and horizontal sums weigh as much as
// the arithmetic on small layers:
//
//	gemv:   z[i] = b[i] + Σ_j w[i·ldw + j] · x[j]       i < rows, j < n
//	rank1:  dprev[j] = Σ_i dz[i] · w[i·ldw + j]          (unless dprev is nil)
//	        w[i·ldw + j] += (nlr · dz[i]) · x[j]         for the rows whose dz[i] is not 0
//
// gemv takes rows four at a time, over full registers then one under the
// mask K1 (fault-suppressed past n); rank1 takes a block of eight registers
// of the columns (x and dprev held in registers) or one under the mask K1,
// visits every row and rounds as DenseBackward's axpys. The caller checks the
// bounds and that the CPU has AVX-512F. SH is log2 of the element's size.

// GEMV_ROWS accumulates rows at BX, R13, R14, R15 times x into Z0–Z3:
// R10 full registers, then the masked one if R11 is not 0.
#define GEMV_ROWS(MOVU, FMA) \
	XORQ AX, AX; \
	MOVQ R10, R12; \
	TESTQ R12, R12; \
	JEQ tail4; \
loop4: \
	MOVU (SI)(AX*1), Z4; \
	FMA (BX)(AX*1), Z4, Z0; \
	FMA (R13)(AX*1), Z4, Z1; \
	FMA (R14)(AX*1), Z4, Z2; \
	FMA (R15)(AX*1), Z4, Z3; \
	ADDQ $64, AX; \
	DECQ R12; \
	JNE loop4; \
tail4: \
	TESTQ R11, R11; \
	JEQ sum4; \
	MOVU.Z (SI)(AX*1), K1, Z4; \
	FMA (BX)(AX*1), Z4, K1, Z0; \
	FMA (R13)(AX*1), Z4, K1, Z1; \
	FMA (R14)(AX*1), Z4, K1, Z2; \
	FMA (R15)(AX*1), Z4, K1, Z3; \
sum4:

// GEMV_ROW accumulates the row at BX times x into Z0.
#define GEMV_ROW(MOVU, FMA) \
	XORQ AX, AX; \
	MOVQ R10, R12; \
	TESTQ R12, R12; \
	JEQ tail1; \
loop1: \
	MOVU (SI)(AX*1), Z4; \
	FMA (BX)(AX*1), Z4, Z0; \
	ADDQ $64, AX; \
	DECQ R12; \
	JNE loop1; \
tail1: \
	TESTQ R11, R11; \
	JEQ sum1; \
	MOVU.Z (SI)(AX*1), K1, Z4; \
	FMA (BX)(AX*1), Z4, K1, Z0; \
sum1:

// The sums of Z0–Z3 into the four values at X0 (float32) or Y0 (float64),
// and of Z0 into X0's first.
#define SUM4F32 \
	VEXTRACTF64X4 $1, Z0, Y4; VADDPS Y4, Y0, Y0; \
	VEXTRACTF64X4 $1, Z1, Y4; VADDPS Y4, Y1, Y1; \
	VEXTRACTF64X4 $1, Z2, Y4; VADDPS Y4, Y2, Y2; \
	VEXTRACTF64X4 $1, Z3, Y4; VADDPS Y4, Y3, Y3; \
	VHADDPS Y1, Y0, Y0; \
	VHADDPS Y3, Y2, Y2; \
	VHADDPS Y2, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0

#define SUM1F32 \
	VEXTRACTF64X4 $1, Z0, Y1; VADDPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; VADDPS X1, X0, X0; \
	VHADDPS X0, X0, X0; VHADDPS X0, X0, X0

#define SUM4F64 \
	VEXTRACTF64X4 $1, Z0, Y4; VADDPD Y4, Y0, Y0; \
	VEXTRACTF64X4 $1, Z1, Y4; VADDPD Y4, Y1, Y1; \
	VEXTRACTF64X4 $1, Z2, Y4; VADDPD Y4, Y2, Y2; \
	VEXTRACTF64X4 $1, Z3, Y4; VADDPD Y4, Y3, Y3; \
	VHADDPD Y1, Y0, Y0; \
	VHADDPD Y3, Y2, Y2; \
	VPERM2F128 $0x20, Y2, Y0, Y4; \
	VPERM2F128 $0x31, Y2, Y0, Y5; \
	VADDPD Y5, Y4, Y0

#define SUM1F64 \
	VEXTRACTF64X4 $1, Z0, Y1; VADDPD Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; VADDPD X1, X0, X0; \
	VHADDPD X0, X0, X0

// GEMV is the forward kernel: SUM4 and SUM1 as above, ADD4 and STORE4 the
// four sums' bias and store in R4 (ADDS and MOVS the one's), B4 the bytes of four.
#define GEMV(SH, B4, MOVU, FMA, SUM4, R4, ADD4, STORE4, SUM1, ADDS, MOVS) \
	MOVQ z+0(FP), DI; \
	MOVQ w+8(FP), BX; \
	MOVQ ldw+16(FP), R8; \
	SHLQ $SH, R8; \
	MOVQ rows+24(FP), CX; \
	MOVQ x+32(FP), SI; \
	MOVQ full+40(FP), R10; \
	MOVQ mask+48(FP), R11; \
	KMOVW R11, K1; \
	MOVQ b+56(FP), R9; \
group: \
	CMPQ CX, $4; \
	JLT single; \
	LEAQ (BX)(R8*1), R13; \
	LEAQ (R13)(R8*1), R14; \
	LEAQ (R14)(R8*1), R15; \
	VPXORD Z0, Z0, Z0; VPXORD Z1, Z1, Z1; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3; \
	GEMV_ROWS(MOVU, FMA); \
	SUM4; \
	ADD4 (R9), R4, R4; \
	STORE4 R4, (DI); \
	ADDQ $B4, DI; \
	ADDQ $B4, R9; \
	LEAQ (BX)(R8*4), BX; \
	SUBQ $4, CX; \
	JMP group; \
single: \
	TESTQ CX, CX; \
	JEQ done; \
	VPXORD Z0, Z0, Z0; \
	GEMV_ROW(MOVU, FMA); \
	SUM1; \
	ADDS (R9), X0, X0; \
	MOVS X0, (DI); \
	ADDQ $(1<<SH), DI; \
	ADDQ $(1<<SH), R9; \
	ADDQ R8, BX; \
	DECQ CX; \
	JMP single; \
done: \
	VZEROUPPER; \
	RET

// RANK1 is the backward kernel's skeleton: for each row whose dz is not 0
// (NaN included), Z16 = dz[i] and Z17 = nlr·dz[i] broadcast, then ROW at BX;
// LOADX before, with DI = dprev (0 for none), STORED after.
#define RANK1(SH, LOADX, MOVS, MULS, BCAST, UCOMIS, ROW, STORED) \
	MOVQ dprev+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ w+16(FP), BX; \
	MOVQ ldw+24(FP), R8; \
	SHLQ $SH, R8; \
	MOVQ rows+32(FP), CX; \
	MOVQ dz+40(FP), DX; \
	LOADX; \
	VPXORD Z26, Z26, Z26; \
	TESTQ CX, CX; \
	JEQ done; \
row: \
	MOVS (DX), X16; \
	UCOMIS X26, X16; \
	JNE update; \
	JPS update; \
	JMP next; \
update: \
	MULS nlr+48(FP), X16, X17; \
	BCAST X16, Z16; \
	BCAST X17, Z17; \
	ROW; \
next: \
	ADDQ R8, BX; \
	ADDQ $(1<<SH), DX; \
	DECQ CX; \
	JNE row; \
done: \
	STORED; \
	VZEROUPPER; \
	RET

// RANK1_V updates register V of the row at BX (offset OFF, x in ZX, dprev's
// sum in ZD, scratch ZW).
#define RANK1_V(MOVU, FMA, OFF, ZX, ZD, ZW) \
	MOVU OFF(BX), ZW; \
	FMA ZW, Z16, ZD; \
	FMA ZX, Z17, ZW; \
	MOVU ZW, OFF(BX)

#define RANK1_ROW8(MOVU, FMA) \
	RANK1_V(MOVU, FMA, 0, Z0, Z8, Z18); RANK1_V(MOVU, FMA, 64, Z1, Z9, Z19); \
	RANK1_V(MOVU, FMA, 128, Z2, Z10, Z20); RANK1_V(MOVU, FMA, 192, Z3, Z11, Z21); \
	RANK1_V(MOVU, FMA, 256, Z4, Z12, Z22); RANK1_V(MOVU, FMA, 320, Z5, Z13, Z23); \
	RANK1_V(MOVU, FMA, 384, Z6, Z14, Z24); RANK1_V(MOVU, FMA, 448, Z7, Z15, Z25)

#define RANK1_LOAD8(MOVU) \
	MOVU (SI), Z0; MOVU 64(SI), Z1; MOVU 128(SI), Z2; MOVU 192(SI), Z3; \
	MOVU 256(SI), Z4; MOVU 320(SI), Z5; MOVU 384(SI), Z6; MOVU 448(SI), Z7; \
	VPXORD Z8, Z8, Z8; VPXORD Z9, Z9, Z9; VPXORD Z10, Z10, Z10; VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; VPXORD Z13, Z13, Z13; VPXORD Z14, Z14, Z14; VPXORD Z15, Z15, Z15

// RANK1_STORE8 stores dprev's block, unless DI is 0.
#define RANK1_STORE8(MOVU) \
	TESTQ DI, DI; \
	JEQ nodprev; \
	MOVU Z8, (DI); MOVU Z9, 64(DI); MOVU Z10, 128(DI); MOVU Z11, 192(DI); \
	MOVU Z12, 256(DI); MOVU Z13, 320(DI); MOVU Z14, 384(DI); MOVU Z15, 448(DI); \
nodprev:

#define RANK1_LOAD1(MOVU) \
	MOVQ mask+56(FP), AX; \
	KMOVW AX, K1; \
	MOVU.Z (SI), K1, Z0; \
	VPXORD Z8, Z8, Z8

#define RANK1_ROW1(MOVU, FMA) \
	MOVU.Z (BX), K1, Z18; \
	FMA Z18, Z16, Z8; \
	FMA Z0, Z17, Z18; \
	MOVU Z18, K1, (BX)

#define RANK1_STORE1(MOVU) \
	TESTQ DI, DI; \
	JEQ nodprev; \
	MOVU Z8, K1, (DI); \
nodprev:

// func gemvF32(z, w *float32, ldw, rows int, x *float32, full, mask int, b *float32)
TEXT ·gemvF32(SB), NOSPLIT, $0-64
	GEMV(2, 16, VMOVUPS, VFMADD231PS, SUM4F32, X0, VADDPS, VMOVUPS, SUM1F32, VADDSS, VMOVSS)

// func gemvF64(z, w *float64, ldw, rows int, x *float64, full, mask int, b *float64)
TEXT ·gemvF64(SB), NOSPLIT, $0-64
	GEMV(3, 32, VMOVUPD, VFMADD231PD, SUM4F64, Y0, VADDPD, VMOVUPD, SUM1F64, VADDSD, VMOVSD)

// func rank1Rows8F32(dprev, x, w *float32, ldw, rows int, dz *float32, nlr float32)
TEXT ·rank1Rows8F32(SB), NOSPLIT, $0-52
	RANK1(2, RANK1_LOAD8(VMOVUPS), VMOVSS, VMULSS, VBROADCASTSS, VUCOMISS, RANK1_ROW8(VMOVUPS, VFMADD231PS), RANK1_STORE8(VMOVUPS))

// func rank1Rows8F64(dprev, x, w *float64, ldw, rows int, dz *float64, nlr float64)
TEXT ·rank1Rows8F64(SB), NOSPLIT, $0-56
	RANK1(3, RANK1_LOAD8(VMOVUPD), VMOVSD, VMULSD, VBROADCASTSD, VUCOMISD, RANK1_ROW8(VMOVUPD, VFMADD231PD), RANK1_STORE8(VMOVUPD))

// func rank1Rows1F32(dprev, x, w *float32, ldw, rows int, dz *float32, nlr float32, mask int)
TEXT ·rank1Rows1F32(SB), NOSPLIT, $0-64
	RANK1(2, RANK1_LOAD1(VMOVUPS), VMOVSS, VMULSS, VBROADCASTSS, VUCOMISS, RANK1_ROW1(VMOVUPS, VFMADD231PS), RANK1_STORE1(VMOVUPS))

// func rank1Rows1F64(dprev, x, w *float64, ldw, rows int, dz *float64, nlr float64, mask int)
TEXT ·rank1Rows1F64(SB), NOSPLIT, $0-64
	RANK1(3, RANK1_LOAD1(VMOVUPD), VMOVSD, VMULSD, VBROADCASTSD, VUCOMISD, RANK1_ROW1(VMOVUPD, VFMADD231PD), RANK1_STORE1(VMOVUPD))
