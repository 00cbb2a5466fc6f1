// Package gpu is the CUDA backend, built with -tags cuda.
//
// It runs the engine's algorithm on an NVIDIA GPU with the kernels of package
// kernels, through the CUDA driver API. A fit uploads the parameters and the
// whole data set once, each epoch's order once, and keeps each example's loss
// and correctness on the device until the engine asks for the totals: there
// is no host synchronisation per example. Per-example SGD runs each range of
// steps the engine asks for in one cooperative launch of sgd_steps, as sgd.go
// plans it (one grid barrier a step for MNIST's 784-128-10), or of
// sparse_steps or (Hopper) cluster_steps where the cost model says it is
// faster; a mini-batch
// step is one launch of a CUDA graph (batch.go). Every engine.Optimizer and
// schedule runs on the device (optim.go): the optimizer's state stays there,
// and the host computes each step's learning rate and bias corrections once
// an epoch. The trainer copies its state out for a checkpoint and resumes
// within an epoch (CopyStateTo, ResumeEpoch), and shares its batches with
// other processes (ShareBatches). Examples with weights upload one double
// each, which output_grad and sgd_steps read through the epoch's order to
// scale each example's output gradient and loss; without weights they get a
// null pointer and run as before. The typed launchers of the kernels are
// generated from their sources (kernels_gen.go).
//
// CUDA errors come back as Go errors that name the kernel or driver call.
// Setting PERCEPTRON_CUDA_SYNC=1 synchronises after every launch, so that an
// error names the kernel that caused it.
//
// The driver calls are in driver_cuda.go. With -tags cudaemu instead, they go
// to the CUDA emulator of package kernels (driver_emu.go), which runs the
// same kernels on the CPU, so that the backend and its tests run without a
// GPU. Without either tag this package is a stub whose New returns
// ErrNotBuilt.
//
// # One binary, with or without a GPU
//
// A cuda binary runs everywhere: package internal/cushim loads the driver
// library (libcuda.so.1, or the file PERCEPTRON_LIBCUDA names) on first use,
// so the binary does not link it, through trampolines for the driver
// functions gorgonia.org/cu and this package call (generated from cuda.h by
// internal/gencushim; one indirect jump per call, like a PLT stub), and its
// cuInit keeps gorgonia.org/cu's package init from ending the process when
// the driver fails. Where the driver is missing or finds no GPU, New and
// Devices return ErrNoDevice with the reason ("the NVIDIA driver is not
// installed (…)", "cuInit: CUDA_ERROR_NO_DEVICE (…)"), and the tests that
// need a GPU skip, giving it.
//
// # The context, launches and errors
//
// gorgonia.org/cu is the binding for the context, memory and copies; a little
// cgo of our own (launch_cuda.go, through the same trampolines) loads the
// modules, launches on one stream of ours, and adds what cu v0.9.6 lacks:
// cooperative launches, where CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH allows
// (so a grid that cannot be resident at once fails at the launch,
// CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE), the occupancy with dynamic shared
// memory, the kernels' attributes, and graphs. One goroutine, locked to its
// OS thread, owns the CUDA context and makes every CUDA call. The context is
// the GPU's primary context (cuDevicePrimaryCtxRetain), the one the CUDA
// runtime and so NCCL's threads use, so that a process has one context on
// its GPU, not two; it is set to CU_CTX_SCHED_BLOCKING_SYNC (unless the
// runtime made it first), so the host thread sleeps while it waits for the
// GPU. After an error that leaves a context unusable (a kernel's fault:
// ILLEGAL_ADDRESS, LAUNCH_FAILED, …) every later call on it fails saying so;
// the device resets the primary context, and the backend's next trainer
// retains a new one.
//
// # The progress of an epoch
//
// Fit reads an interactive fit's progress about 200 times an epoch. Totals
// waits for every step queued (a drain of the stream), which the epoch's
// end, a stop and a checkpoint need; the progress reads RecentTotals
// instead (engine.RecentTotaler, recent.go), which never waits: it takes
// the totals of the copy the call before it queued, if its event has
// passed (cuEventQuery), and queues epoch_totals over the steps since, a
// cuMemcpyDtoHAsync of the 3 doubles into page-locked host memory on the
// trainer's stream, and an event after it; while a copy is pending it
// queues none. So the progress lags the steps by a read or two (on the
// emulator, which runs each launch before it returns, by exactly one), and
// the epoch's figures are those of a fit without progress, bit for bit: the
// device adds the same losses in the same order. A loss that is not finite
// in a copy is reported by Totals, which waits and names the step; so is a
// grid barrier's timeout, at the epoch's end. A data-parallel fit reads
// its totals with Totals on every process, as before.
//
// What it should save, a model and not a measurement (no GPU ran it; H100
// figures): a drain costs the stream's idle time between the last step's
// end and the next launch, the synchronous copy's round trip and the next
// launch's latency, ~10–15 µs, 200 times an epoch: ~2–3 ms of W2's modelled
// ~150 ms epoch (~2%), ~4% of W3's at batch 64 (chunks of ~5 steps of ~75
// µs), and most of a W1 chunk (4 steps of ~2 µs), which --backend auto
// trains on the CPU.
//
// # Per-example SGD
//
// Per-example SGD runs a whole range of steps in one launch (kernels/sgd.cu).
// The host plans each network (sgd.go): the last layers whose parameters fit
// a block's shared memory are private — every block keeps its own
// copy and runs their forward pass, the output gradient (one warp), their
// backward pass (row sums split across the block's warps, added in a fixed
// order) and their update, identically; the first layers are distributed over
// the grid, a team of warps per unit, with a grid barrier after each forward
// pass. A distributed layer's update is folded into the next step's forward
// pass: the team that owns a row of W applies the last update, then takes the
// new dot product, so the backward pass still reads W as it was, and each
// step makes one pass over the large weights. The backward pass into the last
// distributed layer gives each block the gradients of the units it owns, all
// that its next forward pass needs. The first layer's input row is staged in
// shared memory by one block-wide load, and the next example's row fetched
// into registers while a step runs, with the next step's coefficients; a
// step's target row, class and weight are loaded at its start and read after
// its forward pass. The layers' descriptors are copied into shared memory at
// the launch's start, and a unit's gradient and bias load with its row of W.
// The host computes each example's class once (the argmax of its target row
// in the trainer's precision, or for one output whether it is above 0.5, as
// engine.Correct decides), so a step compares the output's argmax with it
// rather than finding the target's.
//
// The grid barrier resets itself (kernels/sgd.cu's grid_sync, as cooperative
// groups' grid.sync): each block adds 1 to one word, block 0 adds 0x80000000
// less the other blocks, so that when all have arrived the top bit has
// flipped and the rest is back where it was. A launch is therefore the
// kernel alone, with no cuMemsetD8 of the barrier before it; the host zeroes
// the word once per plan, and again after a timeout, which leaves it partway.
// A block's thread 0 arrives with a release atomic and polls the word with
// acquire loads (ld.acquire.gpu), looking at the status word and the
// %globaltimer only every 64 polls; the timeout counts %globaltimer
// nanoseconds. A launch that finds the status word set (a barrier of an
// earlier launch timed out) runs no step. A grid of one block (the course's
// networks, all private) is launched without cooperation.
//
// sgd_steps is compiled twice over, for a region in shared memory and one in
// global memory (where a plan's region does not fit), so that in the first,
// which every plan that fits runs, the compiler sees the region's pointers
// as shared ones and reads them with shared-memory loads: on sm_90,
// sgd_steps_f32 had 802 generic loads (LD) and 3 LDS; it now has 593 LDS, and
// its 646 LD are the global-region twin's and those whose pointer is shared
// or global by the plan (a distributed layer's input beyond the first, a
// private layer's input when no layer is distributed). Its SASS is about
// twice as long (21k instructions, of which a launch runs one half).
//
// What these should save, a model and not a measurement (no GPU ran them;
// H100 figures: an L2 hit about 0.2 µs, a launch on a stream about 3 µs):
// per W2 step (784-128-10, one barrier) about 1 µs of the ~4–5 µs the review
// predicted — the descriptors' reads after the barrier (two or three
// dependent L2 trips, ~0.5 µs), the gradient's trip before a row's loads
// (~0.2 µs), the rates' and the target's trips after the forward pass and
// the target's argmax (~0.3 µs), and half a poll of the barrier's two serial
// .sys loads and sleep (~0.2 µs); per launch the cuMemsetD8 that serialised
// with the stream (~10 µs; W1 runs about 5 steps a launch, so ~2 µs a W1
// step), and for one-block grids the cooperative launch's extra cost. The
// first GPU run should measure them (perceptron bench --backend cuda).
//
// A block's shared memory is all that the device lets sgd_steps opt in to
// (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES): its opt-in limit (96
// KiB on Volta, 163 KiB on the A100, 227 KiB on Hopper) less the kernel's
// static shared memory (CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, 1,040 bytes on
// sm_90). A cooperative grid that the GPU refuses at the launch
// (CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE: an MPS client's share of the
// multiprocessors, which the occupancy does not show, or a GPU that other
// work occupies) is launched again with half the blocks, down to one, and
// the trainer keeps the smaller grid. A barrier that times out sets the
// status word and the launch ends there; Totals reports it, saying which
// steps it cut short and why it may have happened, and resets it and the
// barrier word, so that the next launch runs.
//
// # Many fits in one launch (Group)
//
// Three kernels run a table of fits, a fit a block or a cluster, with the
// code that runs a fit alone: sgd_fits (kernels/sgd.cu) a plan of one
// block whose layers are all private in its shared memory (W1's 2-6-6-1,
// in one warp), block b running fit b (sgd_fit: its plan, data, order,
// losses, optimizer and rates) with sgd_steps' own steps_in; sparse_fits
// (kernels/sparse.cu) a plan of sparse_steps, block b running fit b
// (sparse_fit) with sparse_run; cluster_fits (kernels/sparse_cluster.cu) a
// plan of cluster_steps, the cluster of blocks c·C..c·C+C-1 running fit c
// with cluster_run, launched through cuLaunchKernelEx with a grid of N×C
// blocks in clusters of C. A fit alone is a table of one: the trainer
// launches these kernels for its fit (launchFits), so a fit alone and one
// beside others run the same code and give the same bits. A Group
// (group.go) gives each of several fits a Seat, a backend through which
// the fit trains in a goroutine of its own, as engine.Fit trains it alone:
// each Steps of a seat's trainer waits until every open seat has asked for
// its steps or left, and the last to ask launches them all, once per kind
// of fits (kernel, block size, cluster size and dtype: the fits of a
// launch share them) and range of steps among them. Fits of different
// kernels cannot share a launch (a grid runs one kernel; a kernel that
// dispatched to all three would have the most registers of them, and so
// the fewest W1 fits a multiprocessor), so a round of W1 and W2 fits is
// two launches, one after another on the stream. The fits' blocks and
// clusters share nothing, so each fit gives the bits it gives alone, and a
// fit whose loss becomes NaN leaves the others as they were; Fit stops it,
// its trainer's Close leaves its seat, and the others go on. A seat whose
// first trainer runs in none of them (a mini-batch fit, dropout or
// clipping, a plan of a grid of sgd_steps) leaves at once and trains
// alone; Seat.Alone says why. Each kind's table is uploaded only when the
// launch's fits change: an upload waits for the launches before it. Each
// fit keeps its own copy of the data on the device (N fits, N copies):
// sharing it would save memory on large sets, not time on W1's. A fit
// keeps its own plan in the group, the one train gives it, so that its
// bits are train's: W2's plan on Hopper is cluster_steps, though in the
// model sparse_steps' block a fit would train many W2 fits faster (512 in
// 4 waves of ~1.5 µs against cluster_fits' 64 of ~0.85 µs); a sweep that
// planned them so would no longer give train's bits.
//
// The model of n fits at once (Model.Fits, model_fits.go; a model, not
// measured): a fit a block (or a cluster), as many at once as an H100
// holds (132 multiprocessors times the blocks one holds by its shared
// memory, registers, threads and 32-block limit, counted as the occupancy
// calculator counts them from the kernels' rows of kernels/resources.h,
// over a fit's blocks), one fit's step alone for each wave of those, and
// the launch's share of a Fit chunk once for all; on the CPU, each fit's
// step for each round of a pool of cores, a fit a core. The pool's step
// is the model's CPU step, which for W2 is the CPU backend's measured step
// on one thread (1.82 µs, 549,918 examples a second on 1 thread in
// benchmarks/results/2026-11-27-cpu-fair.md, against the model's 1.84).
// W1: a warp a fit, 8 a multiprocessor (224 registers a thread), 1,056 at
// once, so 512 fits take one fit's step (~1.4 µs), within the issue's
// target of 512 in the time of 2, and ~50× the pool of 2 cores; 16 fits
// beat the pool, 8 do not. W2 (float32, plain SGD, Hopper): a cluster of
// 16 a fit, a block a multiprocessor by cluster_fits' registers (166 a
// thread), 8 fits at once: 64 fits in 8 waves (~7 µs a step of all
// against the 2-core pool's ~59 µs), 512 in 64 (~54 µs against ~470 µs),
// ~8.5× the pool, not hundreds in the time of one. The model charges
// nothing for the ~4 warps that share a multiprocessor's 4 schedulers at
// 512 W1 fits, nor for their data's copies, nor for the GPCs that a
// cluster of 16 must fit in. Fits whose plan is a grid of sgd_steps (W2
// in float64 or by Adam, W3) run one after another.
//
// # Per-example SGD over the nonzero inputs
//
// A fit by plain SGD of two layers or more whose later layers fit a
// block's shared memory may run in sparse_steps instead (sparse.go,
// kernels/sparse.cu's sparse_fits, on a table of one fit): one block, one
// launch per range of steps, no grid barrier. It visits only the example's nonzero inputs, as the CPU does:
// the host uploads the training inputs' nonzeros as a CSR, the inputs
// ranked by how often they are nonzero; the launch makes W_1 input-major
// (a row a rank), its most often nonzero rows in the block's shared memory
// (423 of MNIST's 784 in float32 on an H100) and the others in global
// memory, and writes W_1 back at its end. The plan takes it where the cost
// model (model.go, gpu.H100) says its step is faster than sgd_steps's as
// planned; other optimizers change every parameter every step, so the
// nonzeros would save nothing, and run in sgd_steps.
//
// On a GPU that launches thread-block clusters (compute capability 9.0,
// CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH; the attribute and cuLaunchKernelEx
// came with the same driver, so a driver that does not know the attribute
// plans none), the same fit may run in cluster_steps instead
// (kernels/sparse_cluster.cu's cluster_fits, on a table of one fit): one
// cluster of up to 16 blocks, launched
// through cuLaunchKernelEx with CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION. Its
// blocks split the first layer's units, each holding all its units' rows
// (every input's, input-major) in its own shared memory, so no row is cold,
// with the second layer's columns of its units, and a copy of b_2 and of
// every later layer. A step has one cluster barrier: every block runs its
// units' forward pass over the nonzeros and its part of the second layer's
// sum, W_2[:, its units]·a_1[its units], and stores that part into every
// block's shared memory (distributed shared memory; two slots, by the
// step's parity, so that one barrier a step is safe); after the barrier
// every block, identically, adds the parts in rank order, runs the later
// layers, the output gradient and the backward pass, computes its units'
// dz_1 from its columns of W_2, and updates those columns, its copies and
// its rows. The plan takes the cluster size at which the model's
// step is shortest, among the sizes whose blocks' shared memories hold the
// first layer, up to the most the device allows the kernel
// (cuOccupancyMaxPotentialClusterSize, after opting in to non-portable
// sizes: 16 on an H100), where the model says it is faster than sgd_steps
// and sparse_steps. On other GPUs the kernel is a stub that traps, never
// launched: its SASS for sm_70 and sm_80 is four registers.
//
// # The cost model (a model, not measured)
//
// gpu.H100 holds the model's constants (an H100's launch, barriers, L2 and
// shared-memory figures, and the CPU backend's measured per-example and
// mini-batch rates on 2 cores); the first GPU run recalibrates them. Its
// times of a step, float32 (benchmarks/results/2026-12-05-gpu-step-model.md):
// W1 (2-6-6-1) the CPU's 0.28 µs beats either kernel (~1–2 µs, barriers
// and a launch's share); W2 (784-128-10) sgd_steps ~1.8 µs, sparse_steps
// ~1.5 µs (~670 k examples/s), the CPU ~1.6 µs: sparse_steps wins, by
// ~1.1×, not 2×, bound by one multiprocessor's shared memory; W3
// (784-512-512-10) sgd_steps ~4.2 µs against the CPU's ~35 µs, and
// sparse_steps does not fit it. cluster_steps (a cluster of 16) makes W2's
// step ~0.77 µs (~1.3 M examples/s; ~0.82 µs on a portable cluster of 8):
// 2.4× the model's CPU step (1.84 µs), 2.1× the CPU's measured ~1.6 µs.
// Its first-layer pass is ~0.04 µs and its arithmetic on the second layer
// under 0.01 µs; the rest is latency: the cluster barrier (ClusterSync,
// assumed 0.2 µs: ~350 cycles, unmeasured), the stores of the parts across
// the cluster before it (DSMEMStore, assumed 0.05 µs), the output
// gradient (0.22 µs) and eight block barriers (0.24 µs). The first GPU run
// should measure ClusterSync. The plan, for --backend auto (Model.Faster,
// float32, per example, an H100 beside 2 CPU cores):
//
//	workload            sgd_steps  sparse_steps  cluster_steps  CPU (model)  --backend auto                 many fits (Group)
//	W1 2-6-6-1          ~1–2 µs    ~1.3 µs       ~1.5 µs        0.26 µs      CPU                            sgd_fits, 1,056 at once
//	W2 784-128-10       ~1.8 µs    ~1.5 µs       ~0.77 µs       1.84 µs      GPU (cluster_steps on Hopper)  cluster_fits, 8 at once
//	W3 784-512-512-10   ~4.2 µs    does not fit  does not fit   ~35 µs       GPU (sgd_steps)                one after another
//
// (sparse_steps runs in sparse_fits, a block a fit, 132 at once;
// cluster_steps in cluster_fits; a plan of one block of sgd_steps in
// sgd_fits.)
//
// perceptron train --backend auto trains on the CPU where the model says
// it is faster (W1), on the GPU otherwise.
//
// # Mini-batch SGD
//
// A mini-batch step is one launch of a CUDA graph, captured once per batch
// size, whose kernels read the batch's position from a cursor on the device.
// The products are tiles of 64×64 per block of 16×16 threads; products that
// would give fewer such tiles than the GPU has multiprocessors take 16×16
// tiles. The operands' slices (32 deep in float, 16 in double) are
// double-buffered through registers: a slice's loads are issued before the
// product of the one before. A model, not a measurement: a block alone on
// its multiprocessor (W3's batch of 64 gives 8 large tiles) no longer waits
// the ~0.3 µs of a slice's loads from L2 at each slice, about 24 waits
// fewer in W3's 784-deep forward product, and float's slices halve the
// block barriers; where several blocks share a multiprocessor, which hides
// that latency already, the prefetch's registers allow one block fewer
// (three in float, two in double, on sm_90). Split-K for small batches is
// not done.
//
// Either way the data set and the parameters stay on the GPU for the whole
// fit, and the losses are summed on the device, one by one in the epoch's
// order onto the epoch's running totals, when the engine asks for them (once
// an epoch, or with each progress report): the same sum however the epoch's
// steps were split, and, for a fit resumed within an epoch, however it was
// stopped.
//
// # Optimizers and schedules
//
// Every optimizer and schedule runs on the GPU, per example and in
// mini-batches, in float32 and float64 (kernels/optim.cuh, torch.optim's
// formulas, whose CPU twin is engine.Update). Its state (SGD's momentum
// buffer, Adam's m and v) lives on the device for the whole fit, laid out as
// the parameters, which the host keeps in one buffer; it comes from the
// checkpoint a fit resumes (or zeros) and goes back into checkpoints.
//
// Each step's coefficients — the schedule's learning rate and Adam's bias
// corrections for step t — are computed on the host in float64 as
// engine.Update computes them, an epoch's at a time (a goroutine computes the
// next epoch's while the GPU trains; optim.go), and the kernels read them at
// the step's position: one launch of sgd_steps runs steps of different rates,
// and one graph serves every batch step of a schedule (plain SGD's fused
// update reads its rate there too).
//
// A plateau schedule's rates are known only once the epoch before has ended
// (engine.Hyper.RateByEpoch): its epoch's are computed when the epoch
// begins, never ahead.
//
// Per example, the optimizer runs where the plain update runs: in the step's
// forward pass for a distributed layer's row (the team that owns the row
// reads its state with its weights, applies the last step's update, then
// takes the dot product) and after the backward pass for a private layer,
// whose state is private too; so a range of steps is still one launch, and W2
// still one grid barrier a step. In mini-batches, the backward pass writes
// the gradients, averaged over the batch (dense_gradient_batch,
// bias_gradient_batch), and one optimizer_step over all the parameters
// follows, inside the step's graph.
//
// # Dropout
//
// A network with dropout (engine.LayerSpec.Dropout) trains with the masks
// the cpu trainer draws: before each step the host draws them from the
// fit's generator (Hyper.RNG) with engine.DropoutMask, layer by layer, the
// step's rows in order (a data-parallel process draws the whole batch's and
// keeps its shard's rows), and uploads them in one copy, batch × the units
// of the layers with dropout, to a buffer whose address the step's graph
// holds (dropout.go). dense_forward_dropout_batch multiplies a layer's
// activations by its mask as it writes them, and dropout_delta multiplies
// the gradient that reaches the layer's pre-activations by it, f' reading
// the activations before the mask, recomputed from Z. So a seed gives the
// same masks on both backends, and a resumed fit, whose checkpoint holds the
// generator's state, the same masks as one never stopped. Prediction
// ignores dropout.
//
// Per example, a network with dropout does not run in sgd_steps: each step
// is a mini-batch step of one row, one graph launch (about 3 kernels a layer)
// and one copy of the step's masks, where sgd_steps runs a few hundred steps
// a launch; expect tens of microseconds a step rather than ~2 (a model, not
// measured on a GPU). In mini-batches the kernels cost what they did plus a
// read of the mask per activation and per gradient value (and, for
// sigmoid and tanh, f recomputed in the backward pass); the copy is batch ×
// units values a step (W3, 784-512-512-10 with dropout on both hidden layers,
// at batch 64: 256 KiB in float32). What bounds it is the host: drawing a
// mask value took ~17 ns on the shared 2-core machine (65,536 values, W3's
// step at batch 64, 1.1 ms, measured with engine.DropoutMask while another
// test ran), against ~75 µs of the GPU's step; the graph launch does not wait,
// so the draws of a step overlap the GPU's previous one, but the fit runs at
// the host's pace: ~900 steps/s, ~58 k examples/s for W3 at batch 64. The
// CPU backend draws the same values.
//
// # Gradient clipping
//
// A fit that clips (engine.Hyper.Clip) computes every step's gradients,
// plain SGD's too, into the optimizer's gradient buffer, and the step's
// graph clips them before optimizer_step (clip.go, kernels/clip.cu); in a
// data-parallel step, after the all-reduce, so that the norm is the whole
// batch's. By norm, clip_norm_squares sums the squares in float64, one
// partial sum a block (at most 256 blocks of 256 threads, each thread's
// values strided over the grid, added with fma, the block's threads in a
// fixed tree), and clip_scale, one thread a gradient, sums the partial sums
// again in every block, takes the factor max/(norm+1e-6) as engine.Clip does,
// and scales where it is below 1. The order is fixed by the number of
// parameters alone, so a step's factor is the same on every GPU and run,
// and on the emulator bit for bit as its CPU twin; it differs from
// engine.Clip's four interleaved sums by rounding only. By value,
// clip_value clamps each gradient. Per example, a fit that clips does not
// run in sgd_steps: as with dropout, each step is a mini-batch step of one
// row.
//
// What it costs (a model, not measured: no GPU has run it), on an H100 in
// float32, the gradients in L2 after the backward pass:
//
//   - By norm, two kernels more a step: clip_norm_squares reads the
//     gradients once, clip_scale reads and writes them and each of its
//     blocks reads the ≤ 2 KiB of partial sums (from L2, shared by the
//     blocks of a multiprocessor). W3 (669,706 parameters, 2.7 MB): about
//     2 µs of memory and 2 × 1.5 µs of the graph's kernels: ~5 µs on
//     Adam's ~82 µs at batch 64 (~6%); W2a at batch 64, launch-bound: ~3.5
//     µs on ~31 µs (~11%).
//   - By value, one kernel that reads and writes the gradients: W3 ~2.5 µs
//     (~3%).
//   - Plain SGD loses its fused update: the backward pass writes the
//     gradients (the same products) and optimizer_step follows, reading p
//     and g and writing p: W3 ~3 µs more, one kernel more.
//   - Per example, one graph of about 3 kernels a layer and the clipping's a
//     step, where sgd_steps runs a few hundred steps a launch: W2 with Adam
//     ~20–25 µs a step, ~40–50 k examples/s instead of ~380 k.
//
// # Data parallelism
//
// Under mpirun, each process trains on its GPU (New opens the GPU of the
// process's rank on its node, modulo the GPUs it sees) on its shard of every
// batch, and NCCL, loaded at run time (package internal/nccl, which describes
// the step), sums the gradients on the devices (share.go). The buffer it
// sums is the step's distributed.Sums, laid out on the device as the CPU
// lays it out in memory: the gradients, then the verdict on the shard's
// losses, which share_gradients writes. It sums it in buckets, cut as the
// CPU's (distributed.BucketBounds of engine.Hyper.BucketBytes, perceptron
// train --bucket-mb; 25 MiB by default, one bucket for W3), from the
// buffer's end, so that the verdict and the last layer's gradients come
// first (buckets.go): the step's gradient part runs as a graph per
// segment, each segment the backward pass down to a layer whose gradients
// complete a bucket and share_gradients over the buckets it completes;
// after each, an event on the backend's stream, which a second stream
// waits for, then ncclAllReduce of each of those buckets on the second
// stream, while the backend's stream runs the next segment; the update
// part's graph waits for an event recorded after the last all-reduce,
// since the optimizer (and clipping by norm) needs every gradient. NCCL
// is never captured in a graph. Each bucket's sums are those of one
// all-reduce of the whole buffer, element by element, so the model does
// not depend on the buckets. Where NCCL is missing, a
// data-parallel fit fails on every process, saying so. On the emulator, a
// host all-reduce over the engine's Comm stands in for NCCL, so that the
// data-parallel path runs in the tests.
//
// The host never waits for NCCL in a copy, which would wait for good where a
// peer died and NCCL's kernels spin: every 32 steps (sumWindow) it records
// an event on the stream after the queued work, and before queueing more
// it waits for the event of two windows back, and Totals for one recorded
// after all the work queued, polling each every millisecond with
// cuEventQuery and ncclCommGetAsyncError (share.go, awaitMark). When NCCL
// reports an error (a peer that died or left, a failure on the device), or
// the work up to an event has not finished within a minute (sumLimit: a
// peer lost where NCCL cannot tell), the trainer aborts the communicator
// (ncclCommAbort, which ends NCCL's kernels on this process's GPU) and
// returns one error that says so, from Steps or Totals: so each surviving
// process ends soon after a peer died, with one error, and at most 64
// steps are queued ahead of the host. The backend's stream waits for
// every all-reduce of a step before its update, so its events cover the
// second stream's work too; ncclCommAbort ends the all-reduces on both.
// The emulator's stand-in behaves as NCCL does: a sum that fails (its
// collective timed out) is reported by the poll, not by the step; it
// copies each bucket to the host after its segment and starts its sum
// there (distributed.Buckets: on a goroutine of RunLocal) while the device
// runs the next segments.
//
// What the buckets should hide, a model and not a measurement (no GPU has
// run them): the backward pass produces the first layer's gradients last,
// and they are most of the parameters, so only the buckets of the layers
// above overlap with computation, as in PyTorch's DDP. W3 in float32 at
// --bucket-mb 1 has 3 buckets: the first (the verdict, layer 3 and most of
// layer 2, 1 MiB of its 2.68 MB) is all-reduced while the backend computes
// layer 1's dZ and gradients (two of the backward pass's five products);
// the other two (the rest: layer 1 and a little of layer 2) after its last
// kernel, exposed as before. A
// segment costs a graph launch, an event record and a stream wait (a few
// µs of the host's, which the GPU's queue hides), and a bucket an
// ncclAllReduce launch; at the default size W3 runs one segment and one
// bucket, as the step did before, plus two events.
//
// # What the GPU should reach (a model, not measured)
//
// No GPU has run this backend yet; the figures below are what the structure
// predicts on an H100 (132 multiprocessors; a grid barrier about 1 µs, an L2
// round trip about 0.2 µs, a graph's kernel about 1.5 µs), float32. The
// launch and barrier counts are not predictions: the emulator counts them,
// and TestSGDStepStructure and TestBatchStepStructure assert them.
//
//   - W1, 2-6-6-1, batch 1: one launch per 4 steps (Fit's chunks of N/200),
//     no grid barrier (one block of one warp). A step: ~14 block syncs and
//     the output's shuffles ~1 µs + a quarter launch ~1 µs: ~2 µs, ~500 k
//     examples/s, against a target of ≥ 5 M, not reached by design.
//   - W2, 784-128-10, batch 1: one launch per 300 steps, one grid barrier a
//     step (was 3). A step: x staged 0.05 µs + layer 1 on 64 blocks, 4 warps
//     a unit, 0.35 + the barrier 1 + the private layer 2, the output and the
//     backward pass 0.6: ~2 µs, ~500 k examples/s (350–700 k), against a
//     target of ≥ 500 k.
//   - W2, batch 64: one graph of 11 kernels a step (was 11 launches): 11 ×
//     ~1.5 µs + 39 MFLOP at ~4 TFLOPS ≈ 10 µs: ~27 µs, ~2.4 M examples/s.
//   - W3, 784-512-512-10, batch 64: one graph of 17 kernels (was 17
//     launches): 205 MFLOP at ~4 TFLOPS ≈ 50 µs + 17 × 1.5 µs: ~75 µs, ~850 k
//     examples/s, against a target of ≥ 2× PyTorch CUDA.
//   - W3, batch 256: one graph of 17 kernels: 820 MFLOP at ~3–8 TFLOPS:
//     100–270 µs, ~1–2.5 M examples/s, against a target of ≥ 2× PyTorch CUDA.
//
// W1 stays latency-bound: each step depends on the last, and a block barrier,
// a shared-memory round trip and a shuffle each cost tens of cycles where the
// CPU's whole step takes about 280 ns (3.55 M examples/s, measured: the
// README's table); 5 M a second would need a step of ~350 cycles in one
// warp's registers, without shared memory. PyTorch CUDA at batch 64 is bound
// by its ~30 launches a step from Python (~250 µs, ~250 k examples/s), which
// is where W3 at batch 64 should be 2× or more faster; at batch 256 cuBLAS's
// products catch up and our SIMT tiles (no tensor cores) may be only level
// with it. MNIST's inputs are ~80% zeros, but layer 1's step is bound by one
// L2 round trip per lane, not by its bandwidth (0.8 MB a step, ~0.15 µs of an
// H100's L2), so visiting only the nonzeros would save little here and is not
// done.
//
// # What an optimizer costs a step (a model, not measured)
//
// Plain SGD changes only the rows whose dz is not 0 (relu's inactive units
// cost a read of W); momentum, Adam, AdamW and weight decay change every
// parameter every step, and read and write their state with it: per
// parameter, plain SGD reads W (and writes the active rows), weight decay
// alone reads and writes W, momentum W and buf, Adam W, m and v, with about
// 10 flops, a square root and a division. On W2's distributed layer 1
// (100,352 parameters, float32) Adam moves 1.2 MB in and 1.2 MB out of L2 a
// step where plain SGD moves 0.4 MB in: at ~5 TB/s of L2 that is ~0.5 µs, and
// each lane loads its ~6 strides of W, m and v in two round trips (OPT_UNROLL
// = 4 strides at once, to hold the registers) instead of one, so layer 1
// takes ~0.8 µs instead of ~0.35. The private layer 2 keeps its m and v in
// shared memory beside its weights (10 KiB more) and updates all 1,290
// parameters: ~0.1 µs. The step's coefficients are one more broadcast read.
// Launches and grid barriers do not change (TestSGDStepStructure counts W2
// with Adam: one launch, one barrier a step).
//
// Adam's two powers (math.Pow) take the host ~0.2 µs a step (12 ms an MNIST
// epoch per example, 8% of the GPU's 156 ms), so a goroutine computes the
// next epoch's coefficients while the GPU trains this one, and the epoch's
// start uploads them (1.9 MB), where the GPU waits for the epoch's order
// anyway. In mini-batches, the gradients replace the updates (the same
// products, writing G instead of updating W), and optimizer_step reads p, g,
// m and v and writes p, m and v: 7 × 4 bytes a parameter, plus one kernel of
// the graph (TestBatchStepStructure: W3 with Adam runs 18 kernels, W2a 13, in
// one launch a step).
//
//   - W2a (W2s with Adam), batch 1: plain SGD ~2 µs a step; with Adam ~2.6 µs
//     (layer 1 ~0.8 µs, layer 2 +0.1 µs): ~380 k examples/s.
//   - W2a, batch 64: plain SGD ~28 µs a step (12 kernels: W2's and
//     softmax_rows); with Adam + 2.9 MB at ~3 TB/s ≈ 1 µs + a kernel ≈ 1.5
//     µs: ~31 µs, ~2.1 M examples/s.
//   - W3 with Adam, batch 64: plain SGD ~75 µs a step; with Adam + 18.8 MB
//     (of p, g, m and v, 10.7 MB, which stay in L2) ≈ 4–6 µs + 1.5 µs: ~82
//     µs, ~780 k examples/s.
//   - W3 with Adam, batch 256: plain SGD 100–270 µs a step; with Adam + the
//     same ~7 µs, under 7%: ~0.9–2.4 M examples/s.
//
// benchmarks/gpu-check.sh prepares the measurements for the next machine with
// a GPU, and benchmarks/gpu-run.sh (its .gpu/run.sh) runs them within 9
// minutes, most valuable first: the tests of sgd_steps, the kernels' parity,
// epochs and batches with PERCEPTRON_CUDA_SYNC=1, two W2 fits compared bit
// for bit, compute-sanitizer's synccheck and racecheck, perceptron bench on
// W1, W2 and W3 on the GPU and the CPU, and an Nsight Systems profile of W2.
//
// # The examples' memory
//
// A trainer uploads the training inputs, held as float64 values or as codes
// (engine.Examples), converted to the network's dtype a million values at a
// time (uploadInputs), so that the host never holds a converted copy of the
// whole set; float64 inputs of a float64 network go up as they are.
//
// # Inference
//
// NewInference uploads the parameters once, with the activations of
// predictRows (1,024) rows and their inputs, and keeps a host buffer of the
// network's dtype; each call, under a mutex, copies its rows up a chunk at a
// time, runs the batch kernels (with softmax_rows) and copies the outputs
// back. Calls take turns on the device's thread: one device, one stream.
// Unlike the CPU's, a call allocates a little (the device thread's
// hand-off). Close frees the device memory; a call after it is an error.
//
// # Testing
//
// Without a GPU, go test -tags cudaemu ./gpu runs every test below on the
// emulator of package kernels, as CI does, but for the MNIST epoch, which
// takes minutes there and is skipped. go test -tags cuda ./gpu runs them on a
// GPU, with the tests of the cuda build's own (the last item below); on a
// machine without a GPU, the tests that need one skip, saying why.
//
//   - The backend suite of package engine/backendtest (TestBackend): the
//     gradient checks, the course's goldens in float64, torch.optim's goldens
//     within 1e-10 in float64 (ReduceLROnPlateau's fits too), resuming bit for bit within an epoch too,
//     early stopping, and the data-parallel fits of 2 and 3 processes, in
//     buckets of one value, of 100 bytes and holding everything, the
//     verdict failing every process in one bucket and in buckets of one
//     value, a host all-reduce standing in for NCCL on the emulator (on a
//     GPU they skip: NCCL refuses two processes on one GPU).
//   - The suite's Inference: NewInference against Predict, both dtypes,
//     Forward64 and Forward32, batches of 1 to 9 and past a chunk of 1,024,
//     from 16 goroutines at once, and Close twice.
//   - Many fits in one launch, on the emulator: W1s of different seeds and
//     rates in one Group, in both dtypes, beside a fit that diverges, a
//     network sgd_steps distributes and a mini-batch fit, each fit's
//     parameters and history bit for bit those it gives alone, the
//     diverging one's NonFiniteError too (TestGroupMatchesFitsAlone); three
//     W1 fits' steps in one launch a range, a third of the launches alone
//     (TestGroupLaunchesItsFitsTogether); a seat that leaves untrained does
//     not hold up the other (TestGroupSeatThatNeverTrains); four W2-shaped
//     fits (48-12-4, inputs mostly 0) of different seeds and rates, one
//     diverging, in one group in sparse_fits (a block a fit) and, on the
//     emulator as an H100, in cluster_fits (clusters of 3, four clusters
//     in one grid), both dtypes, each fit's parameters, loss and correct
//     count bit for bit those it gives alone, the diverging one's error
//     too, and one launch a range for all of them where alone each fit
//     launches its own (TestGroupSparseMatchesFitsAlone). The kernels'
//     CPU twin is N CPU fits: each fit alone (a table of one) matches the
//     CPU in the parity tests of sgd_steps, sparse_steps and
//     cluster_steps, which run through sgd_fits, sparse_fits and
//     cluster_fits.
//   - Every kernel against its CPU twin: the mini-batch kernels on layers
//     from 1 to 1000 wide, in both tile sizes (TestDenseForwardBatchParity,
//     TestDenseBackwardBatchParity, TestDenseDeltaParity,
//     TestOutputGradParity, with and without example weights), the dropout
//     kernels against cpu.DenseForwardBatch and engine.Delta followed by the
//     mask's product, dropped outputs exactly 0
//     (TestDenseForwardDropoutBatchParity, TestDropoutDeltaParity);
//     optimizer_step against engine.Update for every
//     optimizer from step 1 and step 1000 (TestOptimizerStepParity);
//     sgd_steps against the CPU's per-example steps on networks of one to
//     three layers, with every output head, launched whole and split, with
//     plain SGD and with every optimizer at a rate that changes every step
//     from a resumed fit's state (TestSGDStepsParity,
//     TestSGDStepsOptimizersParity), and on weighted examples, one of weight
//     0, with SGD and Adam (TestSGDStepsWeightedParity); share_gradients,
//     over the whole Sums and over buckets of it with the verdict and
//     without, the values outside left as they were, and flag_step bit for
//     bit (TestShareGradientsParity, TestFlagStep).
//   - Two epochs of plain SGD, Adam on a cosine schedule and Nesterov with
//     weight decay on a step schedule after a warm-up, per example and in
//     mini-batches, against the CPU's: parameters, each epoch's loss and the
//     optimizer's state (TestEpochMatchesCPU); one epoch of W2s and W2a on
//     MNIST against the CPU's test accuracy (TestMNISTMatchesCPU); the
//     epoch's loss summed in order, bit for bit, however the calls split it
//     (TestEpochTotals); two epochs with dropout on two hidden layers,
//     per example and in batches of 16, plain SGD and Adam, against the
//     CPU's parameters and losses, which only the same masks give
//     (TestDropoutMatchesCPU).
//   - The suite's Dropout (TestBackendDropout): the gradient with the masks
//     fixed against finite differences, per example and in a mini-batch;
//     resuming bit for bit; prediction the identity on dropout and the fit
//     the seed's; data-parallel fits of 2 and 3 processes on the emulator. A
//     network with dropout and no generator is refused, saying so
//     (TestDropoutNeedsGenerator).
//   - The progress of an epoch, on the emulator, which counts the calls
//     that would make the host wait for the device: RecentTotals makes
//     none and returns the exact totals of the steps before its last call,
//     Totals waits (TestRecentTotalsDoNotDrain); fits per example and in
//     batches of 16 with and without a progress report drain alike, and
//     their epochs' losses, accuracies and parameters are the same bit for
//     bit and within rounding of the CPU's, each report within an epoch the
//     CPU's one read earlier (TestProgressDoesNotChangeTheEpoch).
//   - Each example's class as engine.Correct decides it, ties and float32's
//     rounding included (TestExampleClasses); a wrong class fails the
//     epochs' correct counts against the CPU.
//   - The structure of a step, on the emulator: launches and grid barriers of
//     per-example SGD (one launch for a run of steps: no memset), launches and kernels of a mini-batch step, with and
//     without clipping (TestSGDStepStructure, TestBatchStepStructure).
//   - Failures: a cooperative grid too large, refused at the launch and
//     replanned with half the blocks, whose steps are the CPU's
//     (TestSGDGridTooLargeIsReplanned); a grid barrier that times out,
//     reported as what happened, and the next epoch's launch running
//     (TestSGDBarrierTimesOut: its barrier and status words reset); a kernel's fault that loses the context and
//     a next trainer on a new one; an absurd allocation named in its error.
//   - The real plans, on the emulator standing for an H100 (132
//     multiprocessors, 227 KiB of shared memory a block, one block of
//     sgd_steps a multiprocessor by its registers): W2s's 64 blocks with
//     teams of 4 warps, W3's 132 blocks, and a first layer of 8 units over
//     132 blocks, most of which own none of its units, each three steps in
//     two launches against the CPU's, in both dtypes (TestSGDRealPlans;
//     skipped with -short).
//   - The shared memory of sgd_steps: its budget the opt-in limit less its
//     static shared memory, and a network whose private layers need more
//     than 48 KiB keeping them private (TestSGDPlanOptsIn), its steps the
//     CPU's (TestSGDStepsParity).
//   - Gradient clipping: clip_norm_squares and clip_scale against their
//     CPU twins bit for bit (the partial sums and the scaled gradients) and
//     against engine.Clip within rounding, on 1 to 70,001 gradients (more
//     than the grid's stride), a norm within the bound left unchanged, and
//     a gradient of +Inf making the others 0 and itself NaN as engine.Clip
//     does (TestClipNormParity); clip_value against engine.Clip bit for
//     bit, bounds, infinities and NaN included (TestClipValueParity); the
//     suite's Clipping (torch's clip_grad_norm_ and clip_grad_value_
//     goldens within 1e-10 in float64, per example and in mini-batches,
//     with SGD, momentum, Adam and AdamW), ResumeClipping (bit for bit) and
//     DataParallelClipping (on the emulator) (TestBackendClipping); the
//     kernels a clipped step adds (TestBatchStepStructure).
//   - sparse_steps against the CPU's per-example steps, in both dtypes, on
//     inputs mostly 0: W2's and W2s's shapes with every row that fits in
//     shared memory and with most rows cold, W1's, a first layer of more
//     units than the block's threads with every row cold, three layers; in
//     one launch and several, at a rate that changes every step, with
//     example weights (TestSparseStepsParity). cluster_steps the same way
//     on the emulator as an H100 (or a GPU with clusters): W2's shape on a
//     portable cluster of 8, a non-portable one of 16 blocks of one unit
//     (three layers), 3 blocks of 200 units, 4 blocks of which one owns no
//     unit (three layers), four layers after a sigmoid first layer on 6
//     blocks of which one owns none, a second layer of 300 units on 3
//     blocks (TestClusterStepsParity); every case of both run twice to the
//     same bits; the plan takes a cluster of 16 for W2 on an
//     H100, none before compute capability 9.0 or with Adam
//     (TestClusterPlan). The cost model: W1 on the CPU, W2 in sparse_steps
//     (423 rows in shared memory) before sgd_steps and in cluster_steps
//     before both (~0.77 µs, 2× the CPU or more, also on a portable
//     cluster of 8, so --backend auto takes the GPU), W3 in sgd_steps, Adam
//     in neither, its times of a step within its stated figures, and the
//     inputs ranked by their nonzeros (TestModelPerWorkload,
//     TestModelCountsNonzeros).
//   - The model of n fits at once: W1's plan of a block (a warp, 864
//     bytes, 8 a multiprocessor), 512 fits in the time of one alone, inside
//     the target of 2, ~50× the 2-core pool, two waves at 1,100, the pool
//     at 8 fits and on 16 cores, the GPU at 16; the pool's W2 step the CPU's
//     measured step on 1 thread, 64 and 512 W2 fits in cluster_fits,
//     clusters of 16, 8 at once, in 8 and 64 waves, ~8.5× the pool, and
//     W2 by Adam one after another (TestModelFits); and on the emulator
//     as an H100, that plan the trainer's, threads, region bytes and blocks
//     of sgd_fits a multiprocessor, for W1 and a 20-30-30-4 network, both
//     dtypes, plain SGD and Adam (TestModelFitsIsThePlan); the model's
//     blocks a multiprocessor of sgd_fits, sparse_fits and cluster_fits
//     the emulator's occupancy from resources.h, at 1 to 8 warps and no
//     to all shared memory, and W2's plan of fits the trainer's: in
//     float32 cluster_fits on its cluster, in float64 none
//     (TestFitsKernelsAreTheirResources).
//   - The Go structs shared with the kernels against their C++ layout
//     (TestSharedStructsHaveTheKernelsLayout).
//   - In the cuda build: the driver loaded at run time
//     (TestDriverLoadedAtRunTime): with the library missing, with a fake
//     driver whose cuInit finds no device, and with a fake driver
//     (testdata/fakecuda.c) that shows arguments and results passing through
//     the trampolines, versioned names such as cuMemAlloc_v2 included, the
//     primary context's flags and the opt-in limit of shared memory among
//     them, and a function it lacks returning an error; on a GPU, the
//     backend in the primary context with blocking synchronisation
//     (TestPrimaryContext); the GPU of each MPI launcher's
//     rank (TestOrdinal); a data-parallel trainer without NCCL saying how to
//     install it; on a GPU with libnccl, every NCCL call on a communicator of
//     one, in one bucket and in buckets of one and of 5 values on the
//     second stream (TestShareBatchesAlone).
//   - The buckets of a data-parallel step: the suite's network cut into
//     segments for buckets of one value, of 12 values and of the default
//     size (TestPlanSegments); on random networks and sizes, every bucket
//     of distributed.BucketBounds in one segment, in order, complete after
//     its segment and not after the one before (TestPlanSegmentsProperties);
//     the order a step queues its work, which NCCL's reducer follows (each
//     segment, the event the second stream waits for, its buckets'
//     all-reduces, the update only after the join) and a failure queueing
//     nothing after it (TestQueueBucketsOrder); on the emulator, fits of 3
//     processes in buckets of one value, of parts of layers, across
//     layers and of everything, in both dtypes, with Adam clipped by norm
//     and with momentum, whose parameters and losses are one bucket's bit
//     for bit (TestBucketsKeepTheModel).
//   - A peer that dies inside a data-parallel step, on the emulator: of
//     three processes, process 2 never takes part in its third step's
//     all-reduce, or in buckets of 8 values its third step's second
//     bucket's, after the first's; each survivor ends within seconds with one error, saying
//     that its step failed and its communicator is aborted and naming
//     process 2, from Totals in a short epoch and from Steps (the window's
//     wait) in a long one, and closes without error
//     (TestDataParallelPeerDies).
//
// go test ./gpu/internal/gencushim checks that the committed trampolines are
// what cuda.h and the calls give, and go test -tags cuda ./gpu/internal/nccl
// runs every NCCL call on a fake library, whose arguments, results and errors
// must pass through. Several GPUs are checked with mpirun, one process per
// GPU, when a machine with several is at hand.
package gpu
