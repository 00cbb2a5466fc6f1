//go:build cuda

package gpu

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/perceptron-go/perceptron/gpu/internal/cushim"
	"github.com/perceptron-go/perceptron/kernels"
)

// The CUDA driver, through gorgonia.org/cu: what device.go and backend.go
// call on the device's thread. driver_emu.go has the same functions on the
// emulator. The driver library is loaded at run time by package cushim.

// devicePtr is an address in device memory.
type devicePtr = cu.DevicePtr

// usable returns nil when the driver is loaded and initialised, and
// otherwise ErrNoDevice with the reason.
func usable() error {
	if err := cushim.Init(); err != nil {
		return fmt.Errorf("%w: %w", ErrNoDevice, err)
	}
	return nil
}

// createContext makes a context on GPU 0 current on this thread and returns
// the GPU's name and number of multiprocessors.
func createContext() (string, int, error) {
	if err := usable(); err != nil {
		return "", 0, err
	}
	n, err := cu.NumDevices()
	if err != nil {
		return "", 0, fmt.Errorf("gpu: cuDeviceGetCount: %w", err)
	}
	if n == 0 {
		return "", 0, ErrNoDevice
	}
	dev, err := cu.GetDevice(0)
	if err != nil {
		return "", 0, fmt.Errorf("gpu: cuDeviceGet: %w", err)
	}
	name, err := dev.Name()
	if err != nil {
		return "", 0, fmt.Errorf("gpu: cuDeviceGetName: %w", err)
	}
	sms, err := dev.Attribute(cu.MultiprocessorCount)
	if err != nil {
		return "", 0, fmt.Errorf("gpu: cuDeviceGetAttribute(multiprocessors): %w", err)
	}
	if _, err := dev.MakeContext(cu.SchedAuto); err != nil {
		return "", 0, fmt.Errorf("gpu: cuCtxCreate: %w", err)
	}
	return name, sms, nil
}

// module is a loaded module: the kernels of one precision.
type module struct{ m cu.Module }

// loadModule loads the fatbin of a precision ("f32", "f64").
func loadModule(precision string) (module, error) {
	fatbin, err := kernels.Fatbin(precision)
	if err != nil {
		return module{}, err
	}
	m, err := cu.LoadData(string(fatbin))
	if err != nil {
		return module{}, fmt.Errorf("gpu: cuModuleLoadData kernels_%s.fatbin: %w", precision, err)
	}
	return module{m}, nil
}

// function is a kernel of a loaded module.
type function struct{ fn cu.Function }

func (m module) function(name string) (function, error) {
	fn, err := m.m.Function(name)
	return function{fn}, err
}

// launch queues the kernel on the default stream. gorgonia.org/cu copies 8
// bytes of each argument.
func (f function) launch(c launchConfig, args []uint64) error {
	params := make([]unsafe.Pointer, len(args))
	for i := range args {
		params[i] = unsafe.Pointer(&args[i])
	}
	return f.fn.Launch(c.grid.x, max(c.grid.y, 1), 1, c.block.x, max(c.block.y, 1), 1, c.shared, cu.Stream{}, params)
}

// residentPerSM is how many blocks of threads threads fit on one multiprocessor at once.
func (f function) residentPerSM(threads int) (int, error) {
	return f.fn.MaxActiveBlocksPerMultiProcessor(threads, 0)
}

func synchronize() error                      { return cu.Synchronize() }
func memAlloc(bytes int64) (devicePtr, error) { return cu.MemAlloc(bytes) }
func memFree(p devicePtr) error               { return cu.MemFree(p) }
func memsetD8(p devicePtr, v byte, bytes int64) error {
	return cu.MemsetD8(p, v, bytes)
}
func memcpyHtoD(dst devicePtr, src unsafe.Pointer, bytes int64) error {
	return cu.MemcpyHtoD(dst, src, bytes)
}
func memcpyDtoH(dst unsafe.Pointer, src devicePtr, bytes int64) error {
	return cu.MemcpyDtoH(dst, src, bytes)
}

// Devices lists the CUDA devices: name, compute capability and memory. It
// returns ErrNoDevice, with the reason, where the driver is missing or
// finds no GPU.
func Devices() ([]string, error) {
	if err := usable(); err != nil {
		return nil, err
	}
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("gpu: cuDeviceGetCount: %w", err)
	}
	var out []string
	for i := 0; i < n; i++ {
		dev, err := cu.GetDevice(i)
		if err != nil {
			return nil, fmt.Errorf("gpu: cuDeviceGet(%d): %w", i, err)
		}
		name, err := dev.Name()
		if err != nil {
			return nil, fmt.Errorf("gpu: cuDeviceGetName(%d): %w", i, err)
		}
		major, minor, err := dev.ComputeCapability()
		if err != nil {
			return nil, fmt.Errorf("gpu: compute capability of device %d: %w", i, err)
		}
		mem, err := dev.TotalMem()
		if err != nil {
			return nil, fmt.Errorf("gpu: cuDeviceTotalMem(%d): %w", i, err)
		}
		out = append(out, fmt.Sprintf("%s (compute %d.%d, %.1f GiB)", name, major, minor, float64(mem)/(1<<30)))
	}
	return out, nil
}
