// Dense layer, per mini-batch of m rows (X m×in, Z, A, dZ m×out): forward
// pass, backward pass, and the gradients or the SGD update (per-example SGD
// runs in sgd.cu):
//
//     Z = X·Wᵀ + 1·bᵀ,  A = f(Z)
//     dZ = dA ⊙ f'(Z)
//     dA_prev = dZ·W            (launched before the update: it reads W as it was)
//     plain SGD:  W -= (lr/m)·dZᵀ·X,  b -= (lr/m)·Σ_r dZ_r
//     otherwise:  gW = (1/m)·dZᵀ·X,  gb = (1/m)·Σ_r dZ_r, which optimizer_step (optim.cu) applies
//
// The learning rate of plain SGD is the step's, rates[*cursor / batch].lr,
// read on the device so that one graph serves every step of a schedule.
// Every weight is written by exactly one thread and every sum runs in a fixed
// order, so runs are deterministic.
#include "optim.cuh"
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

// dropout_delta: dz = da ⊙ f'(z) ⊙ m over n values (dz may be da), for a
// layer with dropout, whose activations a the mask m has multiplied: f'
// reads f(z), the activations before the mask, recomputed from z as the
// forward pass computed them. CPU twin: engine.Delta on the activations
// before the mask, then the mask's product (the cpu trainer's
// dropouts.backward).
KERNEL(dropout_delta)(real* dz, const real* da, const real* __restrict__ z, const real* __restrict__ mask, int n, int act) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        real v = z[i];
        dz[i] = da[i] * act_grad(act, v, activate(act, v)) * mask[i];
    }
}

// The matrix products run by tiles: a block of 16×16 threads computes a
// BT×BT tile of the product, BT = 16·TT, each thread a TT×TT grid of it
// (rows ty, ty+16, ..., columns tx, tx+16, ...), from KT-deep slices of its
// operands that the block stages in shared memory; each thread sums its
// entries over k in order. Grid (ceil(n/BT), ceil(m/BT)) for an m×n
// product. Each product comes in two tile sizes: 64×64 (TT = 4), and 16×16
// (TT = 1, the _small kernels) for products too small to give every
// multiprocessor a block of the large tiles (W3's batch of 64 through 512
// units makes 8 large tiles, and 128 small ones). A slice is 32 deep in
// float and 16 in double, whose registers the double-buffered slice would
// otherwise take past one block of 64×64 tiles a multiprocessor (ptxas,
// sm_90: 80 registers a thread for float's 32, 134 for double's, 82 for its
// 16: three blocks of 256 threads a multiprocessor in float and two in
// double, where 64 and 80 registers without the prefetch allowed four and
// three).
constexpr int KT = sizeof(real) == 4 ? 32 : 16;

// slice_map is where a thread's share of an operand's slice lies: its q-th
// value at (i + q·di, k + q·dk) of the BT×KT slice. Neighbouring threads
// take neighbouring values along the operand's contiguous dimension
// (contiguous says whether that is k), so the loads coalesce, and each
// thread's values lie a fixed stride apart, so it keeps one address.
struct slice_map {
    int i, k, di, dk;
};

template <int BT>
__device__ __forceinline__ slice_map map_slice(bool contiguous, int t) {
    constexpr int threads = TILE * TILE;
    return contiguous ? slice_map{t / KT, t % KT, threads / KT, 0} : slice_map{t % BT, t / BT, 0, threads / BT};
}

// slice_load loads a thread's share (mp) of the KT-deep slice from k0 of
// an operand X(i, k) = x[i·xi + k·xk] of rows rows and depth columns (zero
// outside it) into registers, the rows from i0.
template <int N>
__device__ __forceinline__ void slice_load(real (&v)[N], const real* __restrict__ x, int xi, int xk, int rows,
                                           int depth, int i0, int k0, const slice_map mp) {
    const int i = i0 + mp.i, k = k0 + mp.k;
    const real* p = x + (size_t)i * xi + (size_t)k * xk;
    const size_t step = (size_t)mp.di * xi + (size_t)mp.dk * xk;
#pragma unroll
    for (int q = 0; q < N; q++) {
        v[q] = i + q * mp.di < rows && k + q * mp.dk < depth ? p[q * step] : (real)0;
    }
}

