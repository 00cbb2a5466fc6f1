//go:build cudaemu && !cuda

package gpu

import "github.com/perceptron-go/perceptron/kernels"

// emulated: these tests run on the CUDA emulator of package kernels.
const emulated = true

// emulatorLayout returns the size and field offsets of a struct shared with
// the kernels as the emulator's C++ compiler lays it out.
func emulatorLayout(name string) (size int, offsets []int, ok bool) { return kernels.EmuLayout(name) }
