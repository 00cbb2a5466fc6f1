//go:build cuda

package gpu

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/perceptron-go/perceptron/gpu/internal/cushim"
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

// gpuContext is the CUDA context of the device and what it holds: the
// stream every kernel runs on.
type gpuContext struct {
	name            string
	multiprocessors int
	cooperative     bool
	sharedOptIn     int  // the most shared memory a block may have, static and dynamic, once a kernel opts in
	clusters        bool // the device launches thread-block clusters
	dev             cu.Device
	ctx             cu.CUContext
	stream          stream
}

// createContext makes the primary context of the process's GPU (ordinal)
// current on this thread, with blocking synchronisation (the thread sleeps
// while it waits for the GPU rather than spin), and a stream in it. The
// primary context is the one the CUDA runtime uses, NCCL's threads
// included, so that the process has one context on its GPU, not two.
func createContext() (gpuContext, error) {
	var c gpuContext
	if err := usable(); err != nil {
		return c, err
	}
	n, err := cu.NumDevices()
	if err != nil {
		return c, fmt.Errorf("gpu: cuDeviceGetCount: %w", err)
	}
	if n == 0 {
		return c, ErrNoDevice
	}
	dev, err := cu.GetDevice(ordinal(n))
	if err != nil {
		return c, fmt.Errorf("gpu: cuDeviceGet(%d): %w", ordinal(n), err)
	}
	if c.name, err = dev.Name(); err != nil {
		return c, fmt.Errorf("gpu: cuDeviceGetName: %w", err)
	}
	if c.multiprocessors, err = dev.Attribute(cu.MultiprocessorCount); err != nil {
		return c, fmt.Errorf("gpu: cuDeviceGetAttribute(multiprocessors): %w", err)
	}
	if c.cooperative, err = cooperativeLaunch(dev); err != nil {
		return c, fmt.Errorf("gpu: cuDeviceGetAttribute(cooperative launch): %w", err)
	}
	c.clusters = clusterLaunch(dev)
	if c.sharedOptIn, err = sharedOptIn(dev); err != nil {
		return c, fmt.Errorf("gpu: cuDeviceGetAttribute(shared memory per block, opted in): %w", err)
	}
	// Where the primary context is active already (the CUDA runtime made it
	// in this process), its flags stay as they are.
	if err = dev.SetPrimaryCtxFlags(cu.SchedBlockingSync); err != nil && !errors.Is(err, cu.PrimaryContextActive) {
		return c, fmt.Errorf("gpu: cuDevicePrimaryCtxSetFlags: %w", err)
	}
	c.dev = dev
	if c.ctx, err = dev.RetainPrimaryCtx(); err != nil {
		return c, fmt.Errorf("gpu: cuDevicePrimaryCtxRetain: %w", err)
	}
	if err = cu.SetCurrentContext(c.ctx); err != nil {
		c.destroy(false)
		return c, fmt.Errorf("gpu: cuCtxSetCurrent: %w", err)
	}
	if c.stream, err = newStream(); err != nil {
		c.destroy(false)
		return c, fmt.Errorf("gpu: cuStreamCreate: %w", err)
	}
	return c, nil
}

// localRankVariables are the environment variables in which MPI launchers
// give a process its rank among the processes they started on its node:
// Open MPI's mpirun, MPICH's Hydra, MVAPICH2's and Slurm's srun.
var localRankVariables = []string{"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "MV2_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"}

// ordinal returns the GPU that this process opens of the n it sees: that of
// its local rank, modulo n, where an MPI launcher started it, so that the
// processes of a node take a GPU each (NCCL refuses two ranks on one GPU),
// and otherwise GPU 0. CUDA_VISIBLE_DEVICES chooses the GPUs it sees.
func ordinal(n int) int {
	for _, v := range localRankVariables {
		if r, err := strconv.Atoi(os.Getenv(v)); err == nil && r >= 0 {
			return r % n
		}
	}
	return 0
}

// destroy releases the primary context. Where an error lost it (lost), it
// first resets it, destroying everything in it, so that the next retain
// makes a new one: a kernel's fault leaves a context unusable.
func (c *gpuContext) destroy(lost bool) {
	if lost {
		_ = c.dev.ResetPrimaryCtx()
	}
	_ = c.dev.ReleasePrimaryCtx()
}

// loadModule loads a module image (a fatbin) into the context.
func (c *gpuContext) loadModule(image []byte) (module, error) { return loadModule(image) }

// function returns the kernel name of m, to be launched on the context's stream.
func (c *gpuContext) function(m module, name string) (function, error) {
	return m.function(name, c.stream)
}

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
