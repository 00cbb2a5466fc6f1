//go:build cudaemu

package kernels

/*
#cgo CXXFLAGS: -std=c++20 -O2 -Wall -Wno-unknown-pragmas
#include <stdlib.h>
#include "emu_api.h"
*/
import "C"

import (
	"embed"
	"sync"
	"unsafe"
)

// The emulator (build tag cudaemu) runs the kernels' CUDA C sources on the
// CPU, compiled as C++ with emu.h, so that the GPU backend and its tests run
// where there is no GPU; see emu.h for what it checks and what it cannot.
// Device memory is host memory, so a device pointer is an address.

// sources makes the go command rebuild the emulator when a kernel source
// changes: it hashes embedded files, not the ones the C++ files #include.
//
//go:embed *.cu *.cuh resources.h
var sources embed.FS

// EmuDevice is the GPU the emulator stands for: what a planner sees of it
// (its multiprocessors, its shared memory, the occupancy of a kernel) and
// what it holds at once, which a cooperative launch must fit and a launch
// runs at once (at most EmuMaxAtOnce blocks). Every multiprocessor has the
// 65,536 registers and 2,048 threads of the GPUs from Volta to Hopper.
type EmuDevice struct {
	// Name names the device in Devices.
	Name string
	// Multiprocessors is the device's multiprocessors; BlocksPerSM, the
	// most blocks that one holds at once.
	Multiprocessors, BlocksPerSM int
	// SharedPerSM is a multiprocessor's shared memory in bytes, of which the
	// driver reserves SharedReserved a block; SharedOptIn is the most shared
	// memory, static and dynamic, that a block of a kernel that opts in may
	// have (a block has 48 KiB without opting in).
	SharedPerSM, SharedReserved, SharedOptIn int
	// Major is the major number of the device's compute capability:
	// clusters need 9 (Hopper).
	Major int
}

// EmuSmall is the emulator's own device: four multiprocessors of one block
// each, with Volta's 96 KiB of shared memory, the least of the GPUs from
// Volta to Hopper.
var EmuSmall = EmuDevice{Name: "CUDA emulator on the CPU", Multiprocessors: 4, BlocksPerSM: 1,
	SharedPerSM: 96 << 10, SharedOptIn: 96 << 10, Major: 7}

// EmuH100 is an H100 SXM as the planner sees it: 132 multiprocessors of at
// most 32 blocks and 228 KiB of shared memory (1 KiB reserved a block), 227
// KiB a block once a kernel opts in.
var EmuH100 = EmuDevice{Name: "CUDA emulator as an H100 SXM", Multiprocessors: 132, BlocksPerSM: 32,
	SharedPerSM: 228 << 10, SharedReserved: 1 << 10, SharedOptIn: 227 << 10, Major: 9}

// EmuMaxAtOnce is the most blocks of one launch that the emulator runs at
// once, each on an OS thread of its own: it refuses a cooperative grid of
// more.
const EmuMaxAtOnce = C.EMU_MAX_AT_ONCE

var emuDevice = struct {
	sync.Mutex
	dev EmuDevice
}{dev: EmuSmall}

// EmuSetDevice makes the emulator stand for dev, in a new context
// (EmuReset): a process's backend opened afterwards plans for it.
func EmuSetDevice(dev EmuDevice) {
	emuDevice.Lock()
	defer emuDevice.Unlock()
	emuDevice.dev = dev
	C.emu_set_device(C.int(dev.Multiprocessors), C.int(dev.BlocksPerSM), C.int(dev.SharedPerSM), C.int(dev.SharedReserved), C.int(dev.SharedOptIn), C.int(dev.Major))
	EmuReset()
}

// EmuCurrentDevice returns the device the emulator stands for: EmuSmall
// unless EmuSetDevice chose another.
func EmuCurrentDevice() EmuDevice {
	emuDevice.Lock()
	defer emuDevice.Unlock()
	return emuDevice.dev
}

// EmuOccupancy returns how many blocks of the kernel named name, of
// threads threads with shared bytes of dynamic shared memory, a
// multiprocessor of the device holds at once, as
// cuOccupancyMaxActiveBlocksPerMultiprocessor does: the least that its
// blocks, threads, registers (ptxas's counts, resources.h) and shared
// memory allow.
func EmuOccupancy(name string, threads, shared int) (int, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var blocks C.int
	err := emuCall(func(e *C.char, n C.int) C.int {
		return C.emu_occupancy(cname, C.int(threads), C.int(shared), &blocks, e, n)
	})
	return int(blocks), err
}

const errLen = 512

