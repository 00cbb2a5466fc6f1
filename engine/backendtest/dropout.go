package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// Dropout runs the checks of a backend that trains networks with dropout
// (a backend that does not refuses them in NewTrainer; Run leaves them out).
func Dropout(t *testing.T, be engine.Backend) {
	t.Run("Gradient", func(t *testing.T) { DropoutGradient(t, be) })
	t.Run("Resume", func(t *testing.T) { DropoutResume(t, be) })
	t.Run("Eval", func(t *testing.T) { DropoutEval(t, be) })
	t.Run("DataParallel", func(t *testing.T) { DropoutDataParallel(t, be) })
}

// DropoutGradient checks the training-mode gradient with the masks fixed:
// one step with lr = 1 from a generator whose draws the test replays, the
// gradient read back as W_before - W_after, against central finite
// differences of the loss of the network with the same masks, per example
// and on a mini-batch of 3 (each row its own masks). A layer's mask m of a
// row is folded into the weights of the layer after it, W·diag(m), which is
// what the masked outputs feed.
func DropoutGradient(t *testing.T, be engine.Backend) {
	for _, hid := range []engine.Activation{engine.ReLU, engine.Sigmoid, engine.Tanh, engine.Linear} {
		for _, batch := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/batch%d", hid, batch), func(t *testing.T) { dropoutGradient(t, be, hid, batch) })
		}
	}
}

func dropoutGradient(t *testing.T, be engine.Backend, hid engine.Activation, batch int) {
	h := head{engine.Softmax, engine.CE, 3}
	rng := rand.New(rand.NewPCG(uint64(hid), uint64(batch)))
	spec := engine.Spec{Inputs: 3, Layers: []engine.LayerSpec{{Units: 6, Activation: hid, Dropout: 0.4}, {Units: 5, Activation: hid, Dropout: 0.25},
		{Units: h.outputs, Activation: h.act}}, Loss: h.loss, DType: engine.Float64}
	net, err := engine.NewNetwork(spec, engine.InitUniform, engine.NewRNG(uint64(batch)))
	require.NoError(t, err)
	x := make([]float64, batch*spec.Inputs)
	for i := range x {
		x[i] = rng.Float64()*2 - 1
	}
	y := h.targets(rng, batch)

	const seed = 17
	masks := make([][]float64, len(spec.Layers)) // the step's, layer by layer, batch rows each
	replay := engine.NewRNG(seed)
	for l, ls := range spec.Layers {
		if ls.Dropout > 0 {
			masks[l] = make([]float64, batch*ls.Units)
			engine.DropoutMask(masks[l], ls.Dropout, replay)
		}
	}
	dropped := 0
	for _, m := range masks {
		for _, v := range m {
			if v == 0 {
				dropped++
			}
		}
	}
	require.Positive(t, dropped, "the masks drop some outputs")

	meanLoss := func(n *engine.Network) float64 {
		var sum float64
		for r := 0; r < batch; r++ {
			masked := n.Clone()
			for l := range masks {
				if masks[l] == nil {
					continue
				}
				m, next := masks[l][r*spec.Layers[l].Units:(r+1)*spec.Layers[l].Units], masked.Layers[l+1]
				for i := 0; i < next.Units; i++ {
					for j, v := range m {
						next.W[i*next.Inputs+j] *= v
					}
				}
			}
			masked.Spec.Layers = nil // the masks are in the weights: predict as a network without dropout
			for _, ls := range spec.Layers {
				masked.Spec.Layers = append(masked.Spec.Layers, engine.LayerSpec{Units: ls.Units, Activation: ls.Activation})
			}
			out, err := engine.Predict(be, masked, x[r*spec.Inputs:(r+1)*spec.Inputs], 1)
			require.NoError(t, err)
			sum += engine.ExampleLoss(h.loss, out, y[r*h.outputs:(r+1)*h.outputs])
		}
		return sum / float64(batch)
	}

	tr, err := be.NewTrainer(net, engine.Examples{X: x, Y: y, N: batch, Features: spec.Inputs, Outputs: spec.Outputs()},
		engine.Hyper{LearningRate: 1, BatchSize: batch, RNG: engine.NewRNG(seed)})
	require.NoError(t, err)
	defer func() { require.NoError(t, tr.Close()) }()
	order := make([]int, batch)
	for i := range order {
		order[i] = i
	}
	require.NoError(t, tr.BeginEpoch(order))
	require.NoError(t, tr.Steps(t.Context(), 0, batch))
	after := net.Clone()
	require.NoError(t, tr.CopyTo(after))
	totals, err := tr.Totals()
	require.NoError(t, err)
	assert.InDelta(t, meanLoss(net)*float64(batch), totals.Loss, 1e-12, "the step's loss is that of the masked network")

	const step = 1e-5
	for l := range net.Layers {
		for _, p := range []struct {
			name         string
			before, next []float64
		}{{"W", net.Layers[l].W, after.Layers[l].W}, {"b", net.Layers[l].B, after.Layers[l].B}} {
			for i := range p.before {
				got := p.before[i] - p.next[i]
				probe := net.Clone()
				param := probe.Layers[l].W
				if p.name == "b" {
					param = probe.Layers[l].B
				}
				param[i] = p.before[i] + step
				up := meanLoss(probe)
				param[i] = p.before[i] - step
				down := meanLoss(probe)
				want := (up - down) / (2 * step)
				assert.LessOrEqual(t, math.Abs(got-want), 1e-7+1e-5*math.Abs(want), "layer %d %s[%d]: gradient %.10g, finite difference %.10g", l+1, p.name, i, got, want)
			}
		}
	}
}

