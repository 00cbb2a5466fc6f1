// Package cpu is the pure-Go backend: it trains and runs networks on the CPU,
// in float32 or float64, with no cgo.
//
// It is the reference the CUDA backend is checked against, so each of its ops
// (ops.go) is the CPU twin of a CUDA kernel and is written for clarity first.
// The hot paths allocate nothing per step, skip the input layer's da_prev
// (nothing uses it), and stream each weight matrix through memory once per
// direction: the per-example backward pass computes da_prev from a row of W
// and updates that row while it is still in cache.
//
// On amd64 CPUs with AVX2 and FMA the dot products and axpys of per-example
// SGD (simd_amd64.s) and the products of mini-batch SGD are Go assembly: a
// blocked product (gemm.go) that packs B, runs AVX-512 micro-kernels of 8×32
// floats where the CPU has AVX-512 (gemm_avx512_amd64.s) and AVX2 ones of
// 4×16 elsewhere (gemm_avx2_amd64.s), fuses the bias, a relu and a relu's
// gradient into their epilogue, and splits its panels of columns across
// cores. Elsewhere gonum's BLAS does the arithmetic. Results differ between
// the two only by rounding.
//
// Adam's and AdamW's steps, and SGD's with momentum, run on AVX2 kernels
// (optim.go, optim_amd64.s) that repeat engine.Update's operations in its
// order, unfused, so that the parameters and the state are engine.Update's
// to the bit.
//
// Per-example SGD on inputs that are mostly 0, such as MNIST's, visits only
// the nonzero inputs of the first layer (sparse.go): the trainer holds that
// layer's W input-major, inputs often nonzero together in neighbouring rows,
// and the examples as compressed rows, and AVX-512 kernels (sparse_amd64.s)
// run its forward pass and update in passes over the rows of the nonzero
// inputs, the update in the reverse order, starting on the rows the forward
// pass left in L1. Backend.Inputs chooses; by default the density of the
// training set does.
//
// A float32 sigmoid (sigmoid.go) runs on AVX-512 with an exp of its own in
// float64, rounding to engine.Activate's values.
package cpu
