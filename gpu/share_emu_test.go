//go:build cudaemu && !cuda

package gpu

import (
	"context"
	"errors"
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
// step's gradients. The survivors' sums fail (their collective times out
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
		what     string
		examples int
		batch    int
		inTotals bool
	}{
		{"a short epoch: the totals", 70, 8, true},
		{"a long epoch: Steps", 240, 1, false},
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
				comm = &dying{Comm: comm, at: 3}
			}
			net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(4))
			require.NoError(t, err)
			tr, err := be.NewTrainer(net, data, engine.Hyper{LearningRate: 0.05, BatchSize: c.batch})
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
			assert.Regexp(t, `^gpu: a data-parallel step failed, and the communicator is aborted: process \d of 3 waited 300ms in the all-reduce of 22 float64 values for the others: process 2 did not arrive$`,
				err.Error(), "%s: process %d", c.what, rank)
			var timeout *distributed.TimeoutError
			require.ErrorAs(t, err, &timeout, "%s: process %d", c.what, rank)
			assert.Equal(t, []int{2}, timeout.Missing, "%s: process %d", c.what, rank)
			assert.Less(t, o.took, 5*time.Second, "%s: process %d ends within seconds", c.what, rank)
			assert.NoError(t, o.closeErr, "%s: process %d: Close after the abort", c.what, rank)
		}
	}
}
