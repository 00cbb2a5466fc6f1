// Per-example SGD, a run of consecutive steps in one launch.
//
// The course's step for an example x with target y, through layers 1..L:
//
//     forward:   z_l = W_l·a_{l-1} + b_l,  a_l = f_l(z_l)            (a_0 = x)
//     output:    dz_L from the loss (output_row_warp), times the example's weight
//     backward:  dz_{l-1} = (W_lᵀ·dz_l) ⊙ f'_{l-1}(z_{l-1})          (with W_l as it was)
//     update:    W_l -= lr·dz_l·a_{l-1}ᵀ,  b_l -= lr·dz_l
//
// or, with an optimizer that keeps state or decays the weights, its step
// (optim.cuh) on every parameter given the gradients gW_l = dz_l·a_{l-1}ᵀ
// and gb_l = dz_l, each step at its own learning rate and bias corrections
// (rates[s] for the example at position s). Plain SGD changes only the rows
// whose dz is not 0, and skips the others; another optimizer changes every
// parameter every step.
//
// sgd_steps runs it for the examples at positions from..to-1 of the epoch's
// order, so that a whole run costs one launch and no host round trip. The
// layers are of two kinds, which the host chooses (sgd_plan):
//
//   - The first nd layers are distributed: each block owns a contiguous
//     range of a layer's units, and a team of its warps takes each unit. The
//     blocks meet at a grid barrier after each distributed layer's forward
//     pass. A step's update of a distributed layer is deferred to the next
//     step's forward pass: the team that computes unit u first applies the
//     last example's update to row u of W (which needs that example's input:
//     each layer keeps two rows of activations, by the parity of the step),
//     then takes the dot product with the new input. The backward pass
//     therefore reads W as it was, as the course's da_prev does, and each
//     step makes one pass over the large weights instead of two. With an
//     optimizer's state, the same pass reads and writes the state of the
//     row too (buf, or m and v).
//   - The other, small, layers are private: every block keeps its own copy
//     of their parameters (and of the optimizer's state of them) in its
//     region (shared memory when it fits) and runs their forward pass, the
//     output gradient (one warp), their backward pass and their update
//     itself, identically in every block, so that no barrier is needed
//     between them. The backward pass into the
//     last distributed layer gives each block the gradient of the units it
//     owns, which is all that its next forward pass needs.
//
// Grid barriers per step: nd for the forward passes and one per distributed
// layer below the first one whose gradient a block computes from its own
// copy (nd - 1 when there are private layers, nd - 2 when there are none):
// MNIST's 784-128-10 takes one, and a network whose layers are all private
// runs in one block with none. The first layer's input row is staged in
// shared memory by one block-wide load, and the next example's row is
// fetched into registers while a step runs.
//
// Each weight is written by one thread and every sum runs in a fixed order,
// so runs are deterministic and every block's private copy stays the same.
// The grid must be resident at once: the host launches it cooperatively,
// and a barrier that waits longer than the plan's timeout (in %globaltimer
// nanoseconds) sets *status and the kernel ends rather than hang.
//
// CPU twin: the CPU backend's per-example step, cpu.DenseForward and
// cpu.DenseBackward with engine.OutputGrad and engine.Delta (or, with an
// optimizer, cpu.DenseBackwardData, cpu.DenseGradient and engine.Update).
#include "optim.cuh"
#include "rows.cuh"

#define WARP 32

// UNROLL is how many of a lane's weights a distributed forward pass loads at
// once: all of them, for MNIST's 784 inputs over a team of 4 warps;
// OPT_UNROLL, the same with an optimizer's state, which loads up to five
// values a weight.
#define UNROLL 8
#define OPT_UNROLL 4

// PREFETCH is how many values of the next input row a thread holds: rows of
// up to PREFETCH·blockDim values are staged.
#define PREFETCH 4

// sgd_layer describes a layer, as the host writes it.
struct sgd_layer {
    real *w, *b;   // W (out×in) and b, which follows it: out·in + out parameters
    real *z, *a;   // two rows of out values each, by the parity of the step (distributed layers)
    real* grad;    // dz of the last step, whose update is pending (distributed layers)
    real *s0, *s1; // the optimizer's state slots of the parameters, laid out as they are, where it keeps them
    long long in, out, act;
    long long priv; // a private layer: the offset in bytes of its copy in the block's region; -1: distributed
};
static_assert(sizeof(sgd_layer) == 88, "sgd_layer: eleven 8-byte words, as gpu/kernels_gen.go writes it");

