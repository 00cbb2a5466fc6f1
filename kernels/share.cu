// Data-parallel mini-batch steps: each of P processes trains on its shard
// of rows examples of a batch of B rows (the last batch of an epoch may be
// smaller than the others), and the processes sum their gradients
// before the update. The gradient kernels leave the shard's mean gradient
// in g (n values, laid out as the parameters); share_gradients weights it
// by the shard's share of the batch and appends the shard's verdict on its
// losses, so that the sum over the processes of the n+1 values is
//
//     g = Σ_p (rows_p/B)·g_p,  the gradient of the batch's mean loss
//     g[n] = Σ_p (the first loss of shard p that is NaN or ±Inf, or 0)
//
// and g[n] is 0 only when every loss of the batch was finite: the layout of
// a step's distributed.Sums (engine/distributed/sums.go), n values and
// StepFlags = 1 flag, whose verdict is distributed.Verdict's. After the
// all-reduce, flag_step keeps g[n] as the step's flag, which the host reads
// with the epoch's totals.
#include "common.cuh"

// share_gradients: for the values i of [from, to) of the step's Sums,
// g[i] *= rows/batch for a gradient, i < n (0 when the shard is empty:
// rows == 0, whose gradients were not computed), and g[n] = the first of
// the shard's losses loss[*cursor + r], r < rows, that is NaN or ±Inf, or 0.
// One thread per value, to-from of them: a step that all-reduces its Sums
// in buckets weights each once the backward pass has produced it. CPU
// twin: shareGradients in gpu/share_test.go.
KERNEL(share_gradients)(real* __restrict__ g, const double* __restrict__ loss, const int* __restrict__ cursor, int rows,
                        int batch, int from, int to, int n) {
    size_t i = (size_t)from + (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)to) {
        return;
    }
    if (i < (size_t)n) {
        g[i] = rows > 0 ? g[i] * ((real)rows / (real)batch) : (real)0;
    } else if (i == (size_t)n) {
        real bad = 0;
        for (int r = 0; r < rows; r++) {
            const double l = loss[*cursor + r];
            if (!isfinite(l)) {
                bad = (real)l;
                break;
            }
        }
        g[n] = bad;
    }
}

// flag_step: flags[*cursor / batch] = g[n], the flag of the batch step at
// position *cursor of the epoch: the sum over the processes of their first
// losses that were not finite, 0 when all were. One thread. CPU twin:
// flagStep in gpu/share_test.go.
KERNEL(flag_step)(double* __restrict__ flags, const real* __restrict__ g, const int* __restrict__ cursor, int batch,
                  int n) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        flags[*cursor / batch] = (double)g[n];
    }
}
