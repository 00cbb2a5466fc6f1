package engine_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

func TestOptimizerValidate(t *testing.T) {
	require.NoError(t, engine.Optimizer{}.Validate())
	for _, k := range []engine.OptimizerKind{engine.SGD, engine.Adam, engine.AdamW} {
		require.NoError(t, engine.DefaultOptimizer(k).Validate(), "%s's defaults", k)
	}
	adam := engine.DefaultOptimizer(engine.Adam)
	for i, c := range []struct {
		o    engine.Optimizer
		want string
	}{
		{engine.Optimizer{Kind: 7}, "unknown optimizer OptimizerKind(7)"},
		{engine.Optimizer{WeightDecay: -1}, "weight decay must be a finite number of 0 or more, found -1"},
		{engine.Optimizer{WeightDecay: math.NaN()}, "weight decay"},
		{engine.Optimizer{Momentum: 1}, "momentum must be in [0, 1), found 1"},
		{engine.Optimizer{Nesterov: true}, "nesterov needs a momentum above 0"},
		{engine.Optimizer{Beta1: 0.9}, "beta1, beta2 and eps are for adam and adamw, not sgd"},
		{func() engine.Optimizer { o := adam; o.Momentum = 0.9; return o }(), "momentum and nesterov are for sgd"},
		{func() engine.Optimizer { o := adam; o.Beta2 = 1; return o }(), "beta1 and beta2 must be in [0, 1), found 0.9 and 1"},
		{func() engine.Optimizer { o := adam; o.Eps = 0; return o }(), "eps must be a finite number above 0, found 0"},
	} {
		assert.ErrorContains(t, c.o.Validate(), c.want, "case %d", i)
	}
	assert.Equal(t, "sgd(momentum 0.9, nesterov, weight decay 0.01)", engine.Optimizer{Momentum: 0.9, Nesterov: true, WeightDecay: 0.01}.String())
	assert.Equal(t, "adamw(beta1 0.9, beta2 0.999, eps 1e-08, weight decay 0.01)", engine.DefaultOptimizer(engine.AdamW).String())
	assert.Equal(t, []string{"exp_avg", "exp_avg_sq"}, adam.SlotNames())
	assert.Equal(t, []string{"momentum_buffer"}, engine.Optimizer{Momentum: 0.5}.SlotNames())
	assert.Empty(t, engine.Optimizer{WeightDecay: 0.1}.SlotNames())
}

// TestUpdateByHand checks one step of each optimizer against values worked
// out from torch.optim's formulas.
func TestUpdateByHand(t *testing.T) {
	p, g := []float64{1, -2}, []float64{0.5, 0.25}
	step := func(o engine.Optimizer, s [][]float64, tt int, lr float64) []float64 {
		q := append([]float64(nil), p...)
		engine.Update(o, q, g, s, tt, lr)
		return q
	}
	assert.InDeltaSlice(t, []float64{0.95, -2.025}, step(engine.Optimizer{}, nil, 1, 0.1), 1e-15)
	// wd 0.1: g' = g + 0.1·p = (0.6, 0.05); buf = 0.9·(1, 1) + g' = (1.5, 0.95); nesterov: g' + 0.9·buf.
	buf := []float64{1, 1}
	got := step(engine.Optimizer{Momentum: 0.9, Nesterov: true, WeightDecay: 0.1}, [][]float64{buf}, 2, 0.1)
	assert.InDeltaSlice(t, []float64{1.5, 0.95}, buf, 1e-15)
	assert.InDeltaSlice(t, []float64{1 - 0.1*(0.6+0.9*1.5), -2 - 0.1*(0.05+0.9*0.95)}, got, 1e-15)
	// Adam at t = 1 from zero moments moves each parameter by lr·g/(|g| + ε) ≈ lr·sign(g).
	m, v := make([]float64, 2), make([]float64, 2)
	got = step(engine.DefaultOptimizer(engine.Adam), [][]float64{m, v}, 1, 0.01)
	assert.InDeltaSlice(t, []float64{0.99, -2.01}, got, 1e-9)
	assert.InDeltaSlice(t, []float64{0.05, 0.025}, m, 1e-15)
	assert.InDeltaSlice(t, []float64{0.00025, 0.0000625}, v, 1e-15)
	// AdamW first shrinks p by 1 − lr·wd, whatever the gradient.
	m, v = make([]float64, 2), make([]float64, 2)
	w := engine.DefaultOptimizer(engine.AdamW)
	w.WeightDecay = 0.5
	got = step(w, [][]float64{m, v}, 1, 0.01)
	assert.InDeltaSlice(t, []float64{1*(1-0.005) - 0.01, -2*(1-0.005) - 0.01}, got, 1e-9)
}

