//go:build cuda || cudaemu

package gpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
)

// sgdCase is a network for the tests of sgd_steps.
type sgdCase struct {
	inputs int
	layers string
	loss   engine.Loss
}

// examples returns n random examples for spec: inputs in (-1, 1), targets
// one-hot (or 0/1 for one output), or in (-1, 1) for a linear output.
func examples(rng *rand.Rand, spec engine.Spec, n int) engine.Examples {
	k := spec.Outputs()
	data := engine.Examples{N: n, Features: spec.Inputs, Outputs: k}
	data.X = randoms(rng, n*spec.Inputs, spec.DType, 0)
	data.Y = make([]float64, n*k)
	for r := 0; r < n; r++ {
		y := data.Y[r*k : (r+1)*k]
		switch {
		case spec.Layers[len(spec.Layers)-1].Activation == engine.Linear:
			copy(y, randoms(rng, k, spec.DType, 0))
		case k == 1:
			y[0] = float64(rng.IntN(2))
		default:
			y[rng.IntN(k)] = 1
		}
	}
	return data
}

// steps trains a copy of net on be over order as h says, launching at the
// bounds of runs, and returns the parameters, the totals and the
// optimizer's state. A GPU trainer runs sgd_steps as planned for budget
// bytes of shared memory a block.
func steps(t *testing.T, be engine.Backend, net *engine.Network, data engine.Examples, h engine.Hyper, order, runs []int,
	budget int) (*engine.Network, engine.Totals, engine.OptimizerState) {
	t.Helper()
	tr, err := be.NewTrainer(net, data, h)
	require.NoError(t, err)
	defer func() { require.NoError(t, tr.Close()) }()
	if tt, ok := tr.(*trainer); ok {
		require.NoError(t, tt.d.do(func() error {
			if budget == deviceBudget {
				budget = tt.ks.sgdBudget
			}
			sh, err := tt.planSGD(budget)
			if err != nil {
				return err
			}
			tt.sparse.on = false // sgd_steps, as planned here, not sparse_steps
			return tt.prepareSGD(sh)
		}))
	}
	out, totals := launched(t, tr, net, order, runs)
	state := engine.NewOptimizerState(h.Optimizer, net.Spec)
	require.NoError(t, tr.CopyStateTo(state))
	return out, totals, state
}

// launched trains one epoch with tr over order, launching its steps at
// the bounds of runs, and returns a copy of net with the parameters
// trained and the epoch's totals.
func launched(t *testing.T, tr engine.Trainer, net *engine.Network, order, runs []int) (*engine.Network, engine.Totals) {
	t.Helper()
	require.NoError(t, tr.BeginEpoch(order))
	for i := 1; i < len(runs); i++ {
		require.NoError(t, tr.Steps(context.Background(), runs[i-1], runs[i]))
	}
	totals, err := tr.Totals()
	require.NoError(t, err)
	out := net.Clone()
	require.NoError(t, tr.CopyTo(out))
	return out, totals
}

// deviceBudget is a launchSplit's budget for the shared memory a block of
// sgd_steps may have on the device (kernelSet.sgdBudget).
const deviceBudget = -1

// launchSplit is how a parity test runs its steps: sgd_steps planned for
// budget bytes of shared memory a block (deviceBudget: the device's),
// launched at the bounds.
type launchSplit struct {
	budget int
	bounds []int
}

