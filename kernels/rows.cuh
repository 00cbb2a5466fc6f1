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

// weigh_row scales an example's output gradient dz by its weight w, the
// values first, first+stride, … of k (a lane of a warp takes every 32nd),
// and returns its loss l times w. CPU twin: engine.Weigh.
__device__ __forceinline__ double weigh_row(real* dz, double l, double w, int k, int first, int stride) {
    const real tw = (real)w;
    for (int i = first; i < k; i += stride) {
        dz[i] *= tw;
    }
    return l * w;
}

#define FULL_MASK 0xffffffffu

// warp_sum returns the sum of v over the lanes of a warp, the same in every
// lane (a butterfly: each level adds two equal pairs in either order).
__device__ __forceinline__ double warp_sum(double v) {
    for (int o = 16; o > 0; o /= 2) {
        v += __shfl_xor_sync(FULL_MASK, v, o);
    }
    return v;
}

// warp_argmax returns, in every lane, the index of the largest of k values
// v, the first one on a tie, as argmax does.
__device__ __forceinline__ int warp_argmax(const real* v, int k, int lane) {
    int best = lane < k ? lane : 0;
    for (int i = lane + 32; i < k; i += 32) {
        if (v[i] > v[best]) {
            best = i;
        }
    }
    for (int o = 16; o > 0; o /= 2) {
        int other = __shfl_xor_sync(FULL_MASK, best, o);
        if (v[other] > v[best] || (v[other] == v[best] && other < best)) {
            best = other;
        }
    }
    return best;
}

// output_row_warp is output_row computed by the 32 lanes of a warp, each
// taking every 32nd output: it also applies the softmax (a = softmax(z))
// when act is ACT_SOFTMAX, and returns the loss and *correct in every lane,
// given the target's class cls (argmax y, or for one output whether y is
// above 0.5), which the host computes once.
// Sums are butterflies over the lanes, in double: the same in every run.
// CPU twin: engine.OutputGrad (with engine.Activate for the softmax).
__device__ double output_row_warp(real* dz, int* correct, const real* z, real* a, const real* y, int cls, int k,
                                  int loss_kind, int act, int lane) {
    if (act == ACT_SOFTMAX) {
        real m = z[0];
        for (int i = lane; i < k; i += 32) {
            m = z[i] > m ? z[i] : m;
        }
        for (int o = 16; o > 0; o /= 2) {
            real other = __shfl_xor_sync(FULL_MASK, m, o);
            m = other > m ? other : m;
        }
        double sum = 0;
        for (int i = lane; i < k; i += 32) {
            double e = exp((double)(z[i] - m));
            a[i] = (real)e;
            sum += e;
        }
        sum = warp_sum(sum);
        for (int i = lane; i < k; i += 32) {
            a[i] = (real)((double)a[i] / sum);
        }
        __syncwarp();
    }
    double l = 0;
    for (int i = lane; i < k; i += 32) {
        switch (loss_kind) {
        case LOSS_BCE: {
            double t = y[i], p = a[i];
            l -= t * floored_log(p) + (1 - t) * floored_log(1 - p);
            dz[i] = a[i] - y[i];
            break;
        }
        case LOSS_CE:
            if (y[i] != 0) {
                l -= (double)y[i] * floored_log((double)a[i]);
            }
            dz[i] = a[i] - y[i];
            break;
        default: { // LOSS_MSE
            double d = (double)a[i] - (double)y[i];
            l += d * d;
            real scale = 2 / (real)k;
            dz[i] = scale * (a[i] - y[i]) * act_grad(act, z[i], a[i]);
        }
        }
    }
    l = warp_sum(l);
    if (loss_kind == LOSS_MSE) {
        l /= k;
    }
    __syncwarp();
    *correct = k == 1 ? (a[0] > (real)0.5) == (cls == 1) : warp_argmax(a, k, lane) == cls;
    return l;
}