// sgd_plan is how sgd_steps runs a network, as the host chooses it. Offsets
// are in bytes within the block's region, which is its dynamic shared
// memory, or scratch + blockIdx.x·region_bytes where that would not fit.
struct sgd_plan {
    sgd_layer* layers;
    long long nlayers, nd;        // the layers, and how many of the first are distributed
    long long region_bytes, in_shared;
    long long descs;              // the layers' descriptors, copied from layers at the launch's start
    long long x_stage;            // two rows of the first layer's input, by parity; -1: not staged
    long long input_stage;        // the first private layer's input, when 0 < nd < nlayers
    long long out_stage;          // the output's z, a and dz (3·k values), when nd == nlayers
    long long y_stage;            // the target row (k values)
    long long red, red_reals;     // the reduction scratch: at least blockDim values
    long long timeout_ns;         // how long a block waits at a grid barrier
};
static_assert(sizeof(sgd_plan) == 104, "sgd_plan: thirteen 8-byte words, as gpu/kernels_gen.go writes it");

// POLLS is how many times a block polls the barrier word between looks at
// the status word and the timer (and a short sleep).
#define POLLS 64

// grid_sync waits until every block of the grid has reached it as often as
// this one. The barrier word resets itself, as cooperative groups' grid
// barrier does: each block adds 1 to it, block 0 adds 0x80000000 − (blocks
// − 1), so that once every block has arrived its top bit has flipped and its
// other bits are back where they were, and no launch needs it zeroed. Thread
// 0 arrives with a release and polls the one word with acquire loads, and
// every POLLS polls looks at the status word and the timer: past timeout_ns
// it sets *status and returns false, in every thread of the block, as it
// does when another block has set it.
__device__ bool grid_sync(unsigned* barrier, int* status, unsigned long long timeout_ns) {
    __shared__ int ok;
    __syncthreads();
    if (threadIdx.x == 0) {
        EMU_GRID_BARRIER();
        int fine = 1;
        if (gridDim.x > 1) {
            const unsigned add = blockIdx.x == 0 ? 0x80000000u - (gridDim.x - 1) : 1u;
            const unsigned old = atomic_add_release(barrier, add);
            const unsigned long long start = globaltimer();
            for (unsigned polls = 1; ((old ^ load_acquire(barrier)) & 0x80000000u) == 0; polls++) {
                if (polls % POLLS == 0) {
                    if (*(volatile int*)status != 0) {
                        fine = 0;
                        break;
                    }
                    if (globaltimer() - start > timeout_ns) {
                        *(volatile int*)status = 1;
                        fine = 0;
                        break;
                    }
                    __nanosleep(32);
                }
            }
        }
        ok = fine;
    }
    __syncthreads();
    return ok;
}

// own_units sets [u0, u1) to the units of a distributed layer of out units
// that this block owns.
__device__ __forceinline__ void own_units(long long out, int& u0, int& u1) {
    u0 = (int)(out * blockIdx.x / gridDim.x);
    u1 = (int)(out * (blockIdx.x + 1) / gridDim.x);
}

// How dist_batch updates a row before its dot product: not at all, by
// plain SGD (w += α·in_prev, α = −lr·g, where α is not 0), or by the
// optimizer's step on the gradient g·in_prev.
#define DOT 0
#define DOT_SGD 1
#define DOT_OPT 2

