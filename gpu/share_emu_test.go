//go:build cudaemu && !cuda

package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// errDied is what a dying process's own collective returns: the others
// never hear from it again.
var errDied = errors.New("the process died")

// dying is a process's Comm that dies at its all-reduce number at (from
// 1): it never takes part in that collective or any later one.
type dying struct {
	distributed.Comm
	at, calls int
}

func (d *dying) die() bool {
	d.calls++
	return d.calls >= d.at
}

func (d *dying) AllReduceFloat64(buf []float64) error {
	if d.die() {
		return errDied
	}
	return d.Comm.AllReduceFloat64(buf)
}

func (d *dying) AllReduceFloat32(buf []float32) error {
	if d.die() {
		return errDied
	}
	return d.Comm.AllReduceFloat32(buf)
}

// TestDataParallelPeerDies: of three processes training data parallel,
// process 2 dies inside its third step, before the all-reduce of the
// step's gradients or, in buckets of 8 values (3 a step, all after the
// first layer), before its second bucket's, after the first's. The
// survivors' sums fail (their collective times out
// after 300 ms; NCCL reports a dead peer as its asynchronous error, which
// the emulator's stand-in models: the step queues, the failure shows when
// the trainer polls), and each survivor ends with one error, within
// seconds, that says its step failed and its communicator is aborted, and
// names the process that did not arrive: at the totals of a short epoch,
// and within Steps in a long one, whose trainer waits for the work of the
// window before last (sumWindow steps) before it queues more.
func TestDataParallelPeerDies(t *testing.T) {
	be := newBackend(t)
	for _, c := range []struct {
		what          string
		examples      int
		batch         int
		inTotals      bool
		bucketBytes   int
		dieAt, values int // the all-reduce process 2 dies at, and the values of the survivors' that fails
	}{
		{"a short epoch: the totals", 70, 8, true, 0, 3, 22},
		{"a long epoch: Steps", 240, 1, false, 0, 3, 22},
		{"a short epoch in buckets: the totals", 70, 8, true, 64, 2*3 + 2, 8},
		{"a long epoch in buckets: Steps", 240, 1, false, 64, 2*3 + 2, 8},
	} {
		all, err := dataset.Synthetic("moons", c.examples, -1, 3)
		require.NoError(t, err)
		spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 5, Activation: engine.Tanh}, {Units: 1, Activation: engine.Sigmoid}},
			Loss: engine.BCE, DType: engine.Float64}
		y, err := spec.Targets(all)
		require.NoError(t, err)
		data := engine.Examples{X: all.X, Y: y, N: all.N, Features: 2, Outputs: 1}
		order := rand.New(rand.NewPCG(1, 2)).Perm(all.N)
		type outcome struct {
			stepsErr, totalsErr, closeErr error
			took                          time.Duration
		}
		out := distributed.RunLocalTimeout(3, 300*time.Millisecond, func(comm distributed.Comm) outcome {
			if comm.Rank() == 2 {
				comm = &dying{Comm: comm, at: c.dieAt}
			}
			net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(4))
			require.NoError(t, err)
			tr, err := be.NewTrainer(net, data, engine.Hyper{LearningRate: 0.05, BatchSize: c.batch, BucketBytes: c.bucketBytes})
			require.NoError(t, err)
			require.NoError(t, tr.ShareBatches(comm))
			require.NoError(t, tr.BeginEpoch(order))
			var o outcome
			start := time.Now()
			if o.stepsErr = tr.Steps(context.Background(), 0, all.N); o.stepsErr == nil {
				_, o.totalsErr = tr.Totals()
			}
			o.took = time.Since(start)
			o.closeErr = tr.Close()
			return o
		})
		for rank, o := range out[:2] {
			err := o.totalsErr
			if !c.inTotals {
				err = o.stepsErr
				assert.NoError(t, o.totalsErr, "%s: process %d", c.what, rank)
			} else {
				assert.NoError(t, o.stepsErr, "%s: process %d: the steps queue, as NCCL's do", c.what, rank)
			}
			require.Error(t, err, "%s: process %d", c.what, rank)
			assert.Regexp(t, fmt.Sprintf(`^gpu: a data-parallel step failed, and the communicator is aborted: process \d of 3 waited 300ms in the all-reduce of %d float64 values for the others: process 2 did not arrive$`, c.values),
				err.Error(), "%s: process %d", c.what, rank)
			var timeout *distributed.TimeoutError
			require.ErrorAs(t, err, &timeout, "%s: process %d", c.what, rank)
			assert.Equal(t, []int{2}, timeout.Missing, "%s: process %d", c.what, rank)
			assert.Less(t, o.took, 5*time.Second, "%s: process %d ends within seconds", c.what, rank)
			assert.NoError(t, o.closeErr, "%s: process %d: Close after the abort", c.what, rank)
		}
	}
}

