package backendtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// Run runs the whole suite on be.
func Run(t *testing.T, be engine.Backend) {
	t.Run("GradientCheck", func(t *testing.T) { GradientCheck(t, be) })
	t.Run("PreUpdateWeights", func(t *testing.T) { PreUpdateWeights(t, be) })
	t.Run("Golden", func(t *testing.T) { Golden(t, be) })
	t.Run("Course", func(t *testing.T) { Course(t, be) })
	t.Run("Learns", func(t *testing.T) { Learns(t, be) })
	t.Run("Float32TracksFloat64", func(t *testing.T) { Float32TracksFloat64(t, be) })
	t.Run("Cancel", func(t *testing.T) { Cancel(t, be) })
	t.Run("NonFinite", func(t *testing.T) { NonFinite(t, be) })
	t.Run("Optimizers", func(t *testing.T) { Optimizers(t, be) })
	t.Run("Plateau", func(t *testing.T) { Plateau(t, be) })
	t.Run("Weights", func(t *testing.T) { Weights(t, be) })
	t.Run("Resume", func(t *testing.T) { Resume(t, be) })
	t.Run("ResumeRefusesAnotherFit", func(t *testing.T) { ResumeRefusesAnotherFit(t, be) })
	t.Run("EarlyStop", func(t *testing.T) { EarlyStop(t, be) })
	t.Run("DataParallel", func(t *testing.T) { DataParallel(t, be) })
	t.Run("Codes", func(t *testing.T) { Codes(t, be) })
	t.Run("Inference", func(t *testing.T) { Inference(t, be) })
}

// head is an output activation with a loss that trains it and its width.
type head struct {
	act     engine.Activation
	loss    engine.Loss
	outputs int
}

var heads = []head{
	{engine.Sigmoid, engine.BCE, 1}, {engine.Softmax, engine.CE, 3},
	{engine.Linear, engine.MSE, 1}, {engine.Sigmoid, engine.MSE, 1},
	{engine.Tanh, engine.MSE, 2}, {engine.ReLU, engine.MSE, 1},
}

var hidden = []engine.Activation{engine.Linear, engine.ReLU, engine.Sigmoid, engine.Tanh}

// targets draws n rows of targets that suit the head's loss.
func (h head) targets(rng *rand.Rand, n int) []float64 {
	y := make([]float64, n*h.outputs)
	for i := 0; i < n; i++ {
		row := y[i*h.outputs : (i+1)*h.outputs]
		switch h.loss {
		case engine.BCE:
			row[0] = float64(rng.IntN(2))
		case engine.CE:
			row[rng.IntN(h.outputs)] = 1
		default:
			for k := range row {
				row[k] = rng.Float64()*2 - 0.5
			}
		}
	}
	return y
}

// GradientCheck trains one step with lr = 1, reads the gradient back as
// W_before - W_after, and compares it with central finite differences of the
// loss, for every hidden activation × output activation × loss, in float64,
// per example and on a mini-batch of 3 (whose gradient is the batch mean).
func GradientCheck(t *testing.T, be engine.Backend) {
	for _, hid := range hidden {
		for _, h := range heads {
			for _, batch := range []int{1, 3} {
				name := fmt.Sprintf("%s/%s+%s/batch%d", hid, h.act, h.loss, batch)
				t.Run(name, func(t *testing.T) { gradientCheck(t, be, hid, h, batch) })
			}
		}
	}
}

func gradientCheck(t *testing.T, be engine.Backend, hid engine.Activation, h head, batch int) {
	rng := rand.New(rand.NewPCG(uint64(hid), uint64(h.act)*7+uint64(h.loss)))
	spec := engine.Spec{Inputs: 3, Layers: []engine.LayerSpec{{Units: 4, Activation: hid}, {Units: 3, Activation: hid}, {Units: h.outputs, Activation: h.act}},
		Loss: h.loss, DType: engine.Float64}
	net, err := engine.NewNetwork(spec, engine.InitUniform, engine.NewRNG(uint64(batch)))
	require.NoError(t, err)
	x := make([]float64, batch*spec.Inputs)
	for i := range x {
		x[i] = rng.Float64()*2 - 1
	}
	y := h.targets(rng, batch)

	meanLoss := func(n *engine.Network) float64 {
		out, err := engine.Predict(be, n, x, batch)
		require.NoError(t, err)
		var sum float64
		for r := 0; r < batch; r++ {
			sum += engine.ExampleLoss(h.loss, out[r*h.outputs:(r+1)*h.outputs], y[r*h.outputs:(r+1)*h.outputs])
		}
		return sum / float64(batch)
	}
	before := net.Clone()
	after := stepOnce(t, be, net, x, y, batch, 1)

	const step = 1e-5
	worst := 0.0
	for l := range before.Layers {
		for _, p := range []struct {
			name         string
			before, next []float64
		}{{"W", before.Layers[l].W, after.Layers[l].W}, {"b", before.Layers[l].B, after.Layers[l].B}} {
			for i := range p.before {
				got := p.before[i] - p.next[i]
				probe := before.Clone()
				param := probe.Layers[l].W
				if p.name == "b" {
					param = probe.Layers[l].B
				}
				param[i] = p.before[i] + step
				up := meanLoss(probe)
				param[i] = p.before[i] - step
				down := meanLoss(probe)
				want := (up - down) / (2 * step)
				diff := math.Abs(got - want)
				worst = max(worst, diff)
				assert.LessOrEqual(t, diff, 1e-7+1e-5*math.Abs(want), "layer %d %s[%d]: gradient %.10g, finite difference %.10g", l+1, p.name, i, got, want)
			}
		}
	}
	t.Logf("worst |gradient - finite difference| = %.3g", worst)
}

