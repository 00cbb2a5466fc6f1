package gpu

import (
	"math"

	"github.com/perceptron-go/perceptron/engine"
)

// The model of many per-example fits in one launch (Group): a fit a block
// (or a cluster of blocks), as many at once as the GPU's multiprocessors
// hold, each fit's step the step it takes alone, in waves of the fits that
// run at once, and one launch a Fit chunk for all of them.

// The limits of an H100's multiprocessor on the blocks it holds at once
// (compute capability 9.0; as the occupancy calculator and the emulator,
// kernels/emu_runtime.cc, count them): its shared memory, of which the
// driver keeps smReservedShared a block, in units of smSharedUnit; its
// registers, in four partitions, a smWarp's rounded up to smRegisterUnit;
// its threads; its blocks.
const (
	h100SMs           = 132
	smShared          = 228 << 10
	smReservedShared  = 1 << 10
	smSharedUnit      = 128
	smRegisters       = 64 << 10
	smRegisterParts   = 4
	smRegisterUnit    = 256
	smThreads         = 2048
	smBlocks          = 32
	smWarp            = 32
	sgdLayerDescBytes = 88 // sizeof(sgd_layer) of kernels/sgd.cu
)

// fitsKernel is what the model knows of a kernel that runs a fit a block
// or a cluster (sgd_fits, sparse_fits, cluster_fits): its registers a
// thread in each dtype and its static shared memory, the most over sm_70
// to sm_90 (kernels/resources.h).
type fitsKernel struct {
	registers32, registers64, static int
}

// sgdFitsKernel, sparseFitsKernel and clusterFitsKernel are sgd_fits',
// sparse_fits' and cluster_fits' resources (kernels/resources.h;
// TestFitsKernelsAreTheirResources holds them to it).
var (
	sgdFitsKernel     = fitsKernel{registers32: 224, registers64: 252, static: 1040}
	sparseFitsKernel  = fitsKernel{registers32: 168, registers64: 170, static: 1024}
	clusterFitsKernel = fitsKernel{registers32: 166, registers64: 170, static: 1024}
)

// residentPerSM is how many blocks of k of threads threads with shared
// bytes of dynamic shared memory an H100 multiprocessor holds at once:
// the least of its blocks, its threads, its registers and its shared
// memory.
func (k fitsKernel) residentPerSM(dtype engine.DType, threads, shared int) int {
	warps := (threads + smWarp - 1) / smWarp
	regs := k.registers32
	if dtype == engine.Float64 {
		regs = k.registers64
	}
	perWarp := (regs*smWarp + smRegisterUnit - 1) / smRegisterUnit * smRegisterUnit
	most := min(smBlocks, smThreads/(warps*smWarp), smRegisters/smRegisterParts/perWarp*smRegisterParts/warps)
	bytes := (k.static + shared + smReservedShared + smSharedUnit - 1) / smSharedUnit * smSharedUnit
	return min(most, smShared/bytes)
}

// oneBlockPlan is sgd_steps' plan of spec by opt with every layer private
// in one block's shared memory, as the trainer lays it out (layout, with no
// layer distributed): its block's threads (one smWarp for a network of at
// most tinyNetwork parameters) and its region's bytes, and whether it fits
// budget (H100Shared on an H100).
func oneBlockPlan(spec engine.Spec, opt engine.Optimizer, budget int) (threads, region int, ok bool) {
	size, slots := spec.DType.Size(), opt.Slots()
	params, prev := 0, spec.Inputs
	region = align16(len(spec.Layers) * sgdLayerDescBytes)
	for _, ly := range spec.Layers {
		params += ly.Units*prev + ly.Units
		region += align16(((1+slots)*(ly.Units*prev+ly.Units) + 3*ly.Units) * size)
		prev = ly.Units
	}
	threads = 256
	if params <= 1024 {
		threads = smWarp
	}
	region += align16(spec.Outputs()*size) + align16(threads*size)
	if staged := region + align16(2*spec.Inputs*size); spec.Inputs <= 4*threads && staged <= budget {
		region = staged
	}
	return threads, region, region <= budget
}

// FitsPlan is how the model runs n per-example fits of one network in one
// launch: the kernel that runs a fit a block or a cluster ("sgd_fits",
// "sparse_fits" or "cluster_fits"; "" where none can, and each fit trains
// alone), the blocks of a fit (Cluster: a cluster's, 1 but in
// cluster_fits), how many of the fits run at once on an H100 (AtOnce: its
// multiprocessors times the blocks each holds, over a fit's blocks), and
// the times of a step of every fit: Group, in one launch a Fit chunk, and
// CPU, on a pool of threads cores, a fit a core.
type FitsPlan struct {
	Kernel          string
	Cluster, AtOnce int
	Group, CPU      float64
}

// Fits is the model's plan of n per-example fits of spec by opt on data,
// each as it trains alone (so that each gives train's bits), trained at
// once: on the GPU, as a Group, one fit's step in its plan (PerExample's
// choice: sgd_steps' of one block in sgd_fits, sparse_steps' in
// sparse_fits, cluster_steps' cluster in cluster_fits) for each wave of
// the fits that run at once, plus the launch's share of a Fit chunk, once
// for them all; on the CPU, each fit's step (CPU) for each round of
// threads fits, a fit on a core. CPU is the model's step on 2 cores, but
// for a per-example step it is a one-core figure too: the CPU backend's
// measured W2 step on 1 thread, 1.82 µs (549,918 examples a second,
// benchmarks/results/2026-11-27-cpu-fair.md), is the model's 1.84 µs on
// MNIST's ~150 nonzeros (TestModelFits). Fits whose plan runs a grid of
// sgd_steps have no Kernel: they train one after another on the GPU,
// their steps summed.
func (m Model) Fits(spec engine.Spec, opt engine.Optimizer, data engine.Examples, n, threads int) FitsPlan {
	gpu, cpu, kernel := m.PerExample(spec, opt, data)
	p := FitsPlan{CPU: math.Ceil(float64(n)/float64(max(threads, 1))) * cpu, Cluster: 1}
	launch := m.Launch / stepsPerLaunch(data.N)
	var k fitsKernel
	var blockThreads, shared int
	switch kernel {
	case "sgd_steps":
		var ok bool
		if blockThreads, shared, ok = oneBlockPlan(spec, opt, H100Shared); ok {
			p.Kernel, k = "sgd_fits", sgdFitsKernel
		}
	case "sparse_steps":
		p.Kernel, k, blockThreads, shared = "sparse_fits", sparseFitsKernel, sparseThreads, H100Shared
	case "cluster_steps":
		counts, rank := nonzeros(data.X, data.Codes, data.N, data.Features)
		p.Cluster, _ = m.bestCluster(spec, inputsOf(data.N, counts, rank, 0), clusterSizes(spec, opt, H100Shared, maxCluster))
		p.Kernel, k, blockThreads, shared = "cluster_fits", clusterFitsKernel, sparseThreads, clusterShared(spec, p.Cluster)
	}
	if p.Kernel == "" {
		p.AtOnce, p.Group = 1, float64(n)*gpu
		return p
	}
	p.AtOnce = max(1, h100SMs*max(1, k.residentPerSM(spec.DType, blockThreads, shared))/p.Cluster)
	waves := math.Ceil(float64(n) / float64(p.AtOnce))
	p.Group = launch + waves*(gpu-launch)
	return p
}

// GPUFaster reports whether the plan's fits train faster on the GPU, as a
// Group (or, with no Kernel, one after another), than on the CPU pool.
func (p FitsPlan) GPUFaster() bool { return p.Group < p.CPU }