// dist_batch adds to acc a lane's products w_j·in_j of U strides of a row
// from j0 (those within its n values when TAIL), after the pending update
// of each weight that MODE says: all loads before the arithmetic, so that
// they cost one round trip, and none waits for a (so that a row's loads
// are issued with those of its gradient and bias). s0 and s1 are the row's
// state slots; a is α for DOT_SGD and g for DOT_OPT.
template <int MODE, int U, bool TAIL>
__device__ __forceinline__ void dist_batch(real& acc, real* row, real* s0, real* s1, const real* in,
                                           const real* in_prev, int n, int j0, int stride, real a, const opt_step& o) {
    real w[U] = {}, xi[U] = {}, xp[U] = {}, m[U] = {}, v[U] = {};
#pragma unroll
    for (int q = 0; q < U; q++) {
        const int j = j0 + q * stride;
        if (!TAIL || j < n) {
            w[q] = row[j];
            xi[q] = in[j];
            if (MODE != DOT) {
                xp[q] = in_prev[j];
            }
            if (MODE == DOT_OPT && o.slots > 0) {
                m[q] = s0[j];
            }
            if (MODE == DOT_OPT && o.slots > 1) {
                v[q] = s1[j];
            }
        }
    }
#pragma unroll
    for (int q = 0; q < U; q++) {
        const int j = j0 + q * stride;
        if (!TAIL || j < n) {
            if (MODE == DOT_SGD && a != 0) {
                w[q] = w[q] + a * xp[q];
                row[j] = w[q];
            } else if (MODE == DOT_OPT) {
                w[q] = opt_apply(o, w[q], a * xp[q], m[q], v[q]);
                row[j] = w[q];
                if (o.slots > 0) {
                    s0[j] = m[q];
                }
                if (o.slots > 1) {
                    s1[j] = v[q];
                }
            }
            acc += w[q] * xi[q];
        }
    }
}

// dist_dot returns a lane's part of the dot product of a row of n values
// with in, over the strides from first, after the row's pending update
// (MODE): U strides at once in a main loop without bounds checks, then one
// last batch with them.
template <int MODE, int U>
__device__ __forceinline__ real dist_dot(real* row, real* s0, real* s1, const real* in, const real* in_prev, int n,
                                         int first, int stride, real a, const opt_step& o) {
    real acc = 0;
    int j0 = first;
    for (; j0 + (U - 1) * stride < n; j0 += U * stride) {
        dist_batch<MODE, U, false>(acc, row, s0, s1, in, in_prev, n, j0, stride, a, o);
    }
    dist_batch<MODE, U, true>(acc, row, s0, s1, in, in_prev, n, j0, stride, a, o);
    return acc;
}

// forward_dist: for each unit u of distributed layer L that this block owns,
// the pending update of row u (when pending: the last step's, whose
// coefficients are o), then z_u = W_u·in + b_u and a_u = f(z_u) (a_u = z_u
// for softmax) into the rows of parity cur; in_prev is the layer's input at
// the previous step. A team of T warps takes each unit, T as large as the
// block's warps allow, each lane UNROLL strides of the row at once
// (dist_dot); a team's partial sums meet in red and are added in the order
// of its warps. Every thread of the block calls it.
__device__ void forward_dist(const sgd_layer L, const real* in, const real* in_prev, int cur, const opt_step& o,
                             bool plain, bool pending, real* red) {
    int u0, u1;
    own_units(L.out, u0, u1);
    const int units = u1 - u0, warps = blockDim.x / WARP, warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
    int T = 1;
    while (2 * T <= warps && units * 2 * T <= warps) {
        T *= 2;
    }
    const int teams = warps / T, team = warp / T, wt = warp % T;
    const int n = (int)L.in, stride = WARP * T, first = wt * WARP + lane;
    const size_t params = (size_t)L.out * n;
    for (int r = 0; r * teams < units; r++) {
        const int k = r * teams + team, u = u0 + k;
        const bool active = k < units, lead = active && wt == 0 && lane == 0;
        // The unit's gradient and bias load with its row, none waiting for another.
        const real g = active && pending ? L.grad[u] : (real)0;
        const real bias = lead && plain ? L.b[u] : (real)0;
        real acc = 0;
        if (active) {
            const size_t at = (size_t)u * n;
            real* row = L.w + at;
            if (pending && !plain) {
                acc = dist_dot<DOT_OPT, OPT_UNROLL>(row, L.s0 + at, L.s1 + at, in, in_prev, n, first, stride, g, o);
            } else if (pending) {
                acc = dist_dot<DOT_SGD, UNROLL>(row, nullptr, nullptr, in, in_prev, n, first, stride, -o.lr * g, o);
            } else {
                acc = dist_dot<DOT, UNROLL>(row, nullptr, nullptr, in, in_prev, n, first, stride, 0, o);
            }
            for (int offset = WARP / 2; offset > 0; offset /= 2) {
                acc += __shfl_down_sync(FULL_MASK, acc, offset);
            }
        }
        if (T > 1) {
            if (lane == 0) {
                red[warp] = acc;
            }
            __syncthreads();
            acc = red[team * T];
            for (int q = 1; q < T; q++) {
                acc += red[team * T + q];
            }
        }
        if (lead) {
            real b;
            if (!plain) {
                if (pending) {
                    opt_param(o, L.w, L.s0, L.s1, params + u, g);
                }
                b = L.b[u];
            } else {
                b = g != 0 ? bias - o.lr * g : bias;
                if (g != 0) {
                    L.b[u] = b;
                }
            }
            real v = acc + b;
            L.z[cur * L.out + u] = v;
            L.a[cur * L.out + u] = L.act == ACT_SOFTMAX ? v : activate((int)L.act, v);
        }
        if (T > 1) {
            __syncthreads();
        }
    }
}

