//go:build amd64 && !noasm

package cpu

import (
	"testing"

	"github.com/perceptron-go/perceptron/engine/backendtest"
)

// TestBackendWithoutAVX512 runs the backend suite as on a CPU with AVX2 but
// not AVX-512: the AVX2 micro-kernels, sparse inputs on the Go twins of
// their kernels, and inference's rows of nonzero inputs on AVX2 axpys and
// gatherGo (TestInferenceSparseRows's cases).
func TestBackendWithoutAVX512(t *testing.T) {
	if !haveAVX512 {
		t.Skip("this CPU has no AVX-512: TestBackend runs its kernels")
	}
	saved := haveAVX512
	haveAVX512 = false
	withKernel(t, &avx2Kernel)
	t.Cleanup(func() { haveAVX512 = saved })
	backendtest.Run(t, Backend{Inputs: SparseInputs})
	t.Run("InferenceSparseRows", inferenceSparseRows)
}
