package cpu

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// TestStepsAllocateNothing trains W2's shape per example, on dense and
// sparse inputs, inputs held as float64 values and as codes, and in
// mini-batches (whose products are split across cores) and counts heap
// allocations.
func TestStepsAllocateNothing(t *testing.T) {
	const n, in = 256, 784
	spec := engine.Spec{Inputs: in, Layers: []engine.LayerSpec{{Units: 128, Activation: engine.ReLU}, {Units: 10, Activation: engine.Sigmoid}}, Loss: engine.BCE}
	x, y, codes := make([]float64, n*in), make([]float64, n*10), make([]byte, n*in)
	var levels [256]float64
	for i := range x {
		x[i], codes[i], levels[i%7] = float64(i%7)/7, byte(i%7), float64(i%7)/7
	}
	for i := 0; i < n; i++ {
		y[i*10+i%10] = 1
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	cosine := func(t int) float64 { return engine.Schedule{Kind: engine.Cosine}.Rate(0.01, t, 1, 1000) }
	for _, opt := range []engine.Optimizer{{}, engine.DefaultOptimizer(engine.Adam)} {
		for _, dtype := range []engine.DType{engine.Float32, engine.Float64} {
			for _, batch := range []int{1, 64} {
				spec.DType = dtype
				net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
				require.NoError(t, err)
				for _, c := range []struct {
					inputs Inputs
					data   engine.Examples
				}{
					{DenseInputs, engine.Examples{X: x, Y: y, N: n, Features: in, Outputs: 10}},
					{DenseInputs, engine.Examples{Codes: &dataset.Codes{Bytes: codes, Levels: &levels}, Y: y, N: n, Features: in, Outputs: 10}},
					{SparseInputs, engine.Examples{X: x, Y: y, N: n, Features: in, Outputs: 10}},
				} {
					inputs := c.inputs
					tr, err := Backend{Inputs: inputs}.NewTrainer(net, c.data, engine.Hyper{LearningRate: 0.01, BatchSize: batch, Optimizer: opt, Rate: cosine})
					require.NoError(t, err)
					require.NoError(t, tr.BeginEpoch(order))
					ctx := context.Background()
					allocs := testing.AllocsPerRun(3, func() {
						require.NoError(t, tr.Steps(ctx, 0, 128))
					})
					t.Logf("%s %s batch %d, sparse inputs %v, codes %v: %.1f allocations per %d steps", opt.Kind, dtype, batch, inputs == SparseInputs, c.data.X == nil, allocs, 128/batch)
					if batch == 1 || haveFMA { // without FMA, mini-batches go through gonum, which allocates
						assert.Zero(t, allocs, "%s %s batch %d: steps allocate nothing", opt.Kind, dtype, batch)
					}
					require.NoError(t, tr.Close())
				}
			}
		}
	}
}
