//go:build cudaemu && !cuda

package gpu

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/kernels"
)

// TestSGDStepStructure counts, on the emulator, the launches and grid
// barriers of per-example SGD: one launch for a run of steps, one grid
// barrier a step for MNIST's 784-128-10 (W2, W2s), with plain SGD and with
// Adam (W2a), whose state the same launch updates, none for the course's
// 2-6-6-1 (W1), which runs in one warp, and three a step for two
// distributed layers (784-512-512-10), with one more at the launch's end.
func TestSGDStepStructure(t *testing.T) {
	be := newBackend(t)
	for _, c := range []struct {
		inputs            int
		layers            string
		loss              engine.Loss
		opt               engine.Optimizer
		distributed       int
		barriers, atEnd   int
		oneWarp, oneBlock bool
	}{
		{784, "128:relu,10:sigmoid", engine.BCE, engine.Optimizer{}, 1, 1, 0, false, false},
		{784, "128:relu,10:softmax", engine.CE, engine.Optimizer{}, 1, 1, 0, false, false},
		{784, "128:relu,10:sigmoid", engine.BCE, engine.DefaultOptimizer(engine.Adam), 1, 1, 0, false, false},
		{784, "128:relu,10:softmax", engine.CE, engine.DefaultOptimizer(engine.Adam), 1, 1, 0, false, false},
		{2, "6:relu,6:relu,1:sigmoid", engine.BCE, engine.Optimizer{}, 0, 0, 0, true, true},
		{2, "6:relu,6:relu,1:sigmoid", engine.BCE, engine.DefaultOptimizer(engine.AdamW), 0, 0, 0, true, true},
		{784, "512:relu,512:relu,10:softmax", engine.CE, engine.Optimizer{}, 2, 3, 1, false, false},
	} {
		layers, err := engine.ParseLayers(c.layers)
		require.NoError(t, err)
		spec := engine.Spec{Inputs: c.inputs, Layers: layers, Loss: c.loss, DType: engine.Float32}
		net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
		require.NoError(t, err)
		const n = 12
		data := examples(rand.New(rand.NewPCG(2, 3)), spec, n)
		tr, err := be.NewTrainer(net, data, engine.Hyper{LearningRate: 0.01, BatchSize: 1, Optimizer: c.opt})
		require.NoError(t, err)
		sh, what := tr.(*trainer).sgd, c.layers+" "+c.opt.String()
		assert.Equal(t, c.distributed, int(sh.plan.nd), "%s: distributed layers", what)
		assert.Equal(t, c.barriers, sh.barriersPerStep, "%s: the plan's barriers a step", what)
		assert.Equal(t, c.oneWarp, sh.threads == warp, "%s: one warp a block", what)
		assert.Equal(t, c.oneBlock, sh.grid == 1, "%s: one block", what)
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		require.NoError(t, tr.BeginEpoch(order))
		before := kernels.EmuCounts()
		require.NoError(t, tr.Steps(context.Background(), 0, n))
		got := kernels.EmuCounts().Sub(before)
		assert.Equal(t, kernels.EmuCount{Launches: 1, Kernels: 1, GridBarriers: int64(c.barriers*n + c.atEnd)}, got,
			"%s: %d steps", what, n)
		_, err = tr.Totals()
		require.NoError(t, err)
		require.NoError(t, tr.Close())
	}
}

// TestBatchStepStructure counts, on the emulator, the launches of
// mini-batch SGD: one (a graph's) a batch step, for W3's 784-512-512-10 and
// for W2, with plain SGD and with Adam (one kernel more: the optimizer's
// step after the gradients), the last batch of an epoch, which is smaller,
// included, and with the gradients clipped (by norm two kernels more, by
// value one, and plain SGD's optimizer step); and the graphs' kernels, which
// PERCEPTRON_CUDA_SYNC=1 launches one by one.
func TestBatchStepStructure(t *testing.T) {
	be := newBackend(t)
	for _, c := range []struct {
		layers  string
		loss    engine.Loss
		opt     engine.Optimizer
		clip    engine.Clipping
		kernels int // a step's
	}{
		{"512:relu,512:relu,10:softmax", engine.CE, engine.Optimizer{}, engine.Clipping{}, 17}, // W3
		{"128:relu,10:sigmoid", engine.BCE, engine.Optimizer{}, engine.Clipping{}, 11},         // W2
		{"512:relu,512:relu,10:softmax", engine.CE, engine.DefaultOptimizer(engine.Adam), engine.Clipping{}, 18},
		{"128:relu,10:softmax", engine.CE, engine.DefaultOptimizer(engine.Adam), engine.Clipping{}, 13}, // W2a: softmax_rows and the optimizer
		{"128:relu,10:softmax", engine.CE, engine.DefaultOptimizer(engine.Adam), engine.Clipping{Norm: 1}, 15},
		{"128:relu,10:sigmoid", engine.BCE, engine.Optimizer{}, engine.Clipping{Value: 0.01}, 13},
	} {
		layers, err := engine.ParseLayers(c.layers)
		require.NoError(t, err)
		spec := engine.Spec{Inputs: 784, Layers: layers, Loss: c.loss, DType: engine.Float32}
		net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
		require.NoError(t, err)
		const n, batch = 20, 8 // steps of 8, 8 and 4 rows
		data := examples(rand.New(rand.NewPCG(2, 3)), spec, n)
		order := make([]int, n)
		for i := range order {
			order[i] = n - 1 - i
		}
		var params [][]float64
		for _, syncEach := range []bool{false, true} {
			tr, err := be.NewTrainer(net, data, engine.Hyper{LearningRate: 0.01, BatchSize: batch, Optimizer: c.opt, Clip: c.clip})
			require.NoError(t, err)
			tr.(*trainer).d.syncEach = syncEach
			require.NoError(t, tr.BeginEpoch(order))
			before := kernels.EmuCounts()
			require.NoError(t, tr.Steps(context.Background(), 0, 16))
			require.NoError(t, tr.Steps(context.Background(), 16, n))
			got := kernels.EmuCounts().Sub(before)
			launches := 3
			if syncEach {
				launches = 3 * c.kernels
			}
			assert.Equal(t, kernels.EmuCount{Launches: int64(launches), Kernels: int64(3 * c.kernels)}, got,
				"%s %s %+v: 3 batch steps, PERCEPTRON_CUDA_SYNC=1 %v", c.layers, c.opt, c.clip, syncEach)
			totals, err := tr.Totals()
			require.NoError(t, err)
			assert.Equal(t, n, totals.Examples)
			out := net.Clone()
			require.NoError(t, tr.CopyTo(out))
			params = append(params, out.Layers[0].W)
			require.NoError(t, tr.Close())
			tr.(*trainer).d.syncEach = false
		}
		assert.Equal(t, params[0], params[1], "%s %s: a graph's step is its kernels' step", c.layers, c.opt)
	}
}
