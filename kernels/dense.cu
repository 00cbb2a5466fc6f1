// Dense layer, per mini-batch of m rows (X m×in, Z, A, dZ m×out): forward
// pass, backward pass and SGD update (per-example SGD runs in sgd.cu):
//
//     Z = X·Wᵀ + 1·bᵀ,  A = f(Z)
//     dZ = dA ⊙ f'(Z)
//     dA_prev = dZ·W            (launched before the update: it reads W as it was)
//     W -= (lr/m)·dZᵀ·X,  b -= (lr/m)·Σ_r dZ_r
//
// Every weight is written by exactly one thread and every sum runs in a fixed
// order, so runs are deterministic.
#include "rows.cuh"

#define TILE 16

// softmax_rows: a = softmax(z) for each of rows rows of cols values, one
// thread per row. CPU twin: engine.Activate with engine.Softmax.
KERNEL(softmax_rows)(real* __restrict__ a, const real* __restrict__ z, int rows, int cols) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r < rows) {
        softmax_row(a + (size_t)r * cols, z + (size_t)r * cols, cols);
    }
}

// dense_delta: dz = da ⊙ f'(z) over n values (dz may be da). CPU twin: engine.Delta.
KERNEL(dense_delta)(real* dz, const real* da, const real* __restrict__ z, const real* __restrict__ a, int n, int act) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        dz[i] = da[i] * act_grad(act, z[i], a[i]);
    }
}

// dense_forward_batch: Z = X·Wᵀ + 1·bᵀ and A = f(Z) (A = Z for softmax) for
// rows examples, by 16×16 tiles of X and W in shared memory. Block (16, 16),
// grid (ceil(out/16), ceil(rows/16)). CPU twin: cpu.DenseForwardBatch.
KERNEL(dense_forward_batch)(real* __restrict__ z, real* __restrict__ a, const real* __restrict__ w,
                            const real* __restrict__ b, const real* __restrict__ x, int rows, int in, int out,
                            int act) {
    __shared__ real xs[TILE][TILE + 1];
    __shared__ real ws[TILE][TILE + 1];
    int tx = threadIdx.x, ty = threadIdx.y;
    int r = blockIdx.y * TILE + ty;   // example
    int i = blockIdx.x * TILE + tx;   // unit
    int wr = blockIdx.x * TILE + ty;  // the unit whose weights this thread loads
    real acc = 0;
    for (int t = 0; t < in; t += TILE) {
        xs[ty][tx] = r < rows && t + tx < in ? x[(size_t)r * in + t + tx] : (real)0;
        ws[ty][tx] = wr < out && t + tx < in ? w[(size_t)wr * in + t + tx] : (real)0;
        __syncthreads();
        for (int k = 0; k < TILE; k++) {
            acc += xs[ty][k] * ws[tx][k];
        }
        __syncthreads();
    }
    if (r < rows && i < out) {
        real v = acc + b[i];
        z[(size_t)r * out + i] = v;
        a[(size_t)r * out + i] = act == ACT_SOFTMAX ? v : activate(act, v);
    }
}

// dense_backward_data_batch: dA_prev = dZ·W (rows×in), by 16×16 tiles.
// Block (16, 16), grid (ceil(in/16), ceil(rows/16)). CPU twin: the da_prev
// of cpu.DenseBackwardBatch.
KERNEL(dense_backward_data_batch)(real* __restrict__ da_prev, const real* __restrict__ dz,
                                  const real* __restrict__ w, int rows, int in, int out) {
    __shared__ real ds[TILE][TILE + 1];
    __shared__ real ws[TILE][TILE + 1];
    int tx = threadIdx.x, ty = threadIdx.y;
    int r = blockIdx.y * TILE + ty;  // example
    int j = blockIdx.x * TILE + tx;  // input
    real acc = 0;
    for (int t = 0; t < out; t += TILE) {
        ds[ty][tx] = r < rows && t + tx < out ? dz[(size_t)r * out + t + tx] : (real)0;
        ws[ty][tx] = t + ty < out && j < in ? w[(size_t)(t + ty) * in + j] : (real)0;
        __syncthreads();
        for (int k = 0; k < TILE; k++) {
            acc += ds[ty][k] * ws[k][tx];
        }
        __syncthreads();
    }
    if (r < rows && j < in) {
        da_prev[(size_t)r * in + j] = acc;
    }
}

// dense_update_batch: W -= (lr/rows)·dZᵀ·X, by 16×16 tiles over the rows.
// Block (16, 16), grid (ceil(in/16), ceil(out/16)). CPU twin: the weight
// update of cpu.DenseBackwardBatch.
KERNEL(dense_update_batch)(real* __restrict__ w, const real* __restrict__ dz, const real* __restrict__ x, real lr,
                           int rows, int in, int out) {
    __shared__ real ds[TILE][TILE + 1];
    __shared__ real xs[TILE][TILE + 1];
    int tx = threadIdx.x, ty = threadIdx.y;
    int i = blockIdx.y * TILE + ty;   // unit
    int j = blockIdx.x * TILE + tx;   // input
    int di = blockIdx.y * TILE + tx;  // the unit whose gradients this thread loads
    real acc = 0;
    for (int t = 0; t < rows; t += TILE) {
        ds[tx][ty] = t + ty < rows && di < out ? dz[(size_t)(t + ty) * out + di] : (real)0;
        xs[ty][tx] = t + ty < rows && j < in ? x[(size_t)(t + ty) * in + j] : (real)0;
        __syncthreads();
        for (int k = 0; k < TILE; k++) {
            acc += ds[ty][k] * xs[k][tx];
        }
        __syncthreads();
    }
    if (i < out && j < in) {
        real step = lr / (real)rows;
        w[(size_t)i * in + j] += -step * acc;
    }
}

// bias_update_batch: b -= (lr/rows)·Σ_r dZ_r, one thread per unit summing
// the rows in order. CPU twin: the bias update of cpu.DenseBackwardBatch.
KERNEL(bias_update_batch)(real* __restrict__ b, const real* __restrict__ dz, real lr, int rows, int out) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= out) {
        return;
    }
    real sum = 0;
    for (int r = 0; r < rows; r++) {
        sum += dz[(size_t)r * out + i];
    }
    real step = lr / (real)rows;
    b[i] -= step * sum;
}