// EmuError is an error of the emulator. Sticky is true where the error,
// like a kernel's fault on a GPU, lost the context: every later call fails
// until EmuReset.
type EmuError struct {
	Msg    string
	Sticky bool
}

func (e *EmuError) Error() string { return e.Msg }

// emuCall runs f with an error buffer and turns a non-zero result into an *EmuError.
func emuCall(f func(err *C.char, errlen C.int) C.int) error {
	buf := (*C.char)(C.malloc(errLen))
	defer C.free(unsafe.Pointer(buf))
	if r := f(buf, errLen); r != 0 {
		return &EmuError{Msg: C.GoString(buf), Sticky: r == 2}
	}
	return nil
}

// EmuReset makes a new emulated context, as after cuCtxDestroy and
// cuCtxCreate: it frees all device memory, forgets the kernels' opt-ins and
// a fault that lost the context.
func EmuReset() { C.emu_reset() }

// EmuAlloc allocates bytes of emulated device memory, filled with NaNs.
func EmuAlloc(bytes int64) (uintptr, error) {
	var p C.uintptr_t
	err := emuCall(func(e *C.char, n C.int) C.int { return C.emu_alloc(C.longlong(bytes), &p, e, n) })
	return uintptr(p), err
}

// EmuFree frees what EmuAlloc allocated.
func EmuFree(p uintptr) error {
	return emuCall(func(e *C.char, n C.int) C.int { return C.emu_free(C.uintptr_t(p), e, n) })
}

// EmuMemset sets bytes of device memory from p to value.
func EmuMemset(p uintptr, value byte, bytes int64) error {
	return emuCall(func(e *C.char, n C.int) C.int {
		return C.emu_memset(C.uintptr_t(p), C.int(value), C.longlong(bytes), e, n)
	})
}

// EmuToDevice copies bytes from host memory at src to device memory at dst.
func EmuToDevice(dst uintptr, src unsafe.Pointer, bytes int64) error {
	return emuCall(func(e *C.char, n C.int) C.int {
		return C.emu_copy(C.uintptr_t(dst), C.uintptr_t(uintptr(src)), C.longlong(bytes), e, n)
	})
}

// EmuFromDevice copies bytes from device memory at src to host memory at dst.
func EmuFromDevice(dst unsafe.Pointer, src uintptr, bytes int64) error {
	return emuCall(func(e *C.char, n C.int) C.int {
		return C.emu_copy(C.uintptr_t(uintptr(dst)), C.uintptr_t(src), C.longlong(bytes), e, n)
	})
}

// EmuConfig is a launch's configuration: the grid and block sizes, the
// bytes of dynamic shared memory per block, and whether the launch is
// cooperative (as cuLaunchCooperativeKernel: refused unless every block of
// the grid fits on the device at once), and the size of its thread-block
// clusters (Cluster; none where it is zero, as a launch without
// CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION).
type EmuConfig struct {
	Grid, Block, Cluster [3]int
	Shared               int
	Cooperative          bool
}

// EmuLaunch runs the kernel named name (with its precision suffix) with the
// configuration c and returns when it has finished. Every argument is 8
// bytes, as the CUDA driver copies them for gorgonia.org/cu. It refuses
// what a GPU from Volta to Hopper refuses: grid and block sizes past their
// limits, more registers or shared memory than a block may have, a
// cooperative grid larger than the device holds, and clusters that Hopper
// refuses: on a device before compute capability 9.0, of more than 8 blocks
// unless the kernel allows non-portable sizes (EmuAllowNonPortableCluster),
// of more than 16, more than the device holds at once, or a grid that is not
// a whole number of them.
func EmuLaunch(name string, c EmuConfig, args []uint64) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var g, b [3]C.uint
	for i := range g {
		g[i], b[i] = C.uint(c.Grid[i]), C.uint(c.Block[i])
	}
	var argp *C.uint64_t
	if len(args) > 0 {
		argp = (*C.uint64_t)(unsafe.Pointer(&args[0]))
	}
	coop := C.int(0)
	if c.Cooperative {
		coop = 1
	}
	var cluster *C.uint
	var cdim [3]C.uint
	if c.Cluster != [3]int{} {
		for i := range cdim {
			cdim[i] = C.uint(c.Cluster[i])
		}
		cluster = &cdim[0]
	}
	return emuCall(func(e *C.char, n C.int) C.int {
		return C.emu_launch(cname, &g[0], &b[0], C.uint(c.Shared), coop, cluster, argp, C.int(len(args)), e, n)
	})
}