// col_dot: for the n columns j0..j0+n-1 of the rows×ld matrix w,
// out[c] = (Σ_i w[i·ld + j0 + c]·d[i]) · f'(z[c]) (with a[c] = f(z[c])), the
// sum over i split into parts across the block's threads, a thread per
// column and part, and the parts added in order. scratch holds at least
// blockDim values. Every thread of the block calls it.
__device__ void col_dot(real* out, const real* w, long long ld, const real* d, int rows, int j0, int n, real* scratch,
                        const real* z, const real* a, int act) {
    for (int c0 = 0; c0 < n; c0 += blockDim.x) {
        const int cols = min(n - c0, (int)blockDim.x);
        const int parts = max(1, min(rows, (int)blockDim.x / cols));
        const int t = threadIdx.x, c = t % cols, p = t / cols;
        if (p < parts) {
            real acc = 0;
            for (int i = p; i < rows; i += parts) {
                acc += w[(size_t)i * ld + j0 + c0 + c] * d[i];
            }
            scratch[p * cols + c] = acc;
        }
        __syncthreads();
        if (t < cols) {
            real s = scratch[c];
            for (int q = 1; q < parts; q++) {
                s += scratch[q * cols + c];
            }
            out[c0 + c] = s * act_grad(act, z[c0 + c], a[c0 + c]);
        }
        __syncthreads();
    }
}

// priv_layer is a private layer's copy in the block's region: W (out×in),
// then b, z, a and dz (out values each), then the optimizer's state slots
// s0 and s1 (out·in + out values each) where it keeps them.
struct priv_layer {
    real *w, *b, *z, *a, *dz, *s0, *s1;
    int in, out, act;
};

__device__ __forceinline__ priv_layer private_of(const sgd_layer& L, char* region) {
    priv_layer p;
    p.in = (int)L.in;
    p.out = (int)L.out;
    p.act = (int)L.act;
    p.w = (real*)(region + L.priv);
    p.b = p.w + (size_t)p.out * p.in;
    p.z = p.b + p.out;
    p.a = p.z + p.out;
    p.dz = p.a + p.out;
    p.s0 = p.dz + p.out;
    p.s1 = p.s0 + (size_t)p.out * p.in + p.out;
    return p;
}

// forward_private: z = W·in + b and a = f(z) (a = z for softmax) on the
// block's copy of a private layer: a thread per unit for inputs of up to a
// warp's width, a warp per unit otherwise.
__device__ void forward_private(const priv_layer p, const real* in) {
    if (p.in <= WARP) {
        for (int u = threadIdx.x; u < p.out; u += blockDim.x) {
            real acc = 0;
            for (int j = 0; j < p.in; j++) {
                acc += p.w[u * p.in + j] * in[j];
            }
            real v = acc + p.b[u];
            p.z[u] = v;
            p.a[u] = p.act == ACT_SOFTMAX ? v : activate(p.act, v);
        }
    } else {
        const int lane = threadIdx.x % WARP, warps = blockDim.x / WARP;
        for (int u = threadIdx.x / WARP; u < p.out; u += warps) {
            real acc = 0;
            for (int j = lane; j < p.in; j += WARP) {
                acc += p.w[(size_t)u * p.in + j] * in[j];
            }
            for (int offset = WARP / 2; offset > 0; offset /= 2) {
                acc += __shfl_down_sync(FULL_MASK, acc, offset);
            }
            if (lane == 0) {
                real v = acc + p.b[u];
                p.z[u] = v;
                p.a[u] = p.act == ACT_SOFTMAX ? v : activate(p.act, v);
            }
        }
    }
    __syncthreads();
}