// DropoutResume is Resume for a network with dropout: the masks come from
// the fit's generator, whose state the checkpoint holds, so that a resumed
// fit, at an epoch's end or within one, is bit-identical to one never
// stopped.
func DropoutResume(t *testing.T, be engine.Backend) {
	resumeChecks(t, be, engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 8, Activation: engine.Tanh, Dropout: 0.3}, {Units: 6, Activation: engine.ReLU, Dropout: 0.2},
		{Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE, DType: engine.Float32})
}

// DropoutEval checks that dropout is training's only: a network with
// dropout predicts as the same network without, and a fit with dropout
// draws its masks from the seed (the same seed, the same fit; another
// seed or no dropout, another).
func DropoutEval(t *testing.T, be engine.Backend) {
	train, _ := synthetic(t, "moons", 120)
	fitWith := func(p float64, seed uint64) *engine.Network {
		spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 8, Activation: engine.ReLU, Dropout: p}, {Units: 1, Activation: engine.Sigmoid}},
			Loss: engine.BCE, DType: engine.Float64}
		net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
		require.NoError(t, err)
		_, err = engine.Fit(t.Context(), net, train, engine.Config{Epochs: 2, LearningRate: 0.05, BatchSize: 8, Backend: be, Seed: seed})
		require.NoError(t, err)
		return net
	}
	a, b := fitWith(0.5, 3), fitWith(0.5, 3)
	sameNetworks(t, a, b, "the same seed")
	assert.NotEqual(t, a.Layers[0].W, fitWith(0.5, 4).Layers[0].W, "another seed draws other masks")
	assert.NotEqual(t, a.Layers[0].W, fitWith(0, 3).Layers[0].W, "dropout changes the fit")

	plain := a.Clone()
	plain.Spec.Layers[0].Dropout = 0
	want, err := engine.Predict(be, plain, train.X, train.N)
	require.NoError(t, err)
	got, err := engine.Predict(be, a, train.X, train.N)
	require.NoError(t, err)
	assert.Equal(t, want, got, "prediction is the identity on dropout")
}

// DropoutDataParallel checks that a data-parallel fit with dropout, on 2
// and 3 processes, ends within 1e-12 of one process's (float64): every
// process draws the whole batch's masks and applies its shard's rows.
func DropoutDataParallel(t *testing.T, be engine.Backend) {
	skipShared(t, be)
	p := newParallelFit(t, be, engine.Float64, engine.Optimizer{})
	p.spec.Layers[0].Dropout, p.spec.Layers[1].Dropout = 0.3, 0.2
	alone, aloneHist, err := p.run(t, t.Context(), nil, p.cfg)
	require.NoError(t, err)
	for _, size := range []int{2, 3} {
		for rank, o := range p.runParallel(t, size, p.cfg, background) {
			require.NoError(t, o.err)
			closeNetworks(t, alone, o.net, 1e-12, fmt.Sprintf("%d processes, rank %d", size, rank))
			closeHistories(t, aloneHist, o.hist, 1e-10, fmt.Sprintf("%d processes, rank %d", size, rank))
		}
	}
}
