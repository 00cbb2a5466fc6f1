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

// epoch_totals: adds the examples at positions from..to-1 of the epoch to
// its running totals: totals[0] += their losses, added one by one in order
// onto it, totals[1] += how many were correct, and totals[2] becomes the
// first position whose loss is not finite if it was +Inf (none yet). The
// host sets the totals at the epoch's start (to a checkpoint's partial
// totals where a fit resumes within the epoch), so that the loss is the same
// sum, bit for bit, however the epoch's steps were split. One block of
// TOTALS_THREADS threads: each chunk of them loads its examples, and thread 0
// adds them. CPU twin: the totals of the CPU trainer, which adds each
// step's loss in order.
KERNEL(epoch_totals)(double* __restrict__ totals, const double* __restrict__ loss, const int* __restrict__ correct,
                     int from, int to) {
    __shared__ double losses[TOTALS_THREADS];
    __shared__ int hits[TOTALS_THREADS];
    const int t = threadIdx.x;
    double sum = totals[0], count = totals[1], bad = totals[2];
    for (int c = from; c < to; c += TOTALS_THREADS) {
        const int n = min(to - c, TOTALS_THREADS);
        if (t < n) {
            losses[t] = loss[c + t];
            hits[t] = correct[c + t];
        }
        __syncthreads();
        if (t == 0) {
            for (int i = 0; i < n; i++) {
                sum += losses[i];
                count += hits[i];
                if (!isfinite(losses[i]) && bad > c + i) {
                    bad = c + i;
                }
            }
        }
        __syncthreads();
    }
    if (t == 0) {
        totals[0] = sum;
        totals[1] = count;
        totals[2] = bad;
    }
}
