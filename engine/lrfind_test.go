package engine_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// TestRangeTestCurveGolden replays the loss curves of testdata/lrfind.py
// through Curve: the smoothed losses, where the test stops and the
// suggestion equal fastai's smoothing and Lightning's suggestion in NumPy.
func TestRangeTestCurveGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/lrfind.json")
	require.NoError(t, err)
	var cases []struct {
		Name      string
		Losses    []float64
		Smoothed  []float64
		Index     int
		Suggested float64
	}
	require.NoError(t, json.Unmarshal(raw, &cases))
	require.Len(t, cases, 2)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			res, err := engine.DefaultRangeTest().Curve(c.Losses)
			require.NoError(t, err)
			require.Len(t, res.Smoothed, len(c.Smoothed))
			assert.InDeltaSlice(t, c.Smoothed, res.Smoothed, 1e-12)
			assert.Equal(t, len(c.Smoothed) < len(c.Losses), res.Stopped)
			assert.Equal(t, c.Index, res.Index)
			assert.InEpsilon(t, c.Suggested, res.Suggested, 1e-12)
		})
	}
}

// quadratic is a regression whose loss is a known quadratic: a linear unit
// on features ±3 and ±1, balanced and uncorrelated, trained by full-batch
// gradient descent on the MSE. The Hessian of the mean loss, over the two
// weights and the bias, is 2·diag(9, 1, 1): gradient descent diverges above
// the rate 2/18 and takes its largest useful steps near 1/18.
func quadratic() (*dataset.Set, engine.Spec) {
	var x, y []float64
	for i := range 64 {
		a, b := 3.0, 1.0
		if i%2 == 1 {
			a = -a
		}
		if i/2%2 == 1 {
			b = -b
		}
		x = append(x, a, b)
		y = append(y, 0.5*a-2*b+1)
	}
	return dataset.New(x, y, 2), engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}}, Loss: engine.MSE, DType: engine.Float64}
}

// TestFindRateOnAKnownProblem checks the suggestion on the quadratic, whose
// right rates are known, lands between a tenth of the best step and the
// rate of divergence; that the test stopped once the loss exploded; and
// that the network given is left as it was.
func TestFindRateOnAKnownProblem(t *testing.T) {
	set, spec := quadratic()
	net, err := engine.NewNetwork(spec, engine.InitXavier, engine.NewRNG(1))
	require.NoError(t, err)
	before := net.Clone()
	res, err := engine.FindRate(context.Background(), net, set, engine.Config{Backend: cpu.New(), BatchSize: set.N, Seed: 2}, engine.DefaultRangeTest())
	require.NoError(t, err)
	assert.Equal(t, before, net, "the range test trains a copy")
	assert.True(t, res.Stopped, "the loss explodes above the rate 2/18")
	assert.Greater(t, res.Rates[len(res.Rates)-1], 2.0/18, "it stops after the divergence")
	assert.Less(t, res.Rates[len(res.Rates)-1], 2.0, "and soon after it")
	assert.GreaterOrEqual(t, res.Suggested, 0.1/18)
	assert.LessOrEqual(t, res.Suggested, 2.0/18)
	assert.Equal(t, res.Rates[res.Index], res.Suggested)
	t.Logf("suggested %.4g after %d steps", res.Suggested, len(res.Rates))
}

// TestFindRateProperties checks the range test's record on the course's
// moons at batch 1: the rates grow geometrically from 1e-7 towards 10, the
// smoothed loss is fastai's of the losses recorded, the generator given is
// the one that shuffles, and two runs with one seed agree.
func TestFindRateProperties(t *testing.T) {
	set, err := dataset.Synthetic("moons", 200, -1, 1)
	require.NoError(t, err)
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 6, Activation: engine.ReLU}, {Units: 6, Activation: engine.ReLU}, {Units: 1, Activation: engine.Sigmoid}},
		Loss: engine.BCE, DType: engine.Float64}
	net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
	require.NoError(t, err)
	rt := engine.DefaultRangeTest()
	run := func(seed uint64) engine.RangeResult {
		res, err := engine.FindRate(context.Background(), net, set, engine.Config{Backend: cpu.New(), RNG: engine.NewRNG(seed)}, rt)
		require.NoError(t, err)
		return res
	}
	res := run(3)
	assert.Equal(t, res, run(3))
	assert.NotEqual(t, res.Losses, run(4).Losses, "another shuffle, other losses")
	assert.Equal(t, 1e-7, res.Rates[0])
	for i := 1; i < len(res.Rates); i++ {
		assert.InEpsilon(t, math.Pow(1e8, 1.0/99), res.Rates[i]/res.Rates[i-1], 1e-12)
	}
	avg := 0.0
	for i, loss := range res.Losses {
		avg = 0.98*avg + 0.02*loss
		assert.InEpsilon(t, avg/(1-math.Pow(0.98, float64(i+1))), res.Smoothed[i], 1e-12)
	}
	replay, err := rt.Curve(res.Losses)
	require.NoError(t, err)
	assert.Equal(t, res.Suggested, replay.Suggested, "Curve replays FindRate")
}

// TestRangeTestErrors checks the settings refused and a test that explodes
// too soon to suggest anything.
func TestRangeTestErrors(t *testing.T) {
	for _, c := range []struct {
		rt   engine.RangeTest
		want string
	}{
		{engine.RangeTest{MinRate: 1, MaxRate: 1, Steps: 100, Beta: 0.98, StopFactor: 4}, "must grow from above 0 to a finite rate, found 1 to 1"},
		{engine.RangeTest{MinRate: 1e-7, MaxRate: 10, Steps: 5, Beta: 0.98, StopFactor: 4}, "needs at least 14 steps, found 5"},
		{engine.RangeTest{MinRate: 1e-7, MaxRate: 10, Steps: 100, Beta: 1, StopFactor: 4}, "beta must be in [0, 1), found 1"},
		{engine.RangeTest{MinRate: 1e-7, MaxRate: 10, Steps: 100, Beta: 0.98, StopFactor: 1}, "stop factor must be above 1, found 1"},
	} {
		_, err := c.rt.Curve([]float64{1, 2, 3})
		assert.ErrorContains(t, err, c.want)
	}
	_, err := engine.DefaultRangeTest().Curve(make([]float64, 101))
	assert.EqualError(t, err, "101 losses for a range test of 100 steps")
	_, err = engine.DefaultRangeTest().Curve([]float64{1, 1, 1})
	assert.EqualError(t, err, "the range test ran 3 steps: too few to suggest a rate (it needs 14)")
	set, spec := quadratic()
	net, err := engine.NewNetwork(spec, engine.InitXavier, engine.NewRNG(1))
	require.NoError(t, err)
	rt := engine.RangeTest{MinRate: 100, MaxRate: 1e6, Steps: 100, Beta: 0.98, StopFactor: 4}
	res, err := engine.FindRate(context.Background(), net, set, engine.Config{Backend: cpu.New(), BatchSize: set.N}, rt)
	require.ErrorContains(t, err, "the loss exploded after")
	assert.ErrorContains(t, err, "too few steps to suggest a rate (it needs 14)")
	assert.True(t, res.Stopped)
	_, err = engine.FindRate(context.Background(), net, set, engine.Config{}, engine.DefaultRangeTest())
	assert.ErrorContains(t, err, "no backend")
}
