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

// kernelSet holds the kernels of one precision, which the typed launchers
// of kernels_gen.go launch.
type kernelSet struct {
	d     *device
	dtype engine.DType
	fns   [kernelCount]function
}

// name is a kernel's name with its precision suffix.
func (ks *kernelSet) name(id kernelID) string { return kernelNames[id] + "_" + precision(ks.dtype) }

// real passes v as the kernels' real: a float32 in the low 4 bytes, or a float64.
func (ks *kernelSet) real(v float64) uint64 { return realArg(ks.dtype, v) }

// launch queues kernel id with cfg. Every argument is passed as 8 bytes:
// device pointers, ints (the kernel reads the low 4 bytes of a C int) and
// reals (see realArg).
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
		ks := &kernelSet{d: d, dtype: dtype}
		mod, err := loadModule(precision(dtype))
		if err != nil {
			return err
		}
		for id := range kernelCount {
			if ks.fns[id], err = mod.function(ks.name(id)); err != nil {
				return fmt.Errorf("gpu: cuModuleGetFunction %s: %w", ks.name(id), err)
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

// launchConfig is a launch's shape: the grid and block sizes, the bytes of
// dynamic shared memory per block, and whether the launch is cooperative
// (every block resident at once, or the launch fails).
type launchConfig struct {
	grid, block dim
	shared      int
	cooperative bool
}

// flat is the configuration of a kernel of one thread per value over n
// values, in blocks of threads threads.
func flat(n int) launchConfig {
	return launchConfig{grid: dim{blocks(n, threads), 1}, block: dim{threads, 1}}
}

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
// It returns ErrNoDevice, with the reason, when there is no NVIDIA
// driver or no GPU.
func New() (engine.Backend, error) {
	d, err := open()
	if err != nil {
		return nil, err
	}
	return &Backend{d: d}, nil
}