// EmuMaxClusterSize returns the most blocks of threads threads with shared
// bytes of dynamic shared memory a cluster of the kernel named name may
// have, as cuOccupancyMaxPotentialClusterSize does: 8, or 16 once the kernel
// allows non-portable sizes, at most what the device holds at once; an
// error before compute capability 9.0.
func EmuMaxClusterSize(name string, threads, shared int) (int, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var size C.int
	err := emuCall(func(e *C.char, n C.int) C.int {
		return C.emu_max_cluster_size(cname, C.int(threads), C.int(shared), &size, e, n)
	})
	return int(size), err
}

// EmuAllowNonPortableCluster lets the kernel named name run in clusters of
// up to 16 blocks, as
// cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1)
// does, on a device of compute capability 9.0 or later; a new context
// forgets it.
func EmuAllowNonPortableCluster(name string) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return emuCall(func(e *C.char, n C.int) C.int { return C.emu_allow_non_portable_cluster(cname, e, n) })
}

// EmuStaticShared returns the static shared memory per block of the kernel
// named name, as cuFuncGetAttribute(CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES)
// does: what ptxas counted (resources.h).
func EmuStaticShared(name string) (int, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var bytes C.int
	err := emuCall(func(e *C.char, n C.int) C.int { return C.emu_static_shared(cname, &bytes, e, n) })
	return int(bytes), err
}

// EmuOptInShared lets the blocks of the kernel named name have up to bytes
// of dynamic shared memory, as cuFuncSetAttribute(
// CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES) does; it refuses more
// than the device's SharedOptIn less the kernel's static shared memory. Without it, a
// block has 48 KiB, static and dynamic.
func EmuOptInShared(name string, bytes int) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return emuCall(func(e *C.char, n C.int) C.int { return C.emu_opt_in_shared(cname, C.int(bytes), e, n) })
}

// EmuKernels lists the kernels the emulator has, with their suffixes.
func EmuKernels() []string {
	names := make([]string, int(C.emu_kernel_count()))
	for i := range names {
		names[i] = C.GoString(C.emu_kernel_name(C.int(i)))
	}
	return names
}

// EmuLayout returns the size and the field offsets of the struct shared with
// Go named name (with its precision suffix) as the emulator's C++ compiler
// lays it out; ok is false for a struct it does not know.
func EmuLayout(name string) (size int, offsets []int, ok bool) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var out [64]C.longlong
	n := int(C.emu_layout(cname, &out[0], C.int(len(out))))
	if n < 1 || n > len(out) {
		return 0, nil, false
	}
	for _, v := range out[1:n] {
		offsets = append(offsets, int(v))
	}
	return int(out[0]), offsets, true
}

// EmuCount counts what the emulator has run since the process started.
type EmuCount struct {
	// Launches counts the host's launches: of a kernel, or of a graph.
	Launches int64
	// Kernels counts the kernels run, a graph's included.
	Kernels int64
	// GridBarriers counts the grid barriers that block 0 of a grid reached.
	GridBarriers int64
}

// Sub returns the counts from b to c.
func (c EmuCount) Sub(b EmuCount) EmuCount {
	return EmuCount{c.Launches - b.Launches, c.Kernels - b.Kernels, c.GridBarriers - b.GridBarriers}
}

// EmuCounts returns the emulator's counts.
func EmuCounts() EmuCount {
	var out [3]C.longlong
	C.emu_counts(&out[0])
	return EmuCount{int64(out[0]), int64(out[1]), int64(out[2])}
}

// EmuBeginCapture starts recording launches into a graph instead of running
// them, as cuStreamBeginCapture does.
func EmuBeginCapture() error {
	return emuCall(func(e *C.char, n C.int) C.int { return C.emu_begin_capture(e, n) })
}

// EmuEndCapture ends a capture and returns the graph of the launches it
// recorded, as cuStreamEndCapture and cuGraphInstantiate do.
func EmuEndCapture() (int, error) {
	var g C.int
	err := emuCall(func(e *C.char, n C.int) C.int { return C.emu_end_capture(&g, e, n) })
	return int(g), err
}

// EmuGraphLaunch runs a graph's launches in order: one launch of the host's.
func EmuGraphLaunch(graph int) error {
	return emuCall(func(e *C.char, n C.int) C.int { return C.emu_graph_launch(C.int(graph), e, n) })
}

// EmuGraphDestroy forgets a graph.
func EmuGraphDestroy(graph int) error {
	return emuCall(func(e *C.char, n C.int) C.int { return C.emu_graph_destroy(C.int(graph), e, n) })
}