// slice_store stores what slice_load loaded where the block's product
// reads it, xs[k][i].
template <int BT, int N>
__device__ __forceinline__ void slice_store(real (*xs)[BT + 1], const real (&v)[N], const slice_map mp) {
#pragma unroll
    for (int q = 0; q < N; q++) {
        xs[mp.k + q * mp.dk][mp.i + q * mp.di] = v[q];
    }
}

// tile_product: acc[r][c] = Σ_k A(i, k)·B(k, j) for this thread's entries
// (i, j) of the block's tile of the m×n product, where A(i, k) is
// a[i*ai + k*ak] and B(k, j) is b[k*bk + j*bj]: the strides say which
// operand is transposed. The slices are double-buffered through
// registers: the next slice's loads are issued before the product of this
// one, which hides their latency behind it. Every thread of the block must
// call it.
template <int TT>
__device__ void tile_product(real (*acc)[TT], const real* __restrict__ a, int ai, int ak, const real* __restrict__ b,
                             int bk, int bj, int m, int n, int depth) {
    constexpr int BT = TILE * TT, N = BT * KT / (TILE * TILE);
    __shared__ real as[KT][BT + 1];
    __shared__ real bs[KT][BT + 1];
    const int tx = threadIdx.x, ty = threadIdx.y, t = ty * TILE + tx;
    const int i0 = blockIdx.y * BT, j0 = blockIdx.x * BT;
    for (int r = 0; r < TT; r++) {
        for (int c = 0; c < TT; c++) {
            acc[r][c] = 0;
        }
    }
    const slice_map am = map_slice<BT>(ak == 1, t), bm = map_slice<BT>(bj == 1, t);
    real an[N], bn[N];
    slice_load(an, a, ai, ak, m, depth, i0, 0, am);
    slice_load(bn, b, bj, bk, n, depth, j0, 0, bm);
    for (int k0 = 0; k0 < depth; k0 += KT) {
        slice_store<BT>(as, an, am);
        slice_store<BT>(bs, bn, bm);
        __syncthreads();
        if (k0 + KT < depth) {
            slice_load(an, a, ai, ak, m, depth, i0, k0 + KT, am);
            slice_load(bn, b, bj, bk, n, depth, j0, k0 + KT, bm);
        }
        for (int k = 0; k < KT; k++) {
            real av[TT], bv[TT];
            for (int r = 0; r < TT; r++) {
                av[r] = as[k][ty + r * TILE];
                bv[r] = bs[k][tx + r * TILE];
            }
            for (int r = 0; r < TT; r++) {
                for (int c = 0; c < TT; c++) {
                    acc[r][c] += av[r] * bv[c];
                }
            }
        }
        __syncthreads();
    }
}

// forward_tiles: Z = X·Wᵀ + 1·bᵀ and A = f(Z) (A = Z for softmax) for rows
// examples: the rows×out product, by tiles of 16·TT; with a dropout mask M
// (rows×out, not null), A = f(Z) ⊙ M.
template <int TT>
__device__ void forward_tiles(real* __restrict__ z, real* __restrict__ a, const real* __restrict__ w,
                              const real* __restrict__ b, const real* __restrict__ x, int rows, int in, int out, int act,
                              const real* __restrict__ mask) {
    real acc[TT][TT];
    tile_product<TT>(acc, x, in, 1, w, 1, in, rows, out, in);
    for (int r = 0; r < TT; r++) {
        int row = blockIdx.y * TILE * TT + threadIdx.y + r * TILE;
        for (int c = 0; c < TT; c++) {
            int i = blockIdx.x * TILE * TT + threadIdx.x + c * TILE;
            if (row < rows && i < out) {
                real v = acc[r][c] + b[i];
                size_t at = (size_t)row * out + i;
                z[at] = v;
                real f = act == ACT_SOFTMAX ? v : activate(act, v);
                a[at] = mask ? f * mask[at] : f;
            }
        }
    }
}

