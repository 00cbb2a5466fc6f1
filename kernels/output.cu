// Output layer: the loss of each example, whether it is classified
// correctly, and the gradient of the loss with respect to the output
// pre-activation z, given z, a = f(z) and the target y (K values per row):
//
//     bce:  L = -Σ_k y_k·log ŷ_k + (1-y_k)·log(1-ŷ_k),  dz = ŷ - y   (sigmoid output)
//     ce:   L = -Σ_k y_k·log ŷ_k,                       dz = ŷ - y   (softmax output)
//     mse:  L = Σ_k (ŷ_k - y_k)²/K,                      dz = 2(ŷ - y)/K ⊙ f'(z)
//
// Logarithms are taken of values no smaller than LOG_FLOOR and losses are
// summed in double. An example is correct when, for one output, ŷ and y fall
// on the same side of 0.5, and otherwise when argmax ŷ = argmax y.
#include "common.cuh"

__device__ __forceinline__ double floored_log(double v) { return log(v > LOG_FLOOR ? v : LOG_FLOOR); }

__device__ __forceinline__ int argmax(const real* v, int k) {
    int best = 0;
    for (int i = 1; i < k; i++) {
        if (v[i] > v[best]) {
            best = i;
        }
    }
    return best;
}

// output_grad: for rows examples, dz (rows×k), and the loss and correctness
// of example r stored at loss[step + r] and correct[step + r], where step is
// the example's position in the epoch. One thread per example. CPU twin:
// engine.OutputGrad.
KERNEL(output_grad)(real* __restrict__ dz, double* __restrict__ loss, int* __restrict__ correct,
                    const real* __restrict__ z, const real* __restrict__ a, const real* __restrict__ y, int rows,
                    int k, int loss_kind, int act, int step) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) {
        return;
    }
    size_t at = (size_t)r * k;
    const real *zr = z + at, *ar = a + at, *yr = y + at;
    real* dzr = dz + at;
    double l = 0;
    switch (loss_kind) {
    case LOSS_BCE:
        for (int i = 0; i < k; i++) {
            double t = yr[i], p = ar[i];
            l -= t * floored_log(p) + (1 - t) * floored_log(1 - p);
            dzr[i] = ar[i] - yr[i];
        }
        break;
    case LOSS_CE:
        for (int i = 0; i < k; i++) {
            if (yr[i] != 0) {
                l -= (double)yr[i] * floored_log((double)ar[i]);
            }
            dzr[i] = ar[i] - yr[i];
        }
        break;
    default: // LOSS_MSE
        for (int i = 0; i < k; i++) {
            double d = (double)ar[i] - (double)yr[i];
            l += d * d;
            real scale = 2 / (real)k;
            dzr[i] = scale * (ar[i] - yr[i]) * act_grad(act, zr[i], ar[i]);
        }
        l /= k;
    }
    loss[step + r] = l;
    int ok = k == 1 ? (ar[0] > (real)0.5) == (yr[0] > (real)0.5) : argmax(ar, k) == argmax(yr, k);
    correct[step + r] = ok;
}
