//go:build cudaemu && !cuda

package gpu

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// TestRecentTotalsDoNotDrain reads the progress of an epoch on the
// emulator, which counts the calls that would make the host wait for the
// device (drains): RecentTotals makes none, and returns the totals of the
// steps before its last call, while Totals drains and returns all of them.
func TestRecentTotalsDoNotDrain(t *testing.T) {
	all, err := dataset.Synthetic("blobs", 60, -1, 7)
	require.NoError(t, err)
	layers, err := engine.ParseLayers("8:tanh,3:softmax")
	require.NoError(t, err)
	net, err := engine.NewNetwork(engine.Spec{Inputs: 2, Layers: layers, Loss: engine.CE, DType: engine.Float64}, engine.InitAuto, engine.NewRNG(5))
	require.NoError(t, err)
	y, err := net.Spec.TrainingTargets(all)
	require.NoError(t, err)
	tr, err := newBackend(t).NewTrainer(net, engine.Examples{X: all.X, Y: y, N: all.N, Features: all.Features, Outputs: net.Spec.Outputs()},
		engine.Hyper{LearningRate: 0.05, BatchSize: 1, Rate: func(int) float64 { return 0.05 }})
	require.NoError(t, err)
	defer tr.Close()
	recent := tr.(engine.RecentTotaler)
	order := make([]int, all.N)
	for i := range order {
		order[i] = i
	}
	require.NoError(t, tr.BeginEpoch(order))
	var exact []engine.Totals
	for from := 0; from < all.N; from += 20 {
		require.NoError(t, tr.Steps(context.Background(), from, from+20))
		before := drains.Load()
		got, err := recent.RecentTotals()
		require.NoError(t, err)
		assert.Equal(t, before, drains.Load(), "RecentTotals after order[:%d] drains the stream", from+20)
		if from == 0 {
			assert.Equal(t, engine.Totals{}, got, "the first read has not finished before it is asked for")
		} else {
			assert.Equal(t, exact[len(exact)-1], got, "RecentTotals after order[:%d] gives the totals of order[:%d]", from+20, from)
		}
		before = drains.Load()
		want, err := tr.Totals()
		require.NoError(t, err)
		assert.Greater(t, drains.Load(), before, "Totals waits for the device")
		assert.Equal(t, from+20, want.Examples)
		exact = append(exact, want)
	}
}

// TestProgressDoesNotChangeTheEpoch fits per example and in mini-batches on
// the emulator with and without a progress report: the epochs' figures and
// the parameters are the same bit for bit and within rounding of the CPU's,
// the progress reads add no drain of the stream to the fit's, and each
// report within an epoch is the CPU's report one read earlier (the last
// read, at the epoch's end, is exact).
func TestProgressDoesNotChangeTheEpoch(t *testing.T) {
	all, err := dataset.Synthetic("blobs", 400, -1, 7)
	require.NoError(t, err)
	layers, err := engine.ParseLayers("16:tanh,8:relu,3:softmax")
	require.NoError(t, err)
	start, err := engine.NewNetwork(engine.Spec{Inputs: 2, Layers: layers, Loss: engine.CE, DType: engine.Float64}, engine.InitAuto, engine.NewRNG(5))
	require.NoError(t, err)
	gpu := newBackend(t)
	for _, batch := range []int{1, 16} {
		type run struct {
			net      *engine.Network
			hist     engine.History
			progress []engine.Progress
			drains   int64
		}
		fit := func(be engine.Backend, progress bool) run {
			r := run{net: start.Clone()}
			cfg := engine.Config{Epochs: 2, LearningRate: 0.05, BatchSize: batch, Seed: 9, Backend: be}
			if progress {
				cfg.Progress = func(p engine.Progress) { r.progress = append(r.progress, p) }
			}
			before := drains.Load()
			r.hist, err = engine.Fit(context.Background(), r.net, all, cfg)
			require.NoError(t, err)
			r.drains = drains.Load() - before
			return r
		}
		what := fmt.Sprintf("batch %d", batch)
		cpuRun, quiet, loud := fit(cpu.New(), true), fit(gpu, false), fit(gpu, true)
		for e := range quiet.hist {
			assert.Equal(t, []float64{quiet.hist[e].Loss, quiet.hist[e].TrainAccuracy}, []float64{loud.hist[e].Loss, loud.hist[e].TrainAccuracy},
				"%s: epoch %d's loss and accuracy with a progress report", what, e+1)
		}
		assert.Equal(t, quiet.net.Layers, loud.net.Layers, what+": the parameters with a progress report")
		// PERCEPTRON_CUDA_SYNC=1 (the device script's first tests) drains
		// the stream after every launch, the progress reads' own included.
		if os.Getenv("PERCEPTRON_CUDA_SYNC") != "1" {
			assert.Equal(t, quiet.drains, loud.drains, what+": the drains of the stream with a progress report")
		}
		for e := range cpuRun.hist {
			assert.InEpsilon(t, cpuRun.hist[e].Loss, loud.hist[e].Loss, 1e-9, "%s: epoch %d's loss", what, e+1)
		}
		var want []engine.Progress
		for e := 1; e <= 2; e++ {
			var epoch []engine.Progress
			for _, p := range cpuRun.progress {
				if p.Epoch == e {
					epoch = append(epoch, p)
				}
			}
			require.Greater(t, len(epoch), 2, what)
			want = append(append(want, epoch[:len(epoch)-2]...), epoch[len(epoch)-1])
		}
		require.Len(t, loud.progress, len(want), what+": the progress reports")
		for i, p := range loud.progress {
			assert.Equal(t, []int{want[i].Epoch, want[i].Done, want[i].Total}, []int{p.Epoch, p.Done, p.Total}, "%s: report %d", what, i)
			assert.InEpsilon(t, want[i].Loss, p.Loss, 1e-9, "%s: report %d's loss", what, i)
		}
	}
}
