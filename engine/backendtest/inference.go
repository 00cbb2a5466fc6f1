package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// inferenceNet returns a network of every hidden activation, in dtype,
// with a softmax head, and rows of inputs for it that float32 holds exactly.
func inferenceNet(t *testing.T, dtype engine.DType, rows int) (*engine.Network, []float64) {
	spec := engine.Spec{Inputs: 37, Layers: []engine.LayerSpec{
		{Units: 19, Activation: engine.ReLU}, {Units: 11, Activation: engine.Tanh},
		{Units: 9, Activation: engine.Sigmoid}, {Units: 5, Activation: engine.Linear},
		{Units: 4, Activation: engine.Softmax},
	}, Loss: engine.CE, DType: dtype}
	net, err := engine.NewNetwork(spec, engine.InitXavier, engine.NewRNG(7))
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, uint64(rows)))
	x := make([]float64, rows*spec.Inputs)
	for i := range x {
		x[i] = float64(float32(rng.Float64()*4 - 2)) // the same inputs in float32
	}
	return net, x
}

// closeOutputs requires got to equal want within tol, relative to 1.
func closeOutputs[S engine.Float](t *testing.T, want []float64, got []S, tol float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); !(d <= tol) {
			require.Failf(t, "outputs differ", "%s: output %d is %v, Predict gives %v (off by %.3g, tolerance %.3g)", what, i, got[i], w, d, tol)
		}
	}
}

// Inference checks a backend's Inference against its Predict, for both
// dtypes, through Forward64 and Forward32, at every batch size from 1 to
// 9 and across its chunks (the CPU's 256 rows, the GPU's 1024): a batch of
// one row may take another kernel (a matrix-vector product), so the
// outputs agree within rounding. It then runs 16 goroutines at once on
// one Inference, each batch size among them, and requires the serial
// outputs, and that a closed inference's Close is harmless.
func Inference(t *testing.T, be engine.Backend) {
	for _, dtype := range []engine.DType{engine.Float64, engine.Float32} {
		tol := 1e-12
		if dtype == engine.Float32 {
			tol = 2e-6
		}
		t.Run(dtype.String(), func(t *testing.T) {
			sizes := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 255, 256, 257, 1025, 1300}
			net, x := inferenceNet(t, dtype, 1300)
			inf, err := be.NewInference(net)
			require.NoError(t, err)
			in, k := net.Spec.Inputs, net.Spec.Outputs()
			want := map[int][]float64{}
			for _, n := range sizes {
				want[n], err = engine.Predict(be, net, x[:n*in], n)
				require.NoError(t, err)
				got := make([]float64, n*k)
				require.NoError(t, inf.Forward64(got, x[:n*in], n))
				closeOutputs(t, want[n], got, tol, fmt.Sprintf("Forward64 of %d rows", n))
				x32 := make([]float32, n*in)
				for i, v := range x[:n*in] {
					x32[i] = float32(v)
				}
				got32 := make([]float32, n*k)
				require.NoError(t, inf.Forward32(got32, x32, n))
				closeOutputs(t, want[n], got32, max(tol, 2e-6), fmt.Sprintf("Forward32 of %d rows", n))
			}
			var wg sync.WaitGroup
			errs := make([]error, 16)
			outs := make([][]float64, 16)
			for g := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n := sizes[g%len(sizes)]
					outs[g] = make([]float64, n*k)
					for range 5 {
						if errs[g] = inf.Forward64(outs[g], x[:n*in], n); errs[g] != nil {
							return
						}
					}
				}()
			}
			wg.Wait()
			for g, err := range errs {
				require.NoError(t, err)
				n := sizes[g%len(sizes)]
				closeOutputs(t, want[n], outs[g], tol, fmt.Sprintf("goroutine %d, %d rows", g, n))
			}
			require.NoError(t, inf.Close())
			require.NoError(t, inf.Close(), "closing twice")
		})
	}
}
