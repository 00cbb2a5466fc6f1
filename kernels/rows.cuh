// Per-example device functions that several kernels share: the softmax of a
// row, and the loss, correctness and output gradient of an example.
#pragma once

#include "common.cuh"

// softmax_row: a = softmax(z) over cols values, subtracting the maximum; the
// sum is taken in double. CPU twin: engine.Activate with engine.Softmax.
__device__ __forceinline__ void softmax_row(real* a, const real* z, int cols) {
    real m = z[0];
    for (int k = 1; k < cols; k++) {
        m = z[k] > m ? z[k] : m;
    }
    double sum = 0;
    for (int k = 0; k < cols; k++) {
        double e = exp((double)(z[k] - m));
        a[k] = (real)e;
        sum += e;
    }
    for (int k = 0; k < cols; k++) {
        a[k] = (real)((double)a[k] / sum);
    }
}

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

// output_row: the gradient dz (k values) of the loss of one example with
// respect to the output pre-activation z, given z, a = f(z) and the target
// y; returns the loss and sets *correct. CPU twin: engine.OutputGrad.
//
//     bce:  L = -Σ_k y_k·log ŷ_k + (1-y_k)·log(1-ŷ_k),  dz = ŷ - y   (sigmoid output)
//     ce:   L = -Σ_k y_k·log ŷ_k,                       dz = ŷ - y   (softmax output)
//     mse:  L = Σ_k (ŷ_k - y_k)²/K,                      dz = 2(ŷ - y)/K ⊙ f'(z)
//
// Logarithms are taken of values no smaller than LOG_FLOOR and losses are
// summed in double. An example is correct when, for one output, ŷ and y fall
// on the same side of 0.5, and otherwise when argmax ŷ = argmax y.
__device__ __forceinline__ double output_row(real* dz, int* correct, const real* z, const real* a, const real* y, int k,
                                             int loss_kind, int act) {
    double l = 0;
    switch (loss_kind) {
    case LOSS_BCE:
        for (int i = 0; i < k; i++) {
            double t = y[i], p = a[i];
            l -= t * floored_log(p) + (1 - t) * floored_log(1 - p);
            dz[i] = a[i] - y[i];
        }
        break;
    case LOSS_CE:
        for (int i = 0; i < k; i++) {
            if (y[i] != 0) {
                l -= (double)y[i] * floored_log((double)a[i]);
            }
            dz[i] = a[i] - y[i];
        }
        break;
    default: // LOSS_MSE
        for (int i = 0; i < k; i++) {
            double d = (double)a[i] - (double)y[i];
            l += d * d;
            real scale = 2 / (real)k;
            dz[i] = scale * (a[i] - y[i]) * act_grad(act, z[i], a[i]);
        }
        l /= k;
    }
    *correct = k == 1 ? (a[0] > (real)0.5) == (y[0] > (real)0.5) : argmax(a, k) == argmax(y, k);
    return l;
}
