// Package gpu is the CUDA backend, built with -tags cuda.
//
// It runs the engine's algorithm on an NVIDIA GPU with the kernels of
// package kernels, through the CUDA driver API of gorgonia.org/cu. One
// goroutine, locked to its OS thread, owns the CUDA context and makes every
// CUDA call, on the default stream. A fit uploads the parameters and the
// whole data set once, each epoch's order once, and keeps each example's loss
// and correctness on the device until the engine asks for the totals: there
// is no host synchronisation per example.
//
// CUDA errors come back as Go errors that name the kernel or driver call.
// Setting PERCEPTRON_CUDA_SYNC=1 synchronises after every launch, so that an
// error names the kernel that caused it.
//
// Without the cuda tag this package is a stub whose New returns
// engine.ErrNotBuilt. With it, the binary needs libcuda.so.1, and
// gorgonia.org/cu ends the process at start when no GPU is present.
package gpu
