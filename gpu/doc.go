// Package gpu is the CUDA backend, built with -tags cuda.
//
// It runs the engine's algorithm on an NVIDIA GPU with the kernels of
// package kernels, through the CUDA driver API: gorgonia.org/cu for the
// context, memory and copies, and cgo of our own (launch_cuda.go) for
// modules, launches, cooperative launches and graphs, on one stream. One
// goroutine, locked to its OS thread, owns the CUDA context and makes every
// CUDA call. A fit uploads the parameters and the whole data set once, each
// epoch's order once, and keeps each example's loss and correctness on the
// device until the engine asks for the totals: there is no host
// synchronisation per example. Per-example SGD runs each range of steps the
// engine asks for in one cooperative launch of sgd_steps, as sgd.go plans
// it (one grid barrier a step for MNIST's 784-128-10); a mini-batch step is
// one launch of a CUDA graph (batch.go). Every engine.Optimizer and
// schedule runs on the device (optim.go): the optimizer's state stays there,
// and the host computes each step's learning rate and bias corrections once
// an epoch; the trainer is an engine.ResumableTrainer. The typed launchers
// of the kernels are generated from their sources (kernels_gen.go).
//
// The trainer is also an engine.DataParallelTrainer (share.go): under
// mpirun, each process trains on its GPU (New opens the GPU of the
// process's rank on its node) on its shard of every batch, and NCCL,
// loaded at run time (package internal/nccl), sums the gradients on the
// devices, on the backend's stream, between a step's two graphs. Where
// NCCL is missing, a data-parallel fit fails on every process, saying so.
// On the emulator, a host all-reduce over the engine's Comm stands in for
// NCCL, so that the data-parallel path runs in the tests.
//
// After an error that leaves the CUDA context unusable (a kernel's fault),
// every later call on it fails saying so, and the backend's next trainer
// opens a new context.
//
// CUDA errors come back as Go errors that name the kernel or driver call.
// Setting PERCEPTRON_CUDA_SYNC=1 synchronises after every launch, so that an
// error names the kernel that caused it.
//
// The driver calls are in driver_cuda.go. With -tags cudaemu instead, they
// go to the CUDA emulator of package kernels (driver_emu.go), which runs the
// same kernels on the CPU, so that the backend and its tests run without a
// GPU. Without either tag this package is a stub whose New returns
// ErrNotBuilt.
//
// A cuda binary runs everywhere: package internal/cushim loads the driver
// library (libcuda.so.1, or the file PERCEPTRON_LIBCUDA names) at run time,
// so the binary does not link it, and keeps gorgonia.org/cu's package init
// from ending the process when cuInit fails. Where the driver is missing or
// finds no GPU, New and Devices return ErrNoDevice with the reason
// ("the NVIDIA driver is not installed (…)", "cuInit: CUDA_ERROR_NO_DEVICE
// (…)"), and the tests that need a GPU skip, giving it.
package gpu
