//go:build amd64 && !noasm

package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// denseCase runs DenseForward and DenseBackward on the AVX-512 kernels and
// on the AVX2 ones (their twins): the forward pass within rounding, the
// backward step to the bit (it rounds as the axpys do), rows whose dz is 0
// or NaN among them, with and without daPrev.
func denseCase[T engine.Float](t *testing.T, in, out int, tol float64) {
	rng := rand.New(rand.NewPCG(uint64(in), uint64(out)))
	w, b, x, dz := randomValues[T](rng, out*in), randomValues[T](rng, out), randomValues[T](rng, in), randomValues[T](rng, out)
	dz[0] = 0
	if out > 2 {
		dz[2] = T(math.NaN())
	}
	run := func(avx512 bool) (z, a, daPrev, w2, b2 []T) {
		saved := haveAVX512
		haveAVX512 = avx512
		defer func() { haveAVX512 = saved }()
		z, a = make([]T, out), make([]T, out)
		DenseForward(z, a, w, b, x, engine.ReLU)
		daPrev, w2, b2 = randomValues[T](rng, in), append([]T(nil), w...), append([]T(nil), b...)
		DenseBackward(daPrev, w2, b2, dz, x, 0.125)
		w3, b3 := append([]T(nil), w...), append([]T(nil), b...)
		DenseBackward(nil, w3, b3, dz, x, 0.125)
		same(t, w2, w3, "without daPrev, W")
		same(t, b2, b3, "without daPrev, b")
		return z, a, daPrev, w2, b2
	}
	wantZ, _, wantD, wantW, wantB := run(false)
	gotZ, gotA, gotD, gotW, gotB := run(true)
	what := fmt.Sprintf("%T %d→%d", w[0], in, out)
	for i := range wantZ {
		require.InDelta(t, float64(wantZ[i]), float64(gotZ[i]), tol*float64(in), "%s: z[%d]", what, i)
		require.Equal(t, max(gotZ[i], 0), gotA[i], "%s: a[%d]", what, i)
	}
	same(t, wantD, gotD, what+": daPrev")
	same(t, wantW, gotW, what+": W")
	same(t, wantB, gotB, what+": b")
}

// TestDenseKernels checks the per-example AVX-512 kernels on every width
// around their registers and blocks, and on rows around their groups of four.
func TestDenseKernels(t *testing.T) {
	if !haveAVX512 {
		t.Skip("this CPU has no AVX-512")
	}
	for _, in := range []int{1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 256, 300, 784} {
		for _, out := range []int{1, 2, 3, 4, 5, 8, 10, 13} {
			denseCase[float32](t, in, out, 1e-6)
			denseCase[float64](t, in, out, 1e-15)
		}
	}
}
