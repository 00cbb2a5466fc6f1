package engine_test

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// scaledModel returns a 20-16-3 network of dtype, a scaler of its inputs
// and n rows of raw inputs (float32 values).
func scaledModel(t *testing.T, dtype engine.DType, n int) (*engine.Network, *dataset.Scaler, []float64) {
	t.Helper()
	layers, err := engine.ParseLayers("16:relu,3:softmax")
	require.NoError(t, err)
	net, err := engine.NewNetwork(engine.Spec{Inputs: 20, Layers: layers, Loss: engine.CE, DType: dtype}, engine.InitAuto, engine.NewRNG(5))
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	sc := &dataset.Scaler{Kind: dataset.Standardise, Offset: make([]float64, 20), Scale: make([]float64, 20)}
	for j := range sc.Offset {
		sc.Offset[j], sc.Scale[j] = rng.Float64()*100, 1/(1+rng.Float64()*50)
	}
	x := make([]float64, n*20)
	for i := range x {
		x[i] = float64(float32(rng.Float64() * 200))
	}
	return net, sc, x
}

// TestPredictorScales requires PredictInto and PredictInto32 to give
// Predict's outputs on the rows scaled by Scaler.Apply, for batches that
// span the Predictor's chunks, leaving the caller's rows as they were.
func TestPredictorScales(t *testing.T) {
	be := cpu.New()
	for _, dtype := range []engine.DType{engine.Float64, engine.Float32} {
		net, sc, x := scaledModel(t, dtype, 600)
		p, err := engine.NewPredictor(be, net, engine.Preprocessing{Scaler: sc})
		require.NoError(t, err)
		assert.Equal(t, 20, p.Inputs())
		assert.Equal(t, 3, p.Outputs())
		for _, n := range []int{1, 2, 5, 256, 257, 600} {
			raw := append([]float64(nil), x[:n*20]...)
			scaled := append([]float64(nil), raw...)
			sc.Apply(scaled)
			want, err := engine.Predict(be, net, scaled, n)
			require.NoError(t, err)
			got := make([]float64, n*3)
			require.NoError(t, p.PredictInto(got, raw))
			assert.InDeltaSlice(t, want, got, 2e-6, "%s, %d rows", dtype, n)
			assert.Equal(t, x[:n*20], raw, "PredictInto leaves the rows as they were")
			raw32, got32 := make([]float32, n*20), make([]float32, n*3)
			for i, v := range raw {
				raw32[i] = float32(v)
			}
			require.NoError(t, p.PredictInto32(got32, raw32))
			for i, v := range got32 {
				assert.InDelta(t, want[i], float64(v), 2e-6, "%s, %d rows in float32, output %d", dtype, n, i)
			}
		}
	}
}

func TestPredictorErrors(t *testing.T) {
	be := cpu.New()
	net, sc, _ := scaledModel(t, engine.Float32, 1)
	_, err := engine.NewPredictor(be, nil, engine.Preprocessing{})
	assert.ErrorContains(t, err, "no network")
	_, err = engine.NewPredictor(be, net, engine.Preprocessing{Scaler: sc, Prep: &dataset.Preprocessor{}})
	assert.ErrorContains(t, err, "not both")
	short := &dataset.Scaler{Offset: sc.Offset[:3], Scale: sc.Scale[:3]}
	_, err = engine.NewPredictor(be, net, engine.Preprocessing{Scaler: short})
	assert.ErrorContains(t, err, "the scaler has 3 offsets and 3 scales, expected one per input of the network (20)")
	_, err = engine.NewPredictor(be, &engine.Network{Spec: engine.Spec{Inputs: 0, Layers: []engine.LayerSpec{{Units: 1}}}}, engine.Preprocessing{})
	assert.ErrorContains(t, err, "at least 1 input")
	cut := net.Clone()
	cut.Layers[1].W = cut.Layers[1].W[:5]
	_, err = engine.NewPredictor(be, cut, engine.Preprocessing{})
	assert.ErrorContains(t, err, "layer 2: 5 weights and 3 biases (3×16, softmax), expected 3×16 and 3 (softmax)")

	p, err := engine.NewPredictor(be, net, engine.Preprocessing{Scaler: sc})
	require.NoError(t, err)
	assert.ErrorContains(t, p.PredictInto(make([]float64, 3), make([]float64, 21)), "21 values are not whole rows of 20 inputs")
	assert.ErrorContains(t, p.PredictInto(make([]float64, 4), make([]float64, 40)), "dst holds 4 values, expected 6 (2 rows × 3 outputs)")
	assert.ErrorContains(t, p.PredictInto32(make([]float32, 3), make([]float32, 19)), "19 values are not whole rows")
	assert.NoError(t, p.PredictInto(nil, nil), "no rows, no outputs")
	assert.ErrorContains(t, p.PredictRow(make([]float64, 3), map[string]string{}), "no tabular preprocessor")
}

// TestPredictorAllocatesNothing requires a warm Predictor to allocate
// nothing per call on the CPU, at batch 1 (the matrix-vector path) and
// over a chunk, with and without a scaler, in both precisions.
func TestPredictorAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	if gonumProducts {
		t.Skip("without the assembly kernels the CPU backend multiplies through gonum, which allocates per call (as cpu's TestStepsAllocateNothing notes)")
	}
	be := cpu.New()
	for _, dtype := range []engine.DType{engine.Float64, engine.Float32} {
		net, sc, x := scaledModel(t, dtype, 300)
		x32 := make([]float32, len(x))
		for i, v := range x {
			x32[i] = float32(v)
		}
		for _, pre := range []engine.Preprocessing{{}, {Scaler: sc}} {
			p, err := engine.NewPredictor(be, net, pre)
			require.NoError(t, err)
			for _, n := range []int{1, 300} {
				dst, dst32 := make([]float64, n*3), make([]float32, n*3)
				allocs := testing.AllocsPerRun(20, func() { _ = p.PredictInto(dst, x[:n*20]) })
				assert.Zero(t, allocs, "%s, scaler %v, %d rows: PredictInto", dtype, pre.Scaler != nil, n)
				allocs = testing.AllocsPerRun(20, func() { _ = p.PredictInto32(dst32, x32[:n*20]) })
				assert.Zero(t, allocs, "%s, scaler %v, %d rows: PredictInto32", dtype, pre.Scaler != nil, n)
			}
		}
	}
}

// TestPredictorConcurrent runs 32 goroutines on one Predictor, each with
// its own batch size, and requires the serial outputs (run it with -race).
func TestPredictorConcurrent(t *testing.T) {
	be := cpu.New()
	net, sc, x := scaledModel(t, engine.Float32, 300)
	p, err := engine.NewPredictor(be, net, engine.Preprocessing{Scaler: sc})
	require.NoError(t, err)
	sizes := []int{1, 2, 3, 7, 64, 257, 300}
	want := map[int][]float64{}
	for _, n := range sizes {
		want[n] = make([]float64, n*3)
		require.NoError(t, p.PredictInto(want[n], x[:n*20]))
	}
	var wg sync.WaitGroup
	got := make([][]float64, 32)
	errs := make([]error, 32)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := sizes[g%len(sizes)]
			got[g] = make([]float64, n*3)
			for range 20 {
				if errs[g] = p.PredictInto(got[g], x[:n*20]); errs[g] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for g := range got {
		require.NoError(t, errs[g])
		assert.Equal(t, want[sizes[g%len(sizes)]], got[g], "goroutine %d", g)
	}
}
