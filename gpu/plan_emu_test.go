//go:build cudaemu && !cuda

package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/kernels"
)

// emulate makes the emulator stand for dev for the rest of the test, on a
// device opened anew, and for its own small device again afterwards.
func emulate(t *testing.T, dev kernels.EmuDevice) {
	t.Helper()
	reopen := func(dev kernels.EmuDevice) {
		opened.mu.Lock()
		defer opened.mu.Unlock()
		if opened.dev != nil {
			opened.dev.close()
			opened.dev = nil
		}
		kernels.EmuSetDevice(dev)
	}
	reopen(dev)
	t.Cleanup(func() { reopen(kernels.EmuSmall) })
}

// withClusters makes the emulator stand for an H100, which runs
// thread-block clusters, for the rest of the test.
func withClusters(t *testing.T) { emulate(t, kernels.EmuH100) }

// TestSGDRealPlans runs sgd_steps as the backend plans it for an H100
// (kernels.EmuH100: 132 multiprocessors, 227 KiB of shared memory a block,
// one block of sgd_steps a multiprocessor by its registers): W2's 64 blocks
// with teams of 4 warps, W3's 132 blocks, and a narrow first layer over
// 132 blocks, 124 of which own none of its units, each for three steps in
// two launches, against the CPU's steps.
func TestSGDRealPlans(t *testing.T) {
	if testing.Short() {
		t.Skip("the real plans run 64 to 132 blocks of 256 fibers each on the emulator")
	}
	emulate(t, kernels.EmuH100)
	cases := []struct {
		sgdCase
		nd, grid, team int
	}{
		{sgdCase{784, "128:relu,10:softmax", engine.CE}, 1, 64, 4},           // W2s
		{sgdCase{784, "512:relu,512:relu,10:softmax", engine.CE}, 2, 132, 2}, // W3
		{sgdCase{20, "8:relu,8000:tanh,1:sigmoid", engine.BCE}, 2, 132, 8},   // 8 units over 132 blocks: 1 or none a block
	}
	be := newBackend(t)
	for _, c := range cases {
		for _, dtype := range dtypes {
			layers, err := engine.ParseLayers(c.layers)
			require.NoError(t, err)
			spec := engine.Spec{Inputs: c.inputs, Layers: layers, Loss: c.loss, DType: dtype}
			net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(3))
			require.NoError(t, err)
			tr, err := be.NewTrainer(net, examples(rand.New(rand.NewPCG(1, 1)), spec, 2), engine.Hyper{LearningRate: 0.05, BatchSize: 1})
			require.NoError(t, err)
			tt := tr.(*trainer)
			perSM, err := tt.ks.fns[kernelSgdSteps].residentPerSM(tt.sgd.threads, tt.sgd.shared)
			require.NoError(t, err)
			assert.Equal(t, 1, perSM, "%s %s: blocks of sgd_steps a multiprocessor", dtype, c.layers)
			assert.EqualValues(t, c.nd, tt.sgd.plan.nd, "%s %s: distributed layers", dtype, c.layers)
			assert.Equal(t, c.grid, tt.sgd.grid, "%s %s: blocks", dtype, c.layers)
			assert.Equal(t, 256, tt.sgd.threads, "%s %s: threads", dtype, c.layers)
			assert.Equal(t, c.team, teamOf(tt.layers[0].out, tt.sgd.grid, tt.sgd.threads/warp), "%s %s: the first layer's team of warps", dtype, c.layers)
			require.NoError(t, tr.Close())
		}
	}
	var sgdCases []sgdCase
	for _, c := range cases {
		sgdCases = append(sgdCases, c.sgdCase)
	}
	sgdParity(t, sgdCases, []launchSplit{{deviceBudget, []int{0, 2, 3}}}, nil,
		func(engine.Spec) []engine.Hyper { return []engine.Hyper{{LearningRate: 0.05, BatchSize: 1}} })
}

// teamOf is the team of warps that forward_dist (kernels/sgd.cu) gives a
// unit of a distributed layer of out units in the blocks of a grid of grid
// blocks of warps warps that own the most units.
func teamOf(out, grid, warps int) int {
	units := blocks(out, grid)
	team := 1
	for 2*team <= warps && units*2*team <= warps {
		team *= 2
	}
	return team
}

// TestClusterPlan: a per-example fit of W2's shape by plain SGD on 4,000
// inputs that are mostly 0 (Fit's chunks of 20 steps a launch) runs in
// cluster_steps on a device with clusters (the
// emulator as an H100: a cluster of 16, the fastest in the model), and not
// where the device has none (the emulator's own, compute capability 7.0)
// or the optimizer changes every weight every step (Adam).
func TestClusterPlan(t *testing.T) {
	layers, err := engine.ParseLayers("128:relu,10:softmax")
	require.NoError(t, err)
	spec := engine.Spec{Inputs: 784, Layers: layers, Loss: engine.CE, DType: engine.Float32}
	net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(3))
	require.NoError(t, err)
	data := sparseExamples(rand.New(rand.NewPCG(1, 1)), spec, 4000) // 20 steps a launch in the model
	plan := func(h engine.Hyper) sparseRun {
		tr, err := newBackend(t).NewTrainer(net, data, h)
		require.NoError(t, err)
		defer func() { require.NoError(t, tr.Close()) }()
		return tr.(*trainer).sparse
	}
	plain := engine.Hyper{LearningRate: 0.05, BatchSize: 1}
	assert.Equal(t, 0, plan(plain).cluster, "no clusters before compute capability 9.0")

	emulate(t, kernels.EmuH100)
	got := plan(plain)
	assert.True(t, got.on)
	assert.Equal(t, 16, got.cluster, "W2 on an H100: a non-portable cluster of 16")
	assert.Equal(t, layoutSparse(spec, 16).rows+784*8*4, got.shared, "a block's region with its 8 units' rows")
	adam := plain
	adam.Optimizer = engine.DefaultOptimizer(engine.Adam)
	assert.False(t, plan(adam).on, "Adam: sgd_steps")
}

