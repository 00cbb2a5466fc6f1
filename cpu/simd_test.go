package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// The assembly kernels against plain loops, on every length up to 100 and
// on slices that start at every offset of a vector register.
func TestSIMDKernels(t *testing.T) {
	if !haveFMA {
		t.Skip("this CPU has no AVX2 and FMA")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for n := 0; n <= 100; n++ {
		for off := 0; off < 8; off++ {
			x64, y64 := make([]float64, n+off), make([]float64, n+off+3)
			for i := range x64 {
				x64[i] = rng.Float64()*2 - 1
			}
			for i := range y64 {
				y64[i] = rng.Float64()*2 - 1
			}
			x32, y32 := make([]float32, len(x64)), make([]float32, len(y64))
			for i, v := range x64 {
				x32[i] = float32(v)
			}
			for i, v := range y64 {
				y32[i] = float32(v)
			}
			var want64 float64
			var want32 float32
			for i := off; i < n+off; i++ {
				want64 += x64[i] * y64[i]
				want32 += x32[i] * y32[i]
			}
			assert.InDelta(t, want64, dotF64(x64[off:], y64[off:]), 1e-13*float64(n+1), "dotF64 n=%d off=%d", n, off)
			assert.InDelta(t, want32, dotF32(x32[off:], y32[off:]), 1e-5*float64(n+1), "dotF32 n=%d off=%d", n, off)

			a64, a32 := append([]float64(nil), y64...), append([]float32(nil), y32...)
			axpyF64(0.75, x64[off:], a64[off:])
			axpyF32(0.75, x32[off:], a32[off:])
			for i := range a64 {
				w64, w32 := y64[i], y32[i]
				if i >= off && i < n+off {
					w64, w32 = math.FMA(0.75, x64[i], y64[i]), float32(math.FMA(0.75, float64(x32[i]), float64(y32[i])))
				}
				require.Equal(t, w64, a64[i], "axpyF64 n=%d off=%d i=%d", n, off, i)
				require.Equal(t, w32, a32[i], "axpyF32 n=%d off=%d i=%d", n, off, i)
			}
		}
	}
}

// reluCase checks the relu kernels against engine.Activate and engine.Delta
// on n values from off, NaN and both zeros among them, and that the values
// past them are unchanged.
func reluCase[T engine.Float](t *testing.T, rng *rand.Rand, n, off int) {
	z := randomValues[T](rng, n+off+3)
	if n > 2 {
		z[off], z[off+1], z[off+2] = T(math.NaN()), 0, T(math.Copysign(0, -1))
	}
	a, d := randomValues[T](rng, len(z)), randomValues[T](rng, len(z))
	wantA, wantD := append([]T(nil), a...), append([]T(nil), d...)
	engine.Activate(engine.ReLU, wantA[off:n+off], z[off:n+off], n)
	engine.Delta(engine.ReLU, wantD[off:n+off], wantD[off:n+off], z[off:n+off], nil)
	activate(engine.ReLU, a[off:n+off], z[off:n+off])
	delta(engine.ReLU, d[off:n+off], z[off:n+off], nil)
	for i := range z {
		if math.IsNaN(float64(wantA[i])) {
			require.True(t, math.IsNaN(float64(a[i])), "relu %T n=%d off=%d: a[%d] = %v, want NaN", z[0], n, off, i, a[i])
		} else {
			require.Equal(t, wantA[i], a[i], "relu %T n=%d off=%d: a[%d]", z[0], n, off, i)
		}
		require.Equal(t, wantD[i], d[i], "relu's gradient %T n=%d off=%d: d[%d]", z[0], n, off, i)
	}
}

// TestReluKernels checks the relu kernels on every length up to 40 and every
// offset of a register.
func TestReluKernels(t *testing.T) {
	if !haveFMA {
		t.Skip("this CPU has no AVX2 and FMA")
	}
	rng := rand.New(rand.NewPCG(2, 3))
	for n := 0; n <= 40; n++ {
		for off := 0; off < 8; off++ {
			reluCase[float32](t, rng, n, off)
			reluCase[float64](t, rng, n, off)
		}
	}
}
