package engine_test

import (
	_ "embed"
	"encoding/json"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// TestClipByHand checks Clip against values worked out by hand: by norm,
// a gradient of norm 5 scaled to 1 (by 1/(5+1e-6), as clip_grad_norm_),
// one within the bound left as it is; by value, each component clamped.
func TestClipByHand(t *testing.T) {
	g := []float64{3, 0, -4}
	scale := engine.Clip(engine.Clipping{Norm: 1}, g)
	assert.InDelta(t, 1/(5+1e-6), scale, 1e-15)
	assert.InDeltaSlice(t, []float64{3 / (5 + 1e-6), 0, -4 / (5 + 1e-6)}, g, 1e-15)

	within := []float64{0.3, -0.4}
	assert.Equal(t, 1.0, engine.Clip(engine.Clipping{Norm: 1}, within))
	assert.Equal(t, []float64{0.3, -0.4}, within, "a norm within the bound leaves the gradients as they are, to the bit")

	g32 := []float32{0.5, -2, 0.01, -0.2}
	assert.Equal(t, 1.0, engine.Clip(engine.Clipping{Value: 0.25}, g32))
	assert.Equal(t, []float32{0.25, -0.25, 0.01, -0.2}, g32)

	off := []float64{1e300, -7}
	assert.Equal(t, 1.0, engine.Clip(engine.Clipping{}, off))
	assert.Equal(t, []float64{1e300, -7}, off, "the zero Clipping clips nothing")
}

func TestClippingValidate(t *testing.T) {
	require.NoError(t, engine.Clipping{}.Validate())
	require.NoError(t, engine.Clipping{Norm: 1}.Validate())
	for _, c := range []struct {
		clip engine.Clipping
		want string
	}{
		{engine.Clipping{Norm: -1}, "gradient clipping by norm must be a finite number above 0 (0: off), found -1"},
		{engine.Clipping{Value: math.Inf(1)}, "gradient clipping by value must be a finite number above 0 (0: off), found +Inf"},
		{engine.Clipping{Norm: math.NaN()}, "gradient clipping by norm must be a finite number above 0 (0: off), found NaN"},
		{engine.Clipping{Norm: 1, Value: 0.5}, "gradient clipping by norm (1) and by value (0.5) at once: give one of them"},
	} {
		assert.EqualError(t, c.clip.Validate(), c.want)
	}
}

// plateauJSON holds torch's ReduceLROnPlateau stepped on series of epoch
// figures (testdata/plateau.py).
//
//go:embed testdata/plateau.json
var plateauJSON []byte

// TestPlateauTorch steps a PlateauState on each series of testdata/plateau.json
// and requires torch's learning rate after every step and its final state.
func TestPlateauTorch(t *testing.T) {
	var cases []struct {
		Name, Monitor, Schedule string
		Series, Rates           []float64
		LR                      float64
		Best                    any // a number, or "inf"
		BadEpochs, Cooldown     int
	}
	require.NoError(t, json.Unmarshal(plateauJSON, &cases))
	require.NotEmpty(t, cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			s, err := engine.ParseSchedule(c.Schedule)
			require.NoError(t, err)
			require.NoError(t, s.Validate())
			m, err := engine.ParseMonitor(c.Monitor)
			require.NoError(t, err)
			p := engine.NewPlateauState(m, c.LR)
			for i, v := range c.Series {
				before := p.LR
				reduced := p.Step(s, m, v)
				assert.Equal(t, reduced, p.LR != before, "epoch %d: Step reports the reduction", i+1)
				require.InDelta(t, c.Rates[i], p.LR, 1e-15*c.LR, "epoch %d (%g)", i+1, v)
			}
			best, ok := c.Best.(float64)
			if !ok {
				best, err = strconv.ParseFloat(c.Best.(string), 64)
				require.NoError(t, err)
			}
			assert.Equal(t, best, p.Best)
			assert.Equal(t, c.BadEpochs, p.BadEpochs)
			assert.Equal(t, c.Cooldown, p.Cooldown)
		})
	}
}

func TestParsePlateau(t *testing.T) {
	for _, c := range []struct {
		spec string
		want engine.Schedule
	}{
		{"plateau:5:0.5", engine.Schedule{Kind: engine.Plateau, Patience: 5, Factor: 0.5, Threshold: 1e-4}},
		{"plateau:0:0.1:0.01:2:1e-05", engine.Schedule{Kind: engine.Plateau, Factor: 0.1, Threshold: 0.01, Cooldown: 2, MinLR: 1e-5}},
	} {
		s, err := engine.ParseSchedule(c.spec)
		require.NoError(t, err)
		assert.Equal(t, c.want, s)
		assert.Equal(t, c.spec, s.String())
		require.NoError(t, s.Validate())
	}
	for _, bad := range []string{"plateau", "plateau:5", "plateau:x:0.5", "plateau:5:0.5:0.1", "plateau:5:0.5:0.1:x:0"} {
		_, err := engine.ParseSchedule(bad)
		assert.ErrorContains(t, err, "plateau:PATIENCE:FACTOR", bad)
	}
	for _, c := range []struct {
		s    engine.Schedule
		want string
	}{
		{engine.Schedule{Kind: engine.Plateau, Patience: -1, Factor: 0.5}, "patience must be 0 epochs or more, found -1"},
		{engine.Schedule{Kind: engine.Plateau, Factor: 1}, "factor must be in (0, 1), found 1"},
		{engine.Schedule{Kind: engine.Plateau, Factor: 0.5, Threshold: -0.1}, "threshold must be in [0, 1), found -0.1"},
		{engine.Schedule{Kind: engine.Plateau, Factor: 0.5, Cooldown: -1}, "cooldown must be 0 epochs or more, found -1"},
		{engine.Schedule{Kind: engine.Plateau, Factor: 0.5, MinLR: math.Inf(1)}, "min lr must be a finite number of 0 or more, found +Inf"},
		{engine.Schedule{Kind: engine.Plateau, Factor: 0.5, WarmupEpochs: 1}, "a plateau schedule takes no warm-up"},
	} {
		assert.ErrorContains(t, c.s.Validate(), c.want)
	}
	_, err := engine.ParseMonitor("val_f1")
	assert.ErrorContains(t, err, "val_f1")
}
