// Command perceptron trains, evaluates and runs multilayer perceptrons on the
// CPU, or on an NVIDIA GPU in a build with -tags cuda.
//
//	perceptron train   [flags]   train a network and write the model, history and curves
//	perceptron eval    --model PATH --data SPEC
//	perceptron predict --model PATH --input CSV
//	perceptron info
//	perceptron bench   [--workload W1,W2,W2s,W3,W2a,W2d]
//
// perceptron -h, and perceptron COMMAND -h, print the flags; the README is
// the user's guide.
//
// # Memory
//
// A data set is held once (see package engine/dataset): MNIST's pixels as
// their bytes, splits sharing the set's memory, the backend's one copy in
// its own layout. The program runs its garbage collector at GOGC=50 unless
// the environment sets GOGC (gcPercent): the heap is mostly data held for
// the whole fit. The default job peaks at about 240 MB resident, measured
// in benchmarks/results/2026-12-05-memory.md.
//
// # Testing
//
// The tests build the binary and run it, as a user would, in a temporary
// folder:
//
//   - train, eval and predict end to end; info and the help; bench; a
//     regression evaluated on integer labels; the course replayed from the
//     command line against the committed runs of its NumPy code, and the
//     course preset
//   - the default perceptron train, the README's first command, reaching
//     at least 97% test accuracy on MNIST (skipped with -short)
//   - where python3 with torch is installed (Debian: python3-torch), a
//     trained model loaded into torch.nn.Sequential with
//     load_state_dict(strict=True), giving perceptron predict's outputs
//   - Adam, a schedule and early stopping; a fit resumed after a Ctrl-C
//     within an epoch, and at an epoch's end with more epochs asked for,
//     giving the same model file, byte for byte, and the same history as
//     the fit never stopped; a checkpoint of another fit refused; every
//     optimizer flag's error
//   - SIGINT and SIGTERM during the epochs and after the last one: the model
//     saved beside, over, or not at all, and no temporary file left
//   - every error path, each one error line naming the cause and at most one
//     hint, with exit status 1. TestHostileInputs runs 37 inputs a hostile
//     user would try: model files that promise 9·10¹² parameters in 139
//     bytes or overflow, NaN weights, a mis-cased key, /dev/zero and a folder
//     as a model; MNIST labels of 10 and 200, an IDX header promising 2 GiB,
//     a bad gzip checksum, test images of another size; NaN, Inf and empty
//     cells in CSVs; sizes that cannot fit; flags that used to be coerced;
//     outputs onto an input, onto each other, /dev/null, a symbolic link, a
//     folder or a missing folder — and checks that every file in the folder
//     is unchanged. Sizes that fit the machine but not a 4 GiB ulimit -v are
//     refused with the figures (TestHostileSizesUnderAMemoryLimit).
//   - a data-parallel command's ends on two in-process processes
//     (TestGroupClose): process 0 prints the first failure once, naming the
//     process; and, without the mpi tag, --distributed mpi or a launch by
//     mpirun failing with one error saying how to build it.
//
// In the mpi build, go test -tags mpi -run MPI ./cmd/perceptron (Open MPI
// installed; CI runs it) trains under mpirun on 2 and 3 processes and
// compares with one process, for every optimizer; gives process 1 a missing
// file, a NaN or other data (mpirun's A : B form) and checks that process 0
// alone prints one error naming it; resumes on 3 processes a checkpoint
// written on 2; runs bench; and trains an emulator build's --backend cuda on
// 3 processes against one.
//
// In the cuda build, go test -tags cuda ./cmd/perceptron builds the cuda
// perceptron and checks, without a GPU, that it links no libcuda and exports
// no driver symbol, and that with the driver library missing, or finding no
// GPU, info says why, --backend auto trains on the CPU and --backend cuda
// fails with one error line and a hint (TestCUDABuildRunsEverywhere).
package main
