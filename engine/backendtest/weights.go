package backendtest

import (
	"context"
	_ "embed"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// weightsJSON holds torch's runs of the weighted loss made by
// testdata/weights.py: class weights with ce, per-example weights with bce
// and mse, per example and in mini-batches.
//
//go:embed testdata/weights.json
var weightsJSON []byte

type weightsGolden struct {
	Features, Epochs int
	X                []float64
	Perms            [][]int
	Cases            []weightsCase
}

type weightsCase struct {
	Name, Layers, Loss string
	Batch              int
	LR                 float64
	Optimizer          map[string]any
	Labels             []float64
	ClassWeights       []float64 // ce's, which give Weights
	Weights            []float64
	Init               tensors
	Losses             []float64 // every step's Σ w_i·l_i
	FinalLoss          float64   // the final network's Σ w_i·l_i / N
	Final              tensors
}

// float32WeightsTolerance is how far, relative, a float32 fit's final
// weighted loss may be from torch's float64 one.
const float32WeightsTolerance = 1e-4

// setup returns the case's network, with torch's initial parameters, in
// dtype, and its weighted training set.
func (c weightsCase) setup(t *testing.T, g *weightsGolden, dtype engine.DType) (*engine.Network, *dataset.Set) {
	layers, err := engine.ParseLayers(c.Layers)
	require.NoError(t, err)
	loss, err := engine.ParseLoss(c.Loss)
	require.NoError(t, err)
	net := engine.Zeros(engine.Spec{Inputs: g.Features, Layers: layers, Loss: loss, DType: dtype})
	require.Len(t, c.Init, len(net.Layers))
	for l, p := range c.Init {
		copy(net.Layers[l].W, p.W)
		copy(net.Layers[l].B, p.B)
	}
	set := dataset.New(g.X, c.Labels, g.Features)
	if c.ClassWeights != nil {
		require.NoError(t, set.WeighClasses(c.ClassWeights))
		require.Equal(t, c.Weights, set.Weights, "the class weights give each example its class's")
	} else {
		set.Weights = c.Weights
	}
	return net, set
}

// config returns the case's fit settings on be.
func (c weightsCase) config(t *testing.T, g *weightsGolden, be engine.Backend) engine.Config {
	return engine.Config{Epochs: g.Epochs, LearningRate: c.LR, BatchSize: c.Batch, Optimizer: optimizerOf(t, c.Optimizer),
		Backend: be, RNG: &replay{perms: g.Perms}}
}

// Weights trains the networks of testdata/weights.json with class weights
// and per-example weights and compares, with torch's runs, each epoch's
// mean weighted loss, the final parameters and Evaluate's weighted loss of
// the final network (within optimTolerance in float64, and the loss within
// float32WeightsTolerance in float32). Weights of 1 must give the
// parameters of a fit without weights bit for bit, and the mini-batch cases
// on 2 processes those of one (unless be is a SharedDevice).
func Weights(t *testing.T, be engine.Backend) {
	var g weightsGolden
	require.NoError(t, json.Unmarshal(weightsJSON, &g))
	require.NotEmpty(t, g.Cases)
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			net, set := c.setup(t, &g, engine.Float64)
			hist, err := engine.Fit(context.Background(), net, set, c.config(t, &g, be))
			require.NoError(t, err)
			require.Len(t, hist, g.Epochs)
			perEpoch := (set.N + c.Batch - 1) / c.Batch
			for e, s := range hist {
				var sum float64
				for _, l := range c.Losses[e*perEpoch : (e+1)*perEpoch] {
					sum += l
				}
				assertClose(t, []float64{sum / float64(set.N)}, []float64{s.Loss}, "epoch loss")
			}
			assertParams(t, c.Final, net, "final")
			m, err := engine.Evaluate(be, net, set)
			require.NoError(t, err)
			assertClose(t, []float64{c.FinalLoss}, []float64{m.Loss}, "evaluated weighted loss")

			net32, set32 := c.setup(t, &g, engine.Float32)
			_, err = engine.Fit(context.Background(), net32, set32, c.config(t, &g, be))
			require.NoError(t, err)
			m, err = engine.Evaluate(be, net32, set32)
			require.NoError(t, err)
			require.InDelta(t, c.FinalLoss, m.Loss, float32WeightsTolerance*c.FinalLoss, "float32's final weighted loss")

			if c.Batch > 1 {
				weightsDataParallel(t, be, &g, c, net)
			}
		})
	}
	t.Run("OnesAreNoWeights", func(t *testing.T) {
		for _, c := range g.Cases {
			for _, dtype := range []engine.DType{engine.Float64, engine.Float32} {
				plain, set := c.setup(t, &g, dtype)
				ones := plain.Clone()
				set.Weights = nil
				_, err := engine.Fit(context.Background(), plain, set, c.config(t, &g, be))
				require.NoError(t, err)
				set.Weights = make([]float64, set.N)
				for i := range set.Weights {
					set.Weights[i] = 1
				}
				_, err = engine.Fit(context.Background(), ones, set, c.config(t, &g, be))
				require.NoError(t, err)
				require.Equal(t, plain.Layers, ones.Layers, "%s %s: weights of 1 train as no weights", c.Name, dtype)
			}
		}
	})
	t.Run("BadWeights", func(t *testing.T) {
		c := g.Cases[0]
		net, set := c.setup(t, &g, engine.Float64)
		set.Weights = append([]float64(nil), set.Weights...)
		set.Weights[4] = math.NaN()
		_, err := engine.Fit(context.Background(), net, set, c.config(t, &g, be))
		require.ErrorContains(t, err, "the training set: example 5: weight NaN is not a finite number of 0 or more")
		set.Weights = set.Weights[:3]
		_, err = engine.Evaluate(be, net, set)
		require.ErrorContains(t, err, "3 example weights for 16 examples")
	})
}

// weightsDataParallel runs case c on 2 processes, whose weights follow
// their examples into the shards, and requires every process to end within
// parallelTolerance of one process's parameters, alone.
func weightsDataParallel(t *testing.T, be engine.Backend, g *weightsGolden, c weightsCase, alone *engine.Network) {
	if s, ok := be.(SharedDevice); ok {
		t.Logf("data parallel: skipped: %s", s.SharedDevice())
		return
	}
	outs := distributed.RunLocal(2, func(comm distributed.Comm) outcome {
		net, set := c.setup(t, g, engine.Float64)
		cfg := c.config(t, g, be)
		cfg.Comm = comm
		hist, err := engine.Fit(context.Background(), net, set, cfg)
		return outcome{net, hist, err}
	})
	for _, o := range outs {
		require.NoError(t, o.err)
		closeNetworks(t, alone, o.net, parallelTolerance[engine.Float64], "data parallel")
	}
}
