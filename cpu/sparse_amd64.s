//go:build !noasm

#include "textflag.h"

// AVX-512 kernels of per-example SGD on sparse inputs (see sparse.go): the
// first layer's W is held input-major, so that an input x_i ≠ 0 touches one
// contiguous row of W. A block of out values — eight registers (128 floats or
// 64 doubles), or one register under the mask K1 — stays in registers while
// the rows of the nonzero inputs stream past:
//
//	forward:  z[j] += Σ_k val[k] · W[idx[k], j]
//	update:   W[idx[k], j] += (alpha · val[k]) · dz[j],  then  b[j] += alpha · dz[j]
//
// The bias's product and sum are rounded apart, as b[j] += T(alpha·dz[j])
// is in Go.
//
// The forward kernels take the rows in idx's order, which fixes the order of
// z's sums; the update kernels take them in reverse, last row first, since
// each W[i, j] changes once whatever the order: a step's update follows its
// forward pass over the same rows, and those that pass read last are those
// still in L1.
//
// W[i, j] is at w + i·ldw + j. The caller checks the bounds, that idx holds
// rows of W, and that the CPU has AVX-512F. SH is log2 of the element's size.

// ROW8 applies OP to the eight registers of a block and the row at R.
#define ROW8(OP, R, Z) \
	OP (R), Z, Z0; OP 64(R), Z, Z1; OP 128(R), Z, Z2; OP 192(R), Z, Z3; \
	OP 256(R), Z, Z4; OP 320(R), Z, Z5; OP 384(R), Z, Z6; OP 448(R), Z, Z7

#define LOAD8(MOVU, R) \
	MOVU (R), Z0; MOVU 64(R), Z1; MOVU 128(R), Z2; MOVU 192(R), Z3; \
	MOVU 256(R), Z4; MOVU 320(R), Z5; MOVU 384(R), Z6; MOVU 448(R), Z7

#define STORE8(MOVU, R) \
	MOVU Z0, (R); MOVU Z1, 64(R); MOVU Z2, 128(R); MOVU Z3, 192(R); \
	MOVU Z4, 256(R); MOVU Z5, 320(R); MOVU Z6, 384(R); MOVU Z7, 448(R)

// UPDATE1 adds Z8 · Zdz to the register of the row at OFF(R), through Z9.
#define UPDATE1(MOVU, FMA, R, OFF, ZDZ) \
	MOVU OFF(R), Z9; \
	FMA ZDZ, Z8, Z9; \
	MOVU Z9, OFF(R)

// ROWADDR sets AX to the address of row idx[k] (SI at idx[k], BX = w, R8 = ldw in bytes).
#define ROWADDR \
	MOVLQSX (SI), AX; \
	IMULQ   R8, AX; \
	ADDQ    BX, AX

// SPARSE is the kernels' skeleton: with BX = w, R8 = ldw in bytes, SI
// walking idx, DX walking val and CX counting, LOAD takes the block into
// registers, FIRST points SI and DX at the first row to take, STEP applies
// the row at AX, and STORE writes the block back. DIR is 1 to walk forward,
// -1 to walk back.
#define SPARSE(SH, LOAD, FIRST, DIR, STEP, STORE) \
	MOVQ w+8(FP), BX; \
	MOVQ ldw+16(FP), R8; \
	SHLQ $SH, R8; \
	MOVQ idx_base+24(FP), SI; \
	MOVQ idx_len+32(FP), CX; \
	MOVQ val_base+48(FP), DX; \
	LOAD; \
	TESTQ CX, CX; \
	JEQ   done; \
	FIRST; \
loop: \
	ROWADDR; \
	STEP; \
	ADDQ $(DIR*4), SI; \
	ADDQ $(DIR*(1<<SH)), DX; \
	DECQ CX; \
	JNE  loop; \
done: \
	STORE; \
	VZEROUPPER; \
	RET

