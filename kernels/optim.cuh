// The optimizers of engine.Optimizer, one parameter at a time, as
// torch.optim documents them, for a parameter p with gradient g at step t
// (from 1) with learning rate lr:
//
//     SGD:   g += wd·p;  buf = μ·buf + g;  g = nesterov ? g + μ·buf : buf (when μ ≠ 0);  p -= lr·g
//     Adam:  g += wd·p;  m = β₁·m + (1−β₁)·g;  v = β₂·v + (1−β₂)·g²
//            p -= (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)
//     AdamW: p *= 1 − lr·wd;  then Adam without wd
//
// The host writes the optimizer's settings once (struct optimizer) and, for
// each step of an epoch, the step's coefficients (struct opt_rates): its
// learning rate from the schedule and Adam's bias corrections, computed in
// double as engine.Update computes them, so that the kernels round them to
// real as the CPU does. The state of SGD with momentum is buf (slot 0), of
// Adam and AdamW m and v (slots 0 and 1), each shaped as the parameters.
//
// CPU twin: engine.Update.
#pragma once

#include "common.cuh"

// Optimizers, numbered as engine.OptimizerKind.
#define OPT_SGD 0
#define OPT_ADAM 1
#define OPT_ADAMW 2

// optimizer is engine.Optimizer, as the host writes it.
struct optimizer {
    long long kind;            // OPT_SGD, OPT_ADAM or OPT_ADAMW
    long long nesterov;        // SGD's momentum is Nesterov's (1) or not (0)
    long long slots;           // the state slots it keeps per parameter (engine.Optimizer.Slots)
    double momentum;           // SGD's μ
    double weight_decay;       // wd
    double beta1, beta2;       // Adam's β₁ and β₂
    double one_minus_beta1;    // 1 − β₁, computed in double
    double one_minus_beta2;    // 1 − β₂, computed in double
    double eps;                // Adam's ε
};
static_assert(sizeof(optimizer) == 80, "optimizer: ten 8-byte words, as gpu/kernels_gen.go writes it");

// opt_rates are one step's coefficients, computed in double.
struct opt_rates {
    double lr;        // the learning rate
    double step_size; // lr/(1−β₁ᵗ)
    double bc2_sqrt;  // √(1−β₂ᵗ)
    double decay;     // 1 − lr·wd
};
static_assert(sizeof(opt_rates) == 32, "opt_rates: four 8-byte words, as gpu/kernels_gen.go writes it");

// opt_step is an optimizer's step with its values in real, as engine.Update
// converts them.
struct opt_step {
    int kind, slots;
    bool nesterov;
    real lr, mu, wd, b1, b2, c1, c2, eps, step_size, bc2_sqrt, decay;
};

// opt_at returns the step of o whose coefficients are r.
__device__ __forceinline__ opt_step opt_at(const optimizer& o, const opt_rates& r) {
    opt_step s;
    s.kind = (int)o.kind;
    s.slots = (int)o.slots;
    s.nesterov = o.nesterov != 0;
    s.lr = (real)r.lr;
    s.mu = (real)o.momentum;
    s.wd = (real)o.weight_decay;
    s.b1 = (real)o.beta1;
    s.b2 = (real)o.beta2;
    s.c1 = (real)o.one_minus_beta1;
    s.c2 = (real)o.one_minus_beta2;
    s.eps = (real)o.eps;
    s.step_size = (real)r.step_size;
    s.bc2_sqrt = (real)r.bc2_sqrt;
    s.decay = (real)r.decay;
    return s;
}

// opt_plain reports whether o is plain SGD, p -= lr·g, which changes only
// the parameters whose gradient is not 0.
__device__ __forceinline__ bool opt_plain(const optimizer& o) {
    return o.kind == OPT_SGD && o.momentum == 0 && o.weight_decay == 0;
}

// opt_apply returns p after one step of o given its gradient g, and updates
// its state: s0 (SGD's buf, Adam's m) and s1 (Adam's v), which it touches
// only where o keeps them.
__device__ __forceinline__ real opt_apply(const opt_step& o, real p, real g, real& s0, real& s1) {
    if (o.kind == OPT_SGD) {
        if (o.wd != 0) {
            g += o.wd * p;
        }
        if (o.mu != 0) {
            s0 = o.mu * s0 + g;
            g = o.nesterov ? g + o.mu * s0 : s0;
        }
        return p - o.lr * g;
    }
    if (o.kind == OPT_ADAMW) {
        p *= o.decay;
    } else if (o.wd != 0) {
        g += o.wd * p;
    }
    s0 = o.b1 * s0 + o.c1 * g;
    s1 = o.b2 * s1 + o.c2 * g * g;
    return p - o.step_size * (s0 / (sqrt(s1) / o.bc2_sqrt + o.eps));
}

// opt_param applies one step of o to the parameter at index i of p, whose
// state slots are s0 and s1 (as long as p, where o keeps them), given its
// gradient g.
__device__ __forceinline__ void opt_param(const opt_step& o, real* p, real* s0, real* s1, size_t i, real g) {
    real m = o.slots > 0 ? s0[i] : (real)0, v = o.slots > 1 ? s1[i] : (real)0;
    p[i] = opt_apply(o, p[i], g, m, v);
    if (o.slots > 0) {
        s0[i] = m;
    }
    if (o.slots > 1) {
        s1[i] = v;
    }
}
