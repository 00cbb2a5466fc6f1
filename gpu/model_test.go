package gpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// specOf is the float32 network of layers on inputs, for loss.
func specOf(t *testing.T, inputs int, layers string, loss engine.Loss) engine.Spec {
	t.Helper()
	ls, err := engine.ParseLayers(layers)
	require.NoError(t, err)
	return engine.Spec{Inputs: inputs, Layers: ls, Loss: loss, DType: engine.Float32}
}

// mnistLike is MNIST's inputs as the model sees them: 60,000 examples of
// 150 nonzero pixels of 784 on average, 5 of them outside the rows that fit
// in shared memory.
var mnistLike = Inputs{Examples: 60000, Nonzeros: 150, Cold: 5}

// mnistShaped is n examples of 784 inputs, 150 of them nonzero, as
// mnistLike describes MNIST's.
func mnistShaped(n int) engine.Examples {
	x := make([]float64, n*784)
	for r := range n {
		for j := range int(mnistLike.Nonzeros) {
			x[r*784+300+j] = 0.5
		}
	}
	return engine.Examples{X: x, N: n, Features: 784}
}

// TestModelPerWorkload: the model's times of a step and the backend each
// workload's shape gets. W1 (2-6-6-1 per example): the CPU, whose step is
// a quarter of a microsecond. W2 (784-128-10 per example on MNIST):
// sparse_steps faster than sgd_steps and than the CPU, and cluster_steps
// faster again, on 16 blocks: ~0.77 µs, 2.4× the CPU's ~1.84 µs (2.3× on a
// portable cluster of 8), so --backend auto takes the GPU. W3
// (784-512-512-10): its second layer does not fit a block, so sgd_steps,
// far ahead of the CPU per example and in mini-batches of 64.
func TestModelPerWorkload(t *testing.T) {
	plain := engine.Optimizer{}
	w1 := specOf(t, 2, "6:relu,6:relu,1:sigmoid", engine.BCE)
	moons, err := dataset.Synthetic("moons", 1000, -1, 1)
	require.NoError(t, err)
	faster, gpu, cpu := H100.Faster(w1, plain, 1, engine.Examples{X: moons.X, N: moons.N, Features: moons.Features})
	assert.False(t, faster, "W1 per example: the CPU (GPU %.2g s, CPU %.2g s)", gpu, cpu)
	assert.InDelta(t, 0.26e-6, cpu, 0.02e-6, "W1 on the CPU: its measured ~3.5 M examples/s")

	w2 := specOf(t, 784, "128:relu,10:sigmoid", engine.BCE)
	hot, ok := sparseFits(w2, plain, H100Shared)
	require.True(t, ok)
	assert.Equal(t, 423, hot, "W2's rows in an H100's shared memory")
	sparse, grid := H100.Sparse(w2, mnistLike), H100.Grid(w2, mnistLike, gridLayers(w2), 64)
	assert.Equal(t, 1, gridLayers(w2))
	assert.Less(t, sparse, grid, "W2: sparse_steps before sgd_steps")
	assert.Less(t, sparse, H100.CPU(w2, 1, mnistLike.Nonzeros), "W2: sparse_steps before the CPU")
	assert.InDelta(t, 1.5e-6, sparse, 0.1e-6, "W2's step in sparse_steps")
	assert.InDelta(t, 1.8e-6, grid, 0.1e-6, "W2's step in sgd_steps (gpu/doc.go's ~2 µs)")
	assert.InDelta(t, 1.7e-6, H100.CPU(w2, 1, mnistLike.Nonzeros), 0.2e-6, "W2 on the CPU: its measured ~620 k examples/s")
	_, ok = sparseFits(w2, engine.DefaultOptimizer(engine.Adam), H100Shared)
	assert.False(t, ok, "Adam changes every weight every step: not sparse_steps")
	sizes := clusterSizes(w2, plain, H100Shared, maxCluster)
	require.NotEmpty(t, sizes)
	assert.Equal(t, 2, sizes[0], "W2's first layer (401 KB) over two blocks' shared memories at least")
	blocks, cluster := H100.bestCluster(w2, mnistLike, sizes)
	assert.Equal(t, 16, blocks)
	assert.InDelta(t, 0.77e-6, cluster, 0.02e-6, "W2's step in cluster_steps")
	assert.InDelta(t, 0.82e-6, H100.Cluster(w2, mnistLike, 8), 0.02e-6, "W2's step in a portable cluster of 8")
	assert.Less(t, cluster, sparse, "W2: cluster_steps before sparse_steps")
	cpu = H100.CPU(w2, 1, mnistLike.Nonzeros)
	assert.InDelta(t, 1.84e-6, cpu, 0.01e-6, "W2's step on the CPU in the model")
	assert.LessOrEqual(t, cluster, cpu/2, "W2: cluster_steps 2× the CPU or more (issue 24's target)")
	assert.LessOrEqual(t, H100.Cluster(w2, mnistLike, 8), cpu/2, "W2: 2× the CPU on a portable cluster of 8 too")
	w2x := mnistShaped(2000)
	faster, gpu, cpu = H100.Faster(w2, plain, 1, w2x)
	assert.True(t, faster, "W2 per example: --backend auto takes the GPU (GPU %.2g s, CPU %.2g s)", gpu, cpu)
	_, _, kernel := H100.PerExample(w2, plain, w2x)
	assert.Equal(t, "cluster_steps", kernel)
	assert.Empty(t, clusterSizes(w2, engine.DefaultOptimizer(engine.Adam), H100Shared, maxCluster), "Adam: not cluster_steps")

	w3 := specOf(t, 784, "512:relu,512:relu,10:softmax", engine.CE)
	_, ok = sparseFits(w3, plain, H100Shared)
	assert.False(t, ok, "W3's second layer does not fit a block")
	assert.Empty(t, clusterSizes(w3, plain, H100Shared, maxCluster), "nor cluster_steps, which runs only what sparse_steps runs")
	assert.Equal(t, 2, gridLayers(w3))
	assert.Less(t, H100.Grid(w3, mnistLike, 2, 132), H100.CPU(w3, 1, mnistLike.Nonzeros)/4, "W3 per example: sgd_steps, 4× the CPU or more")
	assert.Less(t, H100.Batch(w3, 64), H100.CPU(w3, 64, 784)/4, "W3 at batch 64: the GPU, 4× the CPU or more")
}

