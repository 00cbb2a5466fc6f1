//go:build cuda || cudaemu

package gpu

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/kernels"
)

// kernelSet holds the kernels of one precision, which the typed launchers
// of kernels_gen.go launch.
type kernelSet struct {
	d     *device
	dtype engine.DType
	fns   [kernelCount]function
	// sgdBudget is the most dynamic shared memory a block of sgd_steps may
	// have: the device's opt-in limit less the kernel's static shared memory.
	sgdBudget int
	// sparseBudget is sparse_steps's (sparse.go), clusterBudget
	// cluster_steps's, where the device runs clusters.
	sparseBudget, clusterBudget int
	// clusterMax is the most blocks of a cluster of cluster_steps that the
	// device runs (0 where it runs no clusters).
	clusterMax int
}

// name is a kernel's name with its precision suffix.
func (ks *kernelSet) name(id kernelID) string { return kernelNames[id] + "_" + precision(ks.dtype) }

// real passes v as the kernels' real: a float32 in the low 4 bytes, or a
// float64. genkernels writes a call of it into the launcher of a kernel
// with a real parameter; no kernel has one today.
//
//lint:ignore U1000 the generated launchers call it for a kernel's real parameter
func (ks *kernelSet) real(v float64) uint64 {
	if ks.dtype == engine.Float32 {
		return uint64(math.Float32bits(float32(v)))
	}
	return math.Float64bits(v)
}

// launch queues kernel id with cfg. Every argument is passed as 8 bytes:
// device pointers, ints (the kernel reads the low 4 bytes of a C int) and
// reals (see real).
func (ks *kernelSet) launch(id kernelID, cfg launchConfig, args ...uint64) error {
	if err := ks.fns[id].launch(cfg, args); err != nil {
		return fmt.Errorf("gpu: %s: %w", ks.name(id), err)
	}
	if ks.d.syncEach {
		if err := synchronize(); err != nil {
			return fmt.Errorf("gpu: %s (synchronised after the launch): %w", ks.name(id), err)
		}
	}
	return nil
}

// precision is the kernel name suffix of a dtype.
func precision(d engine.DType) string {
	if d == engine.Float32 {
		return "f32"
	}
	return "f64"
}

// device owns a CUDA context on the process's GPU. Its goroutine, locked
// to one OS thread, runs every function handed to it through calls. After an error
// that leaves the context unusable (a kernel's fault: sticky reports it),
// the device is lost: every call fails, and open starts a new device, with
// a new context, in its place.
type device struct {
	calls           chan func()
	quit, closed    chan struct{}
	ctx             gpuContext
	name            string
	multiprocessors int
	cooperative     bool // the GPU can launch cooperative kernels
	sharedOptIn     int  // the most shared memory a block may have once its kernel opts in
	clusters        bool // the GPU launches thread-block clusters (Hopper, through cuLaunchKernelEx)
	kernels         map[engine.DType]*kernelSet
	syncEach        bool

	mu   sync.Mutex
	lost error // the error that lost the context, or nil
}

var opened struct {
	mu  sync.Mutex
	dev *device
	err error // why there is no GPU, which stays so for the process
}

// open starts the device on first use, or again once it is lost, and returns it.
func open() (*device, error) {
	opened.mu.Lock()
	defer opened.mu.Unlock()
	if opened.err != nil {
		return nil, opened.err
	}
	if opened.dev != nil && opened.dev.lostError() == nil {
		return opened.dev, nil
	}
	if opened.dev != nil {
		opened.dev.close()
		opened.dev = nil
	}
	d, err := start()
	if errors.Is(err, ErrNoDevice) {
		opened.err = err
	}
	if err != nil {
		return nil, err
	}
	opened.dev = d
	return d, nil
}

func start() (*device, error) {
	d := &device{calls: make(chan func()), quit: make(chan struct{}), closed: make(chan struct{}),
		syncEach: os.Getenv("PERCEPTRON_CUDA_SYNC") == "1"}
	ready := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer close(d.closed)
		err := d.init()
		ready <- err
		if err != nil {
			return
		}
		for {
			select {
			case f := <-d.calls:
				f()
			case <-d.quit:
				d.ctx.destroy(d.lostError() != nil)
				return
			}
		}
	}()
	if err := <-ready; err != nil {
		return nil, err
	}
	return d, nil
}

