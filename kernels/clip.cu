// Gradient clipping of a mini-batch step (engine.Clipping), between the
// backward pass, which leaves every gradient of the step in g (n values,
// laid out as the parameters; in a data-parallel step, summed over the
// processes), and optimizer_step, as torch.nn.utils' clip_grad_norm_ and
// clip_grad_value_ run between backward() and step().
//
// By norm, in two kernels and a fixed order, so that a step's factor is the
// same on every run and on the emulator as in its CPU twin: clip_norm_squares
// leaves one partial sum of squares per block, in double, and clip_scale
// sums them again in every block (a few hundred doubles from L2) and scales
// g by max_norm/(norm+1e-6) where that is below 1. By value, clip_value
// clamps each gradient.
#include "common.cuh"

// CLIP_THREADS is the block size of the clipping kernels, and the most
// partial sums clip_norm_squares may leave: clip_scale's block sums them in
// its shared memory.
#define CLIP_THREADS 256

// CLIP_EPS is what clip_grad_norm_ adds to the norm before it divides.
#define CLIP_EPS 1e-6

// block_sum returns, in every thread, the sum of every thread's v: a tree over
// the block's CLIP_THREADS threads, the upper half added onto the lower one
// at each level. Every thread must call it.
__device__ __forceinline__ double block_sum(double* sums, double v) {
    const int t = threadIdx.x;
    sums[t] = v;
    __syncthreads();
    for (int w = CLIP_THREADS / 2; w > 0; w /= 2) {
        if (t < w) {
            sums[t] += sums[t + w];
        }
        __syncthreads();
    }
    return sums[0];
}

// clip_norm_squares: partials[b] = the sum over block b's threads of each
// thread's Σ g[i]², in double with fma, over i = b·CLIP_THREADS + t +
// k·gridDim·CLIP_THREADS in order of k, the threads' sums added by
// block_sum. gridDim.x blocks of CLIP_THREADS threads, at most CLIP_THREADS
// blocks. CPU twin: clipNormSquares in gpu/clip_test.go (whose sum equals
// engine.Clip's to rounding).
KERNEL(clip_norm_squares)(double* __restrict__ partials, const real* __restrict__ g, int n) {
    __shared__ double sums[CLIP_THREADS];
    double s = 0;
    const size_t stride = (size_t)gridDim.x * CLIP_THREADS;
    for (size_t i = (size_t)blockIdx.x * CLIP_THREADS + threadIdx.x; i < (size_t)n; i += stride) {
        const double x = (double)g[i];
        s = fma(x, x, s);
    }
    s = block_sum(sums, s);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = s;
    }
}

// clip_scale: g[i] *= (real)scale for the n gradients, scale =
// max_norm / (sqrt(Σ partials) + 1e-6), the blocks partial sums of
// clip_norm_squares added by block_sum, where scale is not at least 1 (a
// norm that is not finite makes NaN gradients, as in torch). One thread per
// gradient, in blocks of CLIP_THREADS. CPU twin: clipScale in
// gpu/clip_test.go, engine.Clip's scaling.
KERNEL(clip_scale)(real* __restrict__ g, const double* __restrict__ partials, int blocks, double max_norm, int n) {
    __shared__ double sums[CLIP_THREADS];
    const double total = block_sum(sums, (int)threadIdx.x < blocks ? partials[threadIdx.x] : 0.0);
    const double scale = max_norm / (sqrt(total) + CLIP_EPS);
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < (size_t)n && !(scale >= 1)) {
        g[i] *= (real)scale;
    }
}

// clip_value: g[i] = value where it is above value, −value where it is
// below −value, for the n gradients (NaN stays NaN), value being
// (real)max_value. One thread per gradient. CPU twin: engine.Clip by value.
KERNEL(clip_value)(real* __restrict__ g, double max_value, int n) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)n) {
        return;
    }
    const real v = (real)max_value;
    const real x = g[i];
    if (x > v) {
        g[i] = v;
    } else if (x < -v) {
        g[i] = -v;
    }
}
