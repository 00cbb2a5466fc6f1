//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// kernel is a loaded CUDA function and its name, for errors.
type kernel struct {
	name string
	fn   function
}

// kernelSet holds the kernels of one precision.
type kernelSet struct {
	softmaxRows, denseDelta, denseForwardBatch, denseBackwardDataBatch, denseUpdateBatch kernel
	biasUpdateBatch, outputGrad, gatherRows, epochTotals, sgdSteps                       kernel
}

// entries maps each family's kernels to their places in a kernelSet.
func (k *kernelSet) entries() map[string]map[string]*kernel {
	return map[string]map[string]*kernel{
		"dense": {"softmax_rows": &k.softmaxRows, "dense_delta": &k.denseDelta,
			"dense_forward_batch": &k.denseForwardBatch, "dense_backward_data_batch": &k.denseBackwardDataBatch,
			"dense_update_batch": &k.denseUpdateBatch, "bias_update_batch": &k.biasUpdateBatch},
		"output": {"output_grad": &k.outputGrad},
		"epoch":  {"gather_rows": &k.gatherRows, "epoch_totals": &k.epochTotals},
		"sgd":    {"sgd_steps": &k.sgdSteps},
	}
}

// precision is the kernel name suffix of a dtype.
func precision(d engine.DType) string {
	if d == engine.Float32 {
		return "f32"
	}
	return "f64"
}

// device owns the CUDA context of GPU 0. Its goroutine, locked to one OS
// thread, runs every function handed to it through calls.
type device struct {
	calls           chan func()
	name            string
	multiprocessors int
	kernels         map[engine.DType]*kernelSet
	syncEach        bool
}

var opened struct {
	once sync.Once
	dev  *device
	err  error
}

// open starts the device on first use and returns it.
func open() (*device, error) {
	opened.once.Do(func() { opened.dev, opened.err = start() })
	return opened.dev, opened.err
}

func start() (*device, error) {
	d := &device{calls: make(chan func()), syncEach: os.Getenv("PERCEPTRON_CUDA_SYNC") == "1"}
	ready := make(chan error)
	go func() {
		runtime.LockOSThread()
		err := d.init()
		ready <- err
		if err != nil {
			return
		}
		for f := range d.calls {
			f()
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
	if d.name, d.multiprocessors, err = createContext(); err != nil {
		return err
	}
	d.kernels = map[engine.DType]*kernelSet{}
	for _, dtype := range []engine.DType{engine.Float32, engine.Float64} {
		ks := new(kernelSet)
		p := precision(dtype)
		mod, err := loadModule(p)
		if err != nil {
			return err
		}
		for _, names := range ks.entries() {
			for name, k := range names {
				full := name + "_" + p
				fn, err := mod.function(full)
				if err != nil {
					return fmt.Errorf("gpu: cuModuleGetFunction %s: %w", full, err)
				}
				*k = kernel{name: full, fn: fn}
			}
		}
		d.kernels[dtype] = ks
	}
	return nil
}

// do runs f on the device's thread and returns its error.
func (d *device) do(f func() error) error {
	done := make(chan error, 1)
	d.calls <- func() { done <- f() }
	return <-done
}

// dim is a launch's grid or block size.
type dim struct{ x, y int }

// launch launches k on the default stream. Every argument is passed as 8
// bytes, as gorgonia.org/cu copies them: device pointers, ints (the kernel
// reads the low 4 bytes of a C int) and reals (see realArg).
func (d *device) launch(k kernel, grid, block dim, args ...uint64) error {
	if err := k.fn.launch(grid, block, args); err != nil {
		return fmt.Errorf("gpu: %s: %w", k.name, err)
	}
	if d.syncEach {
		if err := synchronize(); err != nil {
			return fmt.Errorf("gpu: %s (synchronised after the launch): %w", k.name, err)
		}
	}
	return nil
}

func ptrArg(p devicePtr) uint64 { return uint64(p) }
func intArg(n int) uint64       { return uint64(int64(n)) }

// realArg passes v as the kernel's real: a float32 in the low 4 bytes, or a float64.
func realArg(dtype engine.DType, v float64) uint64 {
	if dtype == engine.Float32 {
		return uint64(math.Float32bits(float32(v)))
	}
	return math.Float64bits(v)
}

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
// It returns engine.ErrNoDevice, with the reason, when there is no NVIDIA
// driver or no GPU.
func New() (engine.Backend, error) {
	d, err := open()
	if err != nil {
		return nil, err
	}
	return &Backend{d: d}, nil
}
