// Package kernels holds the CUDA kernels of the GPU backend: CUDA C sources,
// one file per op family (dense.cu, output.cu, optim.cu, clip.cu, epoch.cu,
// sgd.cu, share.cu, sparse.cu, sparse_cluster.cu, with the headers they share: common.cuh, rows.cuh, optim.cuh),
// each written once over real and compiled for float and double, and the
// fatbins that nvcc makes of them, committed and embedded so that a cuda
// build needs no nvcc. Package gpu launches them; how it plans and runs
// them, and what they should cost, is in its documentation.
//
// # The fatbins
//
// Each precision has one fatbin, kernels_f32.fatbin (923 KiB) or
// kernels_f64.fatbin (890 KiB), compressed, whose kernels carry the suffix
// _f32 or _f64. It holds SASS for sm_70, sm_80 and sm_90 (Volta, Ampere,
// Hopper), which those GPUs load without compiling, and PTX for compute_70,
// which the driver JIT-compiles for any other GPU from Volta on. A kernel
// for one architecture only guards its body with __CUDA_ARCH__ (as
// cluster_fits does, for sm_90 and up) and traps elsewhere: gen.sh compiles
// it for every architecture as it is. gen.sh
// makes them, and resources.h, each kernel's registers and static shared
// memory as ptxas counts them, for the emulator's launch checks. Each
// regeneration adds about 1 MB to the repository's history.
//
// The host side of the kernels' interface is generated from the sources by
// internal/genkernels, as mumax/3's cuda2go does: one typed Go launcher per
// KERNEL(...) and a Go struct for each struct shared with Go
// (gpu/kernels_gen.go), the emulator's registrations (emu_kernels.h) and the
// tests' list of kernels. So a mistake in an argument's order or type is a
// compile error, not a wrong result. Regenerate after editing a source
// (nvcc 11.8, from Debian's nvidia-cuda-toolkit):
//
//	go generate ./kernels
//
// nvcc 11.8 makes the same bytes from the same sources; CI's
// .ci/generated runs every go:generate of the repository again and fails
// where a committed generated file is not what the sources make (fatbins of
// other bytes pass when cuobjdump lists the same SASS and PTX).
//
// # The CUDA emulator
//
// With the build tag cudaemu the package also holds a CUDA emulator (emu.go,
// emu.h, emu_runtime.cc), on which package gpu runs instead of the driver,
// so that the GPU backend and its tests run where there is no GPU (g++
// needed). It compiles the kernels' own CUDA C sources as C++: each CUDA
// thread is a fiber, and a block's threads meet at __syncthreads and at every
// warp shuffle, taking turns in index order in some blocks and in reverse in
// others, so that a missing barrier shows. A launch runs as many of its
// blocks at once as the emulated device holds (up to EmuMaxAtOnce, 256), on
// OS threads of their own, so that grid barriers work and a grid too large
// to be resident times out as it would on a GPU. The device is its own
// small one (EmuSmall: four multiprocessors of one block) unless
// EmuSetDevice picks another, such as EmuH100 (132 multiprocessors, 228
// KiB of shared memory each, 227 KiB a block once a kernel opts in), so
// that a planner sees that GPU and its plans run here: EmuOccupancy answers
// as cuOccupancyMaxActiveBlocksPerMultiprocessor does, from the kernel's
// registers and shared memory, and a cooperative grid must fit the
// multiprocessors at that occupancy.
//
// It runs thread-block clusters (sm_90's), as far as the kernels use them
// (cluster_fits): the cluster's size at the launch (EmuConfig.Cluster, as
// cuLaunchKernelEx's CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION), and the
// cooperative_groups cluster API that emu.h defines in C++:
// this_cluster(), sync() (the block's barrier, then one of its threads
// meets the cluster's other blocks, each on its OS thread), block_rank(),
// num_blocks() and map_shared_rank (a pointer into another block's dynamic
// shared memory). A cluster's blocks are handed out together, so that they
// run at once. It refuses what Hopper refuses: clusters on a device before
// compute capability 9.0 (EmuDevice.Major; EmuSmall is 7, EmuH100 9), of
// more than 8 blocks unless the kernel allows non-portable sizes
// (EmuAllowNonPortableCluster), of more than 16, of more blocks than the
// device holds at once, a grid that is not a whole number of clusters; and
// EmuMaxClusterSize answers as cuOccupancyMaxPotentialClusterSize (the
// emulator knows no GPCs). It reports, as a GPU would not: map_shared_rank
// of an address outside the block's dynamic shared memory, of a rank
// outside the cluster, or of a block that has not started (before the
// cluster's first barrier: the emulator asks for it before the mapping,
// where a GPU asks for it before the access) or has exited; a block that
// exits while others wait at the cluster's barrier, or reaches one after
// another exited.
//
// It refuses what a GPU from Volta to Hopper refuses: grid and block sizes
// past their limits, more registers (from ptxas's counts, resources.h) or
// shared memory than a block may have (48 KiB, or what the kernel opted in
// to, at most the device's opt-in limit with its static shared memory:
// EmuStaticShared and EmuOptInShared answer as cuFuncGetAttribute and
// cuFuncSetAttribute do, and a new context forgets the opt-in), a
// cooperative grid larger than the device holds. It reports what a GPU would leave undefined: a barrier that
// some threads never reach, a shuffle over lanes that have left, a wrong
// argument count; and fresh device and shared memory read as NaN. A pointer
// argument outside device memory (other than null, which a kernel takes for
// an optional argument that is absent) is a CUDA_ERROR_ILLEGAL_ADDRESS that loses the
// emulated context, as a fault does on a GPU. It captures and runs graphs,
// and counts launches, kernels run and grid barriers, which package gpu's
// tests of the steps' structure assert.
//
// It emulates the language, not the hardware: timing, and the memory
// model's weakest orderings, are checked only by the same tests on a GPU.
//
// # Testing
//
// go test ./kernels checks that the fatbins hold SASS for sm_70, sm_80 and
// sm_90 and PTX for compute_70, that every kernel the sources declare is in
// them (against resources.h), and that the ACT_, LOSS_ and OPT_ numbers of
// common.cuh and optim.cuh are engine.Activation's, engine.Loss's and
// engine.OptimizerKind's, by name. The generator's own test
// (go test ./kernels/internal/genkernels) regenerates its files and fails
// where the committed ones are stale.
//
// go test -tags cudaemu ./kernels checks the emulator itself: it has every
// kernel; it reports misuse (a wrong argument count, a pointer outside
// device memory, which loses the context until a reset, sizes past a GPU's
// limits, freeing what was not allocated, asking for more memory than there
// is); it refuses more shared memory or registers
// per block than a GPU has, and more than a kernel opted in to
// (TestEmulatorSharedMemoryOptIn), and a cooperative grid larger than the device
// holds, and accepts each once the excess is taken away; standing for an
// H100, it gives the occupancy the CUDA occupancy calculator gives (worked
// by hand from the kernels' registers, threads and shared memory), refuses
// a cooperative grid of sgd_steps of 133 blocks and one of more blocks than
// it runs at once, and lets a kernel opt in to 227 KiB less its static
// shared memory (TestEmulatedH100); it refuses clusters before 9.0, a grid
// that is not a whole number of clusters, clusters of more than 8 blocks
// without the non-portable opt-in and of more than 16 with it, and a new
// context forgets the opt-in (TestEmulatorRefusesClusters); and its graphs
// run their launches in order each time they are launched. The kernels
// themselves are tested through package gpu, against their CPU twins: go
// test -tags cudaemu ./gpu on the emulator, go test -tags cuda ./gpu on a
// GPU.
package kernels
