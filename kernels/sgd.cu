// Per-example SGD, a run of consecutive steps in one launch.
//
// The course's step for an example x with target y, through layers 1..L:
//
//     forward:   z_l = W_l·a_{l-1} + b_l,  a_l = f_l(z_l)            (a_0 = x)
//     output:    dz_L from the loss (output_row)
//     backward:  dz_{l-1} = (W_lᵀ·dz_l) ⊙ f'_{l-1}(z_{l-1})          (with W_l as it was)
//     update:    W_l -= lr·dz_l·a_{l-1}ᵀ,  b_l -= lr·dz_l
//
// sgd_steps runs it for the examples at positions from..to-1 of the epoch's
// order, the blocks of the grid meeting at grid barriers between phases, so
// that a whole run costs one launch and no host round trip. Each step's
// update is deferred to the next step's forward pass: the warp that computes
// unit u of layer l first applies the previous example's update to row u of
// W_l (which needs that example's a_{l-1}: each layer keeps two rows of
// activations, by the parity of the step), then takes the dot product with
// the new input. The backward pass therefore reads W_l as it was, as the
// course's da_prev does, and each step makes one pass over the weights
// instead of two. The last step's update is applied before the kernel ends.
//
// Phases and barriers per step: one per layer forward; every block then
// computes the output gradient itself (it is small) and the backward pass of
// layer L from its own copy; one barrier per hidden layer backward. Each
// weight is written by one thread and every sum runs in a fixed order, so
// runs are deterministic. The grid must be resident at once (the host sizes
// it by the occupancy); a barrier that waits longer than BARRIER_TIMEOUT
// sets *status and the kernel ends, rather than hang on a GPU shared with
// other work. The host launches it cooperatively where the GPU can, so that
// the driver refuses a grid that cannot be resident at once.
//
// CPU twin: the CPU backend's per-example step, cpu.DenseForward and
// cpu.DenseBackward with engine.OutputGrad and engine.Delta.
#include "rows.cuh"

#define WARP 32

// UNROLL is how many of a lane's weights a forward pass loads at once.
#define UNROLL 4

// STAGE is the most outputs whose gradient a block computes in shared
// memory; wider output layers use the block's scratch in global memory.
#define STAGE 128

// BARRIER_TIMEOUT_NS is how long a block waits at a barrier, in nanoseconds
// of %globaltimer.
#define BARRIER_TIMEOUT_NS 5000000000ULL

// sgd_layer describes a layer on the device, as the host writes it.
struct sgd_layer {
    real *w, *b, *z;
    real* a;    // two rows of out activations, by the parity of the step
    real* grad; // dz of the last step, whose update is pending
    long long in, out, act;
};
static_assert(sizeof(sgd_layer) == 64, "sgd_layer: eight 8-byte words, as gpu/kernels_gen.go writes it");

// grid_sync waits until every block of the grid has reached it as often as
// this one: count rises by one per block and barrier (the host zeroes it
// before the launch), and *target, kept by thread 0, is where it stands after
// this barrier. It returns false, in every thread of the block, when a block
// timed out.
__device__ bool grid_sync(unsigned* count, unsigned* target, int* status) {
    __shared__ int ok;
    __syncthreads();
    if (threadIdx.x == 0) {
        if (gridDim.x > 1) {
            *target += gridDim.x;
            __threadfence();
            atomicAdd(count, 1);
            unsigned long long start = globaltimer();
            while (*(volatile unsigned*)count < *target && *(volatile int*)status == 0) {
                if (globaltimer() - start > BARRIER_TIMEOUT_NS) {
                    *(volatile int*)status = 1;
                }
                __nanosleep(32);
            }
            __threadfence();
        }
        ok = *(volatile int*)status == 0;
    }
    __syncthreads();
    return ok;
}

// forward_layer: the previous step's pending update of layer L (when
// pending), then z = W·in + b and a = f(z) (a = z for softmax) into a_out;
// in_prev is the layer's input at the previous step. One warp per unit.
//
// L is a copy: through a reference into global memory the compiler would
// reload its fields after every store to the row. Each lane takes UNROLL
// strides of the row at once, all loads before the arithmetic, in a main
// loop without bounds checks and a tail with them.
__device__ void forward_layer(const sgd_layer L, const real* in, const real* in_prev, real* a_out, real lr,
                              bool pending) {
    const int lane = threadIdx.x % WARP, n = (int)L.in;
    const int warps = gridDim.x * blockDim.x / WARP;
    const int main_end = n - (n % (UNROLL * WARP));
    for (int u = (blockIdx.x * blockDim.x + threadIdx.x) / WARP; u < L.out; u += warps) {
        real* row = L.w + (size_t)u * n;
        real g = pending ? L.grad[u] : (real)0;
        real acc = 0;
        if (g != 0) {
            real alpha = -lr * g;
            for (int j0 = lane; j0 < main_end; j0 += UNROLL * WARP) {
                real w[UNROLL], xp[UNROLL], xi[UNROLL];
#pragma unroll
                for (int q = 0; q < UNROLL; q++) {
                    w[q] = row[j0 + q * WARP];
                    xp[q] = in_prev[j0 + q * WARP];
                    xi[q] = in[j0 + q * WARP];
                }
#pragma unroll
                for (int q = 0; q < UNROLL; q++) {
                    real v = w[q] + alpha * xp[q];
                    row[j0 + q * WARP] = v;
                    acc += v * xi[q];
                }
            }
            for (int j = main_end + lane; j < n; j += WARP) {
                real v = row[j] + alpha * in_prev[j];
                row[j] = v;
                acc += v * in[j];
            }
        } else {
            for (int j0 = lane; j0 < main_end; j0 += UNROLL * WARP) {
                real w[UNROLL], xi[UNROLL];
#pragma unroll
                for (int q = 0; q < UNROLL; q++) {
                    w[q] = row[j0 + q * WARP];
                    xi[q] = in[j0 + q * WARP];
                }
#pragma unroll
                for (int q = 0; q < UNROLL; q++) {
                    acc += w[q] * xi[q];
                }
            }
            for (int j = main_end + lane; j < n; j += WARP) {
                acc += row[j] * in[j];
            }
        }
        for (int offset = WARP / 2; offset > 0; offset /= 2) {
            acc += __shfl_down_sync(0xffffffff, acc, offset);
        }
        if (lane == 0) {
            real bias = L.b[u];
            if (g != 0) {
                bias -= lr * g;
                L.b[u] = bias;
            }
            real v = acc + bias;
            L.z[u] = v;
            a_out[u] = L.act == ACT_SOFTMAX ? v : activate(L.act, v);
        }
    }
}