func TestSchedules(t *testing.T) {
	for _, c := range []struct {
		spec string
		want engine.Schedule
	}{
		{"constant", engine.Schedule{}},
		{"cosine", engine.Schedule{Kind: engine.Cosine}},
		{"step:10:0.5", engine.Schedule{Kind: engine.StepDecay, StepEpochs: 10, Gamma: 0.5}},
	} {
		s, err := engine.ParseSchedule(c.spec)
		require.NoError(t, err)
		assert.Equal(t, c.want, s)
		assert.Equal(t, c.spec, s.String())
	}
	for _, bad := range []string{"linear", "step:10", "step:x:0.5", "step:2:y"} {
		_, err := engine.ParseSchedule(bad)
		assert.Error(t, err, bad)
	}
	assert.ErrorContains(t, engine.Schedule{Kind: engine.StepDecay, Gamma: 0.5}.Validate(), "period must be at least 1 epoch, found 0")
	assert.ErrorContains(t, engine.Schedule{Kind: engine.StepDecay, StepEpochs: 1, Gamma: 2}.Validate(), "gamma must be in (0, 1], found 2")
	assert.ErrorContains(t, engine.Schedule{WarmupEpochs: -1}.Validate(), "warm-up must be 0 epochs or more")

	// 2 epochs of 4 steps warm-up, then a cosine over the last 8 steps.
	s := engine.Schedule{Kind: engine.Cosine, WarmupEpochs: 2}
	var rates []float64
	for step := 0; step < 16; step++ {
		rates = append(rates, s.Rate(1, step, 4, 16))
	}
	assert.InDeltaSlice(t, []float64{0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1}, rates[:8], 1e-15)
	assert.InDelta(t, 1, rates[8], 1e-15)
	assert.InDelta(t, 0.5, rates[12], 1e-15, "halfway down the cosine")
	step := engine.Schedule{Kind: engine.StepDecay, StepEpochs: 2, Gamma: 0.1}
	assert.InDelta(t, 1, step.Rate(1, 7, 4, 40), 1e-15, "epoch 2 of a period of 2")
	assert.InDelta(t, 0.1, step.Rate(1, 8, 4, 40), 1e-15, "epoch 3")
	assert.InDelta(t, 0.01, step.Rate(1, 16, 4, 40), 1e-15, "epoch 5")
}

func TestRNGStateRoundTrip(t *testing.T) {
	for name, newRNG := range map[string]func() engine.RNG{
		"go":    func() engine.RNG { return engine.NewRNG(3) },
		"numpy": func() engine.RNG { return engine.NewNumPyRNG(3) },
	} {
		a := newRNG()
		a.Normal() // NumPy keeps the second of a pair of normal draws in its state
		state, err := a.MarshalBinary()
		require.NoError(t, err, name)
		b := engine.NewRNG(77)
		if name == "numpy" {
			b = engine.NewNumPyRNG(77)
		}
		require.NoError(t, b.UnmarshalBinary(state), name)
		for i := 0; i < 5; i++ {
			assert.Equal(t, a.Normal(), b.Normal(), "%s draw %d", name, i)
			oa, ob := []int{0, 1, 2, 3, 4, 5}, []int{0, 1, 2, 3, 4, 5}
			a.Shuffle(oa)
			b.Shuffle(ob)
			assert.Equal(t, oa, ob, name)
		}
	}
	assert.ErrorContains(t, engine.NewNumPyRNG(1).UnmarshalBinary([]byte{1, 2}), "numpy generator state: 2 bytes")
}
