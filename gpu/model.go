package gpu

import (
	"slices"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// Model is the cost model of a training step on the GPU and on the CPU: a
// model, not a measurement. Its constants are an H100's (from its data
// sheet and published microbenchmarks) and the CPU backend's measured
// figures on the 2-core development machine (benchmarks/results); the
// first GPU run recalibrates them. The per-example plan (sgd_steps or
// sparse_steps) and --backend auto choose by it. Durations are in
// seconds, rates in bytes or FLOP a second.
type Model struct {
	Launch      float64 // a kernel launch, host to start
	BlockSync   float64 // a __syncthreads with the shared-memory round trip around it
	GridBarrier float64 // a grid barrier of sgd_steps
	L2Trip      float64 // an L2 round trip from a multiprocessor
	GridLayer   float64 // a distributed layer's forward pass besides its L2 round trips: shuffles and team sums
	L2PerSM     float64 // bytes a second one multiprocessor moves to or from L2
	SharedPerSM float64 // bytes a second of one multiprocessor's shared memory
	PrivateMACs float64 // multiply-adds a second of one block on its private layers (256 threads, shared memory)
	Output      float64 // the output gradient (one warp's shuffles) and its block barriers
	ActiveShare float64 // the share of a relu first layer's units whose dz is not 0, whose rows plain SGD updates
	GraphKernel float64 // a kernel of a mini-batch step's graph
	GPUFlops    float64 // FLOP a second of the mini-batch products (SIMT tiles)
	CPUStep     float64 // the CPU's per-example step besides its products
	CPUFlops    float64 // FLOP a second of the CPU's per-example products on the nonzero inputs, 2 cores
	CPUBatch    float64 // FLOP a second of the CPU's mini-batch products, 2 cores
	ClusterSync float64 // a cluster barrier of cluster_steps (Hopper's hardware barrier across a cluster's SMs)
	DSMEMStore  float64 // stores to another SM's shared memory in the cluster (distributed shared memory), done before a cluster barrier
}

// H100 is the model of an H100 SXM (132 multiprocessors at ~1.75 GHz, 50 MB
// of L2, 227 KiB of shared memory a block) beside the development machine's
// 2 cores.
var H100 = Model{
	Launch:      3e-6,
	BlockSync:   30e-9,
	GridBarrier: 1e-6,
	L2Trip:      0.15e-6,
	GridLayer:   0.2e-6,
	L2PerSM:     64 * 1.75e9,
	SharedPerSM: 128 * 1.75e9,
	PrivateMACs: 256 * 1.75e9,
	Output:      0.22e-6,
	ActiveShare: 0.5,
	GraphKernel: 1.5e-6,
	GPUFlops:    4e12,
	CPUStep:     0.25e-6,
	CPUFlops:    53e9,
	CPUBatch:    170e9,
	ClusterSync: 0.2e-6,
	DSMEMStore:  0.05e-6,
}

// stepsPerLaunch is how many per-example steps a launch runs in the model:
// Fit's chunks of an epoch's 200th, for a data set of n examples.
func stepsPerLaunch(n int) float64 { return max(1, float64(n)/200) }

// Inputs describes a per-example fit's inputs to the model: how many
// examples, the mean number of nonzero inputs an example, and the mean
// number of those that fall outside the rows sparse_steps keeps in shared
// memory (Cold; the model's caller counts it for the plan's hot rows).
type Inputs struct {
	Examples       int
	Nonzeros, Cold float64
}

// Grid is the model's time of a per-example step of sgd_steps (kernels/sgd.cu):
// the layers whose copies do not fit a block's shared memory distributed,
// their forward passes one L2 round trip a lane's unrolled strides
// (UNROLL = 8 weights) and a grid barrier each, and as many barriers again,
// but one, for their backward passes; the other layers private, as in
// sparse_steps; a launch per Fit's chunk.
func (m Model) Grid(spec engine.Spec, in Inputs, distributed, grid int) float64 {
	t := m.Launch/stepsPerLaunch(in.Examples) + m.Output
	prev := spec.Inputs
	for l, ly := range spec.Layers {
		if l < distributed {
			lanes := float64(grid * 256 * 8)
			t += m.GridBarrier + m.GridLayer + m.L2Trip*max(1, float64(prev*ly.Units)/lanes)
			if l > 0 {
				t += m.GridBarrier
			}
		} else {
			t += m.private(prev, ly.Units)
		}
		prev = ly.Units
	}
	return t
}

// private is a private layer's share of a step: forward, backward and
// update, each a pass over its weights in shared memory and a few block
// barriers.
func (m Model) private(in, out int) float64 {
	return 6*m.BlockSync + 3*float64(in*out)/m.PrivateMACs
}

// Sparse is the model's time of a per-example step of sparse_steps
// (kernels/sparse.cu) on one multiprocessor: the first layer's rows of the
// example's nonzeros read, then read and written where their unit's dz is
// not 0 (ActiveShare of a relu layer's), in shared memory or (Cold) from L2
// at one multiprocessor's bandwidth, after one L2 round trip; the other
// layers private; and the launch's share, with its conversion of W_1 to
// and from rows, over Fit's chunk.
func (m Model) Sparse(spec engine.Spec, in Inputs) float64 {
	size := float64(spec.DType.Size())
	units := float64(spec.Layers[0].Units)
	row := units * size
	perLaunch := stepsPerLaunch(in.Examples)
	t := (m.Launch + 4*float64(spec.Inputs)*row/m.L2PerSM) / perLaunch
	t += m.Output + 6*m.BlockSync
	passes := m.firstPasses(spec)
	if in.Cold > 0 {
		t += m.L2Trip + passes*in.Cold*row/m.L2PerSM
	}
	t += passes*(in.Nonzeros-in.Cold)*row/m.SharedPerSM + m.privates(spec)
	return t
}

// firstPasses is how many passes a per-example step makes over the first
// layer's rows of the nonzeros: the forward pass's read, the update's read
// and write (of a relu layer's, only those of units whose dz is not 0).
func (m Model) firstPasses(spec engine.Spec) float64 {
	if spec.Layers[0].Activation == engine.ReLU {
		return 1 + 2*m.ActiveShare
	}
	return 3
}

// privates is the share of a step of the layers after the first, private
// in one block.
func (m Model) privates(spec engine.Spec) float64 {
	t, prev := 0.0, spec.Layers[0].Units
	for _, ly := range spec.Layers[1:] {
		t += m.private(prev, ly.Units)
		prev = ly.Units
	}
	return t
}

// Cluster is the model's time of a per-example step of cluster_steps
// (kernels/sparse_cluster.cu) on a cluster of cluster blocks, each on its
// own multiprocessor, what one block does (they run at once): its pass
// over the nonzeros' rows of its units in its shared memory; its part of
// the second layer's sum, one for every block (each thread makes the value
// it stores: cluster·out_2 sums of its width units), stored into the other
// blocks' shared memories (a round of DSMEMStore for every blockDim of
// them), and one cluster barrier; then, as every block does it, the sum of
// the blocks' parts, the layers after the second (private), the output
// gradient, and the second layer's backward and update on its units'
// columns; the block barriers of the step (the nonzeros', two a blockDim
// of its units in the forward pass, the sum's, the second layer's three
// and the step's end; the output's are in Output, the private layers' in
// private); and the launch's share, with each block's conversion of its
// rows.
func (m Model) Cluster(spec engine.Spec, in Inputs, cluster int) float64 {
	size := float64(spec.DType.Size())
	width, second := clusterWidth(spec.Layers[0].Units, cluster), spec.Layers[1].Units
	row := float64(width) * size
	t := (m.Launch + 4*float64(spec.Inputs)*row/m.L2PerSM) / stepsPerLaunch(in.Examples)
	t += m.firstPasses(spec) * in.Nonzeros * row / m.SharedPerSM
	parts := cluster * second
	t += float64(parts*width)/m.PrivateMACs + m.DSMEMStore*float64(blocks(parts, sparseThreads)) + m.ClusterSync
	t += float64(parts)/m.PrivateMACs + 2*float64(width*second)/m.PrivateMACs + m.Output
	t += float64(6+2*blocks(width, sparseThreads)) * m.BlockSync
	prev := second
	for _, ly := range spec.Layers[2:] {
		t += m.private(prev, ly.Units)
		prev = ly.Units
	}
	return t
}

// blocks is how many blocks of size cover n: ⌈n/size⌉.
func blocks(n, size int) int { return (n + size - 1) / size }

// bestCluster returns the blocks of cluster_steps' cluster, among sizes,
// at which the model's step is shortest, and that step.
func (m Model) bestCluster(spec engine.Spec, in Inputs, sizes []int) (blocks int, t float64) {
	for _, c := range sizes {
		if tc := m.Cluster(spec, in, c); blocks == 0 || tc < t {
			blocks, t = c, tc
		}
	}
	return blocks, t
}

// CPU is the model's time of a per-example step (batch 1) or of a
// mini-batch step's share of an example on the CPU backend on 2 cores: its
// products over the nonzero inputs (the first layer's, per example) at the
// measured rates.
func (m Model) CPU(spec engine.Spec, batch int, nonzeros float64) float64 {
	first := float64(spec.Layers[0].Units)
	flops := 4 * nonzeros * first // the forward pass and the weights' gradient of the first layer
	prev := spec.Layers[0].Units
	for _, ly := range spec.Layers[1:] {
		flops += 6 * float64(prev*ly.Units)
		prev = ly.Units
	}
	if batch > 1 {
		return flops / m.CPUBatch
	}
	return m.CPUStep + flops/m.CPUFlops
}

// Batch is the model's time of a mini-batch step's share of an example on
// the GPU: one graph of about three kernels a layer, and the products of
// the dense inputs.
func (m Model) Batch(spec engine.Spec, batch int) float64 {
	flops, prev := 0.0, spec.Inputs
	for l, ly := range spec.Layers {
		products := 4.0
		if l > 0 {
			products = 6
		}
		flops += products * float64(prev*ly.Units)
		prev = ly.Units
	}
	kernels := float64(3*len(spec.Layers) + 2)
	return (kernels*m.GraphKernel + float64(batch)*flops/m.GPUFlops) / float64(batch)
}

// sparseThreads is the block of sparse_steps, and sparsePrefetch
// SPARSE_PREFETCH in kernels/sparse.cu: it runs first layers of up to
// sparsePrefetch·sparseThreads inputs.
const (
	sparseThreads  = 256
	sparsePrefetch = 4
)

// H100Shared is the shared memory an H100 lets a block opt in to (227 KiB)
// less sgd_steps's static shared memory on sm_90.
const H100Shared = 227<<10 - 1040

// sparseRegion is the layout of sparse_steps's shared memory, or of a block
// of cluster_steps', offsets in bytes: each private layer's copy (priv, by
// layer; 0 for the first), the target, the reduction, the first layer's b,
// z, a and dz, the step's nonzeros' rows and values, cluster_steps'
// partial buffer (part; -1 for sparse_steps), and its hot rows from rows
// on.
type sparseRegion struct {
	priv                                      []int
	y, red, b1, z1, a1, dz1, nzIndex, nzValue int
	part, rows                                int
}

// layoutSparse lays out sparse_steps's shared memory for spec where blocks
// is 0, else that of a block of a cluster of blocks blocks of
// cluster_steps: the first layer's vectors and the second layer's copy of
// its units (clusterWidth) only, and the partial buffer of two slots of
// blocks values a unit of the second layer.
func layoutSparse(spec engine.Spec, blocks int) sparseRegion {
	size, m := spec.DType.Size(), spec.Layers[0].Units
	if blocks > 0 {
		m = clusterWidth(m, blocks)
	}
	off := 0
	alloc := func(values, size int) int {
		o := off
		off += align16(values * size)
		return o
	}
	r := sparseRegion{priv: make([]int, len(spec.Layers)), part: -1}
	prev := m
	for l, ly := range spec.Layers[1:] {
		r.priv[l+1] = alloc(ly.Units*prev+4*ly.Units, size) // W, b, z, a and dz, as priv_layer
		prev = ly.Units
	}
	r.y, r.red = alloc(spec.Outputs(), size), alloc(sparseThreads, size)
	r.b1, r.z1, r.a1, r.dz1 = alloc(m, size), alloc(m, size), alloc(m, size), alloc(m, size)
	r.nzIndex, r.nzValue = alloc(spec.Inputs, 4), alloc(spec.Inputs, size)
	if blocks > 0 {
		r.part = alloc(2*blocks*spec.Layers[1].Units, size)
	}
	r.rows = off
	return r
}

// sparseFits reports whether sparse_steps can run a fit of spec by opt
// with budget bytes of shared memory: plain SGD (the other optimizers
// change every parameter every step, so the nonzeros save nothing), two
// layers or more, a first layer of at most sparsePrefetch·sparseThreads
// inputs, and the other layers' copies, with the first layer's vectors and
// the step's nonzeros, within budget; and how many of the first layer's
// rows fit in shared memory too.
func sparseFits(spec engine.Spec, opt engine.Optimizer, budget int) (hot int, ok bool) {
	if opt.Kind != engine.SGD || opt.Momentum != 0 || opt.WeightDecay != 0 || len(spec.Layers) < 2 ||
		spec.Inputs > sparsePrefetch*sparseThreads {
		return 0, false
	}
	rows := layoutSparse(spec, 0).rows
	if rows > budget {
		return 0, false
	}
	return min(spec.Inputs, (budget-rows)/(spec.Layers[0].Units*spec.DType.Size())), true
}

// maxCluster is the most blocks of a cluster that cluster_steps runs:
// Hopper's non-portable limit (its portable one is 8), which an H100 holds.
const maxCluster = 16

// clusterWidth is how many of a first layer's units units each block of a
// cluster of blocks blocks owns, as slice_of in kernels/sparse_cluster.cu
// gives them (the last ones may own fewer).
func clusterWidth(units, blocks int) int { return (units + blocks - 1) / blocks }

// clusterSizes returns the blocks of the clusters (at most most) among
// which cluster_steps can split the first layer of a fit of spec by opt,
// from fewest to most: those whose blocks' regions, their units' rows in
// shared memory included, are within budget. It returns none where
// sparse_steps cannot run the fit (sparseFits).
func clusterSizes(spec engine.Spec, opt engine.Optimizer, budget, most int) []int {
	if _, ok := sparseFits(spec, opt, budget); !ok {
		return nil
	}
	var sizes []int
	for c := 1; c <= most; c++ {
		if clusterShared(spec, c) <= budget {
			sizes = append(sizes, c)
		}
	}
	return sizes
}

// clusterShared is the dynamic shared memory of a block of a cluster of
// blocks blocks of cluster_steps for spec, its units' rows included.
func clusterShared(spec engine.Spec, blocks int) int {
	return layoutSparse(spec, blocks).rows + spec.Inputs*clusterWidth(spec.Layers[0].Units, blocks)*spec.DType.Size()
}

// align16 rounds n up to a multiple of 16.
func align16(n int) int { return (n + 15) &^ 15 }

// nonzeros counts each input's nonzero values over the n rows of x (Values
// of rows × features, with codes c where x is nil) and ranks the inputs by
// it, most often nonzero first (ties by index): rank[j] is input j's rank.
func nonzeros(x []float64, c *dataset.Codes, n, features int) (counts []int, rank []int32) {
	counts = make([]int, features)
	buf := make([]float64, features)
	for r := 0; r < n; r++ {
		dataset.Values(buf, x, c, r*features)
		for j, v := range buf {
			if v != 0 {
				counts[j]++
			}
		}
	}
	byCount := make([]int, features)
	for j := range byCount {
		byCount[j] = j
	}
	slices.SortStableFunc(byCount, func(a, b int) int { return counts[b] - counts[a] })
	rank = make([]int32, features)
	for r, j := range byCount {
		rank[j] = int32(r)
	}
	return counts, rank
}

// inputsOf is the model's description of examples whose inputs are
// nonzero counts times (ranked by rank), hot of their rows in shared memory.
func inputsOf(examples int, counts []int, rank []int32, hot int) Inputs {
	in := Inputs{Examples: examples}
	if examples == 0 {
		return in
	}
	for j, c := range counts {
		in.Nonzeros += float64(c)
		if int(rank[j]) >= hot {
			in.Cold += float64(c)
		}
	}
	in.Nonzeros /= float64(examples)
	in.Cold /= float64(examples)
	return in
}

// PerExample returns the model's times of a per-example step of a fit of
// spec by opt on data on an H100-like GPU (the fastest of sgd_steps and,
// where they run the fit, sparse_steps and cluster_steps; kernel names
// it) and on the CPU.
func (m Model) PerExample(spec engine.Spec, opt engine.Optimizer, data engine.Examples) (gpu, cpu float64, kernel string) {
	counts, rank := nonzeros(data.X, data.Codes, data.N, data.Features)
	in := inputsOf(data.N, counts, rank, 0)
	gpu, kernel = m.Grid(spec, in, gridLayers(spec), 132), "sgd_steps"
	if hot, ok := sparseFits(spec, opt, H100Shared); ok {
		if t := m.Sparse(spec, inputsOf(data.N, counts, rank, hot)); t < gpu {
			gpu, kernel = t, "sparse_steps"
		}
	}
	if sizes := clusterSizes(spec, opt, H100Shared, maxCluster); len(sizes) > 0 {
		if _, t := m.bestCluster(spec, in, sizes); t < gpu {
			gpu, kernel = t, "cluster_steps"
		}
	}
	return gpu, m.CPU(spec, 1, in.Nonzeros), kernel
}

// gridLayers is how many first layers sgd_steps distributes on an H100 in
// the model: those before the longest run of last layers whose copies fit
// H100Shared (the weights, biases and three vectors of each).
func gridLayers(spec engine.Spec) int {
	bytes, nd := 0, len(spec.Layers)
	for l := len(spec.Layers) - 1; l >= 0; l-- {
		in := spec.Inputs
		if l > 0 {
			in = spec.Layers[l-1].Units
		}
		bytes += align16((in*spec.Layers[l].Units + 4*spec.Layers[l].Units) * spec.DType.Size())
		if bytes > H100Shared {
			break
		}
		nd = l
	}
	return nd
}

// Faster reports whether the model says that the GPU trains a fit of spec
// by opt at batch on data faster than the CPU (2 cores), with the two
// times of an example's step, for --backend auto.
func (m Model) Faster(spec engine.Spec, opt engine.Optimizer, batch int, data engine.Examples) (gpuFaster bool, gpu, cpu float64) {
	if batch > 1 {
		gpu, cpu = m.Batch(spec, batch), m.CPU(spec, batch, float64(spec.Inputs)) // the CPU's mini-batch products are dense
	} else {
		gpu, cpu, _ = m.PerExample(spec, opt, data)
	}
	return gpu < cpu, gpu, cpu
}
