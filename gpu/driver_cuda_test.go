//go:build cuda

package gpu

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/cu"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/distributed"
	"github.com/perceptron-go/perceptron/gpu/internal/nccl"
)

// emulated: these tests run on a GPU.
const emulated = false

// emulatorLayout: there is no emulator in a cuda build.
func emulatorLayout(string) (int, []int, bool) { return 0, nil, false }

// withClusters skips a test of thread-block clusters on a GPU that does not
// run them (before Hopper).
func withClusters(t *testing.T) {
	t.Helper()
	if d := openDevice(t); !d.clusters {
		t.Skipf("%s runs no thread-block clusters", d.name)
	}
}

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

// TestOrdinal opens the GPU of the process's rank on its node, modulo the
// GPUs it sees, under each MPI launcher, and GPU 0 without one.
func TestOrdinal(t *testing.T) {
	for _, v := range localRankVariables {
		t.Setenv(v, "")
	}
	assert.Equal(t, 0, ordinal(4), "no launcher")
	for _, v := range localRankVariables {
		t.Run(v, func(t *testing.T) {
			t.Setenv(v, "5")
			assert.Equal(t, 1, ordinal(4), "local rank 5 of 4 GPUs")
			assert.Equal(t, 0, ordinal(1), "local rank 5 of 1 GPU")
		})
	}
}

// TestShareBatchesWithoutNCCL: where NCCL is missing, a data-parallel
// trainer says so, and how to install it.
func TestShareBatchesWithoutNCCL(t *testing.T) {
	be := newBackend(t)
	t.Setenv("PERCEPTRON_LIBNCCL", filepath.Join(t.TempDir(), "libnccl.so.2"))
	spec := engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}}, Loss: engine.MSE, DType: engine.Float32}
	net, err := engine.NewNetwork(spec, engine.InitXavier, engine.NewRNG(1))
	require.NoError(t, err)
	tr, err := be.NewTrainer(net, engine.Examples{X: []float64{1, 2}, Y: []float64{1, 2}, N: 2, Features: 1, Outputs: 1}, engine.Hyper{LearningRate: 0.1, BatchSize: 2})
	require.NoError(t, err)
	defer tr.Close()
	err = distributed.RunLocal(1, func(c distributed.Comm) error { return tr.ShareBatches(c) })[0]
	require.ErrorIs(t, err, nccl.ErrNoNCCL)
	assert.ErrorContains(t, err, "gpu: the cuda backend sums a data-parallel fit's gradients with NCCL: NCCL is not installed")
}

// TestPrimaryContext: the backend runs in its GPU's primary context, which
// NCCL and the CUDA runtime use too, made with blocking synchronisation.
func TestPrimaryContext(t *testing.T) {
	be := newBackend(t)
	d := be.(*Backend).d
	require.NoError(t, d.do(func() error {
		current, err := cu.CurrentContext()
		require.NoError(t, err)
		primary, err := d.ctx.dev.RetainPrimaryCtx()
		require.NoError(t, err)
		defer func() { require.NoError(t, d.ctx.dev.ReleasePrimaryCtx()) }()
		assert.Equal(t, primary, current, "the current context is the primary one")
		flags, active, err := d.ctx.dev.PrimaryCtxState()
		require.NoError(t, err)
		assert.Equal(t, 1, active)
		assert.Equal(t, cu.SchedBlockingSync, flags&cu.SchedBlockingSync, "blocking synchronisation")
		return nil
	}))
}