// stepOnce trains n examples x, y as one epoch in order with the given batch
// size and learning rate, and returns the network after it. net is unchanged.
func stepOnce(t *testing.T, be engine.Backend, net *engine.Network, x, y []float64, batch int, lr float64) *engine.Network {
	t.Helper()
	n := len(x) / net.Spec.Inputs
	tr, err := be.NewTrainer(net, engine.Examples{X: x, Y: y, N: n, Features: net.Spec.Inputs, Outputs: net.Spec.Outputs()},
		engine.Hyper{LearningRate: lr, BatchSize: batch})
	require.NoError(t, err)
	defer func() { require.NoError(t, tr.Close()) }()
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	require.NoError(t, tr.BeginEpoch(order))
	require.NoError(t, tr.Steps(context.Background(), 0, n))
	after := net.Clone()
	require.NoError(t, tr.CopyTo(after))
	return after
}

// PreUpdateWeights checks that da_prev = Wᵀ·dz uses W from before the
// step's update, on a 1-1-1 linear network worked by hand:
//
//	x = 1, W1 = 2, W2 = 3, b = 0, y = 0, lr = 0.1, mse
//	h = 2, ŷ = 6, dz2 = 2(ŷ-y) = 12, W2' = 3 - 0.1·12·2 = 0.6, b2' = -1.2
//	da1 = W2·dz2 = 36 (with W2' it would be 7.2), W1' = 2 - 0.1·36 = -1.6, b1' = -3.6
//
// A mini-batch of two copies of the example must give the same step.
func PreUpdateWeights(t *testing.T, be engine.Backend) {
	spec := engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}, {Units: 1, Activation: engine.Linear}},
		Loss: engine.MSE, DType: engine.Float64}
	for _, batch := range []int{1, 2} {
		net := engine.Zeros(spec)
		net.Layers[0].W[0], net.Layers[1].W[0] = 2, 3
		x, y := make([]float64, batch), make([]float64, batch)
		for i := range x {
			x[i] = 1
		}
		after := stepOnce(t, be, net, x, y, batch, 0.1)
		assert.InDelta(t, 0.6, after.Layers[1].W[0], 1e-12, "batch %d: W2", batch)
		assert.InDelta(t, -1.2, after.Layers[1].B[0], 1e-12, "batch %d: b2", batch)
		assert.InDelta(t, -1.6, after.Layers[0].W[0], 1e-12, "batch %d: W1 (1.28 means da_prev used the updated W2)", batch)
		assert.InDelta(t, -3.6, after.Layers[0].B[0], 1e-12, "batch %d: b1", batch)
	}
}

// fit trains a fresh network of the given layers on train and returns its
// accuracy on test.
func fit(t *testing.T, be engine.Backend, train, test *dataset.Set, layers string, dtype engine.DType, cfg engine.Config) (float64, *engine.Network) {
	t.Helper()
	ls, err := engine.ParseLayers(layers)
	require.NoError(t, err)
	spec := engine.Spec{Inputs: train.Features, Layers: ls, Loss: engine.DefaultLoss(ls[len(ls)-1].Activation), DType: dtype}
	rng := engine.NewRNG(cfg.Seed)
	net, err := engine.NewNetwork(spec, engine.InitAuto, rng)
	require.NoError(t, err)
	cfg.RNG, cfg.Backend = rng, be
	_, err = engine.Fit(context.Background(), net, train, cfg)
	require.NoError(t, err)
	m, err := engine.Evaluate(be, net, test)
	require.NoError(t, err)
	return m.Accuracy, net
}

