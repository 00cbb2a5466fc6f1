//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
)

// sparseExamples returns n random examples for spec (examples) whose
// inputs are 0 but for a band of the first inputs, where each is nonzero
// with probability 3/4, as MNIST's pixels around the centre are.
func sparseExamples(rng *rand.Rand, spec engine.Spec, n int) engine.Examples {
	data := examples(rng, spec, n)
	band := max(1, spec.Inputs/4)
	for i := range data.X {
		if i%spec.Inputs >= band || rng.IntN(4) == 0 {
			data.X[i] = 0
		}
	}
	return data
}

// sparseTrained trains a copy of net on be over order as h says, launching
// at the bounds, in sparse_steps with hot of the first layer's rows in
// shared memory (-1, or more than fit: as many as fit) where be is the
// GPU's, or in cluster_steps on a cluster of cluster blocks where cluster
// is not 0, and returns the parameters and the totals.
func sparseTrained(t *testing.T, be engine.Backend, net *engine.Network, data engine.Examples, h engine.Hyper, order, bounds []int,
	hot, cluster int) (*engine.Network, engine.Totals) {
	t.Helper()
	tr, err := be.NewTrainer(net, data, h)
	require.NoError(t, err)
	defer func() { require.NoError(t, tr.Close()) }()
	if tt, ok := tr.(*trainer); ok {
		require.NoError(t, tt.d.do(func() error {
			_, rank := nonzeros(data.X, data.Codes, data.N, data.Features)
			if cluster > 0 {
				sizes := clusterSizes(net.Spec, h.Optimizer, tt.ks.clusterBudget, tt.ks.clusterMax)
				require.Contains(t, sizes, cluster, "cluster_steps runs %d-%v on %d blocks", net.Spec.Inputs, net.Spec.Layers, cluster)
				return tt.prepareSparse(net.Spec, data, rank, net.Spec.Inputs, cluster)
			}
			fits, ok := sparseFits(net.Spec, h.Optimizer, tt.ks.sparseBudget)
			require.True(t, ok, "sparse_steps runs %d-%v", net.Spec.Inputs, net.Spec.Layers)
			if hot < 0 || hot > fits {
				hot = fits
			}
			return tt.prepareSparse(net.Spec, data, rank, hot, 0)
		}))
	}
	return launched(t, tr, net, order, bounds)
}

// TestSparseStepsParity runs sparse_steps against its CPU twin, the CPU
// backend's per-example step, in both precisions, on inputs that are mostly
// 0: W2's and W2s's shapes with the rows that fit in shared memory and with
// most of them cold, W1's, a first layer of more units than the block has
// threads with every row cold, and three layers; each with the steps in
// one launch and split over several, at a rate that changes every step,
// with and without example weights (one of them 0).
func TestSparseStepsParity(t *testing.T) {
	cases := []struct {
		sgdCase
		hot int
	}{
		{sgdCase{784, "128:relu,10:softmax", engine.CE}, -1},
		{sgdCase{784, "128:relu,10:sigmoid", engine.BCE}, 100},
		{sgdCase{2, "6:relu,6:relu,1:sigmoid", engine.BCE}, 1},
		{sgdCase{40, "600:tanh,7:linear", engine.MSE}, 0},
		{sgdCase{33, "16:relu,20:tanh,10:softmax", engine.CE}, 33},
	}
	gpu := newBackend(t)
	for _, c := range cases {
		sparseParity(t, gpu, c.sgdCase, c.hot, 0, fmt.Sprintf("%d hot rows", c.hot))
	}
}

