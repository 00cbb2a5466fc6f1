//go:build cuda

package gpu

import (
	"errors"
	"testing"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/gpu/internal/nccl"
)

// emulated: these tests run on a GPU.
const emulated = false

// emulatorLayout: there is no emulator in a cuda build.
func emulatorLayout(string) (int, []int, bool) { return 0, nil, false }

// skipWithoutNCCL skips a test of a data-parallel trainer where NCCL is
// missing, giving err.
func skipWithoutNCCL(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, nccl.ErrNoNCCL) {
		t.Skip(err.Error())
	}
}

// suiteBackend is the backend that the shared suite tests: on a GPU, one
// whose data-parallel fits of several processes the suite skips.
func suiteBackend(be engine.Backend) engine.Backend { return oneGPU{be} }

// oneGPU is the backend of this process's one GPU, which the goroutines
// that the suite runs as processes would share.
type oneGPU struct{ engine.Backend }

// SharedDevice says why the suite's processes cannot train data parallel on it.
func (oneGPU) SharedDevice() string {
	return "the suite's processes are goroutines of this one, which share its one GPU, and NCCL refuses two ranks on one GPU: " +
		"mpirun -np 2 on a machine of 2 GPUs trains data parallel with NCCL (TestShareBatchesAlone runs NCCL's every call on one rank)"
}