func synthetic(t *testing.T, name string, n int) (train, test *dataset.Set) {
	t.Helper()
	all, err := dataset.Synthetic(name, n, -1, 42)
	require.NoError(t, err)
	train, test, err = all.Split(0.25, 42)
	require.NoError(t, err)
	return train, test
}

// Learns trains on the synthetic sets and checks the held-out accuracy.
func Learns(t *testing.T, be engine.Backend) {
	cases := []struct {
		data, layers string
		batch        int
		lr           float64
		epochs       int
		min          float64
	}{
		{"xor", "8:tanh,1:sigmoid", 1, 0.1, 30, 0.97},
		{"moons", "16:relu,16:relu,1:sigmoid", 1, 0.05, 40, 0.97},
		{"moons", "16:relu,16:relu,1:sigmoid", 16, 0.5, 150, 0.97},
		{"blobs", "8:relu,3:softmax", 1, 0.05, 10, 0.95},
		{"circles", "16:tanh,1:sigmoid", 8, 0.5, 100, 0.95},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/batch%d", c.data, c.batch), func(t *testing.T) {
			train, test := synthetic(t, c.data, 800)
			acc, _ := fit(t, be, train, test, c.layers, engine.Float32, engine.Config{Epochs: c.epochs, LearningRate: c.lr, BatchSize: c.batch, Seed: 1})
			assert.GreaterOrEqual(t, acc, c.min, "test accuracy")
		})
	}
}

// Float32TracksFloat64 trains the same network in both dtypes and checks
// that the parameters stay close (float32 rounding, not a different algorithm).
func Float32TracksFloat64(t *testing.T, be engine.Backend) {
	train, test := synthetic(t, "moons", 400)
	for _, batch := range []int{1, 8} {
		cfg := engine.Config{Epochs: 2, LearningRate: 0.05, BatchSize: batch, Seed: 3}
		_, n64 := fit(t, be, train, test, "8:tanh,1:sigmoid", engine.Float64, cfg)
		_, n32 := fit(t, be, train, test, "8:tanh,1:sigmoid", engine.Float32, cfg)
		for l := range n64.Layers {
			for i, w := range n64.Layers[l].W {
				assert.InDelta(t, w, n32.Layers[l].W[i], 1e-4*(1+math.Abs(w)), "batch %d layer %d W[%d]", batch, l+1, i)
			}
		}
	}
}

// Cancel cancels a fit during its first epoch: Fit returns a *StopError
// wrapping context.Canceled that says how far it came, and the network
// holds the parameters reached, not the initial ones.
func Cancel(t *testing.T, be engine.Backend) {
	train, _ := synthetic(t, "moons", 2000)
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 8, Activation: engine.ReLU}, {Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE}
	rng := engine.NewRNG(1)
	net, err := engine.NewNetwork(spec, engine.InitAuto, rng)
	require.NoError(t, err)
	initial := net.Clone()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var reports int
	hist, err := engine.Fit(ctx, net, train, engine.Config{Epochs: 5, LearningRate: 0.05, RNG: rng, Backend: be,
		Progress: func(engine.Progress) {
			if reports++; reports == 3 {
				cancel()
			}
		}})
	require.ErrorIs(t, err, context.Canceled)
	var stopped *engine.StopError
	require.ErrorAs(t, err, &stopped)
	assert.Equal(t, 0, stopped.Epoch, "no epoch finished")
	assert.Greater(t, stopped.Done, 0, "the examples trained on before the stop")
	assert.Less(t, stopped.Done, train.N)
	assert.Empty(t, hist, "no epoch finished")
	assert.NotEqual(t, initial.Layers[0].W, net.Layers[0].W, "the parameters reached were copied back")
}

// NonFinite drives a linear regression to overflow with a huge learning
// rate and checks that Fit stops with a NonFiniteError naming where.
func NonFinite(t *testing.T, be engine.Backend) {
	x := []float64{100, -200, 300, -400}
	set := dataset.New(x, []float64{1, 2, 3, 4}, 1)
	spec := engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}}, Loss: engine.MSE, DType: engine.Float64}
	net, err := engine.NewNetwork(spec, engine.InitXavier, engine.NewRNG(1))
	require.NoError(t, err)
	_, err = engine.Fit(context.Background(), net, set, engine.Config{Epochs: 100, LearningRate: 10, Backend: be})
	var nf *engine.NonFiniteError
	require.True(t, errors.As(err, &nf), "error %v", err)
	assert.GreaterOrEqual(t, nf.Epoch, 1)
	assert.GreaterOrEqual(t, nf.Step, 1)
	assert.Contains(t, err.Error(), fmt.Sprintf("epoch %d, step %d", nf.Epoch, nf.Step))
}