// sparseParity trains c's network, in both precisions, on 9 examples whose
// inputs are mostly 0, with the CPU backend and with gpu's per-example
// sparse path: sparse_steps with hot rows in shared memory, or, where
// cluster > 0, cluster_steps on a cluster of that many blocks. The steps run
// in one launch and split over several, at a rate that changes every step,
// with and without example weights (one of them 0); the losses, counts and
// parameters must agree, and a second run on gpu must give the same ones
// (the runs are deterministic). how names the path in failures.
func sparseParity(t *testing.T, gpu engine.Backend, c sgdCase, hot, cluster int, how string) {
	t.Helper()
	order := []int{3, 0, 8, 6, 1, 5, 2, 7, 4}
	weights := []float64{0.5, 2, 1, 0, 1.75, 0.25, 3, 1, 0.125}
	h := engine.Hyper{LearningRate: 0.05, BatchSize: 1, Rate: func(t int) float64 { return 0.05 * float64(1+t%3) }}
	for _, dtype := range dtypes {
		tol := 1e-9
		if dtype == engine.Float32 {
			tol = 1e-4
		}
		layers, err := engine.ParseLayers(c.layers)
		require.NoError(t, err)
		spec := engine.Spec{Inputs: c.inputs, Layers: layers, Loss: c.loss, DType: dtype}
		net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(3))
		require.NoError(t, err)
		data := sparseExamples(rand.New(rand.NewPCG(4, uint64(c.inputs))), spec, len(order))
		for _, w := range [][]float64{nil, weights} {
			data.Weights = w
			for _, bounds := range [][]int{{0, 9}, {0, 1, 4, 5, 9}} {
				what := fmt.Sprintf("%s %d-%s %s, %s, launches %v, weights %v", dtype, c.inputs, c.layers, c.loss, how, bounds, w)
				want, wantTotals := sparseTrained(t, cpu.New(), net, data, h, order, bounds, hot, cluster)
				got, gotTotals := sparseTrained(t, gpu, net, data, h, order, bounds, hot, cluster)
				again, againTotals := sparseTrained(t, gpu, net, data, h, order, bounds, hot, cluster)
				assert.Equal(t, gotTotals, againTotals, what+": the totals of a second run")
				assert.Equal(t, got.Layers, again.Layers, what+": the parameters of a second run")
				assert.InEpsilon(t, wantTotals.Loss, gotTotals.Loss, tol, what+": loss")
				assert.Equal(t, wantTotals.Examples, gotTotals.Examples, what+": examples")
				assert.InDelta(t, wantTotals.Correct, gotTotals.Correct, 1, what+": correct (an example on the boundary may flip)")
				for l := range want.Layers {
					assertClose(t, want.Layers[l].W, got.Layers[l].W, tol, fmt.Sprintf("%s: W%d", what, l+1))
					assertClose(t, want.Layers[l].B, got.Layers[l].B, tol, fmt.Sprintf("%s: b%d", what, l+1))
				}
			}
		}
	}
}

// TestClusterStepsParity runs cluster_steps against its CPU twin, the CPU
// backend's per-example step, in both precisions, on inputs that are mostly
// 0, on a device that runs clusters (the emulator as an H100): W2's shape
// over a portable cluster of 8 blocks, 16 units each, a non-portable
// cluster of 16 blocks of one unit each (three layers), a cluster of 3
// blocks of 200 units (more than a block's threads), one of 4 blocks whose
// last owns no unit (three layers), four layers with a sigmoid first layer
// on 6 blocks whose last owns none, and a second layer of 300 units (more
// than a block's threads, and the blocks' partial sums of it more still)
// after a sigmoid first layer on 3 blocks; each with the steps in one
// launch and split over several, at a rate that changes every step, with
// and without example weights, and run twice, to the same bits.
func TestClusterStepsParity(t *testing.T) {
	withClusters(t)
	cases := []struct {
		sgdCase
		cluster int
	}{
		{sgdCase{784, "128:relu,10:softmax", engine.CE}, 8},
		{sgdCase{33, "16:relu,20:tanh,10:softmax", engine.CE}, 16},
		{sgdCase{40, "600:tanh,7:linear", engine.MSE}, 3},
		{sgdCase{2, "6:relu,6:relu,1:sigmoid", engine.BCE}, 4},
		{sgdCase{24, "10:sigmoid,12:relu,6:tanh,3:softmax", engine.CE}, 6},
		{sgdCase{12, "9:sigmoid,300:relu,4:sigmoid", engine.BCE}, 3},
	}
	gpu := newBackend(t)
	for _, c := range cases {
		sparseParity(t, gpu, c.sgdCase, 0, c.cluster, fmt.Sprintf("a cluster of %d", c.cluster))
	}
}
