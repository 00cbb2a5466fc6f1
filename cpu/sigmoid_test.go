package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// sigmoidInputs returns n values across the sigmoid's range, from where it
// is 0 in float32 to where it is 1, and those where it breaks: ±0, ±Inf,
// NaN, the ends of float32 and of float64's exp.
func sigmoidInputs(n int) []float32 {
	z := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.MaxFloat32, -math.MaxFloat32, 1e-30, -1e-30, 88.72, -88.72, 103.9, -103.9, 745.2, -745.2, 709.8, -709.8, 16.6, -16.6}
	rng := rand.New(rand.NewPCG(7, 8))
	for len(z) < n {
		scale := []float64{1, 8, 40, 120, 1e6}[rng.IntN(5)]
		z = append(z, float32((rng.Float64()*2-1)*scale))
	}
	return z
}

// TestSigmoidKernel checks the kernel against its Go twin, bit for bit, on
// every length up to 20 (the values past z's left as they were).
func TestSigmoidKernel(t *testing.T) {
	if !haveAVX512 {
		t.Skip("this CPU has no AVX-512: the sigmoid runs in engine.Activate")
	}
	z := sigmoidInputs(4096)
	for n := 0; n <= 20; n++ {
		for at := 0; at+n <= len(z); at += 97 {
			want, got := make([]float32, n+3), make([]float32, n+3)
			for i := range want {
				want[i], got[i] = -7, -7
			}
			sigmoidGo(want, z[at:at+n])
			sigmoidF32(got, z[at:at+n], &expConstants)
			for i := range want {
				if math.IsNaN(float64(want[i])) {
					require.True(t, math.IsNaN(float64(got[i])), "n=%d: sigmoid(%g) = %g, want NaN", n, z[at+i], got[i])
				} else {
					require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "n=%d, value %d: %g, want %g", n, i, got[i], want[i])
				}
			}
		}
	}
}

// TestSigmoidAsEngine checks that the float32 sigmoid rounds to the same
// values as engine.Activate's, which calls math.Exp, on a million inputs
// and on the edge cases.
func TestSigmoidAsEngine(t *testing.T) {
	z := sigmoidInputs(1 << 20)
	want, got, twin := make([]float32, len(z)), make([]float32, len(z)), make([]float32, len(z))
	engine.Activate(engine.Sigmoid, want, z, len(z))
	sigmoid(got, z)
	sigmoidGo(twin, z)
	for i, w := range want {
		if math.IsNaN(float64(w)) {
			assert.True(t, math.IsNaN(float64(got[i])) && math.IsNaN(float64(twin[i])), "sigmoid(%g)", z[i])
			continue
		}
		require.Equal(t, w, got[i], "sigmoid(%g)", z[i])
		require.Equal(t, w, twin[i], "sigmoid(%g) in Go", z[i])
	}
	a64 := make([]float64, 3)
	sigmoid(a64, []float64{0, 2, -2})
	assert.Equal(t, []float64{0.5, 1 / (1 + math.Exp(-2)), 1 / (1 + math.Exp(2))}, a64, "float64 takes math.Exp")
}
