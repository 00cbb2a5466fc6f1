//go:build cuda

package gpu

// What gorgonia.org/cu v0.9.6 does not offer, in cgo of our own: modules
// whose CUfunction we keep, launches on a stream of ours (cooperative ones
// included, whose cu.LaunchCooperativeKernel is an empty function), the
// occupancy with dynamic shared memory, graphs captured from the stream. The driver functions go through the
// trampolines of package cushim, like cu's (go generate
// ./gpu/internal/cushim finds these calls). They run on the device's
// thread, in the context cu made current there.

/*
#cgo CFLAGS: -I/usr/local/cuda/include
#include <cuda.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// gpu_launch launches f with n arguments of 8 bytes each, cooperatively
// when cooperative is not 0, in thread-block clusters of cluster blocks
// (along x) when cluster is not 0, through cuLaunchKernelEx.
static CUresult gpu_launch(CUfunction f, unsigned gx, unsigned gy, unsigned bx, unsigned by, unsigned shared,
                           CUstream stream, int cooperative, unsigned cluster, uint64_t *args, int n) {
	void *params[64];
	if (n > 64) {
		return CUDA_ERROR_INVALID_VALUE;
	}
	for (int i = 0; i < n; i++) {
		params[i] = &args[i];
	}
	if (cluster) {
		CUlaunchAttribute attr[2];
		memset(attr, 0, sizeof attr);
		attr[0].id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
		attr[0].value.clusterDim.x = cluster;
		attr[0].value.clusterDim.y = 1;
		attr[0].value.clusterDim.z = 1;
		attr[1].id = CU_LAUNCH_ATTRIBUTE_COOPERATIVE;
		attr[1].value.cooperative = cooperative;
		CUlaunchConfig cfg = {gx, gy, 1, bx, by, 1, shared, stream, attr, cooperative ? 2 : 1};
		return cuLaunchKernelEx(&cfg, f, params, NULL);
	}
	if (cooperative) {
		return cuLaunchCooperativeKernel(f, gx, gy, 1, bx, by, 1, shared, stream, params);
	}
	return cuLaunchKernel(f, gx, gy, 1, bx, by, 1, shared, stream, params, NULL);
}

// gpu_begin_capture starts capturing the stream's launches into a graph.
static CUresult gpu_begin_capture(CUstream stream) {
	return cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
}

// gpu_end_capture ends the capture and instantiates its graph.
static CUresult gpu_end_capture(CUstream stream, CUgraphExec *exec) {
	CUgraph graph;
	CUresult r = cuStreamEndCapture(stream, &graph);
	if (r != CUDA_SUCCESS) {
		return r;
	}
	r = cuGraphInstantiate(exec, graph, NULL, NULL, 0);
	cuGraphDestroy(graph);
	return r;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"gorgonia.org/cu"
)

// cudaError is a CUresult of a driver call that this file makes.
type cudaError C.CUresult

func (e cudaError) Error() string {
	var name, desc *C.char
	if C.cuGetErrorName(C.CUresult(e), &name) != C.CUDA_SUCCESS || C.cuGetErrorString(C.CUresult(e), &desc) != C.CUDA_SUCCESS {
		return fmt.Sprintf("CUresult %d", int(e))
	}
	return fmt.Sprintf("%s (%s)", C.GoString(name), C.GoString(desc))
}

// check turns a CUresult into an error, nil for CUDA_SUCCESS.
func check(r C.CUresult) error {
	if r != C.CUDA_SUCCESS {
		return cudaError(r)
	}
	return nil
}

// stickyResults are the errors after which a CUDA context is unusable: a
// kernel faulted, and every later call in the context fails.
var stickyResults = []C.CUresult{C.CUDA_ERROR_ECC_UNCORRECTABLE, C.CUDA_ERROR_ILLEGAL_ADDRESS, C.CUDA_ERROR_LAUNCH_TIMEOUT,
	C.CUDA_ERROR_ASSERT, C.CUDA_ERROR_HARDWARE_STACK_ERROR, C.CUDA_ERROR_ILLEGAL_INSTRUCTION,
	C.CUDA_ERROR_MISALIGNED_ADDRESS, C.CUDA_ERROR_INVALID_ADDRESS_SPACE, C.CUDA_ERROR_INVALID_PC, C.CUDA_ERROR_LAUNCH_FAILED}

// sticky reports whether err, from our calls or gorgonia.org/cu's, leaves
// the context unusable.
func sticky(err error) bool {
	var own cudaError
	if errors.As(err, &own) {
		return slices.Contains(stickyResults, C.CUresult(own))
	}
	for _, r := range []error{cu.EccUncorrectable, cu.IllegalAddress, cu.LaunchTimeout, cu.Assert, cu.HardwareStackError,
		cu.IllegalInstruction, cu.MisalignedAddress, cu.InvalidAddressSpace, cu.InvalidPc, cu.LaunchFailed} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// module is a loaded module: the kernels of one precision.
type module struct{ m C.CUmodule }

// loadModule loads a fatbin (kernels.Fatbin): SASS where it has the GPU's,
// its PTX JIT-compiled otherwise.
func loadModule(image []byte) (module, error) {
	var m C.CUmodule
	if err := check(C.cuModuleLoadData(&m, unsafe.Pointer(&image[0]))); err != nil {
		return module{}, err
	}
	return module{m}, nil
}

// function is a kernel of a loaded module, launched on stream.
type function struct {
	fn     C.CUfunction
	stream C.CUstream
}

func (m module) function(name string, s stream) (function, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var fn C.CUfunction
	if err := check(C.cuModuleGetFunction(&fn, m.m, cname)); err != nil {
		return function{}, err
	}
	return function{fn: fn, stream: s.s}, nil
}

// launch queues the kernel on its stream, each argument as 8 bytes.
func (f function) launch(c launchConfig, args []uint64) error {
	var argp *C.uint64_t
	if len(args) > 0 {
		argp = (*C.uint64_t)(unsafe.Pointer(&args[0]))
	}
	coop := C.int(0)
	if c.cooperative {
		coop = 1
	}
	return check(C.gpu_launch(f.fn, C.uint(c.grid.x), C.uint(max(c.grid.y, 1)), C.uint(c.block.x), C.uint(max(c.block.y, 1)),
		C.uint(c.shared), f.stream, coop, C.uint(c.cluster), argp, C.int(len(args))))
}

// residentPerSM is how many blocks of threads threads, with shared bytes of
// dynamic shared memory each, fit on one multiprocessor at once.
func (f function) residentPerSM(threads, shared int) (int, error) {
	var n C.int
	err := check(C.cuOccupancyMaxActiveBlocksPerMultiprocessor(&n, f.fn, C.int(threads), C.size_t(shared)))
	return int(n), err
}

// stream is the stream every kernel runs on. It is a blocking stream: the
// memory copies and sets of gorgonia.org/cu, on the legacy default stream,
// wait for its kernels and its kernels for them.
type stream struct{ s C.CUstream }

// address returns the stream's CUstream as an address, as NCCL takes it.
func (s stream) address() uintptr { return uintptr(unsafe.Pointer(s.s)) }

func newStream() (stream, error) {
	var s C.CUstream
	err := check(C.cuStreamCreate(&s, C.CU_STREAM_DEFAULT))
	return stream{s}, err
}

// wait makes the work queued on the stream from now on wait for the work
// that e marks (its last record).
func (s stream) wait(e event) error { return check(C.cuStreamWaitEvent(s.s, e.ev, 0)) }

// destroy frees the stream once the work queued on it has finished; it
// does not wait.
func (s stream) destroy() error { return check(C.cuStreamDestroy(s.s)) }

// cooperativeLaunch reports whether device dev can launch cooperative kernels.
func cooperativeLaunch(dev cu.Device) (bool, error) {
	var v C.int
	err := check(C.cuDeviceGetAttribute(&v, C.CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH, C.CUdevice(dev)))
	return v != 0, err
}

// clusterLaunch reports whether device dev launches thread-block clusters
// (compute capability 9.0 and later). The attribute and cuLaunchKernelEx
// came with the same driver (CUDA 11.8): a driver that does not know the
// attribute refuses it, and the device plans no clusters.
func clusterLaunch(dev cu.Device) bool {
	var v C.int
	err := check(C.cuDeviceGetAttribute(&v, C.CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH, C.CUdevice(dev)))
	return err == nil && v != 0
}

// allowNonPortableCluster lets the kernel run in clusters of up to 16 blocks.
func (f function) allowNonPortableCluster() error {
	return check(C.cuFuncSetAttribute(f.fn, C.CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1))
}

// maxClusterSize is the most blocks of threads threads with shared bytes of
// dynamic shared memory that a cluster of the kernel may have on the device
// (cuOccupancyMaxPotentialClusterSize: 8, or up to 16 where the kernel
// allows non-portable sizes and a GPC holds them).
func (f function) maxClusterSize(threads, shared int) (int, error) {
	var n C.int
	cfg := C.CUlaunchConfig{gridDimX: 1, gridDimY: 1, gridDimZ: 1, blockDimX: C.uint(threads), blockDimY: 1, blockDimZ: 1,
		sharedMemBytes: C.uint(shared)}
	err := check(C.cuOccupancyMaxPotentialClusterSize(&n, f.fn, &cfg))
	return int(n), err
}

// sharedOptIn is the most shared memory, static and dynamic, that a block
// of a kernel that opts in may have on device dev (96 KiB on Volta, 163 KiB
// on the A100, 227 KiB on Hopper).
func sharedOptIn(dev cu.Device) (int, error) {
	var v C.int
	err := check(C.cuDeviceGetAttribute(&v, C.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, C.CUdevice(dev)))
	return int(v), err
}

// staticShared is the kernel's static shared memory per block, in bytes.
func (f function) staticShared() (int, error) {
	var v C.int
	err := check(C.cuFuncGetAttribute(&v, C.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f.fn))
	return int(v), err
}

// optInShared lets the kernel's blocks have up to bytes of dynamic shared
// memory, past the 48 KiB a block has without opting in.
func (f function) optInShared(bytes int) error {
	return check(C.cuFuncSetAttribute(f.fn, C.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, C.int(bytes)))
}

// tooLarge reports whether err is a cooperative launch's refusal of a grid
// that the device cannot hold at once.
func tooLarge(err error) bool {
	var own cudaError
	return errors.As(err, &own) && C.CUresult(own) == C.CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE
}

// synchronize waits for every kernel and copy queued in the context, and
// returns the error of one that failed.
func synchronize() error { return check(C.cuCtxSynchronize()) }

// event marks a point of a stream (the context's, or a data-parallel
// fit's second stream): query reports whether the work queued before it
// has finished.
type event struct {
	ev     C.CUevent
	stream C.CUstream
}

// newEvent makes an event of the context's stream, without timing.
func (c *gpuContext) newEvent() (event, error) { return c.stream.newEvent() }

// newEvent makes an event of the stream, without timing.
func (s stream) newEvent() (event, error) {
	e := event{stream: s.s}
	err := check(C.cuEventCreate(&e.ev, C.CU_EVENT_DISABLE_TIMING))
	return e, err
}

// record marks the work queued on the stream so far.
func (e event) record() error { return check(C.cuEventRecord(e.ev, e.stream)) }

// query reports, without waiting, whether the work marked has finished
// (an event never recorded has).
func (e event) query() (bool, error) {
	r := C.cuEventQuery(e.ev)
	if r == C.CUDA_ERROR_NOT_READY {
		return false, nil
	}
	return r == C.CUDA_SUCCESS, check(r)
}

// destroy frees the event.
func (e event) destroy() error { return check(C.cuEventDestroy(e.ev)) }

// pinned is page-locked host memory, which a copy on the stream fills
// without the host waiting for it.
type pinned unsafe.Pointer

// allocPinned allocates bytes of page-locked host memory.
func allocPinned(bytes int) (pinned, error) {
	var p unsafe.Pointer
	err := check(C.cuMemAllocHost(&p, C.size_t(bytes)))
	return pinned(p), err
}

// freePinned frees what allocPinned allocated.
func freePinned(p pinned) error { return check(C.cuMemFreeHost(unsafe.Pointer(p))) }

// copyOut queues a copy of bytes from the device at src into dst on the
// context's stream, after the work queued so far; the host does not wait
// for it (an event recorded after it says when it is done).
func (c *gpuContext) copyOut(dst pinned, src devicePtr, bytes int) error {
	return check(C.cuMemcpyDtoHAsync(unsafe.Pointer(dst), C.CUdeviceptr(src), C.size_t(bytes), c.stream.s))
}

// graph is an instantiated CUDA graph, launched on the stream it was
// captured from.
type graph struct {
	exec   C.CUgraphExec
	stream C.CUstream
}

// beginCapture starts capturing the launches on the context's stream into a
// graph (they run only when the graph does).
func (c *gpuContext) beginCapture() error { return check(C.gpu_begin_capture(c.stream.s)) }

// endCapture ends the capture and returns its graph, instantiated.
func (c *gpuContext) endCapture() (graph, error) {
	g := graph{stream: c.stream.s}
	err := check(C.gpu_end_capture(c.stream.s, &g.exec))
	return g, err
}

// launch queues the graph's kernels on its stream.
func (g graph) launch() error { return check(C.cuGraphLaunch(g.exec, g.stream)) }

// destroy frees the graph.
func (g graph) destroy() error { return check(C.cuGraphExecDestroy(g.exec)) }
