// Per-example plain SGD in one block a fit, the first layer visited only at
// the example's nonzero inputs: no grid barrier, only the block's.
//
// The step is sgd_steps's (sgd.cu), for a network of two layers or more
// trained by plain SGD: z_1 = W_1·x + b_1 sums only over the inputs j with
// x_j ≠ 0, and the update W_1 -= lr·dz_1·xᵀ changes only their columns. So
// the block keeps W_1 input-major for the launch: row r holds the weights
// of the input of rank r (the inputs ranked by how often they are nonzero
// in the training set, most often first), out_1 values in a row, so that
// the step reads and writes a contiguous row a nonzero. The first hot rows
// are in shared memory, the others (cold) in global memory, where they stay
// in L2. The launch makes the rows from W_1 (out×in, as the backend keeps
// it) when it starts and writes W_1 back when it ends. sparse_fits runs a
// fit a block from a table of fits (sparse_fit), one fit alone as a table
// of one. The other layers are
// private, in the block's shared memory, and run as sgd_steps runs its
// private layers, with its functions (the kernel families form one
// translation unit, sgd.cu before sparse.cu).
//
// The example's nonzeros come from a CSR of the training set (start,
// index: their rows, value), fetched a step ahead into registers, and the
// bounds of the next example's two steps ahead, so that a step waits for
// no load but its rows'.
//
// Each weight is written by the thread that reads it in the forward pass;
// the parts of a unit's sum, over the nonzeros in order, are added in
// order: runs are deterministic.
//
// CPU twin: the CPU backend's per-example step (cpu.DenseForward and
// cpu.DenseBackward with engine.OutputGrad and engine.Delta), which visits
// only the nonzero inputs too.
#include "optim.cuh"
#include "rows.cuh"

// SPARSE_PREFETCH is how many of the next example's nonzeros a thread
// holds: inputs of up to SPARSE_PREFETCH·blockDim values.
#define SPARSE_PREFETCH 4
// SPARSE_UNROLL is how many nonzeros' weights a thread loads at once.
#define SPARSE_UNROLL 4

// sparse_plan is how sparse_fits (or cluster_fits) runs a fit's network, as
// the host plans it. Offsets are in bytes within the block's dynamic shared memory.
struct sparse_plan {
    sgd_layer* layers;            // the first layer's descriptor, then the private layers' (priv: their offsets)
    long long nlayers;            // at least 2
    long long hot;                // the first layer's rows in shared memory: those of rank < hot
    long long rows;               // the hot rows' offset: hot rows of out_1 values each
    real* cold;                   // the rows of rank ≥ hot, in global memory: (in − hot)·out_1 values
    int* rank;                    // each input's row, its rank by how often it is nonzero (in values)
    int* start;                   // example e's nonzeros are start[e]..start[e+1]-1 of index and value
    int* index;                   // a nonzero's row (its input's rank)
    real* value;                  // a nonzero's value
    long long b1, z1, a1, dz1;    // the first layer's b, z, a and dz: out_1 values each (cluster_fits: its units')
    long long nz_index, nz_value; // the step's nonzeros: up to in rows and in values
    long long y_stage;            // the target row (k values)
    long long red;                // the reduction scratch: blockDim values
    long long part;               // cluster_fits' partial z_2: two slots of blocks·out_2 values; -1: none
};
static_assert(sizeof(sparse_plan) == 144, "sparse_plan: eighteen 8-byte words, as gpu/kernels_gen.go writes it");

// sparse_views is a block's region as plan lays it out: the first layer's
// hot rows, its b, z, a and dz (out_1 values each), the step's nonzeros'
// rows and values, and the reduction scratch.
struct sparse_views {
    real *rows, *b1, *z1, *a1, *dz1;
    int* nzi;
    real *nzv, *red;
};