// update_private: the step's update of the block's copy of a private layer
// (plain SGD: W -= lr·dz·inᵀ and b -= lr·dz; otherwise the optimizer's
// step o on gW = dz·inᵀ and gb = dz).
__device__ void update_private(const priv_layer p, const real* in, const opt_step& o, bool plain) {
    const int params = p.out * p.in;
    for (int i = threadIdx.x; i < params; i += blockDim.x) {
        real g = p.dz[i / p.in];
        if (!plain) {
            opt_param(o, p.w, p.s0, p.s1, i, g * in[i % p.in]);
        } else if (g != 0) {
            p.w[i] += -o.lr * g * in[i % p.in];
        }
    }
    for (int u = threadIdx.x; u < p.out; u += blockDim.x) {
        real g = p.dz[u];
        if (!plain) {
            opt_param(o, p.w, p.s0, p.s1, params + u, g);
        } else if (g != 0) {
            p.b[u] -= o.lr * g;
        }
    }
}

// apply_pending: the last step's update of the rows of distributed layer L
// that this block owns, as forward_dist applies it: plain SGD's
// W_u -= lr·grad_u·inᵀ and b_u -= lr·grad_u, or the optimizer's step o.
__device__ void apply_pending(const sgd_layer L, const real* in, const opt_step& o, bool plain) {
    int u0, u1;
    own_units(L.out, u0, u1);
    const int n = (int)L.in;
    const size_t params = (size_t)L.out * n;
    for (size_t i = threadIdx.x; i < (size_t)(u1 - u0) * n; i += blockDim.x) {
        const int u = u0 + (int)(i / n);
        const size_t at = (size_t)u * n + i % n;
        real g = L.grad[u];
        if (!plain) {
            opt_param(o, L.w, L.s0, L.s1, at, g * in[i % n]);
        } else if (g != 0) {
            L.w[at] = L.w[at] + -o.lr * g * in[i % n];
        }
    }
    for (int u = u0 + threadIdx.x; u < u1; u += blockDim.x) {
        real g = L.grad[u];
        if (!plain) {
            opt_param(o, L.w, L.s0, L.s1, params + u, g);
        } else if (g != 0) {
            L.b[u] -= o.lr * g;
        }
    }
}

// copy copies n values, every thread of the block a share.
__device__ __forceinline__ void copy(real* dst, const real* src, size_t n) {
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) {
        dst[i] = src[i];
    }
}

// copy_words copies n 8-byte words, every thread of the block a share.
__device__ __forceinline__ void copy_words(long long* dst, const long long* src, size_t n) {
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) {
        dst[i] = src[i];
    }
}

// copy_state copies the first slots of the state slots s0 and s1 of n
// parameters into d0 and d1.
__device__ __forceinline__ void copy_state(real* d0, real* d1, const real* s0, const real* s1, size_t n, int slots) {
    if (slots > 0) {
        copy(d0, s0, n);
    }
    if (slots > 1) {
        copy(d1, s1, n);
    }
}

// sgd_args are sgd_steps' arguments, as steps_in takes them.
struct sgd_args {
    const real *x, *y;
    const int* target;
    const double* weight;
    const int* order;
    int from, to;
    double* loss;
    int* correct;
    int loss_kind;
    const opt_rates* rates;
    unsigned* barrier;
    int* status;
};

