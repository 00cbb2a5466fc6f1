// Shared definitions of the perceptron kernels.
//
// Every kernel is written once over `real` and compiled twice by gen.sh:
// -DREAL=float -DSUFFIX=_f32 and -DREAL=double -DSUFFIX=_f64, so that
// KERNEL(dense_forward) defines the extern "C" kernels dense_forward_f32 and
// dense_forward_f64. Arguments go outputs, inputs, then sizes and scalars;
// matrices are row-major, W is out×in. Each kernel has a CPU twin in the Go
// packages cpu/ or engine/, named in its comment, and a parity test in gpu/.
#pragma once

#if !defined(REAL) || !defined(SUFFIX)
#error "compile with -DREAL=float -DSUFFIX=_f32 or -DREAL=double -DSUFFIX=_f64"
#endif

typedef REAL real;

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define KERNEL(name) extern "C" __global__ void CAT(name, SUFFIX)

// Activations, numbered as engine.Activation.
#define ACT_LINEAR 0
#define ACT_RELU 1
#define ACT_SIGMOID 2
#define ACT_TANH 3
#define ACT_SOFTMAX 4

// Losses, numbered as engine.Loss.
#define LOSS_BCE 0
#define LOSS_MSE 1
#define LOSS_CE 2

// The smallest value a loss takes the logarithm of (engine.LogFloor).
#define LOG_FLOOR 1e-15

// activate returns f(z) for an elementwise activation (softmax is applied
// to whole rows by softmax_rows).
__device__ __forceinline__ real activate(int act, real z) {
    switch (act) {
    case ACT_RELU:
        return z > 0 ? z : (real)0;
    case ACT_SIGMOID:
        return (real)(1 / (1 + exp(-(double)z)));
    case ACT_TANH:
        return (real)tanh((double)z);
    default:
        return z;
    }
}

// act_grad returns f'(z) given z and a = f(z), as engine.Delta uses it.
__device__ __forceinline__ real act_grad(int act, real z, real a) {
    switch (act) {
    case ACT_RELU:
        return z > 0 ? (real)1 : (real)0;
    case ACT_SIGMOID:
        return a * (1 - a);
    case ACT_TANH:
        return 1 - a * a;
    default:
        return 1;
    }
}

#ifndef EMU_HOST
// DYNAMIC_SHARED declares p, a T*, at the block's dynamic shared memory (the
// launch's sharedMemBytes).
#define DYNAMIC_SHARED(T, p)                                                                                           \
    extern __shared__ __align__(16) unsigned char CAT(p, _bytes)[];                                                    \
    T* p = reinterpret_cast<T*>(CAT(p, _bytes))

// EMU_GRID_BARRIER marks a grid barrier, which the emulator counts.
#define EMU_GRID_BARRIER()

// globaltimer returns the GPU's global timer (%globaltimer), in nanoseconds
// on every GPU, whatever its clock. The emulator defines its own.
__device__ __forceinline__ unsigned long long globaltimer() {
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

// atomic_add_release adds v to *p at the GPU's scope with release semantics
// (the writes before it are seen by whoever acquires what it wrote) and
// returns the old value. The emulator defines its own.
__device__ __forceinline__ unsigned atomic_add_release(unsigned* p, unsigned v) {
    unsigned old;
    asm volatile("atom.release.gpu.add.u32 %0, [%1], %2;" : "=r"(old) : "l"(p), "r"(v) : "memory");
    return old;
}

// load_acquire loads *p at the GPU's scope with acquire semantics: what the
// thread reads after it is at least as new as what was written before the
// release that wrote the value. The emulator defines its own.
__device__ __forceinline__ unsigned load_acquire(const unsigned* p) {
    unsigned v;
    asm volatile("ld.acquire.gpu.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
    return v;
}
#endif

// ceil_div is the number of blocks of size b that cover n.
__host__ __device__ __forceinline__ int ceil_div(int n, int b) { return (n + b - 1) / b; }
