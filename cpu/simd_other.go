//go:build !amd64

package cpu

import "unsafe"

// haveFMA is false where there are no assembly kernels: gonum's are used.
const haveFMA = false

// active is nil: without haveFMA, no product runs on the micro-kernels.
var active *kernel

func dotF32(x, y []float32) float32         { panic("cpu: no assembly kernels on this architecture") }
func dotF64(x, y []float64) float64         { panic("cpu: no assembly kernels on this architecture") }
func axpyF32(alpha float32, x, y []float32) { panic("cpu: no assembly kernels on this architecture") }
func axpyF64(alpha float64, x, y []float64) { panic("cpu: no assembly kernels on this architecture") }

func copyRows(dst, src unsafe.Pointer, lds, rows, width int) {
	panic("cpu: no assembly kernels on this architecture")
}
