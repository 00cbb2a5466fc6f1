//go:build !noasm

package cpu

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveFMA reports whether the AVX2 and FMA kernels of simd_amd64.s run here;
// without them the backend uses gonum's.
var haveFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// haveAVX512 reports whether the AVX-512 kernels run here: they need
// AVX-512F and DQ, which Go's cpu package reports only where the OS saves
// the registers.
var haveAVX512 = haveFMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ

// The micro-kernel sets of the mini-batch products; active is this CPU's.
var (
	avx512Kernel = kernel{name: "avx512", rows: 8, cols: 32, f32: gemm8x32F32, f64: gemm8x16F64,
		packTF32: transpose16F32, packTF64: transpose8F64}
	avx2Kernel = kernel{name: "avx2", rows: 4, cols: 16, f32: gemm4x16F32, f64: gemm4x8F64}
	active     = pickKernel()
)

func pickKernel() *kernel {
	if haveAVX512 {
		return &avx512Kernel
	}
	return &avx2Kernel
}

// dotF32 returns Σ x[i]·y[i] over len(x). It needs AVX2 and FMA, and len(y) ≥ len(x).
//
//go:noescape
func dotF32(x, y []float32) float32

// dotF64 returns Σ x[i]·y[i] over len(x). It needs AVX2 and FMA, and len(y) ≥ len(x).
//
//go:noescape
func dotF64(x, y []float64) float64

// axpyF32 sets y[i] += alpha·x[i] over len(x), fused. It needs AVX2 and FMA, and len(y) ≥ len(x).
//
//go:noescape
func axpyF32(alpha float32, x, y []float32)

// axpyF64 sets y[i] += alpha·x[i] over len(x), fused. It needs AVX2 and FMA, and len(y) ≥ len(x).
//
//go:noescape
func axpyF64(alpha float64, x, y []float64)

// copyRows copies rows rows of width bytes (a multiple of 32) from src, lds
// bytes apart, to dst, one after the other. It needs AVX; the caller checks
// the bounds.
//
//go:noescape
func copyRows(dst, src unsafe.Pointer, lds, rows, width int)

// sparseForward8F32 and the other sparse kernels are those of sparse.go on
// 8 registers of z or dz, or on one under a mask (see sparse_amd64.s). They
// need AVX-512F; the caller checks the bounds and that idx holds rows of w.
//
//go:noescape
func sparseForward8F32(z, w *float32, ldw int, idx []int32, val []float32)

//go:noescape
func sparseForward8F64(z, w *float64, ldw int, idx []int32, val []float64)

//go:noescape
func sparseForward1F32(z, w *float32, ldw int, idx []int32, val []float32, mask int)

//go:noescape
func sparseForward1F64(z, w *float64, ldw int, idx []int32, val []float64, mask int)

//go:noescape
func sparseUpdate8F32(dz, w *float32, ldw int, idx []int32, val []float32, alpha float32, b *float32)

//go:noescape
func sparseUpdate8F64(dz, w *float64, ldw int, idx []int32, val []float64, alpha float64, b *float64)

//go:noescape
func sparseUpdate1F32(dz, w *float32, ldw int, idx []int32, val []float32, alpha float32, b *float32, mask int)

//go:noescape
func sparseUpdate1F64(dz, w *float64, ldw int, idx []int32, val []float64, alpha float64, b *float64, mask int)

// gatherF32 and gatherF64 write the columns and values of x's nonzero
// elements (NaN included), in order, to idx and val, and return how many
// there are (see sparse_amd64.s). They need AVX-512F, and room in idx and
// val for len(x) plus 16 values: they store whole registers.
//
//go:noescape
func gatherF32(idx *int32, val *float32, x []float32) int

//go:noescape
func gatherF64(idx *int32, val *float64, x []float64) int

// gather4F32 is gather on four rows of x, ldx apart, n values each, at
// the columns where any of them is nonzero: their values into val's rows,
// ldv apart (see gather_amd64.s). It needs AVX-512F, and room in idx and
// val's rows for n plus 16 values.
//
//go:noescape
func gather4F32(idx *int32, val *float32, ldv int, x *float32, ldx int, n int) int

