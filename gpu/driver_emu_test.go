//go:build cudaemu && !cuda

package gpu

import (
	"testing"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/kernels"
)

// emulated: these tests run on the CUDA emulator of package kernels.
const emulated = true

// emulatorLayout returns the size and field offsets of a struct shared with
// the kernels as the emulator's C++ compiler lays it out.
func emulatorLayout(name string) (size int, offsets []int, ok bool) { return kernels.EmuLayout(name) }

// skipWithoutNCCL: the emulator sums a data-parallel fit's gradients on the
// host, without NCCL.
func skipWithoutNCCL(*testing.T, error) {}

// suiteBackend is the backend that the shared suite tests: the emulated
// device's, whose host all-reduce serves the goroutines of one process.
func suiteBackend(be engine.Backend) engine.Backend { return be }
