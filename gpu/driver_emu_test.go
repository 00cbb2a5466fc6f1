//go:build cudaemu && !cuda

package gpu

// emulated: these tests run on the CUDA emulator of package kernels.
const emulated = true