// TestModelFitsIsThePlan: the model's plan of a fit a block (oneBlockPlan,
// and sgdFitsKernel's blocks a multiprocessor) is the trainer's on an H100
// (kernels.EmuH100): W1 and a 20-30-30-4 network, in both dtypes, by plain
// SGD and by Adam (two state slots a parameter), the same threads, region
// bytes and blocks of sgd_fits a multiprocessor as the emulator counts them.
func TestModelFitsIsThePlan(t *testing.T) {
	emulate(t, kernels.EmuH100)
	be := newBackend(t)
	for _, c := range []sgdCase{{2, "6:relu,6:relu,1:sigmoid", engine.BCE}, {20, "30:relu,30:tanh,4:softmax", engine.CE}} {
		for _, dtype := range dtypes {
			for _, opt := range []engine.Optimizer{{}, engine.DefaultOptimizer(engine.Adam)} {
				layers, err := engine.ParseLayers(c.layers)
				require.NoError(t, err)
				spec := engine.Spec{Inputs: c.inputs, Layers: layers, Loss: c.loss, DType: dtype}
				net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(3))
				require.NoError(t, err)
				tr, err := be.NewTrainer(net, examples(rand.New(rand.NewPCG(1, 1)), spec, 2), engine.Hyper{LearningRate: 0.05, BatchSize: 1, Optimizer: opt})
				require.NoError(t, err)
				tt := tr.(*trainer)
				what := fmt.Sprintf("%s %s %v", dtype, c.layers, opt.Kind)
				threads, region, ok := oneBlockPlan(spec, opt, H100Shared)
				require.True(t, ok, what)
				require.True(t, tt.sgd.oneBlock(), what)
				assert.Equal(t, tt.sgd.threads, threads, what)
				assert.Equal(t, tt.sgd.shared, region, what)
				perSM, err := tt.ks.fns[kernelSgdFits].residentPerSM(tt.sgd.threads, tt.sgd.shared)
				require.NoError(t, err)
				assert.Equal(t, perSM, sgdFitsKernel.residentPerSM(dtype, threads, region), what)
				require.NoError(t, tr.Close())
			}
		}
	}
}

// TestFitsKernelsAreTheirResources: the model's blocks a multiprocessor of
// sgd_fits, sparse_fits and cluster_fits (fitsKernel, from their rows of
// kernels/resources.h) are the emulator's occupancy as an H100
// (kernels.EmuH100), in both dtypes, at blocks of 1 to 8 warps and shared
// memory from none to all a block may have: the registers bind at one
// warp, the shared memory at the most. And the model's plan of W2 fits
// (784-128-10 on MNIST-like inputs) is the trainer's: in float32,
// cluster_fits on clusters of the trainer's cluster_steps plan, as many
// at once as its shared memory lets the emulator hold; in float64, where
// sgd_steps' grid is faster in the model, none.
func TestFitsKernelsAreTheirResources(t *testing.T) {
	emulate(t, kernels.EmuH100)
	be := newBackend(t)
	for _, dtype := range dtypes {
		layers, err := engine.ParseLayers("128:relu,10:softmax")
		require.NoError(t, err)
		spec := engine.Spec{Inputs: 784, Layers: layers, Loss: engine.CE, DType: dtype}
		net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(3))
		require.NoError(t, err)
		data := examples(rand.New(rand.NewPCG(1, 1)), spec, 200)
		data.X = windowRows(200, 784, 150)
		tr, err := be.NewTrainer(net, data, engine.Hyper{LearningRate: 0.05, BatchSize: 1})
		require.NoError(t, err)
		tt := tr.(*trainer)
		for _, k := range []struct {
			id    kernelID
			model fitsKernel
		}{{kernelSgdFits, sgdFitsKernel}, {kernelSparseFits, sparseFitsKernel}, {kernelClusterFits, clusterFitsKernel}} {
			for _, threads := range []int{32, 256} {
				for _, shared := range []int{0, 20 << 10, H100Shared - 1024} {
					perSM, err := tt.ks.fns[k.id].residentPerSM(threads, shared)
					require.NoError(t, err)
					assert.Equal(t, perSM, k.model.residentPerSM(dtype, threads, shared), "%s %s: %d threads, %d bytes", dtype, tt.ks.name(k.id), threads, shared)
				}
			}
		}
		p := H100.Fits(spec, engine.Optimizer{}, data, 64, 2)
		if dtype == engine.Float64 { // its step in cluster_steps is slower than sgd_steps' grid in the model
			assert.Equal(t, "", p.Kernel, "float64 W2: fits one after another")
			assert.False(t, tt.sparse.on, "float64 W2: sgd_steps' grid")
			require.NoError(t, tr.Close())
			continue
		}
		require.True(t, tt.sparse.on, "%s W2: cluster_steps", dtype)
		assert.Equal(t, "cluster_fits", p.Kernel, dtype)
		assert.Equal(t, tt.sparse.cluster, p.Cluster, "%s: the trainer's cluster", dtype)
		perSM, err := tt.ks.fns[kernelClusterFits].residentPerSM(sparseThreads, tt.sparse.shared)
		require.NoError(t, err)
		assert.Equal(t, 132*perSM/tt.sparse.cluster, p.AtOnce, "%s: clusters at once", dtype)
		require.NoError(t, tr.Close())
	}
}
