package cpu

import "github.com/perceptron-go/perceptron/engine"

// gemmNN sets C += alpha·A·B, for C m×n and B k×n row-major with leading
// dimensions ldc and ldb, and A m×k with A[i, l] = a[i·ars + l·acs] (so
// that A may be a transposed view). Blocks of 4 rows by 16 floats or 8
// doubles run on the AVX2/FMA micro-kernels, split across cores when the
// work pays; what is left at the right and bottom edges is summed in Go.
// It needs haveFMA, and panics if a matrix lies outside its slice.
func gemmNN[T engine.Float](m, n, k int, alpha T, a []T, ars, acs int, b []T, ldb int, c []T, ldc int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	if (m-1)*ars+(k-1)*acs >= len(a) || (k-1)*ldb+n > len(b) || (m-1)*ldc+n > len(c) {
		panic("cpu: gemmNN: a matrix lies outside its slice")
	}
	width := 16
	if is64[T]() {
		width = 8
	}
	blocks, full := m/4, n/width*width
	parallelRows(blocks, m*n*k, func(lo, hi int) {
		for i := lo * 4; i < hi*4; i += 4 {
			for j := 0; j < full; j += width {
				if is64[T]() {
					gemm4x8F64(k, float64(alpha), &f64(a)[i*ars], ars, acs, &f64(b)[j], ldb, &f64(c)[i*ldc+j], ldc)
				} else {
					gemm4x16F32(k, float32(alpha), &f32(a)[i*ars], ars, acs, &f32(b)[j], ldb, &f32(c)[i*ldc+j], ldc)
				}
			}
		}
	})
	gemmEdge(0, blocks*4, full, n, k, alpha, a, ars, acs, b, ldb, c, ldc)
	gemmEdge(blocks*4, m, 0, n, k, alpha, a, ars, acs, b, ldb, c, ldc)
}

// gemmEdge sets C[i, j] += alpha·Σ_l A[i, l]·B[l, j] for rows i0..i1 and columns j0..j1.
func gemmEdge[T engine.Float](i0, i1, j0, j1, k int, alpha T, a []T, ars, acs int, b []T, ldb int, c []T, ldc int) {
	for i := i0; i < i1; i++ {
		for j := j0; j < j1; j++ {
			var s T
			for l := 0; l < k; l++ {
				s += a[i*ars+l*acs] * b[l*ldb+j]
			}
			c[i*ldc+j] += alpha * s
		}
	}
}

// transpose writes the cols×rows transpose of the rows×cols matrix src into dst.
func transpose[T engine.Float](dst, src []T, rows, cols int) {
	for r := 0; r < rows; r++ {
		for c, v := range src[r*cols : (r+1)*cols] {
			dst[c*rows+r] = v
		}
	}
}