// sparseForward4RowsF32 is sparseForward on four rows of z at once, ldz
// apart, over 64 of their columns, with the columns idx and the rows of
// values val, ldv apart (see gather_amd64.s). It needs AVX-512F; the caller
// checks the bounds and that idx holds rows of w.
//
//go:noescape
func sparseForward4RowsF32(z *float32, ldz int, w *float32, ldw int, idx []int32, val *float32, ldv int)

// reluF32 sets dst[i] = max(z[i], 0) over len(z), branch free, NaN kept. It
// needs AVX, and len(dst) ≥ len(z).
//
//go:noescape
func reluF32(dst, z []float32)

// reluF64 sets dst[i] = max(z[i], 0) over len(z), branch free, NaN kept. It
// needs AVX, and len(dst) ≥ len(z).
//
//go:noescape
func reluF64(dst, z []float64)

// reluGradF32 sets dst[i] = 0 where !(z[i] > 0) over len(z), branch free: a
// relu's gradient. It needs AVX, and len(dst) ≥ len(z).
//
//go:noescape
func reluGradF32(dst, z []float32)

// reluGradF64 sets dst[i] = 0 where !(z[i] > 0) over len(z), branch free: a
// relu's gradient. It needs AVX, and len(dst) ≥ len(z).
//
//go:noescape
func reluGradF64(dst, z []float64)

// fmaLoopZ32 and the other loops of Peak run n iterations of twelve
// independent fused multiply-adds on Z (AVX-512) or Y (AVX2) registers of
// float32 or float64 (see peak_amd64.s).
//
//go:noescape
func fmaLoopZ32(n int)

//go:noescape
func fmaLoopZ64(n int)

//go:noescape
func fmaLoopY32(n int)

//go:noescape
func fmaLoopY64(n int)

// gemvF32 and gemvF64 are DenseForward's product on AVX-512, and
// rank1Rows8F32 to rank1Rows1F64 DenseBackward's on eight registers of
// columns or one under a mask (see dense_amd64.s). They need AVX-512F; the
// caller checks the bounds.
//
//go:noescape
func gemvF32(z, w *float32, ldw, rows int, x *float32, full, mask int, b *float32)

//go:noescape
func gemvF64(z, w *float64, ldw, rows int, x *float64, full, mask int, b *float64)

//go:noescape
func rank1Rows8F32(dprev, x, w *float32, ldw, rows int, dz *float32, nlr float32)

//go:noescape
func rank1Rows8F64(dprev, x, w *float64, ldw, rows int, dz *float64, nlr float64)

//go:noescape
func rank1Rows1F32(dprev, x, w *float32, ldw, rows int, dz *float32, nlr float32, mask int)

//go:noescape
func rank1Rows1F64(dprev, x, w *float64, ldw, rows int, dz *float64, nlr float64, mask int)

// adamF32 runs Adam's step (engine.Update) on n registers of 8 floats of
// p, grad, m and v (see optim_amd64.s). It needs AVX2; the caller checks the
// bounds.
//
//go:noescape
func adamF32(p, grad, m, v *float32, n int, c *adamCoefficients[float32])

// adamF64 runs Adam's step on n registers of 4 doubles, as adamF32.
//
//go:noescape
func adamF64(p, grad, m, v *float64, n int, c *adamCoefficients[float64])

// momentumF32 runs SGD's step with momentum (engine.Update) on n registers
// of 8 floats of p, grad and buf (see optim_amd64.s). It needs AVX2; the
// caller checks the bounds.
//
//go:noescape
func momentumF32(p, grad, buf *float32, n, flags int, c *momentumCoefficients[float32])

// momentumF64 runs SGD's step with momentum on n registers of 4 doubles, as
// momentumF32.
//
//go:noescape
func momentumF64(p, grad, buf *float64, n, flags int, c *momentumCoefficients[float64])

// prefetch asks the CPU to bring the lines of [p, p+bytes) into its caches.
//
//go:noescape
func prefetch(p unsafe.Pointer, bytes int)

// sigmoidF32 is sigmoid's AVX-512 kernel (see sigmoid.go): a[i] = the
// sigmoid of z[i], for i < len(z). It needs AVX-512F; len(a) ≥ len(z).
//
//go:noescape
func sigmoidF32(a, z []float32, c *[expTerms + 14]float64)
