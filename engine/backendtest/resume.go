package backendtest

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// resumeOptimizers are the optimizers Resume stops and resumes fits of.
var resumeOptimizers = []engine.Optimizer{
	{},
	{Kind: engine.SGD, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3},
	engine.DefaultOptimizer(engine.Adam),
	engine.DefaultOptimizer(engine.AdamW),
}

// sameNetworks requires two networks' parameters to be equal bit for bit.
func sameNetworks(t *testing.T, want, got *engine.Network, what string) {
	t.Helper()
	for l := range want.Layers {
		for i, w := range want.Layers[l].W {
			require.Equal(t, math.Float64bits(w), math.Float64bits(got.Layers[l].W[i]), "%s: layer %d W[%d]", what, l+1, i)
		}
		for i, b := range want.Layers[l].B {
			require.Equal(t, math.Float64bits(b), math.Float64bits(got.Layers[l].B[i]), "%s: layer %d b[%d]", what, l+1, i)
		}
	}
}

// sameHistories requires two histories to hold the same figures, bit for
// bit, but for the times.
func sameHistories(t *testing.T, want, got engine.History, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i, w := range want {
		g := got[i]
		for _, f := range [][2]float64{{w.Loss, g.Loss}, {w.TrainAccuracy, g.TrainAccuracy}, {w.ValLoss, g.ValLoss},
			{w.ValAccuracy, g.ValAccuracy}, {w.LearningRate, g.LearningRate}} {
			require.Equal(t, math.Float64bits(f[0]), math.Float64bits(f[1]), "%s: epoch %d: %+v, %+v", what, w.Epoch, w, g)
		}
	}
}

// Resume stops fits of every optimizer, per example and in mini-batches,
// at an epoch boundary and within an epoch (as Ctrl-C does), resumes each
// from its checkpoint in a fresh network with a fresh generator, and checks
// that it ends with the parameters and history, bit for bit, of the same
// fit never stopped: on the GPU too, whose device adds an epoch's losses
// onto the checkpoint's partial sum in order.
func Resume(t *testing.T, be engine.Backend) {
	resumeChecks(t, be, engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 8, Activation: engine.Tanh}, {Units: 1, Activation: engine.Sigmoid}},
		Loss: engine.BCE, DType: engine.Float32})
}

// resumeChecks runs Resume's checks on a network of spec.
func resumeChecks(t *testing.T, be engine.Backend, spec engine.Spec) {
	train, test := synthetic(t, "moons", 240)
	for _, opt := range resumeOptimizers {
		for _, batch := range []int{1, 16} {
			t.Run(fmt.Sprintf("%s/momentum%g/batch%d", opt.Kind, opt.Momentum, batch), func(t *testing.T) {
				cfg := engine.Config{Epochs: 4, LearningRate: 0.02, BatchSize: batch, Optimizer: opt, Backend: be, Validation: test,
					EarlyStop: &engine.EarlyStopping{Patience: 10}}
				if !opt.Plain() {
					cfg.Schedule = engine.Schedule{Kind: engine.Cosine, WarmupEpochs: 1}
				}
				resume(t, train, spec, cfg)
			})
		}
	}
	// A plateau schedule that lowers the rate within the fit, on either
	// monitor: its state goes on from the checkpoint.
	for i, opt := range []engine.Optimizer{{}, engine.DefaultOptimizer(engine.Adam)} {
		monitor := []engine.Monitor{engine.ValLoss, engine.ValAccuracy}[i]
		t.Run(fmt.Sprintf("plateau/%s/%s", opt.Kind, monitor), func(t *testing.T) {
			resume(t, train, spec, engine.Config{Epochs: 4, LearningRate: 0.02, BatchSize: 1 + 15*i, Optimizer: opt, Backend: be, Validation: test,
				Schedule: engine.Schedule{Kind: engine.Plateau, Factor: 0.5, Threshold: 0.25}, Monitor: monitor})
		})
	}
}

