// Package cpu is the pure-Go backend: it trains and runs networks on the CPU
// with gonum's BLAS, in float32 or float64.
//
// It is the reference the CUDA backend is checked against, so each of its ops
// (ops.go) is the CPU twin of a CUDA kernel and is written for clarity first.
// The hot paths allocate nothing per step, skip the input layer's da_prev
// (nothing uses it), and stream each weight matrix through memory once per
// direction: the per-example backward pass computes da_prev from a row of W
// and updates that row while it is still in cache. Mini-batches go through
// gonum's matrix-matrix products, which use every core.
package cpu
