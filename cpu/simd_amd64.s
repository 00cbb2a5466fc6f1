//go:build !noasm

#include "textflag.h"

// AVX2 and FMA kernels of the per-example hot loops: dot products and axpy,
// 32 floats or 16 doubles an iteration in four independent registers.
// The caller checks the CPU has AVX2 and FMA (haveFMA) and that len(y) ≥ len(x).

// The relu of the per-example passes, branch free: dst = max(z, 0) (NaN
// kept) and the relu's gradient dst = dst where z > 0, else 0, over len(z)
// values, 8 floats or 4 doubles a register, then one at a time. The caller
// checks len(dst) ≥ len(z).

// ELEMENTWISE sets dst[i] from z[i] and dst[i]: WIDE computes Y0 from the
// registers at SI (z) and DI (dst), NARROW X0 from the values there; Y1 is
// zero. SH is log2 of the element's size, W the values in a register.
#define ELEMENTWISE(SH, W, MOVU, MOVS, WIDE, NARROW) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ z_base+24(FP), SI; \
	MOVQ z_len+32(FP), CX; \
	VXORPS Y1, Y1, Y1; \
wide: \
	CMPQ CX, $W; \
	JLT  narrow; \
	WIDE; \
	MOVU Y0, (DI); \
	ADDQ $(W<<SH), SI; \
	ADDQ $(W<<SH), DI; \
	SUBQ $W, CX; \
	JMP  wide; \
narrow: \
	TESTQ CX, CX; \
	JEQ   done; \
	NARROW; \
	MOVS X0, (DI); \
	ADDQ $(1<<SH), SI; \
	ADDQ $(1<<SH), DI; \
	DECQ CX; \
	JMP  narrow; \
done: \
	VZEROUPPER; \
	RET

// RELU: Y0 = max(z, 0), NaN kept (src2 is returned when either is NaN).
#define RELU(MOVU, MAX) MOVU (SI), Y0; MAX Y0, Y1, Y0
#define RELUS(MOVS, MAXS) MOVS (SI), X0; MAXS X0, X1, X0

// RELUGRAD: Y0 = dst where 0 < z, else 0.
#define RELUGRAD(CMP, AND) CMP $1, (SI), Y1, Y0; AND (DI), Y0, Y0
#define RELUGRADS(MOVS, CMPS, AND) MOVS (SI), X0; CMPS $1, X0, X1, X0; MOVS (DI), X2; AND X2, X0, X0

