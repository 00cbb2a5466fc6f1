//go:build !amd64

package cpu

// haveFMA is false where there are no assembly kernels: gonum's are used.
const haveFMA = false

func dotF32(x, y []float32) float32         { panic("cpu: no assembly kernels on this architecture") }
func dotF64(x, y []float64) float64         { panic("cpu: no assembly kernels on this architecture") }
func axpyF32(alpha float32, x, y []float32) { panic("cpu: no assembly kernels on this architecture") }
func axpyF64(alpha float64, x, y []float64) { panic("cpu: no assembly kernels on this architecture") }

func gemm4x16F32(k int, alpha float32, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int) {
	panic("cpu: no assembly kernels on this architecture")
}

func gemm4x8F64(k int, alpha float64, a *float64, ars, acs int, b *float64, ldb int, c *float64, ldc int) {
	panic("cpu: no assembly kernels on this architecture")
}
