//go:build !noasm

#include "textflag.h"

// The gather kernels of inference (see gather in inference.go) compress a
// row x into its nonzero values and their columns: a register of x at a
// time, a compare against 0 sets K1 (NaN counts as nonzero), VCOMPRESSPS/PD
// packs the values it selects and VPCOMPRESSD their columns (Z4, counting
// up) to the low lanes of a register, and a whole register is stored at the
// count so far, which advances by the mask's population count. The stores
// run up to a register past the last value kept: val and idx have room for
// len(x) plus one register's values. Compressing into a register and
// storing it is much faster than compressing into memory on AMD's Zen 4 and
// 5, which microcode the latter. The last, partial register is loaded
// under the mask K2 of the values left.

// GATHER is the skeleton: SCALE is the element's size, N the lanes of
// a register, MOVU its load, CMP its compare and COMPRESS its compression.
#define GATHER(SCALE, N, MOVU, CMP, COMPRESS) \
	MOVQ idx+0(FP), DI; \
	MOVQ val+8(FP), SI; \
	MOVQ x_base+16(FP), DX; \
	MOVQ x_len+24(FP), CX; \
	XORQ AX, AX; \
	VPXORD Z5, Z5, Z5; \
	VMOVDQU32 gatherIota<>(SB), Z4; \
	MOVL $N, R8; \
	VPBROADCASTD R8, Z6; \
	MOVL $-1, R9; \
	KMOVW R9, K2; \
loop: \
	CMPQ CX, $N; \
	JGE  full; \
	TESTQ CX, CX; \
	JEQ  done; \
	MOVL $1, R9; \
	SHLL CX, R9; \
	DECL R9; \
	KMOVW R9, K2; \
	MOVQ $N, CX; \
full: \
	MOVU.Z (DX), K2, Z0; \
	CMP $4, Z5, Z0, K2, K1; \
	COMPRESS Z0, K1, Z1; \
	VPCOMPRESSD Z4, K1, Z2; \
	MOVU Z1, (SI)(AX*SCALE); \
	VMOVDQU32 Z2, (DI)(AX*4); \
	KMOVW K1, R9; \
	POPCNTL R9, R9; \
	ADDQ R9, AX; \
	VPADDD Z6, Z4, Z4; \
	ADDQ $(N*SCALE), DX; \
	SUBQ $N, CX; \
	JNE  loop; \
done: \
	MOVQ AX, ret+40(FP); \
	VZEROUPPER; \
	RET

DATA gatherIota<>+0(SB)/8, $0x0000000100000000
DATA gatherIota<>+8(SB)/8, $0x0000000300000002
DATA gatherIota<>+16(SB)/8, $0x0000000500000004
DATA gatherIota<>+24(SB)/8, $0x0000000700000006
DATA gatherIota<>+32(SB)/8, $0x0000000900000008
DATA gatherIota<>+40(SB)/8, $0x0000000b0000000a
DATA gatherIota<>+48(SB)/8, $0x0000000d0000000c
DATA gatherIota<>+56(SB)/8, $0x0000000f0000000e
GLOBL gatherIota<>(SB), RODATA|NOPTR, $64

// func gatherF32(idx *int32, val *float32, x []float32) int
TEXT ·gatherF32(SB), NOSPLIT, $0-48
	GATHER(4, 16, VMOVUPS, VCMPPS, VCOMPRESSPS)

// func gatherF64(idx *int32, val *float64, x []float64) int
TEXT ·gatherF64(SB), NOSPLIT, $0-48
	GATHER(8, 8, VMOVUPD, VCMPPD, VCOMPRESSPD)

// sparseForward4RowsF32 is sparseForward on four rows at once, for a block
// of 64 columns (four registers) of each: the rows share the columns idx
// (the union of their nonzero inputs), and each has its own values, val's
// rows ldv apart. A row of W is loaded once for the four rows, which halves
// what W's rows cost from the L2 cache where the rows' nonzero inputs
// overlap, as neighbouring MNIST images' do:
//
//	z[r·ldz + j] += Σ_u val[r·ldv + u] · W[idx[u], j]    r < 4, j < 64
//
// Z0–Z15 hold z's block (row r in Z4r–Z4r+3), Z16–Z19 a row of W, Z20 the
// broadcast value. ldz, ldw and ldv count floats.

// FMA4 adds the broadcast of the value at ADDR times W's row to the four registers from Z.
#define FMA4(ADDR, A, B, C, D) \
	VBROADCASTSS ADDR, Z20; \
	VFMADD231PS Z16, Z20, A; VFMADD231PS Z17, Z20, B; VFMADD231PS Z18, Z20, C; VFMADD231PS Z19, Z20, D