__device__ __forceinline__ sparse_views views_of(const sparse_plan& P, char* region) {
    sparse_views v;
    v.rows = (real*)(region + P.rows);
    v.b1 = (real*)(region + P.b1);
    v.z1 = (real*)(region + P.z1);
    v.a1 = (real*)(region + P.a1);
    v.dz1 = (real*)(region + P.dz1);
    v.nzi = (int*)(region + P.nz_index);
    v.nzv = (real*)(region + P.nz_value);
    v.red = (real*)(region + P.red);
    return v;
}

// sparse_row returns row r of the first layer: in shared memory below hot,
// else in global memory.
__device__ __forceinline__ real* sparse_row(const sparse_plan& P, real* rows, int r, int m) {
    return r < P.hot ? rows + (size_t)r * m : P.cold + (size_t)(r - P.hot) * m;
}

// sparse_units is how a block's threads share the first layer's units
// u0..u0+cols-1: thread t takes unit u0 + t % cols, in part t / cols of
// parts, which visits the step's nonzeros part, part + parts, ...
struct sparse_units {
    int cols, parts, c, p;
};

__device__ __forceinline__ sparse_units units_from(int u0, int m) {
    sparse_units s;
    s.cols = min(m - u0, (int)blockDim.x);
    s.parts = max(1, (int)blockDim.x / s.cols);
    s.c = threadIdx.x % s.cols;
    s.p = threadIdx.x / s.cols;
    return s;
}

// sparse_forward: z_1 = W_1·x + b_1 and a_1 = f(z_1) over the cnt nonzeros
// (rows nzi, values nzv). Every thread of the block calls it.
__device__ void sparse_forward(const sparse_plan& P, real* rows, const int* nzi, const real* nzv, int cnt, int m, int act,
                               const real* b1, real* z1, real* a1, real* red) {
    for (int u0 = 0; u0 < m; u0 += blockDim.x) {
        const sparse_units s = units_from(u0, m);
        if (s.p < s.parts) {
            const int u = u0 + s.c;
            real acc = 0;
            int q = s.p;
            for (; q + (SPARSE_UNROLL - 1) * s.parts < cnt; q += SPARSE_UNROLL * s.parts) {
                real w[SPARSE_UNROLL], x[SPARSE_UNROLL];
#pragma unroll
                for (int i = 0; i < SPARSE_UNROLL; i++) {
                    const int at = q + i * s.parts;
                    w[i] = sparse_row(P, rows, nzi[at], m)[u];
                    x[i] = nzv[at];
                }
#pragma unroll
                for (int i = 0; i < SPARSE_UNROLL; i++) {
                    acc += w[i] * x[i];
                }
            }
            for (; q < cnt; q += s.parts) {
                acc += sparse_row(P, rows, nzi[q], m)[u] * nzv[q];
            }
            red[s.p * s.cols + s.c] = acc;
        }
        __syncthreads();
        if ((int)threadIdx.x < s.cols) {
            real sum = red[threadIdx.x];
            for (int q = 1; q < s.parts; q++) {
                sum += red[q * s.cols + threadIdx.x];
            }
            const int u = u0 + threadIdx.x;
            const real v = sum + b1[u];
            z1[u] = v;
            a1[u] = activate(act, v);
        }
        __syncthreads();
    }
}

// sparse_update: plain SGD's W_1 -= lr·dz_1·xᵀ on the rows of the cnt
// nonzeros and b_1 -= lr·dz_1, each weight by the thread that read it in
// sparse_forward. Every thread of the block calls it.
__device__ void sparse_update(const sparse_plan& P, real* rows, const int* nzi, const real* nzv, int cnt, int m,
                              const real* dz1, real* b1, real lr) {
    for (int u0 = 0; u0 < m; u0 += blockDim.x) {
        const sparse_units s = units_from(u0, m);
        const int u = u0 + s.c;
        const real g = dz1[u];
        if (s.p < s.parts && g != 0) {
            const real a = -lr * g;
            for (int q = s.p; q < cnt; q += s.parts) {
                real* w = sparse_row(P, rows, nzi[q], m) + u;
                *w = *w + a * nzv[q];
            }
        }
    }
    for (int u = threadIdx.x; u < m; u += blockDim.x) {
        if (dz1[u] != 0) {
            b1[u] -= lr * dz1[u];
        }
    }
}