// func dotF32(x, y []float32) float32
TEXT ·dotF32(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dotF32Loop32:
	CMPQ CX, $32
	JL   dotF32Loop8
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         dotF32Loop32

dotF32Loop8:
	CMPQ CX, $8
	JL   dotF32Reduce
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dotF32Loop8

dotF32Reduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0

dotF32Tail:
	CMPQ        CX, $0
	JE          dotF32Done
	VMOVSS      (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         dotF32Tail

dotF32Done:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func dotF64(x, y []float64) float64
TEXT ·dotF64(SB), NOSPLIT, $0-56
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

dotF64Loop16:
	CMPQ CX, $16
	JL   dotF64Loop4
	VMOVUPD     (SI), Y4
	VMOVUPD     32(SI), Y5
	VMOVUPD     64(SI), Y6
	VMOVUPD     96(SI), Y7
	VFMADD231PD (DI), Y4, Y0
	VFMADD231PD 32(DI), Y5, Y1
	VFMADD231PD 64(DI), Y6, Y2
	VFMADD231PD 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $16, CX
	JMP         dotF64Loop16

dotF64Loop4:
	CMPQ CX, $4
	JL   dotF64Reduce
	VMOVUPD     (SI), Y4
	VFMADD231PD (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $4, CX
	JMP         dotF64Loop4

dotF64Reduce:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0

dotF64Tail:
	CMPQ        CX, $0
	JE          dotF64Done
	VMOVSD      (SI), X1
	VFMADD231SD (DI), X1, X0
	ADDQ        $8, SI
	ADDQ        $8, DI
	DECQ        CX
	JMP         dotF64Tail

dotF64Done:
	VZEROUPPER
	MOVSD X0, ret+48(FP)
	RET

// func axpyF32(alpha float32, x, y []float32)
TEXT ·axpyF32(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI

axpyF32Loop32:
	CMPQ CX, $32
	JL   axpyF32Loop8
	VMOVUPS     (DI), Y1
	VMOVUPS     32(DI), Y2
	VMOVUPS     64(DI), Y3
	VMOVUPS     96(DI), Y4
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VFMADD231PS 64(SI), Y0, Y3
	VFMADD231PS 96(SI), Y0, Y4
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y2, 32(DI)
	VMOVUPS     Y3, 64(DI)
	VMOVUPS     Y4, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         axpyF32Loop32

axpyF32Loop8:
	CMPQ CX, $8
	JL   axpyF32Tail
	VMOVUPS     (DI), Y1
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         axpyF32Loop8

axpyF32Tail:
	CMPQ        CX, $0
	JE          axpyF32Done
	VMOVSS      (DI), X1
	VFMADD231SS (SI), X0, X1
	VMOVSS      X1, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         axpyF32Tail

axpyF32Done:
	VZEROUPPER
	RET

// func axpyF64(alpha float64, x, y []float64)
TEXT ·axpyF64(SB), NOSPLIT, $0-56
	VBROADCASTSD alpha+0(FP), Y0
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI

axpyF64Loop16:
	CMPQ CX, $16
	JL   axpyF64Loop4
	VMOVUPD     (DI), Y1
	VMOVUPD     32(DI), Y2
	VMOVUPD     64(DI), Y3
	VMOVUPD     96(DI), Y4
	VFMADD231PD (SI), Y0, Y1
	VFMADD231PD 32(SI), Y0, Y2
	VFMADD231PD 64(SI), Y0, Y3
	VFMADD231PD 96(SI), Y0, Y4
	VMOVUPD     Y1, (DI)
	VMOVUPD     Y2, 32(DI)
	VMOVUPD     Y3, 64(DI)
	VMOVUPD     Y4, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $16, CX
	JMP         axpyF64Loop16

axpyF64Loop4:
	CMPQ CX, $4
	JL   axpyF64Tail
	VMOVUPD     (DI), Y1
	VFMADD231PD (SI), Y0, Y1
	VMOVUPD     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $4, CX
	JMP         axpyF64Loop4

axpyF64Tail:
	CMPQ        CX, $0
	JE          axpyF64Done
	VMOVSD      (DI), X1
	VFMADD231SD (SI), X0, X1
	VMOVSD      X1, (DI)
	ADDQ        $8, SI
	ADDQ        $8, DI
	DECQ        CX
	JMP         axpyF64Tail

axpyF64Done:
	VZEROUPPER
	RET

// func reluF32(dst, z []float32)
TEXT ·reluF32(SB), NOSPLIT, $0-48
	ELEMENTWISE(2, 8, VMOVUPS, VMOVSS, RELU(VMOVUPS, VMAXPS), RELUS(VMOVSS, VMAXSS))

// func reluF64(dst, z []float64)
TEXT ·reluF64(SB), NOSPLIT, $0-48
	ELEMENTWISE(3, 4, VMOVUPD, VMOVSD, RELU(VMOVUPD, VMAXPD), RELUS(VMOVSD, VMAXSD))

// func reluGradF32(dst, z []float32)
TEXT ·reluGradF32(SB), NOSPLIT, $0-48
	ELEMENTWISE(2, 8, VMOVUPS, VMOVSS, RELUGRAD(VCMPPS, VANDPS), RELUGRADS(VMOVSS, VCMPSS, VANDPS))

// func reluGradF64(dst, z []float64)
TEXT ·reluGradF64(SB), NOSPLIT, $0-48
	ELEMENTWISE(3, 4, VMOVUPD, VMOVSD, RELUGRAD(VCMPPD, VANDPD), RELUGRADS(VMOVSD, VCMPSD, VANDPD))

// func copyRows(dst, src unsafe.Pointer, lds, rows, width int)
// copies rows rows of width bytes (a multiple of 32) from src, lds bytes
// apart, to dst, one after the other: the packing of B's rows in gemm.go.
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

// func prefetch(p unsafe.Pointer, bytes int)
// Asks the CPU to bring the lines of [p, p+bytes) into its caches
// (PREFETCHT0); it reads nothing and cannot fault.
TEXT ·prefetch(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), AX
	MOVQ bytes+8(FP), CX
	ADDQ AX, CX
	ANDQ $~63, AX
lines:
	CMPQ AX, CX
	JGE  fetched
	PREFETCHT0 (AX)
	ADDQ $64, AX
	JMP  lines
fetched:
	RET
