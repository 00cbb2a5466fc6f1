// Output layer: the loss of each example of a mini-batch, whether it is
// classified correctly, and the gradient of the loss with respect to the
// output pre-activation z (see output_row in rows.cuh).
#include "rows.cuh"

// output_grad: for rows examples, dz (rows×k), and the loss and correctness
// of example r stored at loss[*cursor + r] and correct[*cursor + r], *cursor
// being the batch's position in the epoch. With weight not null, the row of
// position p is example order[p], whose dz and loss are scaled by
// weight[order[p]]. One thread per example. CPU twin: engine.OutputGrad,
// then engine.Weigh.
KERNEL(output_grad)(real* __restrict__ dz, double* __restrict__ loss, int* __restrict__ correct,
                    const real* __restrict__ z, const real* __restrict__ a, const real* __restrict__ y,
                    const int* __restrict__ cursor, const double* __restrict__ weight, const int* __restrict__ order,
                    int rows, int k, int loss_kind, int act) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) {
        return;
    }
    size_t at = (size_t)r * k;
    int step = *cursor;
    double l = output_row(dz + at, correct + step + r, z + at, a + at, y + at, k, loss_kind, act);
    if (weight != nullptr) {
        l = weigh_row(dz + at, l, weight[order[step + r]], k, 0, 1);
    }
    loss[step + r] = l;
}
