//go:build !noasm

#include "textflag.h"

// The multiply-add loops of Peak: n iterations of twelve independent fused
// multiply-adds (more than a core keeps in flight), on 512-bit (Z) or 256-bit
// (Y) registers, in float32 (PS) or float64 (PD).

#define FMA12(FMA, A, B, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11) \
	FMA A, B, R0; FMA A, B, R1; FMA A, B, R2; FMA A, B, R3; \
	FMA A, B, R4; FMA A, B, R5; FMA A, B, R6; FMA A, B, R7; \
	FMA A, B, R8; FMA A, B, R9; FMA A, B, R10; FMA A, B, R11

#define PEAK_LOOP(BODY) \
	MOVQ n+0(FP), CX; \
	TESTQ CX, CX; \
	JEQ done; \
loop: \
	BODY; \
	DECQ CX; \
	JNE loop; \
done: \
	VZEROUPPER; \
	RET


// func fmaLoopZ32(n int)
TEXT ·fmaLoopZ32(SB), NOSPLIT, $0-8
	PEAK_LOOP(FMA12(VFMADD231PS, Z12, Z13, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11))

// func fmaLoopZ64(n int)
TEXT ·fmaLoopZ64(SB), NOSPLIT, $0-8
	PEAK_LOOP(FMA12(VFMADD231PD, Z12, Z13, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11))

// func fmaLoopY32(n int)
TEXT ·fmaLoopY32(SB), NOSPLIT, $0-8
	PEAK_LOOP(FMA12(VFMADD231PS, Y12, Y13, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11))

// func fmaLoopY64(n int)
TEXT ·fmaLoopY64(SB), NOSPLIT, $0-8
	PEAK_LOOP(FMA12(VFMADD231PD, Y12, Y13, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11))
