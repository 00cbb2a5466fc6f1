package modelfile_test

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// regression returns a network of 6 inputs and 2 linear outputs, and a
// standardisation of its targets.
func regression(t testing.TB, dtype engine.DType) (*engine.Network, *dataset.Scaler) {
	t.Helper()
	layers, err := engine.ParseLayers("5:relu,2:linear")
	require.NoError(t, err)
	net, err := engine.NewNetwork(engine.Spec{Inputs: 6, Layers: layers, Loss: engine.MSE, DType: dtype}, engine.InitAuto, engine.NewRNG(4))
	require.NoError(t, err)
	return net, &dataset.Scaler{Kind: dataset.Standardise, Offset: []float64{23.5, -1000}, Scale: []float64{1 / 7.8, 1.0 / 250}}
}

// TestFoldTarget checks that the folded network outputs σ·y + μ where the
// network trained on standardised targets output y (σ = 1/Scale, μ =
// Offset), that UnfoldTarget undoes it up to rounding, and that a model
// file keeps the folded network and the standardisation exactly.
func TestFoldTarget(t *testing.T) {
	for _, dtype := range []engine.DType{engine.Float64, engine.Float32} {
		net, target := regression(t, dtype)
		folded, err := modelfile.FoldTarget(net, target)
		require.NoError(t, err)
		x := []float64{0.5, -1, 2, 0.25, 1.5, -0.5}
		y, err := engine.Predict(cpu.New(), net, x, 1)
		require.NoError(t, err)
		got, err := engine.Predict(cpu.New(), folded, x, 1)
		require.NoError(t, err)
		tol := map[engine.DType]float64{engine.Float64: 1e-12, engine.Float32: 1e-5}[dtype]
		assert.InDelta(t, 7.8*y[0]+23.5, got[0], tol*math.Abs(got[0]))
		assert.InDelta(t, 250*y[1]-1000, got[1], tol*math.Abs(got[1]))

		back, err := modelfile.UnfoldTarget(folded, target)
		require.NoError(t, err)
		for i, w := range net.Layers[1].W {
			assert.InDelta(t, w, back.Layers[1].W[i], tol*(1+math.Abs(w)), "%s W[%d]", dtype, i)
		}
		assert.Equal(t, net.Layers[0], back.Layers[0], "the hidden layer is untouched")

		path := filepath.Join(t.TempDir(), "m.safetensors")
		require.NoError(t, modelfile.Save(path, modelfile.Model{Network: folded, Target: target}))
		m, err := modelfile.Load(path)
		require.NoError(t, err)
		assert.Equal(t, target, m.Target)
		assert.Equal(t, folded, m.Network)
	}
}

// regressionCheckpoint returns a checkpoint of a fit on standardised
// targets with Adam and early stopping's best parameters.
func regressionCheckpoint(t testing.TB) modelfile.Checkpoint {
	net, target := regression(t, engine.Float32)
	opt := engine.DefaultOptimizer(engine.Adam)
	f := &engine.Checkpoint{Network: net, State: engine.NewOptimizerState(opt, net.Spec), Epoch: 1, Order: []int{2, 0, 1}, RNG: []byte{7},
		Optimizer: opt, Schedule: engine.Schedule{Kind: engine.Constant}, LearningRate: 0.001, BatchSize: 1, Epochs: 3, Examples: 3,
		History: engine.History{{Epoch: 1, Loss: 0.5, TrainAccuracy: math.NaN(), ValLoss: 0.75, ValAccuracy: math.NaN(), LearningRate: 0.001}},
		Early:   &engine.EarlyStopping{Patience: 2, BestEpoch: 1, BestLoss: 0.75}}
	f.Best = net.Clone()
	return modelfile.Checkpoint{Fit: f, Target: target, Settings: map[string]string{"layers": "5:relu,2:linear"}}
}