// backward_data_tiles: dA_prev = dZ·W, the rows×in product, by tiles of 16·TT.
template <int TT>
__device__ void backward_data_tiles(real* __restrict__ da_prev, const real* __restrict__ dz, const real* __restrict__ w,
                                    int rows, int in, int out) {
    real acc[TT][TT];
    tile_product<TT>(acc, dz, out, 1, w, in, 1, rows, in, out);
    for (int r = 0; r < TT; r++) {
        int row = blockIdx.y * TILE * TT + threadIdx.y + r * TILE;
        for (int c = 0; c < TT; c++) {
            int j = blockIdx.x * TILE * TT + threadIdx.x + c * TILE;
            if (row < rows && j < in) {
                da_prev[(size_t)row * in + j] = acc[r][c];
            }
        }
    }
}

// weight_tiles: the out×in product P = dZᵀ·X over the rows, by tiles of
// 16·TT, applied as the update W -= (lr/rows)·P (UPDATE) or written as the
// gradient W = (lr/rows)·P, lr being 1.
template <int TT, bool UPDATE>
__device__ void weight_tiles(real* __restrict__ w, const real* __restrict__ dz, const real* __restrict__ x, real lr,
                             int rows, int in, int out) {
    real acc[TT][TT];
    tile_product<TT>(acc, dz, 1, out, x, in, 1, out, in, rows);
    real step = lr / (real)rows;
    for (int r = 0; r < TT; r++) {
        int i = blockIdx.y * TILE * TT + threadIdx.y + r * TILE;
        for (int c = 0; c < TT; c++) {
            int j = blockIdx.x * TILE * TT + threadIdx.x + c * TILE;
            if (i < out && j < in) {
                if (UPDATE) {
                    w[(size_t)i * in + j] += -step * acc[r][c];
                } else {
                    w[(size_t)i * in + j] = step * acc[r][c];
                }
            }
        }
    }
}

// step_lr returns the learning rate of the batch step at position *cursor.
__device__ __forceinline__ real step_lr(const opt_rates* rates, const int* cursor, int batch) {
    return (real)rates[*cursor / batch].lr;
}

// dense_forward_batch: forward_tiles with 64×64 tiles. CPU twin:
// cpu.DenseForwardBatch.
KERNEL(dense_forward_batch)(real* __restrict__ z, real* __restrict__ a, const real* __restrict__ w,
                            const real* __restrict__ b, const real* __restrict__ x, int rows, int in, int out,
                            int act) {
    forward_tiles<4>(z, a, w, b, x, rows, in, out, act, nullptr);
}

// dense_forward_batch_small: forward_tiles with 16×16 tiles. CPU twin:
// cpu.DenseForwardBatch.
KERNEL(dense_forward_batch_small)(real* __restrict__ z, real* __restrict__ a, const real* __restrict__ w,
                                  const real* __restrict__ b, const real* __restrict__ x, int rows, int in, int out,
                                  int act) {
    forward_tiles<1>(z, a, w, b, x, rows, in, out, act, nullptr);
}

// dense_forward_dropout_batch: forward_tiles with 64×64 tiles and the
// rows' dropout mask (0 or 1/(1−p) per output): A = f(Z) ⊙ M. CPU twin:
// cpu.DenseForwardBatch, then the mask's product (the cpu trainer's
// dropouts.apply).
KERNEL(dense_forward_dropout_batch)(real* __restrict__ z, real* __restrict__ a, const real* __restrict__ w,
                                    const real* __restrict__ b, const real* __restrict__ x,
                                    const real* __restrict__ mask, int rows, int in, int out, int act) {
    forward_tiles<4>(z, a, w, b, x, rows, in, out, act, mask);
}

// dense_forward_dropout_batch_small: dense_forward_dropout_batch with 16×16
// tiles. CPU twin: cpu.DenseForwardBatch, then the mask's product.
KERNEL(dense_forward_dropout_batch_small)(real* __restrict__ z, real* __restrict__ a, const real* __restrict__ w,
                                          const real* __restrict__ b, const real* __restrict__ x,
                                          const real* __restrict__ mask, int rows, int in, int out, int act) {
    forward_tiles<1>(z, a, w, b, x, rows, in, out, act, mask);
}

