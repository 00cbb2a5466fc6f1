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
// barrier a step for MNIST's 784-128-10 (W2, W2s), none for the course's
// 2-6-6-1 (W1), which runs in one warp, and three a step for two
// distributed layers (784-512-512-10), with one more at the launch's end.
func TestSGDStepStructure(t *testing.T) {
	be := newBackend(t)
	for _, c := range []struct {
		inputs            int
		layers            string
		loss              engine.Loss
		distributed       int
		barriers, atEnd   int
		oneWarp, oneBlock bool
	}{
		{784, "128:relu,10:sigmoid", engine.BCE, 1, 1, 0, false, false},
		{784, "128:relu,10:softmax", engine.CE, 1, 1, 0, false, false},
		{2, "6:relu,6:relu,1:sigmoid", engine.BCE, 0, 0, 0, true, true},
		{784, "512:relu,512:relu,10:softmax", engine.CE, 2, 3, 1, false, false},
	} {
		layers, err := engine.ParseLayers(c.layers)
		require.NoError(t, err)
		spec := engine.Spec{Inputs: c.inputs, Layers: layers, Loss: c.loss, DType: engine.Float32}
		net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
		require.NoError(t, err)
		const n = 12
		data := examples(rand.New(rand.NewPCG(2, 3)), spec, n)
		tr, err := be.NewTrainer(net, data, engine.Hyper{LearningRate: 0.01, BatchSize: 1})
		require.NoError(t, err)
		sh := tr.(*trainer).sgd
		assert.Equal(t, c.distributed, int(sh.plan.nd), "%s: distributed layers", c.layers)
		assert.Equal(t, c.barriers, sh.barriersPerStep, "%s: the plan's barriers a step", c.layers)
		assert.Equal(t, c.oneWarp, sh.threads == warp, "%s: one warp a block", c.layers)
		assert.Equal(t, c.oneBlock, sh.grid == 1, "%s: one block", c.layers)
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		require.NoError(t, tr.BeginEpoch(order))
		before := kernels.EmuCounts()
		require.NoError(t, tr.Steps(context.Background(), 0, n))
		got := kernels.EmuCounts().Sub(before)
		assert.Equal(t, kernels.EmuCount{Launches: 1, Kernels: 1, GridBarriers: int64(c.barriers*n + c.atEnd)}, got,
			"%s: %d steps", c.layers, n)
		_, err = tr.Totals()
		require.NoError(t, err)
		require.NoError(t, tr.Close())
	}
}
