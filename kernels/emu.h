//go:build cudaemu

// The CUDA C that the kernels use, emulated on the CPU, so that the kernel
// sources compile as C++ and run on the host (build tag cudaemu): each CUDA
// thread is a fiber, a block's fibers take turns on one OS thread (in index
// order in some blocks, in reverse in others, so that a missing barrier
// shows) and meet at __syncthreads and at every warp shuffle, and as many
// blocks as the emulated device holds at once (emu_set_device,
// emu_occupancy; at most EMU_MAX_AT_ONCE) run at once on OS threads of their
// own, as blocks resident on the multiprocessors of a GPU do. It refuses the launches a GPU
// from Volta to Hopper refuses (grid and block sizes, registers and shared
// memory per block, cooperative grids larger than the device holds), and
// checks what a GPU leaves undefined and reports it as the launch's error: a
// barrier that not every live thread reaches, a shuffle with lanes that have
// left, a pointer argument outside device memory (which, as a fault on a GPU
// does, loses the context until emu_reset). It records launches into graphs
// between emu_begin_capture and emu_end_capture, and counts launches, kernels
// run and grid barriers (EMU_GRID_BARRIER in the kernels' barrier).
//
// It emulates the language, not the hardware's timing or its memory model's
// weakest orderings: a kernel that passes here can still race on a GPU, which
// the parity tests on a GPU check.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <type_traits>
#include <utility>

// EMU_HOST tells the kernel sources that they run on the emulator.
#define EMU_HOST 1

#define __global__
#define __device__ static
#define __host__
#define __forceinline__ inline
#define __shared__ static thread_local

using std::isfinite;
using std::max;
using std::min;

struct dim3 {
    unsigned x, y, z;
};

namespace emu {
const dim3& thread_idx();
const dim3& block_idx();
const dim3& block_dim();
const dim3& grid_dim();
void sync_block();
void sync_warp();
void* dynamic_shared();
void note_grid_barrier();
void sync_cluster();
unsigned cluster_rank();
unsigned cluster_blocks();
void* map_shared(const void* p, unsigned rank);
uint64_t exchange(unsigned mask, uint64_t bits, int src_lane);
int lane();
void yield();
long long now_ns();

template <class T> uint64_t to_bits(T v) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof v);
    return bits;
}

template <class T> T from_bits(uint64_t bits) {
    T v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
}
} // namespace emu

#define threadIdx (emu::thread_idx())
#define blockIdx (emu::block_idx())
#define blockDim (emu::block_dim())
#define gridDim (emu::grid_dim())

inline void __syncthreads() { emu::sync_block(); }

template <class T> T __shfl_down_sync(unsigned mask, T v, unsigned delta) {
    return emu::from_bits<T>(emu::exchange(mask, emu::to_bits(v), emu::lane() + (int)delta));
}

template <class T> T __shfl_xor_sync(unsigned mask, T v, int lane_mask) {
    return emu::from_bits<T>(emu::exchange(mask, emu::to_bits(v), emu::lane() ^ lane_mask));
}

inline void __syncwarp(unsigned = 0xffffffffu) { emu::sync_warp(); }

// DYNAMIC_SHARED declares p, a T*, at the block's dynamic shared memory.
#define DYNAMIC_SHARED(T, p) T* p = reinterpret_cast<T*>(emu::dynamic_shared())

// EMU_GRID_BARRIER counts a grid barrier (block 0's) for EmuCounters.
#define EMU_GRID_BARRIER() emu::note_grid_barrier()

inline unsigned atomic_add_release(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_RELEASE); }
inline unsigned load_acquire(const unsigned* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline void __nanosleep(unsigned) { emu::yield(); }
inline unsigned long long globaltimer() { return emu::now_ns(); }

// The cluster API of cooperative_groups that the kernels use (sm_90's
// thread-block clusters): the cluster's barrier, the block's rank and the
// cluster's size, and a pointer into another block's shared memory
// (distributed shared memory). A launch without clusters is a cluster of
// one block, as on Hopper.
namespace cooperative_groups {
struct cluster_group {
    void sync() const { emu::sync_cluster(); }
    unsigned block_rank() const { return emu::cluster_rank(); }
    unsigned num_blocks() const { return emu::cluster_blocks(); }
    template <class T> T* map_shared_rank(T* addr, unsigned rank) const {
        return static_cast<T*>(emu::map_shared(addr, rank));
    }
};
inline cluster_group this_cluster() { return {}; }
} // namespace cooperative_groups

// Kernel registration: emu_f32.cc and emu_f64.cc register each kernel by
// name with a caller that unpacks its arguments as the CUDA driver does,
// 8 bytes each (a float in the low 4 bytes, an int in the low 4 bytes).
namespace emu {
struct kernel_entry {
    const char* name;
    int nargs;
    uint64_t pointer_args; // bit i: argument i is a pointer
    void (*call)(void* fn, const uint64_t* args);
    void* fn;
};
void add_kernel(const kernel_entry& k);

// add_layout records the size and field offsets of a struct shared with Go,
// so that a test can compare them with the Go struct's.
bool add_layout(const char* name, size_t size, std::initializer_list<size_t> offsets);

template <class T> T arg(uint64_t v) {
    if constexpr (std::is_pointer_v<T>) {
        return reinterpret_cast<T>(static_cast<uintptr_t>(v));
    } else if constexpr (std::is_floating_point_v<T>) {
        return from_bits<T>(v);
    } else {
        return static_cast<T>(static_cast<int64_t>(v));
    }
}

template <class... A, size_t... I> void invoke(void (*f)(A...), const uint64_t* args, std::index_sequence<I...>) {
    f(arg<A>(args[I])...);
}

template <class... A> void call(void* fn, const uint64_t* args) {
    invoke(reinterpret_cast<void (*)(A...)>(fn), args, std::index_sequence_for<A...>{});
}

template <class... A> bool add(const char* name, void (*f)(A...)) {
    uint64_t pointers = 0;
    int i = 0;
    ((pointers |= static_cast<uint64_t>(std::is_pointer_v<A>) << i++), ...);
    add_kernel({name, static_cast<int>(sizeof...(A)), pointers, &call<A...>, reinterpret_cast<void*>(f)});
    return true;
}
} // namespace emu