// LAST points SI and DX at the last row (CX rows, SCALE bytes a value).
#define LAST(SCALE) LEAQ -4(SI)(CX*4), SI; LEAQ -SCALE(DX)(CX*SCALE), DX

// The forward kernel on eight registers of z, and on one under the mask K1.
#define FORWARD8_LOAD(MOVU) MOVQ z+0(FP), DI; LOAD8(MOVU, DI)
#define FORWARD8_STEP(BCAST, FMA) BCAST (DX), Z8; ROW8(FMA, AX, Z8)
#define FORWARD1_LOAD(MOVU) MOVQ mask+72(FP), AX; KMOVW AX, K1; MOVQ z+0(FP), DI; MOVU.Z (DI), K1, Z0
#define FORWARD1_STEP(BCAST, FMA) BCAST (DX), Z8; FMA (AX), Z8, K1, Z0
#define FORWARD1_STORE(MOVU) MOVU Z0, K1, (DI)

// COEFF sets Z8 to alpha · val[k] (DX at val[k]), rounded to the element's precision.
#define COEFF(MOVS, MULS, BCAST) \
	MOVS (DX), X8; \
	MULS alpha+72(FP), X8, X8; \
	BCAST X8, Z8

// The update kernel on eight registers of dz, and on one under the mask K1.
#define UPDATE8_LOAD(MOVU) MOVQ dz+0(FP), DI; LOAD8(MOVU, DI)
#define UPDATE8_STEP(MOVU, MOVS, MULS, BCAST, FMA) \
	COEFF(MOVS, MULS, BCAST); \
	UPDATE1(MOVU, FMA, AX, 0, Z0); UPDATE1(MOVU, FMA, AX, 64, Z1); \
	UPDATE1(MOVU, FMA, AX, 128, Z2); UPDATE1(MOVU, FMA, AX, 192, Z3); \
	UPDATE1(MOVU, FMA, AX, 256, Z4); UPDATE1(MOVU, FMA, AX, 320, Z5); \
	UPDATE1(MOVU, FMA, AX, 384, Z6); UPDATE1(MOVU, FMA, AX, 448, Z7)
#define UPDATE1_LOAD(MOVU) MOVQ mask+88(FP), AX; KMOVW AX, K1; MOVQ dz+0(FP), DI; MOVU.Z (DI), K1, Z0
#define UPDATE1_STEP(MOVU, MOVS, MULS, BCAST, FMA) \
	COEFF(MOVS, MULS, BCAST); \
	MOVU.Z (AX), K1, Z9; \
	FMA Z0, Z8, Z9; \
	MOVU Z9, K1, (AX)

// BIAS1 sets the register Z of dz to b's at OFF(DI) plus alpha (Z8) · Z and stores it there.
#define BIAS1(MOVU, MUL, ADD, OFF, Z) MUL Z8, Z, Z; ADD OFF(DI), Z, Z; MOVU Z, OFF(DI)
// The update kernels' last act: b += alpha·dz, on eight registers, and on one under the mask K1.
#define UPDATE8_BIAS(MOVU, BCAST, MUL, ADD) \
	MOVQ b+80(FP), DI; BCAST alpha+72(FP), Z8; \
	BIAS1(MOVU, MUL, ADD, 0, Z0); BIAS1(MOVU, MUL, ADD, 64, Z1); BIAS1(MOVU, MUL, ADD, 128, Z2); BIAS1(MOVU, MUL, ADD, 192, Z3); \
	BIAS1(MOVU, MUL, ADD, 256, Z4); BIAS1(MOVU, MUL, ADD, 320, Z5); BIAS1(MOVU, MUL, ADD, 384, Z6); BIAS1(MOVU, MUL, ADD, 448, Z7)
#define UPDATE1_BIAS(MOVU, BCAST, MUL, ADD) \
	MOVQ b+80(FP), DI; BCAST alpha+72(FP), Z8; \
	MUL Z8, Z0, Z0; MOVU.Z (DI), K1, Z9; ADD Z9, Z0, Z0; MOVU Z0, K1, (DI)

