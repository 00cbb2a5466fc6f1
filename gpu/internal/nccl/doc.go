// Package nccl is NVIDIA's NCCL, loaded at run time, for the data-parallel
// fits of the CUDA backend: the all-reduce of the gradients, on the
// device, in buckets, on a second stream beside the backend's.
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
// # How the GPU trainer uses it
//
// Package gpu's trainer trains data parallel (gpu/share.go,
// gpu/share_cuda.go); the engine (Fit, the sharded evaluation, the checks
// that all processes have the same fit) and the command line need no
// change for it.
//
//  1. One GPU per process. gpu.New opens GPU 0 or, in a process that an
//     MPI launcher started, the GPU of its rank on its node
//     (OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID, MV2_COMM_WORLD_LOCAL_RANK
//     or SLURM_LOCALID) modulo the visible GPUs, so that the processes of a
//     node do not share one: NCCL refuses two ranks on one device.
//  2. Gradients on the device. In a data-parallel fit every optimizer,
//     plain SGD included, takes the mini-batch path that writes each
//     layer's gradients into one buffer of all the parameters' gradients
//     followed by one more value, and optimizer_step applies them.
//  3. ShareBatches(c distributed.Comm): every process calls Load, and the
//     processes fail together if one cannot (distributed.Agree); process 0
//     draws id, err := lib.NewUniqueID(); every process calls
//     c.Broadcast(id[:], 0); then, on the device's goroutine, comm, err :=
//     lib.InitRank(c.Size(), id, c.Rank()), which returns when all have
//     joined. Any error is returned: Fit makes every process fail with it.
//  4. The step on the examples order[s:s+B], lo, hi := distributed.Shard(
//     c.Rank(), c.Size(), B), runs as CUDA graphs: the gradient part
//     gathers rows s+lo to s+hi only and runs the forward and backward
//     passes into the buffer, in segments, one graph each, cut after each
//     layer whose gradients complete a bucket of the buffer
//     (distributed.BucketBounds of Hyper.BucketBytes, from the buffer's
//     end; one bucket by default for W3); each segment ends with
//     share_gradients over its buckets, which weights the gradients by the
//     shard's share, (hi-lo)/B, so that the sum over the processes is the
//     batch's mean (zeroes for an empty shard), and writes into the
//     buffer's last value, in the first bucket, 0 or the first loss of the
//     shard that is NaN or ±Inf. After each segment, with no host
//     synchronisation, an event on the backend's CUstream, which a second
//     stream waits for, and comm.AllReduceSum(bucket, bucket, its length,
//     Float32 or Float64, second stream) for each of its buckets, in the
//     same order on every process, while the backend's stream runs the
//     next segment. After the last, the backend's stream waits for an
//     event of the second, and the update graph keeps the last value as
//     the step's flag (flag_step), then runs the optimizer's step and
//     moves the cursor on. Graphs with the all-reduces between them, not
//     captured into one: NCCL supports stream capture from 2.9 only, and
//     the emulator's stand-in for NCCL (a host all-reduce over the Comm)
//     cannot be captured.
//  5. Waiting: the host never waits for the stream in a copy while NCCL's
//     kernels may spin for a dead peer. Every 32 steps it records an event
//     on the backend's stream (which waits for each step's all-reduces), and before queueing more waits for the event of two
//     windows back; Totals records one more and waits for it; each wait
//     polls cuEventQuery and comm.AsyncError() every millisecond, and on an
//     error (or a minute without the event) calls comm.Abort() and returns
//     one error. Non-finite losses: Totals, once its event has passed,
//     returns the first step whose flag is not 0 as an
//     *engine.NonFiniteError on every process. Its sums are this process's
//     own shards' (Fit sums them over the processes).
//  6. Close: comm.Destroy(), or comm.Abort() after an error (once: a
//     communicator aborted by a wait is not aborted again), then the
//     events and the second stream.
//
// The tests: package gpu's TestShareBatchesAlone runs every call on a
// communicator of one rank where libnccl and a GPU are at hand, and skips
// otherwise. backendtest.DataParallel runs its fits of 2 and 3 processes,
// goroutines of one process, on the emulator, whose stand-in sums over the
// Comm on the host; on a GPU they would share its one device, and skip.
// Several GPUs are checked with mpirun, one process per GPU.
package nccl