// TestBucketsKeepTheModel trains data parallel on 3 processes (shards of
// 6, 5 and 5 rows of a batch of 16) in buckets of one value, of a part of
// a layer, across layers, and holding everything, in float64 and float32,
// with Adam clipped by norm and with momentum, and requires every fit's
// parameters and history to be those of one bucket's, bit for bit: the
// emulator's sums are the same element by element, in the same order,
// whatever the buckets.
func TestBucketsKeepTheModel(t *testing.T) {
	be := newBackend(t)
	all, err := dataset.Synthetic("moons", 160, -1, 5)
	require.NoError(t, err)
	for _, dtype := range []engine.DType{engine.Float64, engine.Float32} {
		for _, opt := range []engine.Optimizer{engine.DefaultOptimizer(engine.Adam), {Kind: engine.SGD, Momentum: 0.9}} {
			spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 8, Activation: engine.Tanh}, {Units: 6, Activation: engine.ReLU},
				{Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE, DType: dtype}
			fit := func(bucketBytes int) []fitOutcome {
				return distributed.RunLocal(3, func(comm distributed.Comm) fitOutcome {
					rng := engine.NewRNG(3)
					net, err := engine.NewNetwork(spec, engine.InitAuto, rng)
					require.NoError(t, err)
					cfg := engine.Config{Epochs: 2, LearningRate: 0.05, BatchSize: 16, Optimizer: opt, Backend: be, RNG: rng, Comm: comm,
						BucketBytes: bucketBytes}
					if opt.Kind == engine.Adam {
						cfg.Clip = engine.Clipping{Norm: 0.5}
					}
					hist, err := engine.Fit(context.Background(), net, all, cfg)
					return fitOutcome{net, hist, err}
				})
			}
			want := fit(0)
			for _, bucketBytes := range []int{1, 100, 200, 1 << 20} {
				what := fmt.Sprintf("%s, %s, buckets of %d bytes", dtype, opt, bucketBytes)
				for rank, got := range fit(bucketBytes) {
					require.NoError(t, got.err, "%s: process %d", what, rank)
					wantParams, gotParams := parameters(want[rank].net), parameters(got.net)
					for i, w := range wantParams {
						require.Equal(t, math.Float64bits(w), math.Float64bits(gotParams[i]), "%s: process %d, parameter %d", what, rank, i)
					}
					require.Len(t, got.hist, len(want[rank].hist), "%s: process %d", what, rank)
					for e, ep := range want[rank].hist {
						assert.Equal(t, math.Float64bits(ep.Loss), math.Float64bits(got.hist[e].Loss), "%s: process %d, epoch %d's loss", what, rank, e+1)
						assert.Equal(t, ep.TrainAccuracy, got.hist[e].TrainAccuracy, "%s: process %d, epoch %d's accuracy", what, rank, e+1)
					}
				}
			}
		}
	}
}

// parameters returns net's parameters, each layer's W then b.
func parameters(net *engine.Network) []float64 {
	var p []float64
	for _, l := range net.Layers {
		p = append(append(p, l.W...), l.B...)
	}
	return p
}

// fitOutcome is what one process's fit ended with.
type fitOutcome struct {
	net  *engine.Network
	hist engine.History
	err  error
}
