// Per-example plain SGD in one thread-block cluster a fit (Hopper, sm_90): the
// first layer split over the cluster's blocks, held in their shared
// memories, and visited only at the example's nonzero inputs; one cluster
// barrier a step, no grid barrier.
//
// The step is sparse_fits's (sparse.cu), for a network of two layers or
// more trained by plain SGD, with the first layer's units split over the
// blocks of one cluster: block r of C owns units u0..u0+width-1 (slice_of),
// their rows input-major in its shared memory (all of them: the plan's hot
// is in), their b_1, z_1, a_1 and dz_1, and the second layer's columns of
// those units, W_2[:, u0..u0+width-1]. Every block also holds b_2 and a
// whole copy of each layer after the second, which every block updates
// identically. A step:
//
//  1. every block runs the first layer on its units over the example's
//     nonzeros (sparse_forward), then its part of the second layer's sum,
//     partial_r = W_2[:, its units]·a_1[its units], and stores it into slot
//     s mod 2, row r, of every block's partial buffer (distributed shared
//     memory, map_shared_rank); then the cluster syncs, once;
//  2. every block, redundantly and identically, sums
//     z_2 = (partial_0 + partial_1 + … + partial_{C-1}) + b_2 in rank
//     order (so every block gets the same bits), runs the layers after the
//     second, the output gradient and backward to dz_2 (sparse_top),
//     computes its units' dz_1 from its columns of W_2 before it updates
//     them and b_2, then updates its rows and b_1 (sparse_update). Only
//     block 0 records the example's loss and correctness.
//
// One cluster barrier a step is safe because the partial buffer has a slot
// a step parity. Block b stores into slot s mod 2 of block a in step s,
// before barrier s, and a reads it after barrier s, before it arrives at
// barrier s+1. b's next store into that slot is in step s+2, after b has
// passed barrier s+1, which no block passes before every block, a among
// them, has arrived at it, so after a's reads of step s; step s+1's stores
// go to the other slot, whose reads of step s-1 ended before barrier s.
// The values cross between blocks as stores before a barrier (whose
// arrival releases them), never as loads that wait a round trip. The host
// launches a cluster of up to 8 blocks (16 where the kernel opts in to
// non-portable cluster sizes) a fit through cuLaunchKernelEx, one fit alone
// or many of one cluster size at once; clusters share nothing.
//
// Runs are deterministic: a unit's sum is made by one block, as
// sparse_fits makes it, and every block sums the partials of z_2 in the
// same order, so the blocks' copies of the layers above stay equal.
//
// Compiled for sm_90 only: other architectures get a kernel that traps,
// which the host never launches (it plans clusters on compute capability
// 9.0 and above).
//
// CPU twin: the CPU backend's per-example step (cpu.DenseForward and
// cpu.DenseBackward with engine.OutputGrad and engine.Delta), which visits
// only the nonzero inputs too.
#include "optim.cuh"
#include "rows.cuh"

#if !defined(EMU_HOST)
#include <cooperative_groups.h>
#endif

// CLUSTER_SM_90 is set where the cluster API exists: sm_90 and up, nvcc's
// host pass and the emulator.
#if defined(EMU_HOST) || !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
#define CLUSTER_SM_90 1
#endif

// cluster_slice is the first layer's units that block rank of blocks owns:
// u0..u0+width-1, ceil(m/blocks) a block (the last ones may own fewer, or
// none).
struct cluster_slice {
    int u0, width;
};

__device__ __forceinline__ cluster_slice slice_of(int m, int rank, int blocks) {
    const int per = (m + blocks - 1) / blocks;
    cluster_slice s;
    s.u0 = min(m, rank * per);
    s.width = min(m, s.u0 + per) - s.u0;
    return s;
}

// columns_load copies the columns u0..u0+c.in-1 of layer L's W (out×in) and
// all of its b into c, the block's copy of those columns; columns_store
// writes the columns back (and b, where with_b).
__device__ void columns_load(const priv_layer& c, const sgd_layer& L, int u0) {
    for (int i = threadIdx.x; i < c.out * c.in; i += blockDim.x) {
        c.w[i] = L.w[(size_t)(i / c.in) * L.in + u0 + i % c.in];
    }
    copy(c.b, L.b, c.out);
}

__device__ void columns_store(const priv_layer& c, const sgd_layer& L, int u0, bool with_b) {
    for (int i = threadIdx.x; i < c.out * c.in; i += blockDim.x) {
        L.w[(size_t)(i / c.in) * L.in + u0 + i % c.in] = c.w[i];
    }
    if (with_b) {
        copy(L.b, c.b, c.out);
    }
}

#if defined(CLUSTER_SM_90)
// partials_store: this block's part of the second layer's sum,
// partial[u] = Σ_c W_2[u, c]·a_1[c] over its columns c (second's, in
// order), into row rank of slot of every block of the cluster. A thread
// makes each value it stores (the same sum, the same bits, for every
// block), so that no block barrier stands between the sums and the
// stores.
__device__ void partials_store(const cooperative_groups::cluster_group& cluster, const priv_layer& second, const real* a1, real* slot, int rank,
                               int blocks) {
    const int n = second.out;
    for (int i = threadIdx.x; i < blocks * n; i += blockDim.x) {
        const int r = i / n, u = i % n;
        const real* w = second.w + (size_t)u * second.in;
        real acc = 0;
        for (int c = 0; c < second.in; c++) {
            acc += w[c] * a1[c];
        }
        cluster.map_shared_rank(slot, r)[rank * n + u] = acc;
    }
}
#endif