// sparse_feed is the pipeline of the examples' nonzeros: this step's in
// registers (pi, pv: pcount of them), the next one's bounds (nb0, nb1), the
// one after's example (e2).
struct sparse_feed {
    int pi[SPARSE_PREFETCH];
    real pv[SPARSE_PREFETCH];
    int pcount, nb0, nb1, e2;
};

// feed_start fills the pipeline for the examples at positions from..to-1 of order.
__device__ void feed_start(sparse_feed& f, const sparse_plan& P, const int* order, int from, int to) {
    f.pcount = 0;
    f.nb0 = 0;
    f.nb1 = 0;
    f.e2 = 0;
    if (from < to) {
        const int e = order[from], b0 = P.start[e];
        f.pcount = P.start[e + 1] - b0;
        for (int q = 0; q < SPARSE_PREFETCH; q++) {
            const int j = threadIdx.x + q * blockDim.x;
            f.pi[q] = j < f.pcount ? P.index[b0 + j] : 0;
            f.pv[q] = j < f.pcount ? P.value[b0 + j] : (real)0;
        }
    }
    if (from + 1 < to) {
        const int e = order[from + 1];
        f.nb0 = P.start[e];
        f.nb1 = P.start[e + 1];
    }
    if (from + 2 < to) {
        f.e2 = order[from + 2];
    }
}

// feed_next stores the nonzeros of the example at position s into nzi and
// nzv, returns how many there are, and fetches the next examples' ahead.
// The caller synchronises the block before reading nzi and nzv.
__device__ int feed_next(sparse_feed& f, const sparse_plan& P, const int* order, int s, int to, int* nzi, real* nzv) {
    const int cnt = f.pcount;
    for (int q = 0; q < SPARSE_PREFETCH; q++) {
        const int j = threadIdx.x + q * blockDim.x;
        if (j < cnt) {
            nzi[j] = f.pi[q];
            nzv[j] = f.pv[q];
        }
    }
    if (s + 1 < to) {
        f.pcount = f.nb1 - f.nb0;
        for (int q = 0; q < SPARSE_PREFETCH; q++) {
            const int j = threadIdx.x + q * blockDim.x;
            f.pi[q] = j < f.pcount ? P.index[f.nb0 + j] : 0;
            f.pv[q] = j < f.pcount ? P.value[f.nb0 + j] : (real)0;
        }
    }
    if (s + 2 < to) {
        f.nb0 = P.start[f.e2];
        f.nb1 = P.start[f.e2 + 1];
    }
    if (s + 3 < to) {
        f.e2 = order[s + 3];
    }
    return cnt;
}

// rows_load makes the rows of units u0..u0+width-1 of the first layer
// (out×in, as the backend keeps it): row P.rank[j] holds their weights of
// input j, width values; rows_store writes them back.
__device__ void rows_load(const sparse_plan& P, real* rows, const sgd_layer& first, int u0, int width) {
    const int n = (int)first.in;
    for (size_t i = threadIdx.x; i < (size_t)width * n; i += blockDim.x) {
        const int u = (int)(i / n), j = (int)(i % n);
        sparse_row(P, rows, P.rank[j], width)[u] = first.w[(size_t)(u0 + u) * n + j];
    }
}

__device__ void rows_store(const sparse_plan& P, const real* rows, const sgd_layer& first, int u0, int width) {
    const int n = (int)first.in;
    for (size_t i = threadIdx.x; i < (size_t)width * n; i += blockDim.x) {
        const int u = (int)(i / n), j = (int)(i % n);
        first.w[(size_t)(u0 + u) * n + j] = sparse_row(P, (real*)rows, P.rank[j], width)[u];
    }
}