// sgdParity trains each case, in both precisions, from the same parameters
// on the CPU and with sgd_steps, over the same 9 examples in the same
// order, launched as each split says, with each of the settings hypers
// gives for the case's network, and compares the parameters, the totals and
// the optimizer's state. The examples weigh weights (nil: 1 each).
func sgdParity(t *testing.T, cases []sgdCase, splits []launchSplit, weights []float64, hypers func(engine.Spec) []engine.Hyper) {
	t.Helper()
	gpu := newBackend(t)
	order := []int{3, 0, 8, 6, 1, 5, 2, 7, 4}
	for _, dtype := range dtypes {
		tol := 1e-9
		if dtype == engine.Float32 {
			tol = 1e-4
		}
		for _, c := range cases {
			layers, err := engine.ParseLayers(c.layers)
			require.NoError(t, err)
			spec := engine.Spec{Inputs: c.inputs, Layers: layers, Loss: c.loss, DType: dtype}
			net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(3))
			require.NoError(t, err)
			data := examples(rand.New(rand.NewPCG(4, uint64(c.inputs))), spec, len(order))
			data.Weights = weights
			for _, h := range hypers(spec) {
				for _, r := range splits {
					what := fmt.Sprintf("%s %d-%s %s, %s, launches %v, %d bytes of shared memory, weights %v", dtype, c.inputs, c.layers, c.loss, h.Optimizer,
						r.bounds, r.budget, weights)
					want, wantTotals, wantState := steps(t, cpu.New(), net, data, h, order, r.bounds, r.budget)
					got, gotTotals, gotState := steps(t, gpu, net, data, h, order, r.bounds, r.budget)
					assert.InEpsilon(t, wantTotals.Loss, gotTotals.Loss, tol, what+": loss")
					assert.Equal(t, wantTotals.Examples, gotTotals.Examples, what+": examples")
					assert.InDelta(t, wantTotals.Correct, gotTotals.Correct, 1, what+": correct (an example on the boundary may flip)")
					// The parameters, then the optimizer's state slots.
					wantAll, gotAll := append(engine.OptimizerState{want}, wantState...), append(engine.OptimizerState{got}, gotState...)
					names := append([]string{"parameters"}, h.Optimizer.SlotNames()...)
					for k, w := range wantAll {
						for l := range w.Layers {
							assertClose(t, w.Layers[l].W, gotAll[k].Layers[l].W, tol, fmt.Sprintf("%s: %s of W%d", what, names[k], l+1))
							assertClose(t, w.Layers[l].B, gotAll[k].Layers[l].B, tol, fmt.Sprintf("%s: %s of b%d", what, names[k], l+1))
						}
					}
				}
			}
		}
	}
}

// TestSGDStepsParity runs sgd_steps against its CPU twin, the CPU backend's
// per-example step, on networks of one to three layers with every output
// head and widths from 1 to 1000, with the steps in one launch or split over
// several, so that the deferred updates cross launches. With the shared
// memory of a block, the last layers are private where they fit (a tiny
// network runs in one warp); with none, every layer is distributed and the
// blocks' regions are in global memory.
func TestSGDStepsParity(t *testing.T) {
	cases := []sgdCase{
		{7, "1:sigmoid", engine.BCE}, // one layer: no backward pass
		{33, "10:softmax", engine.CE},
		{784, "128:relu,10:sigmoid", engine.BCE}, // W2
		{784, "128:relu,10:softmax", engine.CE},  // W2s
		{1, "1000:tanh,7:linear", engine.MSE},    // float64: its output is too large to be private
		{33, "33:sigmoid,1:sigmoid", engine.BCE},
		{7, "128:tanh,33:relu,10:softmax", engine.CE},
		{128, "7:relu,1:tanh", engine.MSE},
		{7, "200:softmax", engine.CE},
		{3, "16:relu,130:sigmoid", engine.BCE},
		{2, "6:relu,6:relu,1:sigmoid", engine.BCE},       // W1: one warp
		{100, "120:tanh,120:tanh,1:sigmoid", engine.BCE}, // float32: its private layers take more than 48 KiB (TestSGDPlanOptsIn)
	}
	splits := []launchSplit{{deviceBudget, []int{0, 9}}, {deviceBudget, []int{0, 1, 4, 5, 9}}, {0, []int{0, 1, 4, 5, 9}}}
	sgdParity(t, cases, splits, nil, func(engine.Spec) []engine.Hyper { return []engine.Hyper{{LearningRate: 0.05, BatchSize: 1}} })
}

// TestSGDStepsWeightedParity runs sgd_steps on weighted examples, one of
// weight 0, against the CPU's per-example steps: on networks whose layers
// are all private, distributed then private, and all distributed, with
// plain SGD and with Adam, in one launch or split over several.
func TestSGDStepsWeightedParity(t *testing.T) {
	cases := []sgdCase{
		{2, "6:relu,6:relu,1:sigmoid", engine.BCE},
		{784, "128:relu,10:softmax", engine.CE},
		{1, "1000:tanh,7:linear", engine.MSE},
	}
	splits := []launchSplit{{deviceBudget, []int{0, 9}}, {0, []int{0, 4, 9}}}
	weights := []float64{0.5, 2, 1, 0, 1.75, 0.25, 3, 1, 0.125}
	sgdParity(t, cases, splits, weights, func(engine.Spec) []engine.Hyper {
		return []engine.Hyper{{LearningRate: 0.05, BatchSize: 1}, {LearningRate: 0.01, BatchSize: 1, Optimizer: engine.DefaultOptimizer(engine.Adam)}}
	})
}