// steps_in runs sgd_steps' steps with the block's region at region: its
// dynamic shared memory when SHARED, so that the compiler sees every
// pointer into the region as a shared one and reads it by shared-memory
// loads (LDS) rather than generic ones (LD). lead is whether the block is
// its fit's block 0, which writes the losses and the private layers back.
template <bool SHARED>
__device__ __forceinline__ void steps_in(char* region, const sgd_plan& P, const optimizer& O, const sgd_args& A, bool lead) {
    const bool plain = opt_plain(O);
    const int L = (int)P.nlayers, nd = (int)P.nd, from = A.from, to = A.to;
    // The layers' descriptors, in the region: read after each grid barrier,
    // which invalidates the L1 cache, they cost no trip to L2.
    sgd_layer* layers = (sgd_layer*)(region + P.descs);
    copy_words((long long*)layers, (const long long*)P.layers, (size_t)L * sizeof(sgd_layer) / sizeof(long long));
    __syncthreads();
    const int k = (int)layers[L - 1].out, in0 = (int)layers[0].in;
    const int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    real* red = (real*)(region + P.red);
    real* ty = (real*)(region + P.y_stage);
    real* xs = P.x_stage >= 0 ? (real*)(region + P.x_stage) : nullptr;
    real *oz, *oa, *odz;
    if (nd < L) {
        priv_layer o = private_of(layers[L - 1], region);
        oz = o.z, oa = o.a, odz = o.dz;
    } else {
        oz = (real*)(region + P.out_stage), oa = oz + k, odz = oa + k;
    }

    for (int l = nd; l < L; l++) {
        priv_layer p = private_of(layers[l], region);
        copy(p.w, layers[l].w, (size_t)p.out * p.in);
        copy(p.b, layers[l].b, p.out);
        copy_state(p.s0, p.s1, layers[l].s0, layers[l].s1, (size_t)p.out * p.in + p.out, (int)O.slots);
    }
    __syncthreads();
    // What a step reads besides the parameters is fetched ahead: the next
    // example's position in the data and its input row (into registers),
    // the next step's coefficients, and, at a step's start, its target,
    // class and weight, which the output gradient reads after the forward
    // pass.
    int row = from < to ? A.order[from] : 0;
    real next[PREFETCH];
    if (xs != nullptr && from < to) {
        const real* src = A.x + (size_t)row * in0;
        for (int q = 0; q < PREFETCH; q++) {
            int j = threadIdx.x + q * blockDim.x;
            next[q] = j < in0 ? src[j] : (real)0;
        }
    }
    opt_rates rates_prev{}, rates_cur{}, rates_next = from < to ? A.rates[from] : opt_rates{};
    const real* x_prev = nullptr;
    for (int s = from; s < to; s++) {
        const int cur = (s - from) & 1;
        const bool pending = s > from;
        const int row_next = s + 1 < to ? A.order[s + 1] : 0;
        rates_prev = rates_cur;
        rates_cur = rates_next;
        if (s + 1 < to) {
            rates_next = A.rates[s + 1];
        }
        const real y_own = (int)threadIdx.x < k ? A.y[(size_t)row * k + threadIdx.x] : (real)0;
        const int cls = A.target[row];
        const double weight = A.weight != nullptr ? A.weight[row] : 1;
        const real* xrow = A.x + (size_t)row * in0;
        const real *in = xrow, *in_prev = x_prev;
        if (xs != nullptr) {
            real* xr = xs + cur * in0;
            for (int q = 0; q < PREFETCH; q++) {
                int j = threadIdx.x + q * blockDim.x;
                if (j < in0) {
                    xr[j] = next[q];
                }
            }
            if (s + 1 < to) {
                const real* src = A.x + (size_t)row_next * in0;
                for (int q = 0; q < PREFETCH; q++) {
                    int j = threadIdx.x + q * blockDim.x;
                    next[q] = j < in0 ? src[j] : (real)0;
                }
            }
            __syncthreads();
            in = xr;
            in_prev = xs + (1 - cur) * in0;
        }

        // The distributed layers, a grid barrier after each; a staged input
        // is passed as the region's own pointers, which stay shared ones.
        for (int l = 0; l < nd; l++) {
            const sgd_layer D = layers[l];
            const opt_step o = opt_at(O, pending ? rates_prev : rates_cur);
            if (l == 0 && xs != nullptr) {
                forward_dist(D, xs + cur * in0, xs + (1 - cur) * in0, cur, o, plain, pending, red);
            } else {
                forward_dist(D, in, in_prev, cur, o, plain, pending, red);
            }
            if (!grid_sync(A.barrier, A.status, P.timeout_ns)) {
                return;
            }
            in = D.a + cur * D.out;
            in_prev = D.a + (1 - cur) * D.out;
        }

        // The private layers, on the block's own copies.
        if (nd > 0 && nd < L) {
            real* stage = (real*)(region + P.input_stage);
            copy(stage, in, layers[nd].in);
            in = stage;
            __syncthreads();
        }
        const real* priv_in = in;
        for (int l = nd; l < L; l++) {
            priv_layer p = private_of(layers[l], region);
            forward_private(p, in);
            in = p.a;
        }

        // The output gradient, by warp 0 of every block.
        const sgd_layer out = layers[L - 1];
        if (nd == L) {
            copy(oz, out.z + cur * k, k);
            copy(oa, out.a + cur * k, k);
        }
        if ((int)threadIdx.x < k) {
            ty[threadIdx.x] = y_own;
        }
        for (int i = threadIdx.x + blockDim.x; i < k; i += blockDim.x) {
            ty[i] = A.y[(size_t)row * k + i];
        }
        __syncthreads();
        if (warp == 0) {
            int ok;
            double l = output_row_warp(odz, &ok, oz, oa, ty, cls, k, A.loss_kind, (int)out.act, lane);
            if (A.weight != nullptr) {
                l = weigh_row(odz, l, weight, k, lane, WARP);
            }
            if (lead && lane == 0) {
                A.loss[s] = l;
                A.correct[s] = ok;
            }
        }
        __syncthreads();

        // Backward through the private layers, each block on its own copies,
        // into the units it owns of the last distributed layer.
        for (int l = L - 1; l >= nd; l--) {
            priv_layer p = private_of(layers[l], region);
            const real* p_in = priv_in;
            if (l > nd) {
                priv_layer q = private_of(layers[l - 1], region);
                col_dot(q.dz, p.w, p.in, p.dz, p.out, 0, p.in, red, q.z, q.a, q.act);
                p_in = q.a;
            } else if (nd > 0) {
                const sgd_layer D = layers[nd - 1];
                int u0, u1;
                own_units(D.out, u0, u1);
                const real *z = D.z + cur * D.out + u0, *a = D.a + cur * D.out + u0;
                col_dot(D.grad + u0, p.w, p.in, p.dz, p.out, u0, u1 - u0, red, z, a, (int)D.act);
            }
            update_private(p, p_in, opt_at(O, rates_cur), plain);
            __syncthreads();
        }
        int known = nd - 1; // the highest distributed layer whose own units' dz the block has
        if (nd == L) {
            int u0, u1;
            own_units(k, u0, u1);
            copy(out.grad + u0, odz + u0, u1 - u0);
            known = L - 1;
            if (L >= 2) {
                const sgd_layer D = layers[L - 2];
                own_units(D.out, u0, u1);
                const real *z = D.z + cur * D.out + u0, *a = D.a + cur * D.out + u0;
                col_dot(D.grad + u0, out.w, out.in, odz, k, u0, u1 - u0, red, z, a, (int)D.act);
                known = L - 2;
            }
            __syncthreads();
        }
        // Backward through the distributed layers below: each block's units
        // need the gradients of every block's units above.
        for (int l = known - 1; l >= 0; l--) {
            if (!grid_sync(A.barrier, A.status, P.timeout_ns)) {
                return;
            }
            const sgd_layer U = layers[l + 1], D = layers[l];
            int u0, u1;
            own_units(D.out, u0, u1);
            const real *z = D.z + cur * D.out + u0, *a = D.a + cur * D.out + u0;
            col_dot(D.grad + u0, U.w, U.in, U.grad, (int)U.out, u0, u1 - u0, red, z, a, (int)D.act);
        }
        x_prev = xrow;
        row = row_next;
    }

    // The last step's pending updates, once no block reads another's rows
    // (the backward pass reads distributed weights when there are two
    // distributed layers or more), and the private layers back to global
    // memory (every block's copy is the same).
    if (to > from && nd >= 2 && !grid_sync(A.barrier, A.status, P.timeout_ns)) {
        return;
    }
    if (to > from) {
        const int last = (to - 1 - from) & 1;
        const real* in = xs != nullptr ? xs + last * in0 : x_prev;
        for (int l = 0; l < nd; l++) {
            apply_pending(layers[l], in, opt_at(O, rates_cur), plain);
            in = layers[l].a + last * layers[l].out;
        }
        if (lead) {
            for (int l = nd; l < L; l++) {
                priv_layer p = private_of(layers[l], region);
                copy(layers[l].w, p.w, (size_t)p.out * p.in);
                copy(layers[l].b, p.b, p.out);
                copy_state(layers[l].s0, layers[l].s1, p.s0, p.s1, (size_t)p.out * p.in + p.out, (int)O.slots);
            }
        }
    }
}

