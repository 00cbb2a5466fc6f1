//go:build cudaemu && !cuda

package gpu

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
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

// sparseGroupFit is one fit of TestGroupSparseMatchesFitsAlone: its seed
// (of its network and its order) and rate.
type sparseGroupFit struct {
	seed uint64
	lr   float64
}

// sparseFitted trains the fits on be, one epoch of data launched at the
// bounds, each in sparse_steps' plan (sparse_fits) or, where cluster is not
// 0, in cluster_steps' on clusters of cluster blocks (cluster_fits): in
// one group, each in a goroutine of its own through a seat, or, where
// group is false, one after another alone. It returns each fit's
// parameters and totals, or its error, and the emulator's launches.
func sparseFitted(t *testing.T, be *Backend, spec engine.Spec, data engine.Examples, fits []sparseGroupFit, bounds []int,
	cluster int, group bool) ([]groupResult, int64) {
	out := make([]groupResult, len(fits))
	var g *Group
	if group {
		g = be.Group(len(fits))
		defer func() { require.NoError(t, g.Close()) }()
	}
	trainers := make([]*trainer, len(fits))
	for i, f := range fits {
		net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(f.seed))
		require.NoError(t, err)
		out[i].net = net
		tr, err := be.NewTrainer(net, data, engine.Hyper{LearningRate: f.lr, BatchSize: 1})
		require.NoError(t, err)
		tt := tr.(*trainer)
		require.NoError(t, tt.d.do(func() error {
			_, rank := nonzeros(data.X, data.Codes, data.N, data.Features)
			if cluster > 0 {
				return tt.prepareSparse(spec, data, rank, spec.Inputs, cluster)
			}
			hot, ok := sparseFits(spec, engine.DefaultOptimizer(engine.SGD), tt.ks.sparseBudget)
			require.True(t, ok)
			return tt.prepareSparse(spec, data, rank, hot, 0)
		}))
		if group {
			seat := g.Seat()
			seat.join(tt)
			require.Empty(t, seat.Alone(), "fit %d joins the group", i)
		}
		trainers[i] = tt
	}
	train := func(i int) {
		tt, f := trainers[i], fits[i]
		order := rand.New(rand.NewPCG(f.seed, 7)).Perm(data.N)
		err := tt.BeginEpoch(order)
		for b := 1; b < len(bounds) && err == nil; b++ {
			err = tt.Steps(context.Background(), bounds[b-1], bounds[b])
		}
		var totals engine.Totals
		if err == nil {
			totals, err = tt.Totals()
		}
		if err == nil {
			out[i].hist = engine.History{{Loss: totals.Loss, TrainAccuracy: float64(totals.Correct)}}
			err = tt.CopyTo(out[i].net)
		}
		out[i].err = err
		require.NoError(t, tt.Close())
	}
	before := kernels.EmuCounts()
	if group {
		var wg sync.WaitGroup
		for i := range fits {
			wg.Go(func() { train(i) })
		}
		wg.Wait()
	} else {
		for i := range fits {
			train(i)
		}
	}
	return out, kernels.EmuCounts().Sub(before).Launches
}

// TestGroupSparseMatchesFitsAlone trains, in both precisions, four fits of
// a W2-shaped network (48-12-4, tanh and linear, MSE, per-example plain
// SGD, on inputs mostly 0) of different seeds and rates, one of which
// diverges (a rate of 1e15: its output layer overflows within the epoch), in one
// group: in sparse_steps' plan, a block of sparse_fits a fit, and, on the
// emulator as an H100, in cluster_steps' on clusters of 3 blocks, a
// cluster of cluster_fits a fit (several clusters in one grid). Each fit's
// parameters, loss and correct count must be, bit for bit, those it gives
// alone, the diverging one's error too; the group launches its fits'
// steps together: one launch a range for all of them where alone each fit
// launches its own.
func TestGroupSparseMatchesFitsAlone(t *testing.T) {
	fits := []sparseGroupFit{{1, 0.01}, {2, 0.05}, {3, 1e15}, {4, 0.2}}
	bounds := []int{0, 5, 6, 17, 24}
	for _, cluster := range []int{0, 3} {
		if cluster > 0 {
			withClusters(t)
		}
		be := newBackend(t).(*Backend)
		for _, dtype := range dtypes {
			layers, err := engine.ParseLayers("12:tanh,4:linear")
			require.NoError(t, err)
			spec := engine.Spec{Inputs: 48, Layers: layers, Loss: engine.MSE, DType: dtype}
			data := sparseExamples(rand.New(rand.NewPCG(5, 6)), spec, 24)
			alone, aloneLaunches := sparseFitted(t, be, spec, data, fits, bounds, cluster, false)
			got, groupLaunches := sparseFitted(t, be, spec, data, fits, bounds, cluster, true)
			ranges := int64(len(bounds) - 1)
			assert.Equal(t, int64(len(fits))*(ranges+1), aloneLaunches, "cluster %d: each fit alone: a launch a range and its totals", cluster)
			assert.Equal(t, ranges+int64(len(fits)), groupLaunches, "cluster %d: the group: a launch a range for all, and each fit's totals", cluster)
			for i, f := range fits {
				what := fmt.Sprintf("%s, cluster %d, fit %d (seed %d, lr %g)", dtype, cluster, i, f.seed, f.lr)
				if f.lr > 1 {
					var nf *engine.NonFiniteError
					require.ErrorAs(t, alone[i].err, &nf, "%s alone diverges", what)
					require.ErrorAs(t, got[i].err, &nf, "%s in the group diverges", what)
					assert.Equal(t, alone[i].err.Error(), got[i].err.Error(), what)
					continue
				}
				require.NoError(t, alone[i].err, what)
				require.NoError(t, got[i].err, what)
				assert.Equal(t, math.Float64bits(alone[i].hist[0].Loss), math.Float64bits(got[i].hist[0].Loss), "%s: the loss, bit for bit", what)
				assert.Equal(t, alone[i].hist[0].TrainAccuracy, got[i].hist[0].TrainAccuracy, "%s: the correct count", what)
				for l := range alone[i].net.Layers {
					assert.Equal(t, alone[i].net.Layers[l].W, got[i].net.Layers[l].W, "%s: layer %d's W, bit for bit", what, l+1)
					assert.Equal(t, alone[i].net.Layers[l].B, got[i].net.Layers[l].B, "%s: layer %d's b, bit for bit", what, l+1)
				}
			}
		}
	}
}