// TestCheckpointOfStandardisedTargets checks that a checkpoint of a fit on
// standardised targets gives back the fit's network bit for bit, with the
// output layer stored apart, while the file read as a model has it folded.
func TestCheckpointOfStandardisedTargets(t *testing.T) {
	ck := regressionCheckpoint(t)
	var buf bytes.Buffer
	require.NoError(t, modelfile.EncodeCheckpoint(&buf, ck))
	got, err := modelfile.DecodeCheckpoint(buf.Bytes())
	require.NoError(t, err)
	sameCheckpoints(t, ck, got)
	assert.Equal(t, ck.Target, got.Target)
	for l := range ck.Fit.Network.Layers {
		sameBits(t, ck.Fit.Network.Layers[l].W, got.Fit.Network.Layers[l].W, "W")
		sameBits(t, ck.Fit.Network.Layers[l].B, got.Fit.Network.Layers[l].B, "b")
	}
	m, err := modelfile.Decode(buf.Bytes())
	require.NoError(t, err)
	folded, err := modelfile.FoldTarget(ck.Fit.Network, ck.Target)
	require.NoError(t, err)
	assert.Equal(t, folded, m.Network, "the checkpoint's model answers in the labels' units")
	assert.Equal(t, ck.Target, m.Target)

	h, body := header(t, buf.Bytes())
	offsets := h["standardised.2.weight"].(map[string]any)["data_offsets"].([]any)
	changed := append([]byte(nil), body...)
	changed[int(offsets[0].(float64))+3] ^= 0x80 // the sign of the fit's first output weight (float32)
	_, err = modelfile.DecodeCheckpoint(restamped(t, encode(t, h, changed)))
	assert.EqualError(t, err, "tensor standardised.2.weight: the fit's output layer, mapped to the labels' units by the target, is not the model's output layer")

	assert.Contains(t, h, "standardised.2.weight")
	assert.Contains(t, h, "standardised.2.bias")
	delete(h, "standardised.2.bias")
	_, err = modelfile.DecodeCheckpoint(encode(t, h, body))
	assert.ErrorContains(t, err, "tensor standardised.2.bias is missing")
}

// TestTargetErrors checks the refusals of a target standardisation that
// does not fit the network, in a file read and in a model written.
func TestTargetErrors(t *testing.T) {
	net, target := regression(t, engine.Float64)
	var buf bytes.Buffer
	require.NoError(t, modelfile.Encode(&buf, modelfile.Model{Network: net, Target: target}))
	good := buf.Bytes()
	for _, c := range []struct{ target, want string }{
		{`{"Kind":"minmax","Offset":[0,0],"Scale":[1,1]}`, `__metadata__ target: kind "minmax", expected "standard"`},
		{`{"Kind":"standard","Offset":[0],"Scale":[1]}`, "__metadata__ target: 1 offsets and 1 scales for 2 outputs"},
		{`{"Kind":"standard","Offset":[0,0],"Scale":[1,0]}`, "__metadata__ target: output 2: offset 0, scale 0: expected a finite offset and a finite scale above 0"},
		{`{"Kind":"standard","Offset":[0,0],"Scale":[-1,1]}`, "output 1: offset 0, scale -1"},
		{`{"Kind":"standard","Offset":[0,0],"Scale":[1,1],"Mean":[0]}`, `__metadata__ target: unknown field "Mean"`},
	} {
		h, body := header(t, good)
		h["__metadata__"].(map[string]any)["target"] = c.target
		_, err := modelfile.Decode(encode(t, h, body))
		assert.ErrorContains(t, err, c.want)
	}
	classifier := network(t, engine.Float64)
	err := modelfile.Encode(&buf, modelfile.Model{Network: classifier, Target: &dataset.Scaler{Kind: dataset.Standardise, Offset: make([]float64, 3), Scale: []float64{1, 1, 1}}})
	assert.EqualError(t, err, "the targets' standardisation: the output layer is softmax: only a linear output's targets are standardised")
	_, err = modelfile.FoldTarget(classifier, target)
	assert.ErrorContains(t, err, "the output layer is softmax")
}