// sgd_steps: per-example SGD, as plan says, on the examples at positions
// from..to-1 of order, by the optimizer *opt at the coefficients rates[s]
// for the example at position s; the loss and correctness of the example at
// position s go to loss[s] and correct[s]. target[i] is example i's class,
// the host's argmax of its target row (for one output, whether it is above
// 0.5), which correct compares with the output's. With weight not null,
// example i's output gradient and loss are scaled by weight[i] (weigh_row).
// barrier resets itself at every grid barrier (grid_sync), so that it need
// be zeroed only once; *status becomes 1 if a barrier times out, and a
// launch that finds it not 0 runs no step.
KERNEL(sgd_steps)(const sgd_plan* __restrict__ plan, const real* __restrict__ x, const real* __restrict__ y,
                  const int* __restrict__ target, const double* __restrict__ weight, const int* __restrict__ order,
                  int from, int to, double* __restrict__ loss, int* __restrict__ correct, int loss_kind,
                  const optimizer* __restrict__ opt, const opt_rates* __restrict__ rates, char* __restrict__ scratch,
                  unsigned* barrier, int* status) {
    DYNAMIC_SHARED(char, smem);
    __shared__ int stopped;
    if (threadIdx.x == 0) {
        stopped = *(volatile int*)status;
    }
    __syncthreads();
    if (stopped) {
        return;
    }
    const sgd_plan P = *plan;
    const optimizer O = *opt;
    const sgd_args A{x, y, target, weight, order, from, to, loss, correct, loss_kind, rates, barrier, status};
    if (P.in_shared) {
        steps_in<true>(smem, P, O, A, blockIdx.x == 0);
    } else {
        steps_in<false>(scratch + (size_t)blockIdx.x * P.region_bytes, P, O, A, blockIdx.x == 0);
    }
}