// privates_load copies the private layers from layer from on into the
// block's region; privates_store copies them back.
__device__ void privates_load(const sparse_plan& P, char* region, int from) {
    for (int l = from; l < (int)P.nlayers; l++) {
        priv_layer p = private_of(P.layers[l], region);
        copy(p.w, P.layers[l].w, (size_t)p.out * p.in);
        copy(p.b, P.layers[l].b, p.out);
    }
}

__device__ void privates_store(const sparse_plan& P, char* region, int from) {
    for (int l = from; l < (int)P.nlayers; l++) {
        priv_layer p = private_of(P.layers[l], region);
        copy(P.layers[l].w, p.w, (size_t)p.out * p.in);
        copy(P.layers[l].b, p.b, p.out);
    }
}

// top_layer is layer l (l ≥ 1) in the block's region: second where l is 1.
__device__ __forceinline__ priv_layer top_layer(const sparse_plan& P, char* region, const priv_layer& second, int l) {
    return l == 1 ? second : private_of(P.layers[l], region);
}

// sparse_top runs the step above the first layer, given its z_1 and a_1
// (second.in values) and the layers before layer from run forward: the
// private layers from from on forward, the output gradient of target yv
// (thread t's: value t of the example's row ex; the loss and correctness
// of position s to loss[s] and correct[s], unless loss is null), and
// backward through the layers above the first, each updated once its W has
// been read, into dz_1. second is the second layer's copy in the block:
// all of it (sparse_run, from 1), or the columns of the block's units
// (cluster_run, from 2, its z and a already summed). Every thread of the
// block calls it.
__device__ void sparse_top(const sparse_plan& P, char* region, const priv_layer& second, int from, const real* z1,
                           const real* a1, real* dz1, int act1, real yv, const double* weight, int ex, int s, double* loss,
                           int* correct, int loss_kind, const opt_step& o) {
    const int L = (int)P.nlayers;
    const sgd_layer out = P.layers[L - 1];
    const int k = (int)out.out, lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    real *ty = (real*)(region + P.y_stage), *red = (real*)(region + P.red);
    const priv_layer po = top_layer(P, region, second, L - 1);
    const real* in = from == 1 ? a1 : top_layer(P, region, second, from - 1).a;
    for (int l = from; l < L; l++) {
        priv_layer p = top_layer(P, region, second, l);
        forward_private(p, in);
        in = p.a;
    }

    // The output gradient, by warp 0.
    if ((int)threadIdx.x < k) {
        ty[threadIdx.x] = yv;
    }
    __syncthreads();
    if (warp == 0) {
        int ok;
        // The target's class, as the host gives sgd_steps (exampleClasses).
        const int cls = k == 1 ? (ty[0] > (real)0.5 ? 1 : 0) : warp_argmax(ty, k, lane);
        double l = output_row_warp(po.dz, &ok, po.z, po.a, ty, cls, k, loss_kind, (int)out.act, lane);
        if (weight != nullptr) {
            l = weigh_row(po.dz, l, weight[ex], k, lane, WARP);
        }
        if (lane == 0 && loss != nullptr) {
            loss[s] = l;
            correct[s] = ok;
        }
    }
    __syncthreads();

    for (int l = L - 1; l >= 1; l--) {
        priv_layer p = top_layer(P, region, second, l);
        const real* p_in = a1;
        if (l > 1) {
            priv_layer q = top_layer(P, region, second, l - 1);
            col_dot(q.dz, p.w, p.in, p.dz, p.out, 0, p.in, red, q.z, q.a, q.act);
            p_in = q.a;
        } else {
            col_dot(dz1, p.w, p.in, p.dz, p.out, 0, p.in, red, z1, a1, act1);
        }
        update_private(p, p_in, o, true);
        __syncthreads();
    }
}

