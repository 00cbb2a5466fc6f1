//go:build !amd64 || noasm

package cpu

import "unsafe"

// This file stands in for simd_amd64.go where the assembly kernels are not
// built: on other architectures, and on amd64 with the noasm tag. haveFMA and
// haveAVX512 are false, so every op takes its Go twin or gonum's routine and
// nothing calls the stubs below; each panics if something does.

// noKernels is the stubs' panic message.
const noKernels = "cpu: no assembly kernels in this build (not amd64, or the noasm tag)"

// haveFMA is false where there are no assembly kernels: gonum's are used.
const haveFMA = false

// No product runs on micro-kernels without haveFMA: active is nil and the
// kernel sets, which the tests name, are empty.
var (
	active                   *kernel
	avx512Kernel, avx2Kernel kernel
)

func dotF32(x, y []float32) float32         { panic(noKernels) }
func dotF64(x, y []float64) float64         { panic(noKernels) }
func axpyF32(alpha float32, x, y []float32) { panic(noKernels) }
func axpyF64(alpha float64, x, y []float64) { panic(noKernels) }

func copyRows(dst, src unsafe.Pointer, lds, rows, width int) {
	panic(noKernels)
}

// haveAVX512 is false where there are no assembly kernels.
const haveAVX512 = false

func sparseForward8F32(z, w *float32, ldw int, idx []int32, val []float32) {
	panic(noKernels)
}

func sparseForward8F64(z, w *float64, ldw int, idx []int32, val []float64) {
	panic(noKernels)
}

func sparseForward1F32(z, w *float32, ldw int, idx []int32, val []float32, mask int) {
	panic(noKernels)
}

func sparseForward1F64(z, w *float64, ldw int, idx []int32, val []float64, mask int) {
	panic(noKernels)
}

func sparseUpdate8F32(dz, w *float32, ldw int, idx []int32, val []float32, alpha float32, b *float32) {
	panic(noKernels)
}

func sparseUpdate8F64(dz, w *float64, ldw int, idx []int32, val []float64, alpha float64, b *float64) {
	panic(noKernels)
}

func sparseUpdate1F32(dz, w *float32, ldw int, idx []int32, val []float32, alpha float32, b *float32, mask int) {
	panic(noKernels)
}

func sparseUpdate1F64(dz, w *float64, ldw int, idx []int32, val []float64, alpha float64, b *float64, mask int) {
	panic(noKernels)
}

func gatherF32(idx *int32, val *float32, x []float32) int { panic(noKernels) }
func gatherF64(idx *int32, val *float64, x []float64) int { panic(noKernels) }

func gather4F32(idx *int32, val *float32, ldv int, x *float32, ldx int, n int) int {
	panic(noKernels)
}

func sparseForward4RowsF32(z *float32, ldz int, w *float32, ldw int, idx []int32, val *float32, ldv int) {
	panic(noKernels)
}

func transpose16F32(dst *float32, ldd int, src *float32, lds int) {
	panic(noKernels)
}

func transpose8F64(dst *float64, ldd int, src *float64, lds int) {
	panic(noKernels)
}

func reluF32(dst, z []float32)     { panic(noKernels) }
func reluF64(dst, z []float64)     { panic(noKernels) }
func reluGradF32(dst, z []float32) { panic(noKernels) }
func reluGradF64(dst, z []float64) { panic(noKernels) }

func fmaLoopZ32(n int) { panic(noKernels) }
func fmaLoopZ64(n int) { panic(noKernels) }
func fmaLoopY32(n int) { panic(noKernels) }
func fmaLoopY64(n int) { panic(noKernels) }

func gemvF32(z, w *float32, ldw, rows int, x *float32, full, mask int, b *float32) {
	panic(noKernels)
}

func gemvF64(z, w *float64, ldw, rows int, x *float64, full, mask int, b *float64) {
	panic(noKernels)
}

func rank1Rows8F32(dprev, x, w *float32, ldw, rows int, dz *float32, nlr float32) {
	panic(noKernels)
}

func rank1Rows8F64(dprev, x, w *float64, ldw, rows int, dz *float64, nlr float64) {
	panic(noKernels)
}

func rank1Rows1F32(dprev, x, w *float32, ldw, rows int, dz *float32, nlr float32, mask int) {
	panic(noKernels)
}

func rank1Rows1F64(dprev, x, w *float64, ldw, rows int, dz *float64, nlr float64, mask int) {
	panic(noKernels)
}

func adamF32(p, grad, m, v *float32, n int, c *adamCoefficients[float32]) {
	panic(noKernels)
}

func adamF64(p, grad, m, v *float64, n int, c *adamCoefficients[float64]) {
	panic(noKernels)
}

func momentumF32(p, grad, buf *float32, n, flags int, c *momentumCoefficients[float32]) {
	panic(noKernels)
}

func momentumF64(p, grad, buf *float64, n, flags int, c *momentumCoefficients[float64]) {
	panic(noKernels)
}

func prefetch(p unsafe.Pointer, bytes int) { panic(noKernels) }

func sigmoidF32(a, z []float32, c *[expTerms + 14]float64) {
	panic(noKernels)
}