// init creates the context and loads the kernels of both precisions.
func (d *device) init() error {
	var err error
	if d.ctx, err = createContext(); err != nil {
		return err
	}
	d.name, d.multiprocessors, d.cooperative, d.sharedOptIn = d.ctx.name, d.ctx.multiprocessors, d.ctx.cooperative, d.ctx.sharedOptIn
	d.clusters = d.ctx.clusters
	d.kernels = map[engine.DType]*kernelSet{}
	for _, dtype := range []engine.DType{engine.Float32, engine.Float64} {
		ks := &kernelSet{d: d, dtype: dtype}
		p := precision(dtype)
		image, err := kernels.Fatbin(p)
		if err != nil {
			return err
		}
		mod, err := d.ctx.loadModule(image)
		if err != nil {
			return fmt.Errorf("gpu: cuModuleLoadData kernels_%s.fatbin: %w", p, err)
		}
		for id := range kernelCount {
			if ks.fns[id], err = d.ctx.function(mod, ks.name(id)); err != nil {
				return fmt.Errorf("gpu: cuModuleGetFunction %s: %w", ks.name(id), err)
			}
		}
		if err := ks.optInSGD(); err != nil {
			return err
		}
		if err := ks.optInSparse(); err != nil {
			return err
		}
		d.kernels[dtype] = ks
	}
	return nil
}

// optInSGD lets sgd_steps have all the dynamic shared memory the device
// allows a block (its opt-in limit less the kernel's static shared memory,
// which ptxas counts per architecture: 1,040 bytes on sm_90), and sets
// sgdBudget to it; sgd_fits, which runs the plans of one block in shared
// memory that fit that budget, and has no more static shared memory, opts
// in to the same.
func (ks *kernelSet) optInSGD() error {
	static, err := ks.fns[kernelSgdSteps].staticShared()
	if err != nil {
		return fmt.Errorf("gpu: cuFuncGetAttribute(%s, static shared memory): %w", ks.name(kernelSgdSteps), err)
	}
	ks.sgdBudget = ks.d.sharedOptIn - static
	for _, id := range []kernelID{kernelSgdSteps, kernelSgdFits} {
		if err := ks.fns[id].optInShared(ks.sgdBudget); err != nil {
			return fmt.Errorf("gpu: cuFuncSetAttribute(%s, %d bytes of dynamic shared memory): %w", ks.name(id), ks.sgdBudget, err)
		}
	}
	return nil
}

// lostError returns the error that lost the device's context, wrapped so
// as to say so, or nil.
func (d *device) lostError() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lost == nil {
		return nil
	}
	return fmt.Errorf("gpu: the CUDA context was lost to an earlier error, and a new backend or trainer opens another: %w", d.lost)
}

// do runs f on the device's thread and returns its error. An error that
// leaves the context unusable loses the device.
func (d *device) do(f func() error) error {
	if err := d.lostError(); err != nil {
		return err
	}
	done := make(chan error, 1)
	select {
	case d.calls <- func() { done <- f() }:
	case <-d.closed:
		return d.lostError()
	}
	err := <-done
	if err != nil && sticky(err) {
		d.mu.Lock()
		if d.lost == nil {
			d.lost = err
		}
		d.mu.Unlock()
	}
	return err
}

// close destroys the context, freeing everything in it, and ends the
// device's goroutine.
func (d *device) close() {
	close(d.quit)
	<-d.closed
}

// dim is a launch's grid or block size.
type dim struct{ x, y int }

// launchConfig is a launch's shape: the grid and block sizes, the bytes of
// dynamic shared memory per block, and whether the launch is cooperative
// (every block resident at once, or the launch fails).
type launchConfig struct {
	grid, block dim
	shared      int
	cooperative bool
	cluster     int // blocks a thread-block cluster (along x); 0: no clusters
}

// flat is the configuration of a kernel of one thread per value over n
// values, in blocks of threads threads.
func flat(n int) launchConfig {
	return launchConfig{grid: dim{blocks(n, threads), 1}, block: dim{threads, 1}}
}

// oneThread is the configuration of a kernel that runs on one thread, such
// as the cursor's advance.
var oneThread = launchConfig{grid: dim{1, 1}, block: dim{1, 1}}

