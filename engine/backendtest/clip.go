package backendtest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// clipJSON holds runs of torch made by testdata/clip.py on optim.json's
// network and data: steps whose gradients clip_grad_norm_ or
// clip_grad_value_ clipped, and fits whose learning rate ReduceLROnPlateau
// set from the validation loss or accuracy of each epoch.
//
//go:embed testdata/clip.json
var clipJSON []byte

type clipGolden struct {
	Clip          []optimCase
	PlateauEpochs int
	PlateauPerms  [][]int
	XVal          []float64
	LabelsVal     []float64
	Plateau       []optimCase
}

// Clipping trains optim.json's network with the gradients clipped, by norm
// and by value, per example and in mini-batches, with SGD, momentum, Adam
// and AdamW, and compares every step's loss, the epochs' losses, the final
// parameters and the optimizer's state with torch's.
func Clipping(t *testing.T, be engine.Backend) {
	g, c := loadOptim(t), loadClip(t)
	for _, cs := range c.Clip {
		t.Run(cs.Name, func(t *testing.T) { g.check(t, be, cs) })
	}
}

// Plateau fits optim.json's network with a plateau schedule that watches
// the validation loss, or accuracy, of clip.json's validation set, and
// compares each epoch's learning rate, losses and validation figures, the
// final parameters and the optimizer's state with torch's
// ReduceLROnPlateau stepped once an epoch.
func Plateau(t *testing.T, be engine.Backend) {
	g, c := loadOptim(t), loadClip(t)
	g.Epochs = c.PlateauEpochs
	val := dataset.New(c.XVal, c.LabelsVal, g.Features)
	val.Classes = g.Classes
	for _, cs := range c.Plateau {
		t.Run(cs.Name, func(t *testing.T) {
			sched, err := engine.ParseSchedule(cs.Schedule)
			require.NoError(t, err)
			monitor, err := engine.ParseMonitor(cs.Monitor)
			require.NoError(t, err)
			g.checkFit(t, be, cs, engine.Config{Epochs: c.PlateauEpochs, LearningRate: cs.LR, BatchSize: cs.Batch,
				Optimizer: optimizerOf(t, cs.Optimizer), Schedule: sched, Monitor: monitor, Validation: val, Backend: be,
				RNG: &replay{perms: c.PlateauPerms}})
		})
	}
}

func loadClip(t *testing.T) clipGolden {
	var c clipGolden
	require.NoError(t, json.Unmarshal(clipJSON, &c))
	return c
}

// DataParallelClipping fits with the gradients clipped by norm on 2 and 3
// processes and requires the parameters and history of one process: the
// norm clipped is the all-reduced gradient's, the whole batch's, not a
// shard's. The bound is low enough that the fit differs from one without it.
func DataParallelClipping(t *testing.T, be engine.Backend) {
	skipShared(t, be)
	for _, opt := range []engine.Optimizer{{}, engine.DefaultOptimizer(engine.Adam)} {
		p := newParallelFit(t, be, engine.Float64, opt)
		free, _, err := p.run(t, context.Background(), nil, p.cfg)
		require.NoError(t, err)
		p.cfg.Clip = engine.Clipping{Norm: 0.05}
		want, wantHist, err := p.run(t, context.Background(), nil, p.cfg)
		require.NoError(t, err)
		require.NotEqual(t, free.Layers[0].W, want.Layers[0].W, "%s: clipping changes the fit", opt)
		for _, size := range []int{2, 3} {
			outs := p.runParallel(t, size, p.cfg, background)
			for rank, o := range outs {
				require.NoError(t, o.err, "rank %d", rank)
				sameNetworks(t, outs[0].net, o.net, fmt.Sprintf("rank %d against rank 0", rank))
			}
			what := fmt.Sprintf("%s on %d processes against one", opt, size)
			closeNetworks(t, want, outs[0].net, parallelTolerance[engine.Float64], what)
			closeHistories(t, wantHist, outs[0].hist, 100*parallelTolerance[engine.Float64], what)
		}
	}
}
