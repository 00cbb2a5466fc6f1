// Package distributed connects the processes of a data-parallel fit, as
// Horovod and PyTorch's DistributedDataParallel do: every process holds the
// whole model and trains on its shard of each global batch; the parameters
// start from process 0's, and after each backward pass the gradients are
// summed over the processes (an all-reduce) before the same update runs
// everywhere.
//
// Comm is what the engine needs of a transport: the process's rank and the
// number of processes, the all-reduce of a float32 or float64 buffer, and a
// broadcast. Two implement it:
//
//   - OpenMPI joins the processes mpirun started, through Open MPI (cgo, in
//     a build with -tags mpi: go build -tags mpi ./cmd/perceptron, after
//     apt-get install libopenmpi-dev openmpi-bin on Debian). Without the
//     tag the build stays pure Go and OpenMPI returns ErrNoMPI, which says
//     how to build it. Launched tells whether a launcher such as mpirun
//     started the process.
//   - RunLocal runs goroutines of one process joined by a Comm, so that a
//     data-parallel fit runs, and is tested, without MPI.
//
// On GPUs the gradients live on the device and are all-reduced by NCCL
// (package gpu/internal/nccl); the Comm still starts the processes and
// carries NCCL's unique id from process 0 to the others.
//
// The helpers make collectives of the decisions a fit takes: Agree makes
// every process fail together when one fails, with the first failing
// process's message; SameAsRoot checks that every process has the same
// settings as process 0; Any tells every process whether one of them saw a
// condition (a signal); Shard splits a batch among the processes. Sums is
// the protocol of the all-reduces that carry flags beside their sums: a
// data-parallel step's gradients with the verdict on its losses, which
// both backends use (the CUDA backend in the same layout on its device),
// and the epoch's totals with each process's failure.
//
// Every function here that takes a Comm, and Sums.AllReduce, is a
// collective: every process of the Comm must call it, in the same order, or
// the processes wait for each other forever.
package distributed