// memory tracks device allocations so that they are freed together.
type memory struct{ ptrs []devicePtr }

// alloc allocates bytes of device memory for what (named in errors).
func (m *memory) alloc(bytes int64, what string) (devicePtr, error) {
	p, err := memAlloc(max(bytes, 8))
	if err != nil {
		return 0, fmt.Errorf("gpu: cuMemAlloc(%d bytes) for %s: %w", bytes, what, err)
	}
	m.ptrs = append(m.ptrs, p)
	return p, nil
}

// free frees every allocation; it returns the first error.
func (m *memory) free() error {
	var first error
	for _, p := range m.ptrs {
		if err := memFree(p); err != nil && first == nil {
			first = fmt.Errorf("gpu: cuMemFree: %w", err)
		}
	}
	m.ptrs = nil
	return first
}

// upload copies vals, converted to dtype, to dst.
func upload(dst devicePtr, vals []float64, dtype engine.DType) error {
	if len(vals) == 0 {
		return nil
	}
	var err error
	if dtype == engine.Float32 {
		s := make([]float32, len(vals))
		for i, v := range vals {
			s[i] = float32(v)
		}
		err = memcpyHtoD(dst, unsafe.Pointer(&s[0]), int64(4*len(s)))
	} else {
		err = memcpyHtoD(dst, unsafe.Pointer(&vals[0]), int64(8*len(vals)))
	}
	if err != nil {
		return fmt.Errorf("gpu: cuMemcpyHtoD(%d values): %w", len(vals), err)
	}
	return nil
}

// uploadChunk is how many values uploadInputs converts at a time.
const uploadChunk = 1 << 20

// uploadInputs copies data's inputs, held in X or Codes, converted to
// dtype, to dst: a piece of uploadChunk values at a time, so that the host
// never holds a converted copy of the whole set (X itself goes up as it is
// where dtype is float64).
func uploadInputs(dst devicePtr, data engine.Examples, dtype engine.DType) error {
	switch {
	case data.X != nil && dtype == engine.Float64:
		return upload(dst, data.X[:data.N*data.Features], dtype)
	case dtype == engine.Float32:
		return uploadInputsAs[float32](dst, data)
	}
	return uploadInputsAs[float64](dst, data)
}

// uploadInputsAs is uploadInputs for dtype T.
func uploadInputsAs[T engine.Float](dst devicePtr, data engine.Examples) error {
	n, size := data.N*data.Features, int64(unsafe.Sizeof(T(0)))
	buf := make([]T, min(uploadChunk, n))
	for lo := 0; lo < n; lo += uploadChunk {
		piece := buf[:min(uploadChunk, n-lo)]
		dataset.Values(piece, data.X, data.Codes, lo)
		if err := memcpyHtoD(dst+devicePtr(int64(lo)*size), unsafe.Pointer(&piece[0]), int64(len(piece))*size); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD(%d values): %w", len(piece), err)
		}
	}
	return nil
}

// download copies len(dst) values of dtype from src into dst.
func download(dst []float64, src devicePtr, dtype engine.DType) error {
	if len(dst) == 0 {
		return nil
	}
	var err error
	if dtype == engine.Float32 {
		s := make([]float32, len(dst))
		if err = memcpyDtoH(unsafe.Pointer(&s[0]), src, int64(4*len(s))); err == nil {
			for i, v := range s {
				dst[i] = float64(v)
			}
		}
	} else {
		err = memcpyDtoH(unsafe.Pointer(&dst[0]), src, int64(8*len(dst)))
	}
	if err != nil {
		return fmt.Errorf("gpu: cuMemcpyDtoH(%d values): %w", len(dst), err)
	}
	return nil
}

// New returns the CUDA backend on GPU 0, starting its context on first use.
// In a process that an MPI launcher started (mpirun sets
// OMPI_COMM_WORLD_LOCAL_RANK; MPICH, MVAPICH2 and srun their own), it
// opens the GPU of the process's rank on its node instead, modulo the
// GPUs it sees, so that each process of a data-parallel fit has its own.
// It returns ErrNoDevice, with the reason, when there is no NVIDIA
// driver or no GPU.
func New() (engine.Backend, error) {
	d, err := open()
	if err != nil {
		return nil, err
	}
	return &Backend{d: d}, nil
}
