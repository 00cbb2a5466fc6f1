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