// TestModelCountsNonzeros: the inputs ranked by how often they are
// nonzero, ties by index, and the nonzeros an example outside the hot rows.
func TestModelCountsNonzeros(t *testing.T) {
	x := []float64{
		0, 1, 0, 2,
		0, 3, 0, 0,
		5, 4, 0, 6,
	}
	counts, rank := nonzeros(x, nil, 3, 4)
	assert.Equal(t, []int{1, 3, 0, 2}, counts)
	assert.Equal(t, []int32{2, 0, 3, 1}, rank)
	in := inputsOf(3, counts, rank, 2)
	assert.InDelta(t, 2, in.Nonzeros, 1e-12)
	assert.InDelta(t, 1.0/3, in.Cold, 1e-12, "input 0, of rank 2, is cold")
}

// TestModelFits: the model of many per-example fits at once (Fits). W1 on
// the moons: sgd_fits, a warp a fit, 8 blocks a multiprocessor (registers:
// 224 a thread), 1,056 fits at once, so 512 fits take one fit's step, the
// time of 1 fit alone, inside the target of 512 in the time of 2
// (the model charges nothing for the ~4 blocks that share a
// multiprocessor's 4 schedulers: one warp each); and ~50× the CPU pool of
// 2 cores, a fit a core. 8 W1 fits stay on the CPU (4 rounds of a quarter
// of a microsecond against one GPU step); 16 go to the GPU. W2 on MNIST:
// the pool's step is the CPU backend's measured step on 1 thread (1.82
// µs); PerExample's cluster_steps, a cluster of 16 blocks a fit in
// cluster_fits, a block a multiprocessor by its registers (166 a thread),
// so 8 fits at once: 64 fits in 8 waves of one fit's step (~0.85 µs
// besides the launch on these 2,000 examples), ~7 µs a step of all
// against the pool's ~59 µs, 512 in 64 waves, ~54 µs against ~470 µs:
// ~8.5× the pool of 2 cores, a fit a core; W2 by Adam, a grid of
// sgd_steps, runs its fits one after another.
func TestModelFits(t *testing.T) {
	plain := engine.Optimizer{}
	w1 := specOf(t, 2, "6:relu,6:relu,1:sigmoid", engine.BCE)
	moons, err := dataset.Synthetic("moons", 1000, -1, 1)
	require.NoError(t, err)
	data := engine.Examples{X: moons.X, N: moons.N, Features: moons.Features}
	threads, region, ok := oneBlockPlan(w1, plain, H100Shared)
	require.True(t, ok)
	assert.Equal(t, 32, threads)
	assert.Equal(t, 272+144+240+48+16+128+16, region, "descriptors, three layers, target, reduction, staged input")
	assert.Equal(t, 8, sgdFitsKernel.residentPerSM(engine.Float32, threads, region), "registers: 8 warps a multiprocessor")

	one := H100.Fits(w1, plain, data, 1, 1)
	alone, _, kernel := H100.PerExample(w1, plain, data)
	require.Equal(t, "sgd_steps", kernel)
	assert.Equal(t, "sgd_fits", one.Kernel)
	assert.InDelta(t, alone, one.Group, 1e-15, "one fit in a group is one fit alone")
	p := H100.Fits(w1, plain, data, 512, 2)
	assert.Equal(t, 8*132, p.AtOnce)
	assert.InDelta(t, one.Group, p.Group, 1e-15, "512 W1 fits in the time of one")
	assert.LessOrEqual(t, p.Group, 2*alone, "the target: 512 W1 fits in the time of 2")
	assert.InDelta(t, 1.36e-6, p.Group, 0.05e-6, "a step of all 512")
	assert.InDelta(t, 256*H100.CPU(w1, 1, 2), p.CPU, 1e-12, "the CPU pool: 256 rounds of 2 fits")
	assert.Greater(t, p.CPU/p.Group, 40.0, "512 W1 fits: the GPU ~50× the CPU pool of 2 cores")
	assert.True(t, p.GPUFaster())
	launch := H100.Launch / 5 // a Fit chunk of 5 steps on 1,000 examples
	assert.InDelta(t, launch+2*(alone-launch), H100.Fits(w1, plain, data, 1100, 2).Group, 1e-15, "1,100 fits: two waves, the launch once")
	assert.False(t, H100.Fits(w1, plain, data, 8, 2).GPUFaster(), "8 W1 fits: the CPU pool")
	assert.True(t, H100.Fits(w1, plain, data, 16, 2).GPUFaster(), "16 W1 fits: the GPU")
	assert.False(t, H100.Fits(w1, plain, data, 16, 16).GPUFaster(), "16 W1 fits on 16 cores: one round, the CPU")

	w2 := specOf(t, 784, "128:relu,10:sigmoid", engine.BCE)
	mnist := engine.Examples{X: windowRows(2000, 784, 150), N: 2000, Features: 784}
	w2Alone, w2CPU, kernel := H100.PerExample(w2, plain, mnist)
	require.Equal(t, "cluster_steps", kernel)
	assert.InDelta(t, 1/549918.0, w2CPU, 0.05/549918.0, "the pool's step: the CPU's measured W2 step on 1 thread (2026-11-27-cpu-fair.md)")
	for _, n := range []int{1, 64, 512} {
		c := H100.Fits(w2, plain, mnist, n, 2)
		t.Logf("%d W2 fits: GPU %.3g s a step of all, CPU pool of 2 cores %.3g s (alone: GPU %.3g s, CPU %.3g s)", n, c.Group, c.CPU, w2Alone, w2CPU)
	}
	c := H100.Fits(w2, plain, mnist, 64, 2)
	assert.Equal(t, "cluster_fits", c.Kernel)
	assert.Equal(t, 16, c.Cluster)
	assert.Equal(t, 8, c.AtOnce, "132 multiprocessors, one block of cluster_fits each (registers), 16 a fit")
	launch = H100.Launch / 10 // a Fit chunk of 10 steps on 2,000 examples
	assert.InDelta(t, launch+8*(w2Alone-launch), c.Group, 1e-15, "64 W2 fits: 8 waves of 8 clusters, the launch once")
	assert.Greater(t, c.CPU/c.Group, 8.0, "64 W2 fits: the GPU ~8.5× the CPU pool of 2 cores")
	c512 := H100.Fits(w2, plain, mnist, 512, 2)
	assert.InDelta(t, launch+64*(w2Alone-launch), c512.Group, 1e-15, "512 W2 fits: 64 waves")
	assert.Greater(t, c512.CPU/c512.Group, 8.0, "512 W2 fits: the GPU ~8.5× the pool")
	assert.True(t, H100.Fits(w2, plain, mnist, 2, 2).GPUFaster(), "two W2 fits: the GPU, one wave")
	w2a := H100.Fits(w2, engine.DefaultOptimizer(engine.Adam), mnist, 64, 2)
	assert.Equal(t, "", w2a.Kernel, "W2 by Adam: a grid of sgd_steps, no kernel of many fits")
}

// windowRows is n rows of features inputs, nonzeros of them 1 (a window
// that moves along the inputs row by row), the rest 0.
func windowRows(n, features, nonzeros int) []float64 {
	x := make([]float64, n*features)
	for r := range n {
		for j := range nonzeros {
			x[r*features+(r*7+j)%features] = 1
		}
	}
	return x
}