// TestSGDStepsOptimizersParity runs sgd_steps with every optimizer against
// the CPU's per-example steps, at a learning rate that changes every step,
// from the state of a fit 7 steps in (which the optimizer's state copied
// out must match too): on networks whose layers are all private (one warp,
// or one layer), distributed then private (W2s, and two distributed
// layers), and all distributed, with the steps in one launch or split over
// several.
func TestSGDStepsOptimizersParity(t *testing.T) {
	cases := []sgdCase{
		{2, "6:relu,6:relu,1:sigmoid", engine.BCE},
		{33, "10:softmax", engine.CE},
		{784, "128:relu,10:softmax", engine.CE},
		{7, "128:tanh,33:relu,10:softmax", engine.CE},
		{3, "16:relu,130:sigmoid", engine.BCE},
	}
	splits := []launchSplit{{deviceBudget, []int{0, 9}}, {deviceBudget, []int{0, 1, 4, 5, 9}}, {0, []int{0, 4, 9}}}
	sgdParity(t, cases, splits, nil, func(spec engine.Spec) []engine.Hyper {
		var hs []engine.Hyper
		for _, o := range optimizers {
			state := engine.NewOptimizerState(o, spec)
			rng := rand.New(rand.NewPCG(5, 6))
			for _, slot := range state {
				for _, l := range slot.Layers {
					for _, p := range [][]float64{l.W, l.B} {
						copy(p, randoms(rng, len(p), spec.DType, 0))
						for i := range p {
							p[i] *= p[i] * 0.01 // small values, and Adam's v is a mean of squares
						}
					}
				}
			}
			hs = append(hs, engine.Hyper{LearningRate: 0.01, BatchSize: 1, Optimizer: o, StepsDone: 7, State: state,
				Rate: func(t int) float64 { return 0.01 * float64(1+t%4) }})
		}
		return hs
	})
}

// TestSGDPlanOptsIn: sgd_steps opts in to the device's shared memory, less
// its static shared memory, so that a network whose last layers need more
// than the 48 KiB a block has without opting in keeps them private (its
// parity is TestSGDStepsParity's).
func TestSGDPlanOptsIn(t *testing.T) {
	be := newBackend(t)
	spec := engine.Spec{Inputs: 100, Layers: []engine.LayerSpec{{Units: 120, Activation: engine.Tanh}, {Units: 120, Activation: engine.Tanh},
		{Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE, DType: engine.Float32}
	net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
	require.NoError(t, err)
	tr, err := be.NewTrainer(net, examples(rand.New(rand.NewPCG(1, 1)), spec, 4), engine.Hyper{LearningRate: 0.1, BatchSize: 1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tr.Close()) })
	tt := tr.(*trainer)
	require.NoError(t, tt.d.do(func() error {
		static, err := tt.ks.fns[kernelSgdSteps].staticShared()
		require.NoError(t, err)
		assert.Positive(t, static, "sgd_steps's static shared memory")
		assert.Equal(t, tt.d.sharedOptIn-static, tt.ks.sgdBudget, "the budget: the opt-in limit less the static shared memory")
		small, err := tt.planSGD(47 << 10)
		require.NoError(t, err)
		assert.EqualValues(t, 2, small.plan.nd, "within 47 KiB, the second layer (59 KiB) is distributed")
		sh, err := tt.planSGD(tt.ks.sgdBudget)
		require.NoError(t, err)
		assert.EqualValues(t, 1, sh.plan.nd, "opted in, the second layer is private")
		assert.Greater(t, sh.shared, 48<<10)
		assert.LessOrEqual(t, sh.shared, tt.ks.sgdBudget)
		return nil
	}))
}

// oversizedSGD returns a trainer whose sgd_steps grid has one block more
// than the device holds at once, launched cooperatively or not, with a
// barrier timeout of 100 ms, and the parameters that the CPU's steps over
// the same 4 examples give.
func oversizedSGD(t *testing.T, cooperative bool) (*trainer, *engine.Network) {
	be := newBackend(t)
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 3, Activation: engine.Tanh}, {Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE, DType: engine.Float32}
	net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
	require.NoError(t, err)
	data := examples(rand.New(rand.NewPCG(1, 1)), spec, 4)
	h := engine.Hyper{LearningRate: 0.1, BatchSize: 1}
	order := []int{0, 1, 2, 3}
	want, _, _ := steps(t, cpu.New(), net, data, h, order, []int{0, 4}, 0)
	tr, err := be.NewTrainer(net, data, h)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tr.Close()) })
	tt := tr.(*trainer)
	require.NoError(t, tt.d.do(func() error {
		sh, err := tt.planSGD(0) // every layer distributed: the blocks meet at barriers
		if err != nil {
			return err
		}
		perSM, err := tt.ks.fns[kernelSgdSteps].residentPerSM(sh.threads, sh.shared)
		if err != nil {
			return err
		}
		sh.grid, sh.timeout = perSM*tt.d.multiprocessors+1, 100*time.Millisecond
		if err := tt.prepareSGD(sh); err != nil {
			return err
		}
		tt.sgd.cooperative = cooperative
		return nil
	}))
	require.NoError(t, tr.BeginEpoch(order))
	return tt, want
}

