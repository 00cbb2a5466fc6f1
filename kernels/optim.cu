// The optimizer step of mini-batch training (optim.cuh has the maths): once
// the backward pass has left every layer's gradients, averaged over the
// batch, in g, one launch applies the optimizer to every parameter of the
// network, which the host keeps in one buffer (each layer's W, then its b),
// its gradients and its state slots in buffers of the same layout.
#include "optim.cuh"

// optimizer_step: one step of *opt on the n parameters p, given their
// gradients g, with state slots s0 and s1 (n values each where the
// optimizer keeps them), at the coefficients rates[*cursor / batch], the
// step of the batch at position *cursor of the epoch. One thread per
// parameter. CPU twin: engine.Update.
KERNEL(optimizer_step)(real* __restrict__ p, real* __restrict__ s0, real* __restrict__ s1, const real* __restrict__ g,
                       const optimizer* __restrict__ opt, const opt_rates* __restrict__ rates,
                       const int* __restrict__ cursor, int batch, int n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)n) {
        return;
    }
    const opt_step o = opt_at(*opt, rates[*cursor / batch]);
    opt_param(o, p, s0, s1, i, g[i]);
}