// sparse_args are a fit's arguments besides its plan and optimizer, as
// sparse_run and cluster_run take them: the examples at positions
// from..to-1 of order, at the learning rate rates[s].lr for the example at
// position s, whose loss and correctness go to loss[s] and correct[s]; with
// weight not null, example i's output gradient and loss are scaled by
// weight[i] (weigh_row).
struct sparse_args {
    const real* y;
    const double* weight;
    const int* order;
    int from, to;
    double* loss;
    int* correct;
    int loss_kind;
    const opt_rates* rates;
};

// sparse_fit is one fit of sparse_fits or cluster_fits: its plan, targets,
// example weights (or null), epoch order, losses and correctness, optimizer
// and steps' coefficients, and loss; the range of positions is the
// launch's, which every fit of it shares.
struct sparse_fit {
    sparse_plan* plan;
    real* y;
    double* weight;
    int* order;
    double* loss;
    int* correct;
    optimizer* opt;
    opt_rates* rates;
    long long loss_kind;
};
static_assert(sizeof(sparse_fit) == 72, "sparse_fit: nine 8-byte words, as gpu/kernels_gen.go writes it");

// args_of is fit F's arguments on the positions from..to-1.
__device__ __forceinline__ sparse_args args_of(const sparse_fit& F, int from, int to) {
    return sparse_args{F.y, F.weight, F.order, from, to, F.loss, F.correct, (int)F.loss_kind, F.rates};
}

// sparse_run runs a fit's per-example plain SGD, as plan P says, in one
// block whose dynamic shared memory is region: the body of a block of
// sparse_fits. opt must be plain SGD (the host plans no other).
__device__ __forceinline__ void sparse_run(char* region, const sparse_plan& P, const optimizer& O, const sparse_args& A) {
    const int L = (int)P.nlayers, from = A.from, to = A.to;
    const int* order = A.order;
    const sgd_layer first = P.layers[0];
    const int m = (int)first.out, k = (int)P.layers[L - 1].out, act1 = (int)first.act;
    const sparse_views v = views_of(P, region);
    const priv_layer second = private_of(P.layers[1], region);

    // W_1 input-major, b_1 and the private layers into the block.
    rows_load(P, v.rows, first, 0, m);
    copy(v.b1, first.b, m);
    privates_load(P, region, 1);
    sparse_feed f;
    feed_start(f, P, order, from, to);
    __syncthreads();

    for (int s = from; s < to; s++) {
        const int ex = order[s];
        const int cnt = feed_next(f, P, order, s, to, v.nzi, v.nzv);
        const real yv = (int)threadIdx.x < k ? A.y[(size_t)ex * k + threadIdx.x] : (real)0;
        __syncthreads();

        sparse_forward(P, v.rows, v.nzi, v.nzv, cnt, m, act1, v.b1, v.z1, v.a1, v.red);
        const opt_step o = opt_at(O, A.rates[s]);
        sparse_top(P, region, second, 1, v.z1, v.a1, v.dz1, act1, yv, A.weight, ex, s, A.loss, A.correct, A.loss_kind, o);
        sparse_update(P, v.rows, v.nzi, v.nzv, cnt, m, v.dz1, v.b1, o.lr);
        __syncthreads();
    }

    // W_1, b_1 and the private layers back to global memory.
    rows_store(P, v.rows, first, 0, m);
    copy(first.b, v.b1, m);
    privates_store(P, region, 1);
}

// sparse_fits: many fits' per-example plain SGD in one launch, block b
// running fits[b] on the examples at positions from..to-1 of its order,
// as its plan says (sparse_run), each block's dynamic shared memory at
// least its plan's region. Blocks share nothing: a fit whose loss becomes
// NaN leaves the others' bits as they were. A fit trained alone is a table
// of one, so that alone and beside others it runs the same code.
KERNEL(sparse_fits)(const sparse_fit* __restrict__ fits, int from, int to) {
    DYNAMIC_SHARED(char, region);
    const sparse_fit F = fits[blockIdx.x];
    const sparse_plan P = *F.plan;
    const optimizer O = *F.opt;
    sparse_run(region, P, O, args_of(F, from, to));
}
