//go:build cudaemu && !cuda

package gpu

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/perceptron-go/perceptron/kernels"
)

// The CUDA emulator of package kernels in place of the driver (build tag
// cudaemu): the backend and its tests run on the CPU, every kernel a fiber
// per thread, synchronously. It is for testing the kernels and the host code
// where there is no GPU, not for speed.

// devicePtr is an address in emulated device memory.
type devicePtr uintptr

// gpuContext is the emulator's context: a new one starts with no device
// memory and no fault.
type gpuContext struct {
	name            string
	multiprocessors int
	cooperative     bool
	sharedOptIn     int
	clusters        bool
}

// createContext makes a new emulated context on the device the emulator
// stands for (kernels.EmuSetDevice).
func createContext() (gpuContext, error) {
	kernels.EmuReset()
	dev := kernels.EmuCurrentDevice()
	return gpuContext{name: dev.Name, multiprocessors: dev.Multiprocessors, cooperative: true, sharedOptIn: dev.SharedOptIn,
		clusters: dev.Major >= 9}, nil
}

// destroy frees the context's memory, as releasing the last reference to
// a primary context does, or resetting it where an error lost it.
func (*gpuContext) destroy(bool) { kernels.EmuReset() }

// module is the emulator's kernels of one precision.
type module struct{}

func (*gpuContext) loadModule([]byte) (module, error) { return module{}, nil }

// function is a kernel of the emulator, by name.
type function struct{ name string }

func (*gpuContext) function(_ module, name string) (function, error) {
	if !slices.Contains(kernels.EmuKernels(), name) {
		return function{}, fmt.Errorf("the emulator has no kernel %s", name)
	}
	return function{name}, nil
}

func (f function) launch(c launchConfig, args []uint64) error {
	cfg := kernels.EmuConfig{Grid: [3]int{c.grid.x, max(c.grid.y, 1), 1},
		Block: [3]int{c.block.x, max(c.block.y, 1), 1}, Shared: c.shared, Cooperative: c.cooperative}
	if c.cluster > 0 {
		cfg.Cluster = [3]int{c.cluster, 1, 1}
	}
	return kernels.EmuLaunch(f.name, cfg, args)
}

// allowNonPortableCluster lets the kernel run in clusters of up to 16 blocks.
func (f function) allowNonPortableCluster() error { return kernels.EmuAllowNonPortableCluster(f.name) }

// maxClusterSize is the most blocks of threads threads with shared bytes of
// dynamic shared memory that a cluster of the kernel may have.
func (f function) maxClusterSize(threads, shared int) (int, error) {
	return kernels.EmuMaxClusterSize(f.name, threads, shared)
}

// residentPerSM is how many blocks of threads threads with shared bytes
// of dynamic shared memory a multiprocessor of the emulated device holds
// at once.
func (f function) residentPerSM(threads, shared int) (int, error) {
	return kernels.EmuOccupancy(f.name, threads, shared)
}

// staticShared is the kernel's static shared memory per block, in bytes.
func (f function) staticShared() (int, error) { return kernels.EmuStaticShared(f.name) }

// optInShared lets the kernel's blocks have up to bytes of dynamic shared
// memory, past the 48 KiB a block has without opting in.
func (f function) optInShared(bytes int) error { return kernels.EmuOptInShared(f.name, bytes) }

// sticky reports whether err lost the emulated context (a kernel's fault).
func sticky(err error) bool {
	var e *kernels.EmuError
	return errors.As(err, &e) && e.Sticky
}

// tooLarge reports whether err is a cooperative launch's refusal of a grid
// that the device cannot hold at once.
func tooLarge(err error) bool {
	var e *kernels.EmuError
	return errors.As(err, &e) && strings.HasPrefix(e.Msg, "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE")
}

// synchronize counts as a drain (drains): the host would wait for the
// device.
func synchronize() error {
	drains.Add(1)
	return nil
}

// drains counts the calls that would make the host wait for all the work
// queued on the device (synchronize, memcpyDtoH), for the tests: the
// emulator runs every kernel before its launch returns, so it cannot show
// a wait otherwise.
var drains atomic.Int64

func memAlloc(bytes int64) (devicePtr, error) {
	p, err := kernels.EmuAlloc(bytes)
	return devicePtr(p), err
}

func memFree(p devicePtr) error                       { return kernels.EmuFree(uintptr(p)) }
func memsetD8(p devicePtr, v byte, bytes int64) error { return kernels.EmuMemset(uintptr(p), v, bytes) }
func memcpyHtoD(dst devicePtr, src unsafe.Pointer, bytes int64) error {
	return kernels.EmuToDevice(uintptr(dst), src, bytes)
}
func memcpyDtoH(dst unsafe.Pointer, src devicePtr, bytes int64) error {
	drains.Add(1)
	return kernels.EmuFromDevice(dst, uintptr(src), bytes)
}

// event marks a point of the emulated stream; as the emulator runs each
// launch before it returns, the work before it has always finished.
type event struct{}

func (*gpuContext) newEvent() (event, error) { return event{}, nil }
func (event) record() error                  { return nil }
func (event) query() (bool, error)           { return true, nil }
func (event) destroy() error                 { return nil }

// pinned is host memory that a copy on the stream fills (page-locked on a
// GPU; ordinary memory here).
type pinned unsafe.Pointer

func allocPinned(bytes int) (pinned, error) {
	return pinned(unsafe.Pointer(&make([]uint64, (bytes+7)/8)[0])), nil
}
func freePinned(pinned) error { return nil }

// copyOut copies bytes from the device at src into dst, as the stream would
// after the work queued so far, without counting as a drain.
func (*gpuContext) copyOut(dst pinned, src devicePtr, bytes int) error {
	return kernels.EmuFromDevice(unsafe.Pointer(dst), uintptr(src), int64(bytes))
}

// Devices lists the emulated device.
func Devices() ([]string, error) {
	dev := kernels.EmuCurrentDevice()
	return []string{fmt.Sprintf("%s (%d multiprocessors of %d blocks)", dev.Name, dev.Multiprocessors, dev.BlocksPerSM)}, nil
}

// graph is a graph the emulator recorded.
type graph struct{ id int }

// beginCapture starts recording launches into a graph.
func (*gpuContext) beginCapture() error { return kernels.EmuBeginCapture() }

// endCapture ends the recording and returns its graph.
func (*gpuContext) endCapture() (graph, error) {
	id, err := kernels.EmuEndCapture()
	return graph{id}, err
}

// launch runs the graph's kernels.
func (g graph) launch() error { return kernels.EmuGraphLaunch(g.id) }

// destroy forgets the graph.
func (g graph) destroy() error { return kernels.EmuGraphDestroy(g.id) }
