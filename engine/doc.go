// Package engine holds the multilayer perceptron and its training algorithm,
// written once for every backend.
//
// A Network is a stack of dense layers. Layer l holds a weight matrix W of
// Units×Inputs (row i is neuron i, stored row-major) and a bias b of Units
// entries, and computes
//
//	z = W·x + b
//	a = f(z)
//
// Fit trains it by stochastic gradient descent as the course's NumPy
// Perceptron does: every epoch shuffles the examples, and each step runs the
// forward pass, the output gradient, and the backward pass through the layers
// in reverse, where each layer computes
//
//	dz      = da ⊙ f'(z)
//	da_prev = Wᵀ·dz          (with the weights before this step's update)
//	W      -= lr·dz·xᵀ
//	b      -= lr·dz
//
// With a batch size B > 1 the gradients of B examples are averaged before one
// update (mini-batch SGD). With Config.Comm, several processes share each
// batch (data parallelism, over package distributed): each computes the
// gradients of its shard, they are summed over the processes, and every
// process applies the same update.
//
// The engine owns the algorithm; a Backend owns memory and arithmetic. The
// engine imports no backend: the pure-Go reference lives in package cpu and
// the CUDA one in package gpu.
package engine