// ResumeClipping is Resume for fits whose gradients are clipped, by norm
// and by value, per example and in mini-batches.
func ResumeClipping(t *testing.T, be engine.Backend) {
	train, test := synthetic(t, "moons", 240)
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 8, Activation: engine.Tanh}, {Units: 1, Activation: engine.Sigmoid}},
		Loss: engine.BCE, DType: engine.Float32}
	for _, opt := range []engine.Optimizer{{}, engine.DefaultOptimizer(engine.Adam)} {
		for _, clip := range []engine.Clipping{{Norm: 0.1}, {Value: 0.02}} {
			for _, batch := range []int{1, 16} {
				t.Run(fmt.Sprintf("%s/%+v/batch%d", opt.Kind, clip, batch), func(t *testing.T) {
					resume(t, train, spec, engine.Config{Epochs: 4, LearningRate: 0.05, BatchSize: batch, Optimizer: opt, Backend: be,
						Validation: test, Clip: clip})
				})
			}
		}
	}
}

// resume runs the fit cfg whole, resumes it from its checkpoint after epoch
// 2 and from one taken when it stops within epoch 3, and requires each to
// end with the whole fit's parameters and history, bit for bit. A plateau
// schedule must have lowered the rate by the end.
func resume(t *testing.T, train *dataset.Set, spec engine.Spec, cfg engine.Config) {
	run := func(c engine.Config, ctx context.Context) (*engine.Network, engine.History, error) {
		rng := engine.NewRNG(5)
		net, err := engine.NewNetwork(spec, engine.InitAuto, rng)
		require.NoError(t, err)
		if c.Resume != nil {
			rng = engine.NewRNG(99) // the checkpoint's state replaces it
		}
		c.RNG = rng
		hist, err := engine.Fit(ctx, net, train, c)
		return net, hist, err
	}
	full := cfg
	var atEpoch2 *engine.Checkpoint
	full.CheckpointEvery = 1
	full.Checkpoint = func(ck *engine.Checkpoint) error {
		if ck.Epoch == 2 {
			atEpoch2 = ck
		}
		return nil
	}
	want, wantHist, err := run(full, context.Background())
	require.NoError(t, err)
	require.NotNil(t, atEpoch2)

	resumed := cfg
	resumed.Resume = atEpoch2
	got, gotHist, err := run(resumed, context.Background())
	require.NoError(t, err)
	sameNetworks(t, want, got, "resumed at epoch 2")
	sameHistories(t, wantHist, gotHist, "resumed at epoch 2")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stopped *engine.Checkpoint
	interrupted := cfg
	interrupted.Checkpoint = func(ck *engine.Checkpoint) error { stopped = ck; return nil }
	interrupted.Progress = func(p engine.Progress) {
		if p.Epoch == 3 && p.Done >= train.N/3 {
			cancel()
		}
	}
	_, _, err = run(interrupted, ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, stopped)
	require.Equal(t, 2, stopped.Epoch, "stopped within epoch 3")
	require.Greater(t, stopped.Done, 0)
	resumed.Resume = stopped
	got, gotHist, err = run(resumed, context.Background())
	require.NoError(t, err)
	sameNetworks(t, want, got, "resumed within epoch 3")
	sameHistories(t, wantHist, gotHist, "resumed within epoch 3")
	if cfg.Schedule.Kind == engine.Plateau {
		require.Less(t, wantHist[len(wantHist)-1].LearningRate, cfg.LearningRate, "the plateau schedule lowered the rate")
	}
}