// assertParameters asserts that the trainer's parameters are want's, within
// float32's rounding.
func assertParameters(t *testing.T, tr engine.Trainer, want *engine.Network) {
	t.Helper()
	got := want.Clone()
	require.NoError(t, tr.CopyTo(got))
	for l := range want.Layers {
		assertClose(t, want.Layers[l].W, got.Layers[l].W, 1e-4, fmt.Sprintf("W%d", l+1))
		assertClose(t, want.Layers[l].B, got.Layers[l].B, 1e-4, fmt.Sprintf("b%d", l+1))
	}
}

// TestSGDGridTooLargeIsReplanned: launched cooperatively, a grid larger
// than the device holds at once (as under MPS, whose clients get a share
// of the multiprocessors that the occupancy does not show) is refused at
// the launch, and the trainer launches again with half the blocks until
// the device takes it; the steps are the CPU's.
func TestSGDGridTooLargeIsReplanned(t *testing.T) {
	tr, want := oversizedSGD(t, true)
	first := tr.sgd.grid
	require.NoError(t, tr.Steps(context.Background(), 0, 4))
	totals, err := tr.Totals()
	require.NoError(t, err)
	assert.Equal(t, 4, totals.Examples)
	assert.Equal(t, first/2, tr.sgd.grid, "the grid replanned with half the blocks")
	assertParameters(t, tr, want)
}

// TestSGDBarrierTimesOut: launched without the driver's guarantee, the
// resident blocks wait at the first barrier for one that cannot start, time
// out, and the trainer reports it, saying what happened; the status word is
// reset, so that a launch of a grid that fits runs again.
func TestSGDBarrierTimesOut(t *testing.T) {
	tr, _ := oversizedSGD(t, false)
	require.NoError(t, tr.Steps(context.Background(), 0, 2))
	_, err := tr.Totals()
	assert.EqualError(t, err, fmt.Sprintf("gpu: sgd_steps_f32: a block waited more than 100ms at a grid barrier for the others of its grid of %d "+
		"(launched without the guarantee of a cooperative launch, which this GPU lacks, so some blocks may not have been resident at once): "+
		"the launch ended there, so some of the steps at positions 0 to 1 did not run and the parameters are those of a partial step; "+
		"the barrier and status words are reset, so a next launch runs", tr.sgd.grid))

	// The next epoch, on a grid that fits: without the reset, its launch
	// would end at its first barrier and report the timeout again.
	tr.sgd.grid = 1
	require.NoError(t, tr.BeginEpoch([]int{0, 1, 2, 3}))
	require.NoError(t, tr.Steps(context.Background(), 0, 4))
	totals, err := tr.Totals()
	require.NoError(t, err, "the launch after the timeout runs")
	assert.Equal(t, 4, totals.Examples)
}

// TestExampleClasses: the class that sgd_steps compares with the output's
// is engine.Correct's: for one output whether the target is above 0.5,
// otherwise the argmax of the target row, the first on a tie, each in the
// trainer's precision (1 and 1+1e-9, 0.5 and 0.5+1e-10, are the same in
// float32).
func TestExampleClasses(t *testing.T) {
	rows := engine.Examples{N: 3, Outputs: 3, Y: []float64{0, 1, 0, 1, 1 + 1e-9, 0, 0.2, 0.3, 0.5}}
	assert.Equal(t, []int32{1, 0, 2}, exampleClasses(rows, engine.Float32))
	assert.Equal(t, []int32{1, 1, 2}, exampleClasses(rows, engine.Float64))
	one := engine.Examples{N: 3, Outputs: 1, Y: []float64{0.5, 0.5 + 1e-10, 1}}
	assert.Equal(t, []int32{0, 0, 1}, exampleClasses(one, engine.Float32))
	assert.Equal(t, []int32{0, 1, 1}, exampleClasses(one, engine.Float64))
}
