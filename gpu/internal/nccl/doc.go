// Package nccl is NVIDIA's NCCL, loaded at run time, for the data-parallel
// fits of the CUDA backend: the all-reduce of the gradients, on the
// device, on the backend's stream.
//
// Building it needs neither NCCL's headers nor its library: ncclshim.h
// declares the few types and values of nccl.h it uses, and Load opens
// libnccl.so.2 (or the file PERCEPTRON_LIBNCCL names) with dlopen and finds
// its functions with dlsym. Where NCCL is missing, or is older than 2.4
// (which has no ncclCommGetAsyncError), Load's error wraps ErrNoNCCL and
// says why. The calls are typed (UniqueID, DataType, Comm) and NCCL's
// errors come back as *Error, naming the call and the ncclResult_t. The
// tests run every call on a fake library (testdata/fakenccl.c), as
// package gpu's do for the driver. Without the cuda tag, the package is
// empty.
//
// # How the GPU trainer is to use it
//
// Multi-GPU training is not wired in yet: the GPU trainer fuses the update
// into its backward kernels, so it has no gradients to sum. These are the
// steps, in package gpu, that make it an engine.DataParallelTrainer; the
// engine (Fit, the sharded evaluation, the checks that all processes have
// the same fit) and the command line need no change.
//
//  1. One GPU per process. gpu.New opens GPU 0; in a data-parallel run it
//     must open the GPU of the process's local rank (Open MPI:
//     OMPI_COMM_WORLD_LOCAL_RANK; the index among the visible devices), so
//     that the processes of a node do not share one: NCCL refuses two
//     ranks on one device.
//  2. Gradients on the device. The mini-batch step needs kernels that
//     write each layer's gradients, gW = (1/B)·dZᵀ·X and gb = (1/B)·Σ dZ,
//     into one buffer of all the parameters' gradients followed by one
//     more value (as the CPU trainer's grad), where B is the global batch
//     (so each process's rows count for their share, rows/B, and the sum
//     over the processes is the batch's mean); then an update kernel, p -=
//     lr·g for plain SGD (and the optimizer kernels, engine.Update's twins,
//     when the trainer becomes a ResumableTrainer).
//  3. ShareBatches(c distributed.Comm), run on the device's goroutine:
//     lib, err := Load(); process 0 draws id, err := lib.NewUniqueID();
//     every process calls c.Broadcast(id[:], 0) (the MPI Comm carries the
//     128 bytes); then comm, err := lib.InitRank(c.Size(), id, c.Rank()),
//     which returns when all have joined; allocate the gradient buffer.
//     Any error is returned: Fit makes every process fail with it
//     (distributed.Agree).
//  4. The step on the examples order[s:s+B]: lo, hi := distributed.Shard(
//     c.Rank(), c.Size(), B); gather rows s+lo to s+hi only; forward,
//     output gradient and backward on those hi-lo rows into the buffer; a
//     small kernel writes into its last value 0, or the first loss of the
//     shard that is NaN or ±Inf; then, with no host synchronisation,
//     comm.AllReduceSum(buf, buf, n+1, Float32 or Float64, stream), where
//     stream is the address of the backend's own CUstream, the one its
//     kernels are launched on, so that the all-reduce runs after the
//     backward kernels and before the update kernel. A process whose
//     shard is empty (a last batch smaller than the processes) zeroes the
//     buffer on the stream and still calls AllReduceSum.
//  5. Non-finite losses: after the all-reduce the last value is 0 on every
//     process, or NaN or ±Inf when a process's loss was. A kernel copies it
//     into a per-step flag on the device; Totals, the one synchronisation,
//     returns the first step whose flag is not 0 as an
//     *engine.NonFiniteError on every process. Totals returns this
//     process's own sums (Fit sums them over the processes) and checks
//     comm.AsyncError(), returning it when a peer or the device failed.
//  6. Close: comm.Destroy(), or comm.Abort() after an error.
//
// Evaluation needs nothing: engine.EvaluateDataParallel shares it out
// through the backend's Predict and gathers the outputs over the Comm. The
// test is backendtest.DataParallel, which package gpu's suite runs
// already (today it checks that the CUDA backend refuses): it checks the
// data-parallel parameters against one process's on 2 and 3 processes,
// goroutines of one process that each need a GPU of their own, where
// there are 3 GPUs; with fewer, that part of the suite is to skip.
package nccl