// backward_layer: prev.grad = (Wᵀ·dz) ⊙ f'(prev.z), with prev_a the previous
// layer's activations at this step. One thread per input, summing the units
// in order.
__device__ void backward_layer(const sgd_layer& L, const real* dz, const sgd_layer& prev, const real* prev_a) {
    int threads = gridDim.x * blockDim.x;
    for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < L.in; j += threads) {
        real acc = 0;
#pragma unroll 4
        for (int i = 0; i < L.out; i++) {
            acc += L.w[(size_t)i * L.in + j] * dz[i];
        }
        prev.grad[j] = acc * act_grad(prev.act, prev.z[j], prev_a[j]);
    }
}

// apply_update: W -= lr·grad·inᵀ and b -= lr·grad, one thread per weight.
__device__ void apply_update(const sgd_layer& L, const real* in, real lr) {
    size_t threads = (size_t)gridDim.x * blockDim.x;
    size_t first = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (size_t i = first; i < (size_t)L.out * L.in; i += threads) {
        real g = L.grad[i / L.in];
        if (g != 0) {
            L.w[i] += -lr * g * in[i % L.in];
        }
    }
    for (size_t u = first; u < (size_t)L.out; u += threads) {
        real g = L.grad[u];
        if (g != 0) {
            L.b[u] -= lr * g;
        }
    }
}

// sgd_steps: per-example SGD on the examples at positions from..to-1 of
// order; the loss and correctness of the example at position s go to loss[s]
// and correct[s]. scratch holds 2·K values per block (K outputs) where K >
// STAGE; barrier is
// zero at the launch; *status becomes 1 if a barrier times out.
KERNEL(sgd_steps)(sgd_layer* layers, int nlayers, const real* __restrict__ x, const real* __restrict__ y,
                  const int* __restrict__ order, int from, int to, double* __restrict__ loss,
                  int* __restrict__ correct, int loss_kind, real lr, real* __restrict__ scratch,
                  unsigned* barrier, int* status) {
    const sgd_layer& out = layers[nlayers - 1];
    int k = (int)out.out;
    real* my_a = scratch + (size_t)blockIdx.x * 2 * k;
    real* my_dz = my_a + k;
    __shared__ real stage_z[STAGE], stage_a[STAGE], stage_y[STAGE], stage_dz[STAGE];
    unsigned target = 0;
    const real* x_prev = nullptr;
    for (int s = from; s < to; s++) {
        int cur = (s - from) & 1;
        const real* xs = x + (size_t)order[s] * layers[0].in;
        const real *in = xs, *in_prev = x_prev;
        for (int l = 0; l < nlayers; l++) {
            const sgd_layer L = layers[l];
            forward_layer(L, in, in_prev, L.a + cur * L.out, lr, s > from);
            if (!grid_sync(barrier, &target, status)) {
                return;
            }
            in = L.a + cur * L.out;
            in_prev = L.a + (1 - cur) * L.out;
        }
        // The output gradient, computed by thread 0 of every block from
        // values the block's threads first load together.
        const real* yr = y + (size_t)order[s] * k;
        const real *z = out.z, *a = out.a + cur * k, *t = yr;
        real *a_out = my_a, *dz = my_dz;
        if (k <= STAGE) {
            for (int i = threadIdx.x; i < k; i += blockDim.x) {
                stage_z[i] = z[i];
                stage_a[i] = a[i];
                stage_y[i] = yr[i];
            }
            __syncthreads();
            z = stage_z;
            a = a_out = stage_a;
            t = stage_y;
            dz = stage_dz;
        }
        if (threadIdx.x == 0) {
            if (out.act == ACT_SOFTMAX) {
                softmax_row(a_out, z, k);
                a = a_out;
            }
            int ok;
            double l = output_row(dz, &ok, z, a, t, k, loss_kind, (int)out.act);
            if (blockIdx.x == 0) {
                loss[s] = l;
                correct[s] = ok;
            }
        }
        __syncthreads();
        if (blockIdx.x == 0) {
            for (int i = threadIdx.x; i < k; i += blockDim.x) {
                out.grad[i] = dz[i];
            }
        }
        for (int l = nlayers - 1; l > 0; l--) {
            const sgd_layer& L = layers[l];
            const sgd_layer& P = layers[l - 1];
            backward_layer(L, l == nlayers - 1 ? dz : L.grad, P, P.a + cur * P.out);
            if (!grid_sync(barrier, &target, status)) {
                return;
            }
        }
        if (nlayers == 1 && !grid_sync(barrier, &target, status)) {
            return;
        }
        x_prev = xs;
    }
    if (to > from) {
        int last = (to - 1 - from) & 1;
        const real* in = x_prev;
        for (int l = 0; l < nlayers; l++) {
            apply_update(layers[l], in, lr);
            in = layers[l].a + last * layers[l].out;
        }
    }
}