// ResumeRefusesAnotherFit resumes a checkpoint into fits that differ from
// it and checks each error names what differs.
func ResumeRefusesAnotherFit(t *testing.T, be engine.Backend) {
	train, _ := synthetic(t, "moons", 100)
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 4, Activation: engine.ReLU}, {Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE}
	net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
	require.NoError(t, err)
	var ck *engine.Checkpoint
	cfg := engine.Config{Epochs: 2, LearningRate: 0.1, Backend: be, Checkpoint: func(c *engine.Checkpoint) error { ck = c; return nil }}
	_, err = engine.Fit(context.Background(), net, train, cfg)
	require.NoError(t, err)
	require.NotNil(t, ck)
	wider := spec
	wider.Layers = []engine.LayerSpec{{Units: 5, Activation: engine.ReLU}, {Units: 1, Activation: engine.Sigmoid}}
	for _, c := range []struct {
		net  engine.Spec
		cfg  func(*engine.Config)
		set  *dataset.Set
		want string
	}{
		{wider, func(*engine.Config) {}, train, "the checkpoint is of a fit with the network 2-4:relu,1:sigmoid, this one has 2-5:relu,1:sigmoid"},
		{spec, func(c *engine.Config) { c.LearningRate = 0.2 }, train, "learning rate 0.1, this one has 0.2"},
		{spec, func(c *engine.Config) { c.BatchSize = 8 }, train, "batch size 1, this one has 8"},
		{spec, func(c *engine.Config) { c.Optimizer = engine.DefaultOptimizer(engine.Adam) }, train,
			"optimizer sgd, this one has adam(beta1 0.9, beta2 0.999, eps 1e-08)"},
		{spec, func(c *engine.Config) { c.Epochs = 1 }, train, "the checkpoint is at epoch 2, past this fit's 1 epochs"},
		{spec, func(*engine.Config) {}, train.Subset([]int{0, 1, 2}), "training examples 75, this one has 3"},
		{spec, func(c *engine.Config) { c.Monitor = engine.ValAccuracy }, train, "monitor val_loss, this one has val_accuracy"},
		{spec, func(c *engine.Config) { c.Clip = engine.Clipping{Norm: 1} }, train, "gradient clipping (norm, value) 0, 0, this one has 1, 0"},
		{spec, func(c *engine.Config) {
			c.Schedule, c.Validation = engine.Schedule{Kind: engine.Plateau, Factor: 0.5}, train
		}, train, "learning-rate schedule constant, this one has plateau:0:0.5:0:0:0"},
	} {
		n := engine.Zeros(c.net)
		rc := cfg
		rc.Checkpoint, rc.Resume = nil, ck
		c.cfg(&rc)
		_, err := engine.Fit(context.Background(), n, c.set, rc)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
		assert.Regexp(t, "^resume: the checkpoint", err.Error())
	}
}

// EarlyStop trains on labels the validation set contradicts, so that the
// validation loss soon stops improving: the fit stops Patience epochs after
// its best, and leaves the network as a fit of just that many epochs does.
func EarlyStop(t *testing.T, be engine.Backend) {
	train, test := synthetic(t, "moons", 400)
	flipped := *test
	flipped.Labels = make([]float64, test.N)
	for i, l := range test.Labels {
		flipped.Labels[i] = 1 - l
	}
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 8, Activation: engine.Tanh}, {Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE}
	fitEpochs := func(epochs int, early *engine.EarlyStopping) (*engine.Network, engine.History) {
		rng := engine.NewRNG(4)
		net, err := engine.NewNetwork(spec, engine.InitAuto, rng)
		require.NoError(t, err)
		hist, err := engine.Fit(context.Background(), net, train, engine.Config{Epochs: epochs, LearningRate: 0.05, RNG: rng, Backend: be,
			Validation: &flipped, EarlyStop: early})
		require.NoError(t, err)
		return net, hist
	}
	early := &engine.EarlyStopping{Patience: 3, MinDelta: 1e-4}
	net, hist := fitEpochs(50, early)
	require.True(t, early.Stopped, "the validation loss rises as the network learns the true labels")
	require.GreaterOrEqual(t, early.BestEpoch, 1)
	assert.Len(t, hist, early.BestEpoch+early.Patience)
	assert.Equal(t, hist[early.BestEpoch-1].ValLoss, early.BestLoss)
	best, _ := fitEpochs(early.BestEpoch, nil)
	sameNetworks(t, best, net, "the best epoch's parameters")
}
