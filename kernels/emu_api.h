//go:build cudaemu

// The C interface of the CUDA emulator (emu.h), called from emu.go. Calls
// return 0, or non-zero with a message in err (errlen bytes): 2 where the
// error, like a kernel's fault on a GPU, lost the context (every later call
// fails until emu_reset), 1 otherwise.
#pragma once

#include <stdint.h>

// EMU_MAX_AT_ONCE is the most blocks of one launch that the emulator runs
// at once, each on an OS thread of its own: a launch runs as many as the
// emulated device holds at once, up to this.
#define EMU_MAX_AT_ONCE 256

#ifdef __cplusplus
extern "C" {
#endif

// emu_set_device makes the emulator stand for a device of multiprocessors
// multiprocessors, each holding at most blocks_per_sm blocks and
// shared_per_sm bytes of shared memory, of which the driver reserves
// shared_reserved a block, where a kernel may opt in to shared_optin bytes
// a block, static and dynamic, of compute capability major.x. Every
// multiprocessor of a GPU from Volta to Hopper has 65,536 registers and
// holds 2,048 threads.
void emu_set_device(int multiprocessors, int blocks_per_sm, int shared_per_sm, int shared_reserved, int shared_optin,
                    int major);
// emu_occupancy sets *blocks to how many blocks of threads threads with
// shared bytes of dynamic shared memory a multiprocessor of the device
// holds at once, as cuOccupancyMaxActiveBlocksPerMultiprocessor does.
int emu_occupancy(const char* name, int threads, int shared, int* blocks, char* err, int errlen);
// emu_reset makes a new context: it frees all device memory and forgets a
// fault that lost the context.
void emu_reset(void);
int emu_alloc(long long bytes, uintptr_t* p, char* err, int errlen);
int emu_free(uintptr_t p, char* err, int errlen);
int emu_memset(uintptr_t p, int value, long long bytes, char* err, int errlen);
int emu_copy(uintptr_t dst, uintptr_t src, long long bytes, char* err, int errlen);
// emu_launch runs a kernel; cluster, where not null, is the size of its
// thread-block clusters (as cuLaunchKernelEx's
// CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION), refused before compute capability
// 9.0, past 8 blocks unless the kernel allows non-portable sizes
// (emu_allow_non_portable_cluster, as cuFuncSetAttribute's
// CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED; 16 at most), and
// where the grid is not a whole number of clusters.
int emu_launch(const char* name, const unsigned* grid, const unsigned* block, unsigned shared, int cooperative,
               const unsigned* cluster, const uint64_t* args, int nargs, char* err, int errlen);
int emu_allow_non_portable_cluster(const char* name, char* err, int errlen);
// emu_max_cluster_size sets *size to the most blocks of threads threads
// with shared bytes of dynamic shared memory a cluster of the kernel may
// have, as cuOccupancyMaxPotentialClusterSize does: 8, or 16 where it allows
// non-portable sizes, at most what the device holds at once (the emulator
// knows no GPCs); it fails before compute capability 9.0.
int emu_max_cluster_size(const char* name, int threads, int shared, int* size, char* err, int errlen);
// emu_begin_capture starts recording launches instead of running them, as
// cuStreamBeginCapture; emu_end_capture makes what it recorded a graph and
// sets *graph to its number; emu_graph_launch runs a graph's launches in
// order (one launch of the host's); emu_graph_destroy forgets it.
int emu_begin_capture(char* err, int errlen);
int emu_end_capture(int* graph, char* err, int errlen);
int emu_graph_launch(int graph, char* err, int errlen);
int emu_graph_destroy(int graph, char* err, int errlen);
// emu_static_shared sets *bytes to a kernel's static shared memory per
// block, as cuFuncGetAttribute(CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES) does;
// emu_opt_in_shared lets its blocks have up to bytes of dynamic shared
// memory, as cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)
// does, refusing more than the device's opt-in limit less the static.
int emu_static_shared(const char* name, int* bytes, char* err, int errlen);
int emu_opt_in_shared(const char* name, int bytes, char* err, int errlen);
int emu_kernel_count(void);
// emu_counts writes how many launches the host has made, how many kernels
// have run and how many grid barriers block 0 of a grid has reached, since
// the process started, into out[0], out[1] and out[2].
void emu_counts(long long* out);
// emu_layout writes the size and the field offsets of a struct shared with
// Go into out (at most max values) and returns how many there are, or -1
// for a struct it does not know.
int emu_layout(const char* name, long long* out, int max);
const char* emu_kernel_name(int i);

#ifdef __cplusplus
}
#endif
