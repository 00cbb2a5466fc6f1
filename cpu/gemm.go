package cpu

import (
	"sync"

	"github.com/perceptron-go/perceptron/engine"
)

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
	g := productPool[T]().Get().(*product[T])
	*g = product[T]{m: m, n: n, k: k, alpha: alpha, a: a, ars: ars, acs: acs, b: b, ldb: ldb, c: c, ldc: ldc, width: 16}
	if is64[T]() {
		g.width = 8
	}
	blocks, full := m/4, n/g.width*g.width
	parallelRows(blocks, m*n*k, g)
	g.edge(0, blocks*4, full, n)
	g.edge(blocks*4, m, 0, n)
	*g = product[T]{} // drop the references to the matrices
	productPool[T]().Put(g)
}

// product is one call of gemmNN, shared with the workers that run its blocks of rows.
type product[T engine.Float] struct {
	m, n, k, width int
	alpha          T
	a              []T
	ars, acs       int
	b              []T
	ldb            int
	c              []T
	ldc            int
	wg             sync.WaitGroup
}

var productPools = [2]sync.Pool{{New: func() any { return new(product[float32]) }}, {New: func() any { return new(product[float64]) }}}

func productPool[T engine.Float]() *sync.Pool {
	if is64[T]() {
		return &productPools[1]
	}
	return &productPools[0]
}

func (g *product[T]) group() *sync.WaitGroup { return &g.wg }

// run computes the full-width blocks of the row blocks lo..hi (4 rows each) on the micro-kernels.
func (g *product[T]) run(lo, hi int) {
	full := g.n / g.width * g.width
	for i := lo * 4; i < hi*4; i += 4 {
		for j := 0; j < full; j += g.width {
			if is64[T]() {
				gemm4x8F64(g.k, float64(g.alpha), &f64(g.a)[i*g.ars], g.ars, g.acs, &f64(g.b)[j], g.ldb, &f64(g.c)[i*g.ldc+j], g.ldc)
			} else {
				gemm4x16F32(g.k, float32(g.alpha), &f32(g.a)[i*g.ars], g.ars, g.acs, &f32(g.b)[j], g.ldb, &f32(g.c)[i*g.ldc+j], g.ldc)
			}
		}
	}
}

// edge sets C[i, j] += alpha·Σ_l A[i, l]·B[l, j] for rows i0..i1 and columns j0..j1, in Go.
func (g *product[T]) edge(i0, i1, j0, j1 int) {
	for i := i0; i < i1; i++ {
		for j := j0; j < j1; j++ {
			var s T
			for l := 0; l < g.k; l++ {
				s += g.a[i*g.ars+l*g.acs] * g.b[l*g.ldb+j]
			}
			g.c[i*g.ldc+j] += g.alpha * s
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
