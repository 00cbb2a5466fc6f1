//go:build !noasm

#include "textflag.h"

// Adam's and AdamW's step (engine.Update) on AVX2, 8 floats or 4 doubles a
// register: the same operations as engine.Update's loop, in the same order
// and unfused, so the same bits:
//
//	p = p·decay                 (AdamW; decay is 1 for Adam, and p·1 = p)
//	m = b1·m + c1·g
//	v = b2·v + (c2·g)·g
//	p = p − stepSize·(m / (√v / bc2Sqrt + eps))
//
// n counts whole registers; the caller runs the values past them through
// engine.Update. The coefficients are the struct adamCoefficients of the
// element type: decay, b1, c1, b2, c2, stepSize, bc2Sqrt, eps.

// COEFF broadcasts the coefficient at AX into Y and moves AX to the next
// (SH is log2 of the element's size).
#define COEFF(BCAST, SH, Y) BCAST (AX), Y; ADDQ $(1<<SH), AX

// ADAM_STEP runs the loop. SH is log2 of the element's size, W the values
// in a register; BCAST, MOVU and the arithmetic are the element type's.
#define ADAM_STEP(SH, W, BCAST, MOVU, VMUL, VADD, VSUB, VDIV, VSQRT) \
	MOVQ p+0(FP), DI; \
	MOVQ grad+8(FP), SI; \
	MOVQ m+16(FP), R8; \
	MOVQ v+24(FP), R9; \
	MOVQ n+32(FP), CX; \
	MOVQ c+40(FP), AX; \
	COEFF(BCAST, SH, Y8); \
	COEFF(BCAST, SH, Y9); \
	COEFF(BCAST, SH, Y10); \
	COEFF(BCAST, SH, Y11); \
	COEFF(BCAST, SH, Y12); \
	COEFF(BCAST, SH, Y13); \
	COEFF(BCAST, SH, Y14); \
	COEFF(BCAST, SH, Y15); \
	TESTQ CX, CX; \
	JEQ done; \
loop: \
	MOVU (DI), Y0; \
	VMUL Y8, Y0, Y0; \
	MOVU (SI), Y1; \
	MOVU (R8), Y2; \
	VMUL Y9, Y2, Y2; \
	VMUL Y10, Y1, Y3; \
	VADD Y3, Y2, Y2; \
	MOVU Y2, (R8); \
	MOVU (R9), Y4; \
	VMUL Y11, Y4, Y4; \
	VMUL Y12, Y1, Y5; \
	VMUL Y1, Y5, Y5; \
	VADD Y5, Y4, Y4; \
	MOVU Y4, (R9); \
	VSQRT Y4, Y6; \
	VDIV Y14, Y6, Y6; \
	VADD Y15, Y6, Y6; \
	VDIV Y6, Y2, Y6; \
	VMUL Y13, Y6, Y6; \
	VSUB Y6, Y0, Y0; \
	MOVU Y0, (DI); \
	ADDQ $(W<<SH), DI; \
	ADDQ $(W<<SH), SI; \
	ADDQ $(W<<SH), R8; \
	ADDQ $(W<<SH), R9; \
	DECQ CX; \
	JNE loop; \
done: \
	VZEROUPPER; \
	RET

// SGD's step with momentum (engine.Update) on AVX2, the same operations in
// the same order, unfused:
//
//	g = g + wd·p                (flags&1: weight decay)
//	buf = mu·buf + g
//	g = g + mu·buf              (flags&2: Nesterov), else g = buf
//	p = p − lr·g
//
// n counts whole registers; c points at wd, mu and lr in the element type.
#define MOMENTUM_STEP(SH, W, BCAST, MOVU, MOVA, VMUL, VADD, VSUB) \
	MOVQ p+0(FP), DI; \
	MOVQ grad+8(FP), SI; \
	MOVQ buf+16(FP), R8; \
	MOVQ n+24(FP), CX; \
	MOVQ flags+32(FP), DX; \
	MOVQ c+40(FP), AX; \
	COEFF(BCAST, SH, Y8); \
	COEFF(BCAST, SH, Y9); \
	COEFF(BCAST, SH, Y10); \
	TESTQ CX, CX; \
	JEQ done; \
loop: \
	MOVU (DI), Y0; \
	MOVU (SI), Y1; \
	TESTQ $1, DX; \
	JEQ decayed; \
	VMUL Y8, Y0, Y3; \
	VADD Y3, Y1, Y1; \
decayed: \
	MOVU (R8), Y2; \
	VMUL Y9, Y2, Y2; \
	VADD Y1, Y2, Y2; \
	MOVU Y2, (R8); \
	TESTQ $2, DX; \
	JEQ heavyBall; \
	VMUL Y9, Y2, Y3; \
	VADD Y3, Y1, Y1; \
	JMP stepped; \
heavyBall: \
	MOVA Y2, Y1; \
stepped: \
	VMUL Y10, Y1, Y3; \
	VSUB Y3, Y0, Y0; \
	MOVU Y0, (DI); \
	ADDQ $(W<<SH), DI; \
	ADDQ $(W<<SH), SI; \
	ADDQ $(W<<SH), R8; \
	DECQ CX; \
	JNE loop; \
done: \
	VZEROUPPER; \
	RET

// func adamF32(p, grad, m, v *float32, n int, c *adamCoefficients[float32])
TEXT ·adamF32(SB), NOSPLIT, $0-48
	ADAM_STEP(2, 8, VBROADCASTSS, VMOVUPS, VMULPS, VADDPS, VSUBPS, VDIVPS, VSQRTPS)

// func adamF64(p, grad, m, v *float64, n int, c *adamCoefficients[float64])
TEXT ·adamF64(SB), NOSPLIT, $0-48
	ADAM_STEP(3, 4, VBROADCASTSD, VMOVUPD, VMULPD, VADDPD, VSUBPD, VDIVPD, VSQRTPD)

// func momentumF32(p, grad, buf *float32, n, flags int, c *momentumCoefficients[float32])
TEXT ·momentumF32(SB), NOSPLIT, $0-48
	MOMENTUM_STEP(2, 8, VBROADCASTSS, VMOVUPS, VMOVAPS, VMULPS, VADDPS, VSUBPS)

// func momentumF64(p, grad, buf *float64, n, flags int, c *momentumCoefficients[float64])
TEXT ·momentumF64(SB), NOSPLIT, $0-48
	MOMENTUM_STEP(3, 4, VBROADCASTSD, VMOVUPD, VMOVAPD, VMULPD, VADDPD, VSUBPD)
