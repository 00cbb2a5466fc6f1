// Package cpu is the CPU backend: it trains and runs networks on the CPU, in
// float32 or float64, with no cgo. It is both the reference the CUDA backend
// is checked against and the fast path where there is no GPU.
//
// As the reference, each op of ops.go (DenseForward, DenseBackward, their
// batch forms, DenseGradient, …) is the CPU twin of the CUDA kernel of the
// same name, and the trainer's per-example step that of sgd_steps: the GPU's
// parity tests check the kernels against them. As the fast path, its hot
// loops run on Go assembly kernels on amd64 CPUs with AVX2 and FMA, and on
// AVX-512 ones where the CPU has AVX-512.
//
// # Go and assembly
//
// The backend is Go: the trainer (backend.go) and the mini-batch step's
// per-row work (batch.go), the blocked matrix product that drives the
// micro-kernels (gemm.go), the hand-off of work to the cores (parallel.go),
// the layout of sparse inputs (sparse.go), the choice of optimizer kernel
// (optim.go) and of sigmoid (sigmoid.go), and the measurement of the peak
// (peak.go). Below them are some 1,200 lines of hand-written Go assembly
// for amd64 and 900 generated ones, each file a family of kernels:
//
//   - simd_amd64.s: the dot products and axpys of per-example SGD, a relu
//     and its gradient, row copies and a prefetch (AVX2, FMA)
//   - gemm_amd64.s (generated): the micro-kernels of the products, 8×32
//     floats (AVX-512) or 4×16 (AVX2), and the AVX-512 block
//     transpositions of their packing
//   - dense_amd64.s: DenseForward's and DenseBackward's per-example products
//     (AVX-512)
//   - sparse_amd64.s: the forward pass and the update of a first layer on
//     sparse inputs (AVX-512)
//   - gather_amd64.s: inference's compression of rows into their nonzero
//     inputs, one row or four, and the forward pass of four rows at once
//     (AVX-512)
//   - optim_amd64.s: the steps of Adam, AdamW and SGD with momentum (AVX2)
//   - sigmoid_amd64.s: a float32 sigmoid (AVX-512)
//   - peak_amd64.s: the loops of fused multiply-adds that Peak times
//
// Each kernel's test checks it against the plain Go loop it equals, its
// twin. The backend picks its kernels when it starts, from what
// golang.org/x/sys/cpu reports: AVX-512F and DQ (where the operating system
// saves the registers) for the AVX-512 kernels, AVX2 and FMA for the AVX2
// ones. Where a kernel cannot run, Go does its work: the Go loops of the
// per-example and sparse kernels (on the AVX2 dot products and axpys where
// those run); without AVX2 and FMA, gonum's BLAS for the
// products and the vector loops, engine.Update for the optimizers and
// engine.Activate for the sigmoid. Results differ between these paths only
// by rounding, and not at all for the optimizers and the float32 sigmoid,
// whose kernels give their twins' bits.
//
// # Building without assembly
//
// The assembly files build for amd64 && !noasm; their Go twins, and stubs
// for the kernels that only the assembly path calls, build for !amd64 ||
// noasm. So the package builds and runs in pure Go on every architecture,
// and on amd64 with -tags noasm, which also turns off gonum's own assembly:
//
//	go test -tags noasm ./cpu/... ./engine/...
//
// runs the pure-Go path, and CI also runs the cpu and engine tests for
// GOARCH=arm64 under qemu-user (.ci/pure-go). Nothing calls the stubs: the
// kernels run only where haveFMA or haveAVX512 is true. The Go code that a
// kernel must equal to the bit (engine.Update, for the optimizers' kernels)
// rounds each product before it is added, so that a compiler that fuses
// multiply-adds (arm64, GOAMD64=v3) gives the same values; CI runs those
// tests built for GOAMD64=v3 too.
//
// # Which kernels are generated and which are hand-written
//
// The products' micro-kernels and the AVX-512 transpositions that pack a
// transposed B are generated: an avo program in _generate (a module of its
// own, so that avo is no dependency of this one; go generate ./cpu runs it)
// writes gemm_amd64.s and its declarations, gemm_stubs_amd64.go. There the
// register blocking is a Go loop, the skeleton (prologue, k loop, an
// epilogue of scale, loadC, bias, mask, store and relu by flags) is written
// once for both instruction sets and both precisions, the transpositions
// are rounds of one loop, and avo allocates the registers; the generator
// refuses to give an AVX2 kernel a register only AVX-512 encodes. CI
// regenerates it and requires the same bytes (.ci/generated).
//
// The other kernels are hand-written, where generation would not pay:
// copyRows and the per-example dot products, axpys and relus
// (simd_amd64.s), short loops with nothing to share; the dense, sparse and
// gather kernels (dense_amd64.s, sparse_amd64.s, gather_amd64.s), AVX-512
// only, whose fixed register blocks a macro or a few lines state; and the optimizers',
// the sigmoid's and Peak's (optim_amd64.s, sigmoid_amd64.s, peak_amd64.s),
// which rely on an exact order of operations or of registers that is
// clearest written out.
//
// # Per-example SGD
//
// The hot paths allocate nothing per step, skip the input layer's da_prev
// (nothing uses it), and stream each weight matrix through memory once per
// direction: the per-example backward pass computes da_prev from a row of W
// and updates that row while it is still in cache, and skips the rows whose
// dz is 0 (inactive relu units). The trainer asks the CPU for the next
// example's row while a step runs (a prefetch).
//
// Per-example SGD on inputs that are mostly 0, such as MNIST's, visits only
// the nonzero inputs of the first layer (sparse.go): the trainer holds that
// layer's W input-major, inputs often nonzero together in neighbouring rows,
// and the examples as compressed rows, and AVX-512 kernels run its forward
// pass and update in passes over the rows of the nonzero inputs, the update
// in the reverse order, starting on the rows the forward pass left in L1.
// Backend.Inputs chooses; by default (AutoInputs) the inputs are taken as
// sparse where the CPU has AVX-512 and at most 60% of the training set's
// inputs are nonzero.
//
// # The examples' memory
//
// A trainer holds the training set's inputs once. Inputs held as codes
// (engine.Examples.Codes, MNIST's pixels, one byte each) it keeps as they
// are: each step converts its rows through a table of the 256 values in the
// network's dtype, into the row buffer of a per-example step or the batch's
// rows, which mini-batch steps fill anyway. Inputs held as float64
// (engine.Examples.X) a float64 network trains on in place and a float32
// one converts once into a copy. Per-example SGD on sparse inputs holds
// compressed rows instead (8 bytes a nonzero input in float32, about 72 MB
// for MNIST's 60,000 images), built from either. Predict converts its rows
// for a float32 network into one buffer of predictRows rows.
//
// A float32 sigmoid runs on AVX-512 with an exp of its own in float64,
// rounding to engine.Activate's values.
//
// # Inference
//
// NewInference converts the parameters once to the network's dtype and lays
// each layer's W out input-major, [in, out], so that an input's weights
// are contiguous (the layout of sparse.go). A call takes its scratch (a
// layer's pre-activations, two layers' activations, its rows converted,
// the gathered nonzero inputs) from a sync.Pool, so concurrent calls share
// nothing writable and a warm call allocates nothing.
//
// Fewer than rowsAlone (4) rows run one at a time, each layer as
// z = b + Σ x_i·W[i, :] over its nonzero inputs only: an AVX-512 kernel
// (gather_amd64.s) compresses the row into its nonzero values and their
// columns (VCOMPRESSPS into a register, about 50 iterations for 784
// inputs), then sparseForward's kernels add those rows of W in eight
// registers (128 floats) at a time. So the cost of a row is proportional to
// its nonzero inputs: MNIST's images are about 81% zeros, and a hidden
// relu layer's are about half. A dense row reads all of W, as the
// matrix-vector product (DenseForward) did, with no horizontal sums. No
// density check is needed at batch 1: the gather is the check.
//
// Larger batches run predictRows (256) rows at a time through
// DenseForwardBatch's product on the input-major W (its packing copies rows
// instead of transposing blocks; either way the packing of W is a few
// percent of a chunk's product, copyRows 1–3% of the profile, so W is not
// kept packed between calls). The first layer takes another path where the
// chunk's first probeRows (8) rows are at most maxPredictDensity (50%)
// nonzero: the rows run as at batch 1, and in float32 on AVX-512 four at a
// time, gather4F32 taking the columns where any of the four is nonzero and
// sparseForward4RowsF32 adding each of those rows of W to the four rows'
// sums in one pass of 64 columns (16 registers), so that a row of W read
// from the cache serves four rows of inputs. A row at a time pays where W
// stays in L2 (maxRowWeights, 512 KB: W2's 401 KB), four at a time from L3
// too (maxGroupWeights, 4 MB: W3's 1.6 MB, 131–175k rows/s against
// 118–129k on the product).
//
// Measured on the 2-core development VM (AMD EPYC, Zen 5-like, AVX-512),
// GOMAXPROCS=1, float32, while other helpers' jobs loaded it (load average
// 3–9; BenchmarkInference, and benchmarks/results/2026-12-05-predict-vs-
// onnxruntime.md for the comparison with ONNX Runtime):
//
//   - W2 at batch 1: 0.93–1.1 µs per MNIST row in cache (1.4–1.5 µs when each
//     row comes from DRAM), against 4.4–4.9 µs before on the matrix-vector
//     product; a dense row 3.4–4.5 µs (4.3–4.6 before), bound by reading
//     W's 401 KB from L2 (about 115 GB/s, some 32 bytes a cycle), so the
//     2 µs target holds for MNIST rows, not for dense ones.
//   - W2 on 10,000 rows: MNIST rows four at a time 1.26–1.42M rows/s of
//     thread time on rows in L3, against 0.87–0.95M a row at a time and
//     0.6–0.8M on the product; dense rows 0.6–0.8M on the product, as
//     before (167 GFLOP/s at 0.82M, near what this core's FMAs give). From
//     DRAM, reading the rows (3 KB each) costs about a fifth more.
//   - W3 at batch 1: a dense row 31–47 µs, an MNIST row 11–17 µs; on 10,000
//     MNIST rows 180k rows/s (the first layer four rows at a time), dense
//     128k on the product.
//
// # Mini-batch SGD
//
// The products of mini-batch SGD are a blocked product (gemm.go) that packs
// B into panels that stay in the L1 cache, runs the micro-kernels down every
// row block of C, fuses the bias, a relu and a relu's gradient into their
// epilogue, and splits its panels of columns across cores. Each element of C
// is computed by one core in the same order whatever their number, so
// results do not depend on GOMAXPROCS.
//
// # Optimizers
//
// Adam's and AdamW's steps, and SGD's with momentum, run on AVX2 kernels
// (optim.go, optim_amd64.s) that repeat engine.Update's operations in its
// order, unfused, so that the parameters and the state are engine.Update's
// to the bit. Optimizers with state update every parameter at every step,
// so per example their update is most of the step.
//
// # Gradient clipping
//
// Clipping by norm needs every layer's gradient before any update, so a
// trainer that clips (engine.Hyper.Clip) never folds plain SGD's update
// into the backward pass: each step, per example too, writes every layer's
// gradient into one buffer (as an optimizer with state does), clips it with
// engine.Clip (the squares summed in four interleaved float64 sums) and
// then updates; sparse inputs are not taken sparse. Per example that costs
// what SGD with momentum costs: on the shared 2-core machine, loaded by
// other jobs (2026-12-05, a 2-128-128-1 relu network on 20,000 spirals,
// the best of 3 epochs, so rough), plain SGD ran 160–480k examples/s
// unclipped and 20–43k clipped by norm (37–51k by value), Adam 37–44k
// unclipped and 19–27k clipped; in batches of 32, clipping by norm
// kept 320–420k of about 520k.
//
// # Testing
//
// The suite's Inference checks NewInference against Predict at every batch
// size from 1 to 9 and across chunks, in both dtypes, through Forward64
// and Forward32, and from 16 goroutines at once. TestInferenceSparseRows
// checks it against Predict on W2's widths and a wider network with tanh
// and softmax layers, in both dtypes, at batch 1 to 5 and on chunks 81%,
// 50% and 0% zero (the rows of nonzero inputs, four at a time, and the
// product), and TestBackendWithoutAVX512 runs it again on the AVX2 axpys.
// The gather kernels against gatherGo on every length up to 70, offsets
// off a register, every density, -0 and NaN (TestGatherKernels); four rows
// at a time (gather4F32, sparseForward4RowsF32) against forwardRow on each
// row, with and without columns past the kernel's blocks (TestForwardGroup).
// BenchmarkInference measures W2 and W3 at batch 1 and on 10,000 rows, on
// MNIST's test images and on dense rows.
//
// go test ./cpu runs the backend suite of package engine/backendtest on
// the CPU three ways: as the CPU's features choose (TestBackend), with
// per-example SGD taking every data set's inputs as sparse
// (TestBackendSparseInputs), and, on a CPU with AVX-512, as on one without
// it: the AVX2 micro-kernels, and sparse inputs on the Go twins of their
// kernels (TestBackendWithoutAVX512). TestBackendDropout runs the suite's
// dropout checks (backendtest.Dropout) on dense and sparse inputs: the
// masks' gradient against finite differences, resuming bit for bit, the
// seed's reproducibility, prediction ignoring dropout, and data-parallel
// fits that end as one process's. The suite's DataParallel runs the
// data-parallel step, whose backward pass starts each bucket's all-reduce
// as soon as its gradients are computed (distributed.Buckets), with buckets
// of several sizes. TestClipping runs the suite's Clipping,
// DataParallelClipping and ResumeClipping. Then each kernel against its Go twin:
//
//   - the micro-kernels of the products (AVX-512 and AVX2) against microGo
//     for every epilogue, on inner sizes from 0 up (TestMicroKernels); the
//     products on sizes that leave edges in every direction, inner sizes cut
//     into several blocks, each epilogue, and from several goroutines at once
//     (TestGemm, TestGemmConcurrent); the block transpositions on odd
//     strides
//   - the dot products, axpys and relu kernels against plain loops on every
//     length up to 100 (40 for the relus) and slices that start at every
//     offset of a register (TestSIMDKernels, TestReluKernels)
//   - the per-example dense kernels on every width around their registers
//     and blocks (TestDenseKernels), and the sparse kernels likewise, with
//     and without nonzero inputs (TestSparseKernels); per-example training on
//     sparse inputs against dense inputs, with each optimizer: parameters,
//     optimizer state and losses (TestSparseInputsTrainAsDense); the order of
//     the sparse W's rows (TestInputOrder, TestToRows)
//   - the optimizer kernels (Adam, AdamW, SGD with momentum, heavy ball or
//     Nesterov, with or without weight decay) against engine.Update bit for
//     bit, on lengths around the registers' widths, over steps whose state
//     carries on, NaN and Inf included (TestOptimize)
//   - the float32 sigmoid against its Go twin bit for bit, and against
//     engine.Activate's values on a million inputs and the edge cases
//     (TestSigmoidKernel, TestSigmoidAsEngine)
//
// TestStepsAllocateNothing counts heap allocations of per-example steps on
// dense and sparse inputs and of mini-batch steps: none. TestPeak checks that
// Peak comes out as a plausible rate. The kernel tests skip, saying so, on a
// CPU without the instructions they need. To run the other paths on a CPU
// that has AVX-512:
//
//	GODEBUG=cpu.avx512f=off go test ./cpu          # the AVX2 kernels
//	GODEBUG=cpu.avx2=off,cpu.fma=off go test ./cpu # gonum's BLAS and the Go twins
//	go test -tags noasm ./cpu                      # pure Go, no assembly at all
//
// The examples (Example) run as tests: data to predictions, through a
// model file.
package cpu