// partials_sum: z_2 = (Σ_r partial_r) + b_2 over the blocks' rows of slot,
// in rank order, and a_2 = f(z_2) (a_2 = z_2 for softmax), into second.
__device__ void partials_sum(const priv_layer& second, const real* slot, int blocks) {
    const int n = second.out;
    for (int u = threadIdx.x; u < n; u += blockDim.x) {
        real acc = slot[u];
        for (int r = 1; r < blocks; r++) {
            acc += slot[r * n + u];
        }
        const real v = acc + second.b[u];
        second.z[u] = v;
        second.a[u] = second.act == ACT_SOFTMAX ? v : activate(second.act, v);
    }
    __syncthreads();
}

#if defined(CLUSTER_SM_90)
// cluster_run runs a fit's per-example plain SGD, as plan P says, in the
// cluster of blocks of which this block is one, its dynamic shared memory
// region: the body of a cluster of cluster_fits. P lays out a block's
// region for its units: hot must be the first layer's inputs (every
// block's rows are in its shared memory), b1, z1, a1 and dz1 hold its
// units' values, the second layer's copy its units' columns, and part two
// slots of blocks·out_2 values.
__device__ __forceinline__ void cluster_run(const cooperative_groups::cluster_group& cluster, char* region,
                                            const sparse_plan& P, const optimizer& O, const sparse_args& A) {
    const int L = (int)P.nlayers, from = A.from, to = A.to;
    const int* order = A.order;
    const sgd_layer first = P.layers[0];
    const int m = (int)first.out, k = (int)P.layers[L - 1].out, act1 = (int)first.act;
    const int rank = (int)cluster.block_rank(), blocks = (int)cluster.num_blocks();
    const cluster_slice me = slice_of(m, rank, blocks);
    const sparse_views v = views_of(P, region);
    // The second layer's columns of this block's units, with all of b_2.
    sgd_layer cols = P.layers[1];
    cols.in = me.width;
    const priv_layer second = private_of(cols, region);
    real* part = (real*)(region + P.part);

    // This block's rows, b_1 and columns of W_2, and its copies of b_2 and
    // the layers after the second.
    rows_load(P, v.rows, first, me.u0, me.width);
    copy(v.b1, first.b + me.u0, me.width);
    columns_load(second, P.layers[1], me.u0);
    privates_load(P, region, 2);
    sparse_feed f;
    feed_start(f, P, order, from, to);
    // Every block has started before one writes another's shared memory.
    cluster.sync();

    for (int s = from; s < to; s++) {
        const int ex = order[s];
        const int cnt = feed_next(f, P, order, s, to, v.nzi, v.nzv);
        const real yv = (int)threadIdx.x < k ? A.y[(size_t)ex * k + threadIdx.x] : (real)0;
        const opt_step o = opt_at(O, A.rates[s]);
        real* slot = part + (size_t)(s & 1) * blocks * second.out;
        __syncthreads();

        sparse_forward(P, v.rows, v.nzi, v.nzv, cnt, me.width, act1, v.b1, v.z1, v.a1, v.red);
        partials_store(cluster, second, v.a1, slot, rank, blocks);
        cluster.sync();
        partials_sum(second, slot, blocks);
        sparse_top(P, region, second, 2, v.z1, v.a1, v.dz1, act1, yv, A.weight, ex, s, rank == 0 ? A.loss : nullptr, A.correct,
                   A.loss_kind, o);
        sparse_update(P, v.rows, v.nzi, v.nzv, cnt, me.width, v.dz1, v.b1, o.lr);
        __syncthreads();
    }

    rows_store(P, v.rows, first, me.u0, me.width);
    copy(first.b + me.u0, v.b1, me.width);
    columns_store(second, P.layers[1], me.u0, rank == 0);
    if (rank == 0) {
        privates_store(P, region, 2);
    }
    // No block leaves while another may still write its shared memory.
    cluster.sync();
}
#endif

// cluster_fits: many fits' per-example plain SGD in one launch, a cluster
// a fit: cluster c (blocks c·C..c·C+C-1 of clusters of C) runs fits[c] on
// the examples at positions from..to-1 of its order, as its plan says
// (cluster_run); every fit of a launch has clusters of C blocks, and each
// block's dynamic shared memory is at least its plan's region. Clusters
// share nothing: a fit whose loss becomes NaN leaves the others' bits as
// they were. A fit trained alone is a table of one, so that alone and
// beside others it runs the same code.
KERNEL(cluster_fits)(const sparse_fit* __restrict__ fits, int from, int to) {
#if defined(CLUSTER_SM_90)
    cooperative_groups::cluster_group cluster = cooperative_groups::this_cluster();
    DYNAMIC_SHARED(char, region);
    const sparse_fit F = fits[blockIdx.x / cluster.num_blocks()];
    const sparse_plan P = *F.plan;
    const optimizer O = *F.opt;
    cluster_run(cluster, region, P, O, args_of(F, from, to));
#else
    __trap();
#endif
}