// sgd_fit is one fit of sgd_fits: sgd_steps' arguments but the range of
// positions, which every fit of a launch shares, and the barrier, scratch
// and status words, which a fit of one block in shared memory never uses.
struct sgd_fit {
    sgd_plan* plan;    // nd 0 (every layer private), in shared memory
    real* x;           // the fit's training inputs, targets and classes
    real* y;
    int* target;
    double* weight;    // each example's weight, or null
    int* order;        // the fit's epoch order
    double* loss;      // each position's loss and correctness
    int* correct;
    optimizer* opt;    // the fit's optimizer and its steps' coefficients
    opt_rates* rates;
    long long loss_kind;
};
static_assert(sizeof(sgd_fit) == 88, "sgd_fit: eleven 8-byte words, as gpu/kernels_gen.go writes it");

// sgd_fits: many fits' per-example steps in one launch, block b running
// fits[b] on the examples at positions from..to-1 of its order exactly as
// a launch of sgd_steps of one block would (the same steps_in), each
// block's dynamic shared memory at least its plan's region. Blocks share
// nothing: a fit whose loss becomes NaN leaves the others' bits as they
// were. A fit of one block in shared memory runs here too (a table of
// one), so that a fit trained alone and one trained beside others run the
// same code. CPU twin: N CPU fits (gpu's parity tests).
KERNEL(sgd_fits)(const sgd_fit* __restrict__ fits, int from, int to) {
    DYNAMIC_SHARED(char, smem);
    const sgd_fit F = fits[blockIdx.x];
    const sgd_plan P = *F.plan;
    const optimizer O = *F.opt;
    const sgd_args A{F.x, F.y, F.target, F.weight, F.order, from, to, F.loss, F.correct, (int)F.loss_kind, F.rates, nullptr, nullptr};
    steps_in<true>(smem, P, O, A, true);
}
