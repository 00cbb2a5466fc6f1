package engine_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// resumable fits moons with Adam, early stopping and a plateau schedule for
// 3 epochs of 5 and returns the fit's data, its settings and the checkpoint
// it wrote after epoch 3.
func resumable(t *testing.T) (train, val *dataset.Set, cfg engine.Config, ck *engine.Checkpoint) {
	all, err := dataset.Synthetic("moons", 200, -1, 3)
	require.NoError(t, err)
	train, val, err = all.Split(0.25, 3)
	require.NoError(t, err)
	net := moonsNet(t)
	cfg = engine.Config{Epochs: 5, LearningRate: 0.01, BatchSize: 4, Optimizer: engine.DefaultOptimizer(engine.Adam), Backend: cpu.New(),
		Validation: val, EarlyStop: &engine.EarlyStopping{Patience: 50}, Schedule: engine.Schedule{Kind: engine.Plateau, Patience: 1, Factor: 0.5, Cooldown: 2}}
	three := cfg
	three.Epochs = 3
	three.Checkpoint = func(c *engine.Checkpoint) error { ck = c; return nil }
	_, err = engine.Fit(context.Background(), net, train, three)
	require.NoError(t, err)
	require.NotNil(t, ck)
	require.NotNil(t, ck.Data, "a checkpoint records its data's checksums")
	assert.Equal(t, val.N, ck.Data.ValidationExamples)
	return train, val, cfg, ck
}

func moonsNet(t *testing.T) *engine.Network {
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 6, Activation: engine.Tanh}, {Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE}
	net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
	require.NoError(t, err)
	return net
}

// withX returns a copy of s whose feature i is v.
func withX(s *dataset.Set, i int, v float64) *dataset.Set {
	c := *s
	c.X = slices.Clone(s.X)
	c.X[i] = v
	return &c
}

// TestResumeChecksData resumes a checkpoint on its own data, on data of as
// many examples with one value changed (training, validation, a label, a
// weight), and as a checkpoint of an earlier perceptron that records no
// checksums: only the data it was written with, or unchecked data, resumes.
func TestResumeChecksData(t *testing.T) {
	train, val, cfg, ck := resumable(t)
	resume := func(train, val *dataset.Set, ck *engine.Checkpoint) error {
		c := cfg
		c.Validation, c.Resume = val, ck
		_, err := engine.Fit(context.Background(), moonsNet(t), train, c)
		return err
	}
	require.NoError(t, resume(train, val, ck), "the same data resumes")

	relabelled := *train
	relabelled.Labels = slices.Clone(train.Labels)
	relabelled.Labels[7] = 1 - relabelled.Labels[7]
	weighted := *train
	weighted.Weights = slices.Repeat([]float64{1}, train.N)
	for _, c := range []struct {
		name  string
		train *dataset.Set
		set   string
	}{
		{"a feature", withX(train, 5, train.X[5]+1e-9), "training"},
		{"a label", &relabelled, "training"},
		{"weights of 1", &weighted, "training"},
		{"a validation feature", train, "validation"},
	} {
		v := val
		if c.set == "validation" {
			v = withX(val, 0, -val.X[0])
		}
		err := resume(c.train, v, ck)
		require.Error(t, err, c.name)
		var de *engine.DataError
		require.True(t, errors.As(err, &de), "%s: %v", c.name, err)
		assert.Equal(t, c.set, de.Set, c.name)
		assert.NotEqual(t, de.Checkpoint, de.ThisData, c.name)
		n := train.N
		if c.set == "validation" {
			n = val.N
		}
		assert.Regexp(t, `^resume: the `+c.set+` data differs from the checkpoint's: `+strconv.Itoa(n)+` examples with crc32c [0-9a-f]{8}, this fit's `+c.set+
			` data crc32c [0-9a-f]{8}: as many examples, other values$`, err.Error(), c.name)
	}
	err := resume(train, nil, ck)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs validation data")
	old := *ck
	old.Data = nil
	require.NoError(t, resume(withX(train, 5, 3), val, &old), "a checkpoint that records no checksums resumes unchecked")
}

// TestResumeRefusesBadState resumes checkpoints whose state no fit reaches:
// each is refused with an error naming the part of the state.
func TestResumeRefusesBadState(t *testing.T) {
	train, _, cfg, ck := resumable(t)
	for _, c := range []struct {
		edit func(*engine.Checkpoint)
		want string
	}{
		{func(ck *engine.Checkpoint) { ck.Network.Layers[0].W[2] = math.NaN() }, "the checkpoint's parameters: layer 1's weight 2 is NaN, expected a finite number"},
		{func(ck *engine.Checkpoint) { ck.State[0].Layers[1].B[0] = math.Inf(1) }, "the checkpoint's optimizer state exp_avg: layer 2's bias 0 is +Inf"},
		{func(ck *engine.Checkpoint) { ck.State[1].Layers[0].W[0] = -1e-3 },
			"the checkpoint's optimizer state exp_avg_sq: layer 1's weight 0 is -0.001, expected a finite number of 0 or more"},
		{func(ck *engine.Checkpoint) { ck.Partial = engine.Totals{Loss: -1} }, "the checkpoint's totals of the epoch in progress (loss -1, 0 correct of 0)"},
		{func(ck *engine.Checkpoint) { ck.Done, ck.Partial = 4, engine.Totals{Loss: 1, Correct: 5, Examples: 4} }, "(loss 1, 5 correct of 4) do not fit its 4 examples done"},
		{func(ck *engine.Checkpoint) { ck.Early.Wait++ }, "the checkpoint's early stopping state"},
		{func(ck *engine.Checkpoint) { ck.Early.BestEpoch = 4 }, "the checkpoint's early stopping state"},
		{func(ck *engine.Checkpoint) { ck.Early.Stopped = true }, "the checkpoint's early stopping state"},
		{func(ck *engine.Checkpoint) { ck.Plateau.Cooldown = 3 }, "the checkpoint's plateau state"},
		{func(ck *engine.Checkpoint) { ck.Plateau.LR = 0.02 }, "the checkpoint's plateau state"},
		{func(ck *engine.Checkpoint) { ck.Plateau.BadEpochs = 4 }, "the checkpoint's plateau state"},
		{func(ck *engine.Checkpoint) { ck.Order[0] = ck.Order[1] }, "the checkpoint's order is not a permutation"},
	} {
		bad := *ck
		bad.Network, bad.State = ck.Network.Clone(), engine.OptimizerState{ck.State[0].Clone(), ck.State[1].Clone()}
		early, plateau := *ck.Early, *ck.Plateau
		bad.Early, bad.Plateau, bad.Order = &early, &plateau, slices.Clone(ck.Order)
		c.edit(&bad)
		r := cfg
		r.Resume = &bad
		_, err := engine.Fit(context.Background(), moonsNet(t), train, r)
		require.Error(t, err, c.want)
		assert.Contains(t, err.Error(), c.want)
		assert.Regexp(t, "^resume: the checkpoint", err.Error())
	}
	r := cfg
	r.Resume = ck
	_, err := engine.Fit(context.Background(), moonsNet(t), train, r)
	require.NoError(t, err, "the checkpoint itself resumes")
}