// func sparseForward8F32(z, w *float32, ldw int, idx []int32, val []float32)
TEXT ·sparseForward8F32(SB), NOSPLIT, $0-72
	SPARSE(2, FORWARD8_LOAD(VMOVUPS), NOP, 1, FORWARD8_STEP(VBROADCASTSS, VFMADD231PS), STORE8(VMOVUPS, DI))

// func sparseForward8F64(z, w *float64, ldw int, idx []int32, val []float64)
TEXT ·sparseForward8F64(SB), NOSPLIT, $0-72
	SPARSE(3, FORWARD8_LOAD(VMOVUPD), NOP, 1, FORWARD8_STEP(VBROADCASTSD, VFMADD231PD), STORE8(VMOVUPD, DI))

// func sparseForward1F32(z, w *float32, ldw int, idx []int32, val []float32, mask int)
TEXT ·sparseForward1F32(SB), NOSPLIT, $0-80
	SPARSE(2, FORWARD1_LOAD(VMOVUPS), NOP, 1, FORWARD1_STEP(VBROADCASTSS, VFMADD231PS), FORWARD1_STORE(VMOVUPS))

// func sparseForward1F64(z, w *float64, ldw int, idx []int32, val []float64, mask int)
TEXT ·sparseForward1F64(SB), NOSPLIT, $0-80
	SPARSE(3, FORWARD1_LOAD(VMOVUPD), NOP, 1, FORWARD1_STEP(VBROADCASTSD, VFMADD231PD), FORWARD1_STORE(VMOVUPD))

// func sparseUpdate8F32(dz, w *float32, ldw int, idx []int32, val []float32, alpha float32, b *float32)
TEXT ·sparseUpdate8F32(SB), NOSPLIT, $0-88
	SPARSE(2, UPDATE8_LOAD(VMOVUPS), LAST(4), -1, UPDATE8_STEP(VMOVUPS, VMOVSS, VMULSS, VBROADCASTSS, VFMADD231PS), UPDATE8_BIAS(VMOVUPS, VBROADCASTSS, VMULPS, VADDPS))

// func sparseUpdate8F64(dz, w *float64, ldw int, idx []int32, val []float64, alpha float64, b *float64)
TEXT ·sparseUpdate8F64(SB), NOSPLIT, $0-88
	SPARSE(3, UPDATE8_LOAD(VMOVUPD), LAST(8), -1, UPDATE8_STEP(VMOVUPD, VMOVSD, VMULSD, VBROADCASTSD, VFMADD231PD), UPDATE8_BIAS(VMOVUPD, VBROADCASTSD, VMULPD, VADDPD))

// func sparseUpdate1F32(dz, w *float32, ldw int, idx []int32, val []float32, alpha float32, b *float32, mask int)
TEXT ·sparseUpdate1F32(SB), NOSPLIT, $0-96
	SPARSE(2, UPDATE1_LOAD(VMOVUPS), LAST(4), -1, UPDATE1_STEP(VMOVUPS, VMOVSS, VMULSS, VBROADCASTSS, VFMADD231PS), UPDATE1_BIAS(VMOVUPS, VBROADCASTSS, VMULPS, VADDPS))

// func sparseUpdate1F64(dz, w *float64, ldw int, idx []int32, val []float64, alpha float64, b *float64, mask int)
TEXT ·sparseUpdate1F64(SB), NOSPLIT, $0-96
	SPARSE(3, UPDATE1_LOAD(VMOVUPD), LAST(8), -1, UPDATE1_STEP(VMOVUPD, VMOVSD, VMULSD, VBROADCASTSD, VFMADD231PD), UPDATE1_BIAS(VMOVUPD, VBROADCASTSD, VMULPD, VADDPD))
