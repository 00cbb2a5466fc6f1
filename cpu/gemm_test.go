package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// gemmCase checks gemmNN against a plain triple loop, with A read directly
// (ars = k) or transposed (acs = m), on sizes that leave edges.
func gemmCase[T engine.Float](t *testing.T, m, n, k int, transposedA bool, tol float64) {
	rng := rand.New(rand.NewPCG(uint64(m*1000+n), uint64(k)))
	fill := func(size int) []T {
		v := make([]T, size)
		for i := range v {
			v[i] = T(rng.Float64()*2 - 1)
		}
		return v
	}
	ars, acs := k, 1
	if transposedA {
		ars, acs = 1, m
	}
	a, b, c := fill(m*k), fill(k*n+3), fill(m*n+5)
	want := make([]float64, len(c))
	for i := range c {
		want[i] = float64(c[i])
	}
	const alpha = -0.375
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				s += float64(a[i*ars+l*acs]) * float64(b[l*n+j])
			}
			want[i*n+j] += alpha * s
		}
	}
	gemmNN(m, n, k, T(alpha), a, ars, acs, b, n, c, n)
	for i := range c {
		require.InDelta(t, want[i], float64(c[i]), tol*math.Sqrt(float64(k)+1), "m=%d n=%d k=%d transposed=%v: C[%d]", m, n, k, transposedA, i)
	}
}

func TestGemmNN(t *testing.T) {
	if !haveFMA {
		t.Skip("this CPU has no AVX2 and FMA")
	}
	for _, m := range []int{1, 3, 4, 9, 64} {
		for _, n := range []int{1, 7, 8, 16, 33, 100} {
			for _, k := range []int{1, 5, 64, 300} {
				for _, tr := range []bool{false, true} {
					t.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(t *testing.T) {
						gemmCase[float32](t, m, n, k, tr, 1e-5)
						gemmCase[float64](t, m, n, k, tr, 1e-13)
					})
				}
			}
		}
	}
	require.Panics(t, func() {
		gemmNN[float32](2, 2, 2, 1, make([]float32, 3), 2, 1, make([]float32, 4), 2, make([]float32, 4), 2)
	})
}
