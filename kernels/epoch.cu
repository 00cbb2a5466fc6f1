// Epoch bookkeeping on the device: gathering a mini-batch's rows in the
// epoch's order, the position of the next batch, and summing the epoch's
// per-example losses.
#include "common.cuh"

#define TOTALS_THREADS 256

// gather_batch: the rows examples of a mini-batch from position *cursor of
// the epoch's order: xb row r is x row order[*cursor + r] (in values), yb
// row r is y row order[*cursor + r] (k values). One thread per value, over
// a one-dimensional grid (a grid's y and z sizes stop at 65,535, fewer than
// a batch may have rows). The position comes from the device so that a
// graph of a batch step serves every step (advance_cursor moves it). CPU
// twin: the row copies of the CPU trainer's batch step.
KERNEL(gather_batch)(real* __restrict__ xb, real* __restrict__ yb, const real* __restrict__ x,
                     const real* __restrict__ y, const int* __restrict__ order, const int* __restrict__ cursor,
                     int rows, int in, int k) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    const size_t nx = (size_t)rows * in;
    const int start = *cursor;
    if (i < nx) {
        xb[i] = x[(size_t)order[start + i / in] * in + i % in];
    } else if (i - nx < (size_t)rows * k) {
        i -= nx;
        yb[i] = y[(size_t)order[start + i / k] * k + i % k];
    }
}

// advance_cursor: *cursor += rows, the last kernel of a batch step. CPU
// twin: the CPU trainer's step to its next batch.
KERNEL(advance_cursor)(int* cursor, int rows) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        *cursor += rows;
    }
}

// epoch_totals: over the first n examples of the epoch, totals[0] = Σ loss,
// totals[1] = Σ correct and totals[2] = the first index whose loss is not
// finite (n if none). One block of TOTALS_THREADS threads; every thread sums
// a fixed stride and the block adds the partial sums in a fixed tree, so the
// result does not vary between runs. CPU twin: the totals of the CPU trainer.
KERNEL(epoch_totals)(double* __restrict__ totals, const double* __restrict__ loss, const int* __restrict__ correct,
                     int n) {
    __shared__ double sum[TOTALS_THREADS];
    __shared__ long long hits[TOTALS_THREADS];
    __shared__ int bad[TOTALS_THREADS];
    int t = threadIdx.x;
    double s = 0;
    long long c = 0;
    int first = n;
    for (int i = t; i < n; i += TOTALS_THREADS) {
        double l = loss[i];
        s += l;
        c += correct[i];
        if (!isfinite(l) && i < first) {
            first = i;
        }
    }
    sum[t] = s;
    hits[t] = c;
    bad[t] = first;
    __syncthreads();
    for (int half = TOTALS_THREADS / 2; half > 0; half /= 2) {
        if (t < half) {
            sum[t] += sum[t + half];
            hits[t] += hits[t + half];
            bad[t] = min(bad[t], bad[t + half]);
        }
        __syncthreads();
    }
    if (t == 0) {
        totals[0] = sum[0];
        totals[1] = (double)hits[0];
        totals[2] = (double)bad[0];
    }
}
