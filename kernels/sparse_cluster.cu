// Per-example plain SGD in one thread-block cluster (Hopper, sm_90): the
// first layer split over the cluster's blocks, held in their shared
// memories, and visited only at the example's nonzero inputs; cluster
// barriers, no grid barrier.
//
// The step is sparse_steps's (sparse.cu), for a network of two layers or
// more trained by plain SGD, with the first layer's units split over the
// blocks of one cluster: block r of C owns units u0..u0+width-1 (slice_of),
// their rows input-major in its shared memory (all of them: the plan's hot
// is in), their b_1, z_1 and a_1. A step:
//
//  1. every block runs the first layer on its units over the example's
//     nonzeros (sparse_forward), writing their z_1 and a_1 straight into
//     block 0's shared memory (distributed shared memory, map_shared_rank),
//     and the cluster syncs;
//  2. block 0 runs the private layers, the output gradient and backward
//     into dz_1 (sparse_top), writes each block's units' dz_1 into that
//     block's shared memory, and the cluster syncs;
//  3. every block updates its rows and b_1 (sparse_update).
//
// Two cluster barriers a step, many steps a launch; the values cross
// between blocks as stores before a barrier (whose arrival releases them),
// never as loads that wait a round trip. Each block has the layout of
// sparse_steps' block (the same plan and offsets; only block 0 uses its
// private layers and all of z_1 and a_1), its rows holding its slice. The host launches
// one cluster of up to 8 blocks (16 where the kernel opts in to
// non-portable cluster sizes) through cuLaunchKernelEx.
//
// Runs are deterministic: a unit's sum is made by one block, as
// sparse_steps makes it.
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

// cluster_steps: per-example plain SGD, as plan says, on the examples at
// positions from..to-1 of order, as sparse_steps (same arguments), in one
// cluster of blocks. plan's hot must be the first layer's inputs: every
// block's rows are in its shared memory.
KERNEL(cluster_steps)(const sparse_plan* __restrict__ plan, const real* __restrict__ y, const double* __restrict__ weight,
                      const int* __restrict__ order, int from, int to, double* __restrict__ loss, int* __restrict__ correct,
                      int loss_kind, const optimizer* __restrict__ opt, const opt_rates* __restrict__ rates) {
#if defined(CLUSTER_SM_90)
    namespace cg = cooperative_groups;
    cg::cluster_group cluster = cg::this_cluster();
    DYNAMIC_SHARED(char, region);
    const sparse_plan P = *plan;
    const optimizer O = *opt;
    const int L = (int)P.nlayers;
    const sgd_layer first = P.layers[0];
    const int m = (int)first.out, k = (int)P.layers[L - 1].out, act1 = (int)first.act;
    const int rank = (int)cluster.block_rank(), blocks = (int)cluster.num_blocks();
    const cluster_slice me = slice_of(m, rank, blocks);
    real* rows = (real*)(region + P.rows);
    real *b1 = (real*)(region + P.b1), *z1 = (real*)(region + P.z1), *a1 = (real*)(region + P.a1);
    real* dz1 = (real*)(region + P.dz1);
    int* nzi = (int*)(region + P.nz_index);
    real* nzv = (real*)(region + P.nz_value);
    real* red = (real*)(region + P.red);

    // This block's rows and b_1; block 0's the private layers.
    rows_load(P, rows, first, me.u0, me.width);
    copy(b1 + me.u0, first.b + me.u0, me.width);
    if (rank == 0) {
        privates_load(P, region);
    }
    sparse_feed f;
    feed_start(f, P, order, from, to);
    // Every block has started before one writes another's shared memory:
    // block 0's z_1 and a_1, which every block's forward pass writes.
    cluster.sync();
    real *z0 = cluster.map_shared_rank(z1, 0), *a0 = cluster.map_shared_rank(a1, 0);

    for (int s = from; s < to; s++) {
        const int ex = order[s];
        const int cnt = feed_next(f, P, order, s, to, nzi, nzv);
        const real yv = rank == 0 && (int)threadIdx.x < k ? y[(size_t)ex * k + threadIdx.x] : (real)0;
        const opt_step o = opt_at(O, rates[s]);
        __syncthreads();

        sparse_forward(P, rows, nzi, nzv, cnt, me.width, act1, b1 + me.u0, z0 + me.u0, a0 + me.u0, red);
        cluster.sync();
        if (rank == 0) {
            sparse_top(P, region, z1, a1, dz1, m, act1, yv, weight, ex, s, loss, correct, loss_kind, o);
            for (int r = 1; r < blocks; r++) {
                const cluster_slice their = slice_of(m, r, blocks);
                real* d = cluster.map_shared_rank(dz1, r);
                for (int u = their.u0 + threadIdx.x; u < their.u0 + their.width; u += blockDim.x) {
                    d[u] = dz1[u];
                }
            }
        }
        cluster.sync();
        sparse_update(P, rows, nzi, nzv, cnt, me.width, dz1 + me.u0, b1 + me.u0, o.lr);
        __syncthreads();
    }

    rows_store(P, rows, first, me.u0, me.width);
    copy(first.b + me.u0, b1 + me.u0, me.width);
    if (rank == 0) {
        privates_store(P, region);
    }
    // No block leaves while another may still write its shared memory.
    cluster.sync();
#else
    __trap();
#endif
}