// func sparseForward4RowsF32(z *float32, ldz int, w *float32, ldw int, idx []int32, val *float32, ldv int)
TEXT ·sparseForward4RowsF32(SB), NOSPLIT, $0-72
	MOVQ z+0(FP), DI
	MOVQ ldz+8(FP), R9
	SHLQ $2, R9
	LEAQ (DI)(R9*1), R12
	MOVQ w+16(FP), BX
	MOVQ ldw+24(FP), R8
	SHLQ $2, R8
	MOVQ idx_base+32(FP), SI
	MOVQ idx_len+40(FP), CX
	MOVQ val+56(FP), DX
	MOVQ ldv+64(FP), R10
	SHLQ $2, R10
	LEAQ (DX)(R10*1), R11
	VMOVUPS (DI), Z0; VMOVUPS 64(DI), Z1; VMOVUPS 128(DI), Z2; VMOVUPS 192(DI), Z3
	VMOVUPS (DI)(R9*1), Z4; VMOVUPS 64(DI)(R9*1), Z5; VMOVUPS 128(DI)(R9*1), Z6; VMOVUPS 192(DI)(R9*1), Z7
	VMOVUPS (DI)(R9*2), Z8; VMOVUPS 64(DI)(R9*2), Z9; VMOVUPS 128(DI)(R9*2), Z10; VMOVUPS 192(DI)(R9*2), Z11
	VMOVUPS (R12)(R9*2), Z12; VMOVUPS 64(R12)(R9*2), Z13; VMOVUPS 128(R12)(R9*2), Z14; VMOVUPS 192(R12)(R9*2), Z15
	TESTQ CX, CX
	JEQ   done4

loop4:
	MOVLQSX (SI), AX
	IMULQ   R8, AX
	ADDQ    BX, AX
	VMOVUPS (AX), Z16
	VMOVUPS 64(AX), Z17
	VMOVUPS 128(AX), Z18
	VMOVUPS 192(AX), Z19
	FMA4((DX), Z0, Z1, Z2, Z3)
	FMA4((DX)(R10*1), Z4, Z5, Z6, Z7)
	FMA4((DX)(R10*2), Z8, Z9, Z10, Z11)
	FMA4((R11)(R10*2), Z12, Z13, Z14, Z15)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, R11
	DECQ CX
	JNE  loop4

done4:
	VMOVUPS Z0, (DI); VMOVUPS Z1, 64(DI); VMOVUPS Z2, 128(DI); VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, (DI)(R9*1); VMOVUPS Z5, 64(DI)(R9*1); VMOVUPS Z6, 128(DI)(R9*1); VMOVUPS Z7, 192(DI)(R9*1)
	VMOVUPS Z8, (DI)(R9*2); VMOVUPS Z9, 64(DI)(R9*2); VMOVUPS Z10, 128(DI)(R9*2); VMOVUPS Z11, 192(DI)(R9*2)
	VMOVUPS Z12, (R12)(R9*2); VMOVUPS Z13, 64(R12)(R9*2); VMOVUPS Z14, 128(R12)(R9*2); VMOVUPS Z15, 192(R12)(R9*2)
	VZEROUPPER
	RET

// gather4F32 is gather on four rows of x at once (ldx apart), sharing their
// columns: it writes to idx the columns where any of the rows is nonzero
// (-0 counting as 0, NaN as nonzero) and to val's four rows (ldv apart) the
// rows' values there, and returns how many columns. The rows' OR, with the
// sign bit cleared, selects the columns (K1). Like gather it stores whole
// registers, a register past the count.
//
// func gather4F32(idx *int32, val *float32, ldv int, x *float32, ldx int, n int) int
TEXT ·gather4F32(SB), NOSPLIT, $0-56
	MOVQ idx+0(FP), DI
	MOVQ val+8(FP), SI
	MOVQ ldv+16(FP), R10
	SHLQ $2, R10
	LEAQ (SI)(R10*1), R11
	LEAQ (SI)(R10*2), R13
	LEAQ (R11)(R10*2), R14
	MOVQ x+24(FP), DX
	MOVQ ldx+32(FP), R9
	SHLQ $2, R9
	LEAQ (DX)(R9*1), R12
	MOVQ n+40(FP), CX
	XORQ AX, AX
	VMOVDQU32 gatherIota<>(SB), Z4
	MOVL $16, R8
	VPBROADCASTD R8, Z6
	MOVL $0x7fffffff, R8
	VPBROADCASTD R8, Z7
	MOVL $-1, R8
	KMOVW R8, K2

loop4g:
	CMPQ CX, $16
	JGE  full4g
	TESTQ CX, CX
	JEQ  done4g
	MOVL $1, R8
	SHLL CX, R8
	DECL R8
	KMOVW R8, K2
	MOVQ $16, CX

full4g:
	VMOVUPS.Z (DX), K2, Z0
	VMOVUPS.Z (DX)(R9*1), K2, Z1
	VMOVUPS.Z (DX)(R9*2), K2, Z2
	VMOVUPS.Z (R12)(R9*2), K2, Z3
	VPORD Z0, Z1, Z8
	VPORD Z2, Z8, Z8
	VPORD Z3, Z8, Z8
	VPTESTMD Z7, Z8, K2, K1
	VCOMPRESSPS Z0, K1, Z9
	VMOVUPS Z9, (SI)(AX*4)
	VCOMPRESSPS Z1, K1, Z9
	VMOVUPS Z9, (R11)(AX*4)
	VCOMPRESSPS Z2, K1, Z9
	VMOVUPS Z9, (R13)(AX*4)
	VCOMPRESSPS Z3, K1, Z9
	VMOVUPS Z9, (R14)(AX*4)
	VPCOMPRESSD Z4, K1, Z9
	VMOVDQU32 Z9, (DI)(AX*4)
	KMOVW K1, R8
	POPCNTL R8, R8
	ADDQ R8, AX
	VPADDD Z6, Z4, Z4
	ADDQ $64, DX
	ADDQ $64, R12
	SUBQ $16, CX
	JNE  loop4g

done4g:
	MOVQ AX, ret+48(FP)
	VZEROUPPER
	RET
