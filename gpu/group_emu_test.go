//go:build cudaemu && !cuda

package gpu

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/kernels"
)

// groupFit is one fit of a group test: its network, loss (BCE unless
// given), rate, seed and batch.
type groupFit struct {
	layers string
	loss   engine.Loss
	lr     float64
	seed   uint64
	batch  int
}

// groupResult is what a fit gave: its parameters, history and error.
type groupResult struct {
	net  *engine.Network
	hist engine.History
	err  error
}

// fitOn trains f on moons with be, as perceptron train would: its network
// drawn from its seed, 2 epochs.
func fitOn(t *testing.T, be engine.Backend, set *dataset.Set, f groupFit, dtype engine.DType) groupResult {
	layers, err := engine.ParseLayers(f.layers)
	require.NoError(t, err)
	net, err := engine.NewNetwork(engine.Spec{Inputs: 2, Layers: layers, Loss: cmp.Or(f.loss, engine.BCE), DType: dtype}, engine.InitAuto, engine.NewRNG(f.seed))
	require.NoError(t, err)
	hist, err := engine.Fit(context.Background(), net, set, engine.Config{Epochs: 2, LearningRate: f.lr, BatchSize: f.batch, Seed: f.seed, Backend: be})
	return groupResult{net, hist, err}
}

// fitGroup trains fits at once, each in a goroutine of its own through a
// seat of one group, and returns what each gave and the emulator's launches.
func fitGroup(t *testing.T, be *Backend, set *dataset.Set, fits []groupFit, dtype engine.DType) ([]groupResult, int64) {
	g := be.Group(len(fits))
	defer func() { require.NoError(t, g.Close()) }()
	out := make([]groupResult, len(fits))
	before := kernels.EmuCounts()
	var wg sync.WaitGroup
	for i, f := range fits {
		seat := g.Seat()
		wg.Go(func() {
			defer seat.Leave()
			out[i] = fitOn(t, seat, set, f, dtype)
		})
	}
	wg.Wait()
	return out, kernels.EmuCounts().Sub(before).Launches
}

// TestGroupMatchesFitsAlone trains, in both precisions, W1s (2-6-6-1 relu,
// relu, sigmoid, BCE, per-example plain SGD) of different seeds and rates
// in one group, beside a fit that diverges (a 2-6-6-1 regression by MSE at
// a rate of 100: its output layer overflows within the first epoch), a network too large for a block's shared
// memory (2-512-512-1, which sgd_steps distributes) and a mini-batch fit,
// and requires each fit to give, bit for bit, the parameters and history
// it gives trained alone: the group's fits in one block each of the same
// launches, the diverging one stopped by the same NonFiniteError without
// disturbing them, the other two run alone.
func TestGroupMatchesFitsAlone(t *testing.T) {
	be := newBackend(t).(*Backend)
	set, err := dataset.Synthetic("moons", 96, -1, 4)
	require.NoError(t, err)
	fits := []groupFit{
		{"6:relu,6:relu,1:sigmoid", 0, 0.01, 1, 1},
		{"6:relu,6:relu,1:sigmoid", 0, 0.1, 2, 1},
		{"6:relu,6:relu,1:sigmoid", 0, 0.5, 3, 1},
		{"6:tanh,6:tanh,1:linear", engine.MSE, 100, 4, 1},
		{"512:relu,512:relu,1:sigmoid", 0, 0.01, 5, 1},
		{"6:relu,6:relu,1:sigmoid", 0, 0.01, 6, 16},
	}
	for _, dtype := range dtypes {
		got, _ := fitGroup(t, be, set, fits, dtype)
		for i, f := range fits {
			want := fitOn(t, be, set, f, dtype)
			what := fmt.Sprintf("%s fit %d (%s, lr %g, seed %d, batch %d)", dtype, i, f.layers, f.lr, f.seed, f.batch)
			if f.loss == engine.MSE {
				var nf *engine.NonFiniteError
				require.ErrorAs(t, want.err, &nf, "%s alone diverges", what)
				require.ErrorAs(t, got[i].err, &nf, "%s in the group diverges", what)
				assert.Equal(t, want.err.Error(), got[i].err.Error(), what)
				continue
			}
			require.NoError(t, want.err, what)
			require.NoError(t, got[i].err, what)
			require.Len(t, got[i].hist, 2, what)
			for e := range want.hist {
				assert.Equal(t, math.Float64bits(want.hist[e].Loss), math.Float64bits(got[i].hist[e].Loss), "%s: epoch %d's loss, bit for bit", what, e+1)
				assert.Equal(t, want.hist[e].TrainAccuracy, got[i].hist[e].TrainAccuracy, "%s: epoch %d's accuracy", what, e+1)
			}
			for l := range want.net.Layers {
				assert.Equal(t, want.net.Layers[l].W, got[i].net.Layers[l].W, "%s: layer %d's W, bit for bit", what, l+1)
				assert.Equal(t, want.net.Layers[l].B, got[i].net.Layers[l].B, "%s: layer %d's b, bit for bit", what, l+1)
			}
		}
	}
}

// TestGroupLaunchesItsFitsTogether counts the emulator's launches of a
// group of three W1 fits: one launch of sgd_fits for the three at each of
// Fit's ranges of steps (96 examples: ranges of one), and each fit's own
// epoch_totals at each epoch's end; three fits alone launch three times the
// steps.
func TestGroupLaunchesItsFitsTogether(t *testing.T) {
	be := newBackend(t).(*Backend)
	set, err := dataset.Synthetic("moons", 96, -1, 4)
	require.NoError(t, err)
	fits := []groupFit{{"6:relu,6:relu,1:sigmoid", 0, 0.01, 1, 1}, {"6:relu,6:relu,1:sigmoid", 0, 0.02, 2, 1}, {"6:relu,6:relu,1:sigmoid", 0, 0.03, 3, 1}}
	_, launches := fitGroup(t, be, set, fits, engine.Float32)
	const epochs, ranges = 2, 96
	assert.Equal(t, int64(epochs*(ranges+len(fits))), launches, "a launch a range for the group, and each fit's totals an epoch")
	before := kernels.EmuCounts()
	for _, f := range fits {
		require.NoError(t, fitOn(t, be, set, f, engine.Float32).err)
	}
	assert.Equal(t, int64(len(fits)*epochs*(ranges+1)), kernels.EmuCounts().Sub(before).Launches, "the same fits alone")
}

// TestGroupSeatThatNeverTrains leaves a seat whose fit fails before its
// trainer (Leave): the group's other fit trains on, rather than waiting for
// it for ever.
func TestGroupSeatThatNeverTrains(t *testing.T) {
	be := newBackend(t).(*Backend)
	set, err := dataset.Synthetic("moons", 32, -1, 4)
	require.NoError(t, err)
	g := be.Group(2)
	defer func() { require.NoError(t, g.Close()) }()
	g.Seat().Leave()
	seat := g.Seat()
	r := fitOn(t, seat, set, groupFit{"6:relu,6:relu,1:sigmoid", 0, 0.01, 1, 1}, engine.Float64)
	seat.Leave()
	require.NoError(t, r.err)
	assert.Len(t, r.hist, 2)
}