// dense_backward_data_batch: backward_data_tiles with 64×64 tiles. CPU
// twin: the da_prev of cpu.DenseBackwardBatch.
KERNEL(dense_backward_data_batch)(real* __restrict__ da_prev, const real* __restrict__ dz,
                                  const real* __restrict__ w, int rows, int in, int out) {
    backward_data_tiles<4>(da_prev, dz, w, rows, in, out);
}

// dense_backward_data_batch_small: backward_data_tiles with 16×16 tiles.
// CPU twin: the da_prev of cpu.DenseBackwardBatch.
KERNEL(dense_backward_data_batch_small)(real* __restrict__ da_prev, const real* __restrict__ dz,
                                        const real* __restrict__ w, int rows, int in, int out) {
    backward_data_tiles<1>(da_prev, dz, w, rows, in, out);
}

// dense_update_batch: W -= (lr/rows)·dZᵀ·X with 64×64 tiles, lr being the
// step's (plain SGD). CPU twin: the weight update of cpu.DenseBackwardBatch.
KERNEL(dense_update_batch)(real* __restrict__ w, const real* __restrict__ dz, const real* __restrict__ x,
                           const opt_rates* __restrict__ rates, const int* __restrict__ cursor, int batch, int rows,
                           int in, int out) {
    weight_tiles<4, true>(w, dz, x, step_lr(rates, cursor, batch), rows, in, out);
}

// dense_update_batch_small: dense_update_batch with 16×16 tiles. CPU twin:
// the weight update of cpu.DenseBackwardBatch.
KERNEL(dense_update_batch_small)(real* __restrict__ w, const real* __restrict__ dz, const real* __restrict__ x,
                                 const opt_rates* __restrict__ rates, const int* __restrict__ cursor, int batch,
                                 int rows, int in, int out) {
    weight_tiles<1, true>(w, dz, x, step_lr(rates, cursor, batch), rows, in, out);
}

// dense_gradient_batch: gW = (1/rows)·dZᵀ·X with 64×64 tiles. CPU twin:
// the gW of cpu.DenseGradientBatch.
KERNEL(dense_gradient_batch)(real* __restrict__ gw, const real* __restrict__ dz, const real* __restrict__ x, int rows,
                             int in, int out) {
    weight_tiles<4, false>(gw, dz, x, 1, rows, in, out);
}

// dense_gradient_batch_small: dense_gradient_batch with 16×16 tiles. CPU
// twin: the gW of cpu.DenseGradientBatch.
KERNEL(dense_gradient_batch_small)(real* __restrict__ gw, const real* __restrict__ dz, const real* __restrict__ x,
                                   int rows, int in, int out) {
    weight_tiles<1, false>(gw, dz, x, 1, rows, in, out);
}

// column_sum returns Σ_r dZ[r·out + i], the rows added in order.
__device__ __forceinline__ real column_sum(const real* __restrict__ dz, int rows, int out, int i) {
    real sum = 0;
    for (int r = 0; r < rows; r++) {
        sum += dz[(size_t)r * out + i];
    }
    return sum;
}

// bias_update_batch: b -= (lr/rows)·Σ_r dZ_r, lr being the step's (plain
// SGD), one thread per unit summing the rows in order. CPU twin: the bias
// update of cpu.DenseBackwardBatch.
KERNEL(bias_update_batch)(real* __restrict__ b, const real* __restrict__ dz, const opt_rates* __restrict__ rates,
                          const int* __restrict__ cursor, int batch, int rows, int out) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < out) {
        real step = step_lr(rates, cursor, batch) / (real)rows;
        b[i] -= step * column_sum(dz, rows, out, i);
    }
}

// bias_gradient_batch: gb = (1/rows)·Σ_r dZ_r, one thread per unit summing
// the rows in order. CPU twin: the gb of cpu.DenseGradientBatch.
KERNEL(bias_gradient_batch)(real* __restrict__ gb, const real* __restrict__ dz, int rows, int out) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < out) {
        gb[i] = (1 / (real)rows) * column_sum(dz, rows, out, i);
    }
}
