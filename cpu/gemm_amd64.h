// The skeleton of the micro-kernels of the mini-batch products, which
// gemm_avx512_amd64.s and gemm_avx2_amd64.s fill with their registers:
//
//	C[i, 0:w] = alpha · Σ_l A[i, l] · B[l, 0:w]  [+ C[i, 0:w]]  [+ bias[0:w]]
//	then  aux[i, 0:w] = max(C[i, 0:w], 0)     (flags & reluOut)
//	or    C[i, j] = 0 where !(aux[i, j] > 0)    (flags & reluMask)
//
// for the block's rows i. A[i, l] is at a + (i·ars + l·acs) elements and is
// broadcast; B is packed, row l of the block at b + l·BSTEP bytes; C[i, j]
// and aux[i, j] are at i·ldc + j. The flags are gemm.go's: loadC 1, addBias
// 2, reluOut 4, reluMask 8. The caller checks the bounds and the CPU.
//
// Registers: SI walks A, whose rows are at SI + {0, 1, 2, 4}·R8, R9 = 3·R8,
// R10 = 5·R8, R11 = 7·R8; BX walks B; DI is C, whose rows are at DI +
// {0, 1, 2, 4}·R13, R14 = 3·R13, R15 = 5·R13, AX = 7·R13 (in bytes); BX is
// then bias, and aux; DX holds the flags. SH is log2 of the element's size.
// ZERO clears the accumulators, STEP runs one l, SCALE multiplies them by
// ALPHA, LOADC adds C, BIAS adds the bias at BX, MASK applies the relu's
// gradient from aux at BX, STORE writes C, RELU writes aux.
#define GEMM_KERNEL(SH, BSTEP, BCAST, ALPHA, ZERO, STEP, SCALE, LOADC, BIAS, MASK, STORE, RELU) \
	MOVQ k+0(FP), CX; \
	MOVQ a+16(FP), SI; \
	MOVQ ars+24(FP), R8; \
	SHLQ $SH, R8; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R8)(R8*4), R10; \
	LEAQ (R9)(R8*4), R11; \
	MOVQ acs+32(FP), R12; \
	SHLQ $SH, R12; \
	MOVQ b+40(FP), BX; \
	ZERO; \
	TESTQ CX, CX; \
	JEQ epilogue; \
loop: \
	STEP; \
	ADDQ R12, SI; \
	ADDQ $BSTEP, BX; \
	DECQ CX; \
	JNE loop; \
epilogue: \
	MOVQ c+48(FP), DI; \
	MOVQ ldc+56(FP), R13; \
	SHLQ $SH, R13; \
	LEAQ (R13)(R13*2), R14; \
	LEAQ (R13)(R13*4), R15; \
	LEAQ (R14)(R13*4), AX; \
	MOVQ flags+64(FP), DX; \
	BCAST alpha+8(FP), ALPHA; \
	SCALE; \
	TESTQ $1, DX; \
	JEQ noLoad; \
	LOADC; \
noLoad: \
	TESTQ $2, DX; \
	JEQ noBias; \
	MOVQ bias+72(FP), BX; \
	BIAS; \
noBias: \
	MOVQ aux+80(FP), BX; \
	TESTQ $8, DX; \
	JEQ noMask; \
	MASK; \
noMask: \
	STORE; \
	TESTQ $4, DX; \
	JEQ done; \
	RELU; \
done: \
	VZEROUPPER; \
	RET
