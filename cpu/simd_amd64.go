package cpu

import "golang.org/x/sys/cpu"

// haveFMA reports whether the AVX2 and FMA kernels of simd_amd64.s run here;
// without them the backend uses gonum's.
var haveFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

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

// gemm4x16F32 adds alpha·A·B to a 4×16 block of C over an inner size k (see
// gemm_amd64.s). It needs AVX2 and FMA; the caller checks the bounds.
//
//go:noescape
func gemm4x16F32(k int, alpha float32, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int)

// gemm4x8F64 adds alpha·A·B to a 4×8 block of C over an inner size k (see
// gemm_amd64.s). It needs AVX2 and FMA; the caller checks the bounds.
//
//go:noescape
func gemm4x8F64(k int, alpha float64, a *float64, ars, acs int, b *float64, ldb int, c *float64, ldc int)
