package engine_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

func TestParseLayersRoundTrip(t *testing.T) {
	layers, err := engine.ParseLayers("128:relu, 10:softmax")
	require.NoError(t, err)
	assert.Equal(t, []engine.LayerSpec{{Units: 128, Activation: engine.ReLU}, {Units: 10, Activation: engine.Softmax}}, layers)
	assert.Equal(t, "128:relu,10:softmax", engine.FormatLayers(layers))
}

func TestParseLayersErrors(t *testing.T) {
	for i, c := range []struct{ in, want string }{
		{"", "no layers"},
		{"128", "expected UNITS:ACTIVATION"},
		{"0:relu", "positive integer"},
		{"x:relu", "positive integer"},
		{"12:swish", `unknown activation "swish"`},
		{"12:relu,3:softplus", `layer 2 "3:softplus"`},
	} {
		_, err := engine.ParseLayers(c.in)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}

func TestParseNames(t *testing.T) {
	for _, a := range []engine.Activation{engine.Linear, engine.ReLU, engine.Sigmoid, engine.Tanh, engine.Softmax} {
		got, err := engine.ParseActivation(a.String())
		require.NoError(t, err)
		assert.Equal(t, a, got)
	}
	for _, l := range []engine.Loss{engine.BCE, engine.MSE, engine.CE} {
		got, err := engine.ParseLoss(l.String())
		require.NoError(t, err)
		assert.Equal(t, l, got)
	}
	for _, in := range []engine.Init{engine.InitAuto, engine.InitUniform, engine.InitXavier, engine.InitHe} {
		got, err := engine.ParseInit(in.String())
		require.NoError(t, err)
		assert.Equal(t, in, got)
	}
	_, err := engine.ParseLoss("hinge")
	assert.ErrorContains(t, err, `unknown loss "hinge"`)
	_, err = engine.ParseDType("float16")
	assert.ErrorContains(t, err, "expected float32 or float64")
	assert.Equal(t, engine.CE, engine.DefaultLoss(engine.Softmax))
	assert.Equal(t, engine.BCE, engine.DefaultLoss(engine.Sigmoid))
	assert.Equal(t, engine.MSE, engine.DefaultLoss(engine.Tanh))
}

func TestSpecValidate(t *testing.T) {
	l := func(n int, a engine.Activation) engine.LayerSpec { return engine.LayerSpec{Units: n, Activation: a} }
	for i, c := range []struct {
		spec engine.Spec
		want string
	}{
		{engine.Spec{Inputs: 0, Layers: []engine.LayerSpec{l(1, engine.Sigmoid)}}, "at least 1 input"},
		{engine.Spec{Inputs: 2}, "at least one layer"},
		{engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{l(3, engine.Softmax), l(1, engine.Sigmoid)}}, "softmax is for the output layer only"},
		{engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{l(3, engine.ReLU)}, Loss: engine.BCE}, "bce needs a sigmoid output"},
		{engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{l(3, engine.Sigmoid)}, Loss: engine.CE}, "ce needs a softmax output"},
		{engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{l(3, engine.Softmax)}, Loss: engine.MSE}, "softmax output layer needs loss ce"},
		{engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{l(1, engine.Softmax)}, Loss: engine.CE}, "softmax needs at least 2 units, found 1"},
		{engine.Spec{Inputs: 784, Layers: []engine.LayerSpec{l(99999999, engine.ReLU), l(1, engine.Sigmoid)}, Loss: engine.BCE},
			"layer 1 (99999999×784 weights) takes the network past 2147483647 parameters"},
		{engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{l(math.MaxInt, engine.ReLU), l(1, engine.Sigmoid)}, Loss: engine.BCE}, "layer 1"},
		{engine.Spec{Inputs: 1 << 62, Layers: []engine.LayerSpec{l(4, engine.Sigmoid)}, Loss: engine.BCE}, "layer 1 (4×4611686018427387904 weights)"},
		{engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{l(46341, engine.ReLU), l(46341, engine.ReLU), l(1, engine.Sigmoid)}, Loss: engine.BCE}, "layer 2 (46341×46341 weights)"},
	} {
		assert.ErrorContains(t, c.spec.Validate(), c.want, "case %d", i)
	}
}

func TestSpecParams(t *testing.T) {
	spec := engine.Spec{Inputs: 784, Layers: []engine.LayerSpec{{Units: 128, Activation: engine.ReLU}, {Units: 10, Activation: engine.Softmax}}, Loss: engine.CE}
	n, err := spec.Params()
	require.NoError(t, err)
	assert.Equal(t, 128*785+10*129, n)
	assert.Equal(t, n, engine.Zeros(spec).Params())

	edge := engine.Spec{Inputs: engine.MaxParams - 1, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}}, Loss: engine.MSE}
	n, err = edge.Params()
	require.NoError(t, err, "exactly MaxParams parameters")
	assert.Equal(t, engine.MaxParams, n)
	edge.Inputs++
	_, err = edge.Params()
	assert.ErrorContains(t, err, "past 2147483647 parameters")
}

func TestInitialisers(t *testing.T) {
	spec := engine.Spec{Inputs: 400, Layers: []engine.LayerSpec{{Units: 300, Activation: engine.ReLU}, {Units: 100, Activation: engine.Sigmoid}}, Loss: engine.BCE}
	stats := func(v []float64) (lo, hi, sd float64) {
		lo, hi = math.Inf(1), math.Inf(-1)
		var ss float64
		for _, x := range v {
			lo, hi, ss = min(lo, x), max(hi, x), ss+x*x
		}
		return lo, hi, math.Sqrt(ss / float64(len(v)))
	}
	uni, err := engine.NewNetwork(spec, engine.InitUniform, engine.NewRNG(1))
	require.NoError(t, err)
	lo, hi, _ := stats(uni.Layers[0].W)
	assert.True(t, lo >= -1 && lo < -0.99 && hi <= 1 && hi > 0.99, "uniform W in [-1, 1]: %g..%g", lo, hi)
	lo, hi, _ = stats(uni.Layers[0].B)
	assert.True(t, lo >= -1 && hi <= 1 && hi-lo > 1, "uniform b drawn from [-1, 1]: %g..%g", lo, hi)

	auto, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
	require.NoError(t, err)
	_, _, sd := stats(auto.Layers[0].W) // relu: He, N(0, 2/400)
	assert.InDelta(t, math.Sqrt(2.0/400), sd, 0.002)
	lo, hi, _ = stats(auto.Layers[1].W) // sigmoid: Xavier, U(±√(6/400))
	a := math.Sqrt(6.0 / 400)
	assert.True(t, lo >= -a && hi <= a && hi > 0.95*a, "xavier W in ±%g: %g..%g", a, lo, hi)
	assert.Equal(t, make([]float64, 300), auto.Layers[0].B, "he and xavier start biases at 0")

	f32, err := engine.NewNetwork(engine.Spec{Inputs: 3, Layers: spec.Layers, Loss: engine.BCE, DType: engine.Float32}, engine.InitAuto, engine.NewRNG(1))
	require.NoError(t, err)
	for _, w := range f32.Layers[0].W {
		require.Equal(t, float64(float32(w)), w, "float32 networks hold float32 values")
	}
}

func TestActivateSoftmaxStable(t *testing.T) {
	z := []float64{1000, 1001, 999, -5, 0, 5}
	a := make([]float64, len(z))
	engine.Activate(engine.Softmax, a, z, 3)
	for r := 0; r < 2; r++ {
		assert.InDelta(t, 1, a[3*r]+a[3*r+1]+a[3*r+2], 1e-15, "row %d sums to 1", r)
	}
	assert.InDelta(t, math.Exp(1)/(1+math.E+math.Exp(-1)), a[1], 1e-15)
	assert.Greater(t, a[5], a[4])
}

func TestOutputGradSaturatedIsFinite(t *testing.T) {
	z := []float64{800, -800}
	a := make([]float64, 2)
	engine.Activate(engine.Sigmoid, a, z, 2)
	require.Equal(t, []float64{1, 0}, a, "saturated sigmoid")
	dz := make([]float64, 2)
	loss, correct := engine.OutputGrad(engine.BCE, engine.Sigmoid, dz, z, a, []float64{0, 1})
	assert.False(t, math.IsNaN(loss) || math.IsInf(loss, 0), "loss %g", loss)
	assert.InDelta(t, -2*math.Log(engine.LogFloor), loss, 1e-9)
	assert.Equal(t, []float64{1, -1}, dz)
	assert.False(t, correct, "argmax of the output is 0, of the target 1")
}

func TestExampleLoss(t *testing.T) {
	a, y := []float64{0.8, 0.1, 0.1}, []float64{1, 0, 0}
	assert.InDelta(t, -math.Log(0.8), engine.ExampleLoss(engine.CE, a, y), 1e-15)
	assert.InDelta(t, -math.Log(0.8)-2*math.Log(0.9), engine.ExampleLoss(engine.BCE, a, y), 1e-15)
	assert.InDelta(t, (0.04+0.01+0.01)/3, engine.ExampleLoss(engine.MSE, a, y), 1e-15)
}

// TestConstantLoss checks the loss of the best constant output against
// closed forms (the targets' entropy under bce and ce, their variance under
// mse), that another constant does worse, and NaN for no targets.
func TestConstantLoss(t *testing.T) {
	assert.InDelta(t, math.Log(2), engine.ConstantLoss(engine.BCE, []float64{0, 1, 1, 0}, 1), 1e-15, "two balanced classes")
	ce := []float64{1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1} // classes 0, 0, 1, 2
	assert.InDelta(t, 1.5*math.Log(2), engine.ConstantLoss(engine.CE, ce, 3), 1e-15, "the entropy of 1/2, 1/4, 1/4")
	y := []float64{1, 2, 3, 6}
	assert.InDelta(t, 3.5, engine.ConstantLoss(engine.MSE, y, 1), 1e-15, "the variance of 1, 2, 3, 6")
	for _, c := range []float64{2.9, 3.1} {
		var other float64
		for _, v := range y {
			other += engine.ExampleLoss(engine.MSE, []float64{c}, []float64{v}) / 4
		}
		assert.Greater(t, other, engine.ConstantLoss(engine.MSE, y, 1), "the constant %g", c)
	}
	assert.True(t, math.IsNaN(engine.ConstantLoss(engine.BCE, nil, 1)))
}

// TestWeigh checks that an example's weight scales its gradient and loss,
// in both dtypes, and that a weight of 0 leaves no gradient.
func TestWeigh(t *testing.T) {
	dz := []float64{0.5, -0.25, 3}
	assert.Equal(t, 1.5, engine.Weigh(dz, 0.75, 2))
	assert.Equal(t, []float64{1, -0.5, 6}, dz)
	dz32 := []float32{0.5, -0.25}
	assert.Equal(t, 0.0, engine.Weigh(dz32, 0.75, 0))
	assert.Equal(t, []float32{0, 0}, dz32)
}

// TestBCELossTargets checks bce's loss, which multiplies the factors of
// 0 and 1 targets before it takes their log, against the sum of each
// term's log: outputs that saturate, soft targets, and 45 outputs all at the
// floor, whose product would fall to 0 in one piece.
func TestBCELossTargets(t *testing.T) {
	perTerm := func(a, y []float64) float64 {
		var loss float64
		for k, p := range a {
			loss -= y[k]*math.Log(max(p, engine.LogFloor)) + (1-y[k])*math.Log(max(1-p, engine.LogFloor))
		}
		return loss
	}
	a := []float64{0.8, 0.1, 1, 0, 1e-17, 1 - 1e-16, 0.5, 0.3, 0.999, 0.25}
	y := []float64{1, 0, 0, 1, 1, 0, 0.25, 0.7, 1, 0}
	for n := 1; n <= len(a); n++ {
		want := perTerm(a[:n], y[:n])
		assert.InDelta(t, want, engine.ExampleLoss(engine.BCE, a[:n], y[:n]), 1e-14*want, "the first %d outputs", n)
	}
	saturated, wrong := make([]float64, 45), make([]float64, 45)
	for k := range wrong {
		wrong[k] = float64(k % 2)
		saturated[k] = 1 - wrong[k]
	}
	want := -45 * math.Log(engine.LogFloor)
	assert.InDelta(t, want, engine.ExampleLoss(engine.BCE, saturated, wrong), 1e-14*want)
	assert.InDelta(t, want, perTerm(saturated, wrong), 1e-14*want)
}

// fixed is a backend whose predictions are given; it cannot train.
type fixed struct{ out []float64 }

func (fixed) Name() string   { return "fixed" }
func (fixed) Device() string { return "none" }
func (fixed) NewTrainer(*engine.Network, engine.Examples, engine.Hyper) (engine.Trainer, error) {
	panic("fixed cannot train")
}
func (f fixed) Predict(_ *engine.Network, _ []float64, _ int, out []float64) error {
	copy(out, f.out)
	return nil
}
func (f fixed) NewInference(*engine.Network) (engine.Inference, error) { return f, nil }
func (f fixed) Forward64(out, _ []float64, _ int) error                { copy(out, f.out); return nil }
func (f fixed) Forward32(out, _ []float32, _ int) error {
	for i := range out {
		out[i] = float32(f.out[i])
	}
	return nil
}
func (fixed) Close() error { return nil }

func TestEvaluateMetrics(t *testing.T) {
	net := engine.Zeros(engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 3, Activation: engine.Softmax}}, Loss: engine.CE})
	labels := []float64{0, 0, 1, 1, 2, 2}
	out := []float64{
		0.7, 0.2, 0.1, // 0 → 0
		0.2, 0.5, 0.3, // 0 → 1
		0.1, 0.8, 0.1, // 1 → 1
		0.1, 0.6, 0.3, // 1 → 1
		0.3, 0.3, 0.4, // 2 → 2
		0.6, 0.2, 0.2, // 2 → 0
	}
	set := dataset.New(make([]float64, 6), labels, 1)
	m, err := engine.Evaluate(fixed{out}, net, set)
	require.NoError(t, err)
	p, err := engine.NewPredictor(fixed{out}, net, engine.Preprocessing{})
	require.NoError(t, err)
	viaPredictor, err := engine.EvaluatePredictor(p, set)
	require.NoError(t, err)
	m.MAE, m.RMSE, m.R2 = 0, 0, 0 // NaN in both: a classification
	viaPredictor.MAE, viaPredictor.RMSE, viaPredictor.R2 = 0, 0, 0
	assert.Equal(t, m, viaPredictor, "EvaluatePredictor computes the figures as Evaluate")
	assert.Equal(t, [][]int{{1, 1, 0}, {0, 2, 0}, {1, 0, 1}}, m.Confusion)
	assert.InDelta(t, 4.0/6, m.Accuracy, 1e-15)
	assert.InDeltaSlice(t, []float64{0.5, 2.0 / 3, 1}, m.Precision, 1e-15)
	assert.InDeltaSlice(t, []float64{0.5, 1, 0.5}, m.Recall, 1e-15)
	assert.InDeltaSlice(t, []float64{0.5, 0.8, 2.0 / 3}, m.F1, 1e-15)
	want := -(math.Log(0.7) + math.Log(0.2) + math.Log(0.8) + math.Log(0.6) + math.Log(0.4) + math.Log(0.2)) / 6
	assert.InDelta(t, want, m.Loss, 1e-15)
}

func TestEvaluateThresholdsOneSigmoid(t *testing.T) {
	net := engine.Zeros(engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE})
	m, err := engine.Evaluate(fixed{[]float64{0.2, 0.6, 0.5, 0.9}}, net, dataset.New(make([]float64, 4), []float64{0, 1, 1, 0}, 1))
	require.NoError(t, err)
	assert.Equal(t, [][]int{{1, 1}, {1, 1}}, m.Confusion, "0.5 is not above the threshold")
}

func TestEvaluateRegression(t *testing.T) {
	net := engine.Zeros(engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}}, Loss: engine.MSE})
	m, err := engine.Evaluate(fixed{[]float64{1, 2}}, net, dataset.New(make([]float64, 2), []float64{0.5, 2.5}, 1))
	require.NoError(t, err)
	assert.InDelta(t, 0.25, m.Loss, 1e-15)
	assert.True(t, math.IsNaN(m.Accuracy))
	assert.Nil(t, m.Confusion)
	assert.InDelta(t, 0.5, m.MAE, 1e-15)
	assert.InDelta(t, 0.5, m.RMSE, 1e-15)
	assert.InDelta(t, 0.75, m.R2, 1e-15)
}

func TestEvaluateRegressionNetworkOnClassData(t *testing.T) {
	net := engine.Zeros(engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}}, Loss: engine.MSE})
	set := dataset.New(make([]float64, 4), []float64{0, 1, 2, 1}, 1)
	require.Equal(t, 3, set.Classes)
	m, err := engine.Evaluate(fixed{[]float64{0, 2, 2, 1}}, net, set)
	require.NoError(t, err)
	assert.True(t, math.IsNaN(m.Accuracy), "a linear output does not classify")
	assert.Nil(t, m.Confusion)
	assert.InDelta(t, 0.25, m.MAE, 1e-15)
	assert.InDelta(t, 0.5, m.RMSE, 1e-15)
	assert.InDelta(t, 1-1/2.0, m.R2, 1e-15, "Σ(ŷ−y)² = 1, Σ(y−ȳ)² = 2")
}

func TestFitRejectsBadConfig(t *testing.T) {
	net := engine.Zeros(engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE})
	set := dataset.New([]float64{1, 2, 3, 4}, []float64{0, 1}, 2)
	be := fixed{}
	for i, c := range []struct {
		cfg  engine.Config
		set  *dataset.Set
		want string
	}{
		{engine.Config{Epochs: 1, LearningRate: 0.1}, set, "no backend"},
		{engine.Config{Epochs: 0, LearningRate: 0.1, Backend: be}, set, "epochs must be at least 1, found 0"},
		{engine.Config{Epochs: 1, LearningRate: 0, Backend: be}, set, "learning rate must be a number above 0, found 0"},
		{engine.Config{Epochs: 1, LearningRate: math.NaN(), Backend: be}, set, "learning rate"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, BatchSize: -2, Backend: be}, set, "batch size"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be, EarlyStop: &engine.EarlyStopping{Patience: 2}}, set, "early stopping watches the validation loss: it needs validation data"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be, Validation: set, EarlyStop: &engine.EarlyStopping{}}, set, "patience must be at least 1 epoch, found 0"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be, Optimizer: engine.Optimizer{Momentum: 2}}, set, "momentum must be in [0, 1), found 2"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be, Schedule: engine.Schedule{Kind: engine.StepDecay}}, set, "period must be at least 1 epoch"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be, CheckpointEvery: -1}, set, "checkpoints every -1 epochs"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be, Schedule: engine.Schedule{Kind: engine.Plateau, Factor: 0.5}}, set,
			"the plateau schedule watches the validation loss: it needs validation data"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be, Monitor: engine.ValAccuracy, EarlyStop: &engine.EarlyStopping{Patience: 2}}, set,
			"early stopping watches the validation accuracy: it needs validation data"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be, Validation: set, Monitor: engine.ValAccuracy, EarlyStop: &engine.EarlyStopping{Patience: 2}},
			dataset.New([]float64{1, 2, 3, 4}, []float64{0.5, 0.25}, 2), "the monitor val_accuracy needs a classifier trained on classes"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be, Clip: engine.Clipping{Norm: 1, Value: 1}}, set, "at once: give one of them"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be}, dataset.New([]float64{1, 2, 3}, []float64{0}, 3), "3 features per example but the network takes 2 inputs"},
		{engine.Config{Epochs: 1, LearningRate: 0.1, Backend: be}, dataset.New([]float64{1, 2, 3, 4}, []float64{0, 2}, 2), "class 1 has no training examples, of the data's 3 classes (0, 1, 2)"},
	} {
		_, err := engine.Fit(context.Background(), net, c.set, c.cfg)
		assert.ErrorContains(t, err, c.want, "case %d", i)
	}
}

// TestTrainingTargets checks that a classifier's output must fit the
// training set's classes exactly, each with an example, and that a
// regression, soft targets and a set to evaluate on are not held to it.
func TestTrainingTargets(t *testing.T) {
	spec := func(units int, act engine.Activation) engine.Spec {
		loss := engine.DefaultLoss(act)
		return engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 4, Activation: engine.ReLU}, {Units: units, Activation: act}}, Loss: loss}
	}
	set := func(labels ...float64) *dataset.Set { return dataset.New(make([]float64, len(labels)), labels, 1) }
	for _, c := range []struct {
		spec engine.Spec
		set  *dataset.Set
		want string // "" when it fits
	}{
		{spec(2, engine.Softmax), set(0, 1, 1), ""},
		{spec(1, engine.Sigmoid), set(0, 1, 1), ""},
		{spec(2, engine.Sigmoid), set(0, 1, 1), ""},
		{spec(3, engine.Softmax), set(2, 0, 1), ""},
		{spec(4, engine.Softmax), set(0, 1, 1), "the data has 2 classes (0, 1) but the output layer 4:softmax has 4 units"},
		{spec(3, engine.Sigmoid), set(0, 1, 1), "the data has 2 classes (0, 1) but the output layer 3:sigmoid has 3 units"},
		{spec(2, engine.Softmax), set(0, 1, 2), "the data has 3 classes (0, 1, 2) but the output layer 2:softmax has 2 units"},
		{spec(1, engine.Sigmoid), set(0, 1, 2), "the data has 3 classes (0, 1, 2) but the output layer 1:sigmoid has 1 unit"},
		{spec(10, engine.Softmax), set(0, 1, 2, 3, 9, 8, 7, 6, 5, 4, 4), ""},
		{spec(9, engine.Softmax), set(0, 1, 2, 3, 9, 8, 7, 6, 5, 4, 4), "the data has 10 classes (0 to 9) but the output layer 9:softmax has 9 units"},
		{spec(4, engine.Softmax), set(1, 2, 3, 3), "class 0 has no training examples: the labels run from 1 to 3, read as the 4 classes 0 to 3"},
		{spec(3, engine.Softmax), set(2, 0, 2), "class 1 has no training examples, of the data's 3 classes (0, 1, 2)"},
		{spec(1, engine.Sigmoid), set(0, 0), "class 1 has no training examples, of the data's 2 classes (0, 1)"},
		{spec(8, engine.Softmax), set(7, 7, 3), "classes 0, 1, 2, 4, 5 and 1 more have no training examples: the labels run from 3 to 7, read as the 8 classes 0 to 7"},
		{spec(3, engine.Softmax), set(2, 2, 1), "class 0 has no training examples: the labels run from 1 to 2, read as the 3 classes 0, 1, 2"},
		{spec(3, engine.Softmax), set(1, 2, 3), "class 0 has no training examples: the labels run from 1 to 3, read as the 4 classes 0 to 3"},
	} {
		name := engine.FormatLayers(c.spec.Layers) + " on " + fmt.Sprint(c.set.Labels)
		_, err := c.spec.TrainingTargets(c.set)
		if c.want == "" {
			assert.NoError(t, err, name)
			continue
		}
		assert.EqualError(t, err, c.want, name)
		var ce *engine.ClassError
		assert.ErrorAs(t, err, &ce, name)
		_, err = c.spec.Targets(c.set)
		if c.set.Classes <= c.spec.Outputs() && c.spec.Outputs() > 1 {
			assert.NoError(t, err, "%s: a set to evaluate on may lack classes", name)
		}
		_, err = engine.Fit(context.Background(), engine.Zeros(c.spec), c.set, engine.Config{Epochs: 1, LearningRate: 0.1, Backend: fixed{}})
		assert.EqualError(t, err, c.want, "%s: Fit refuses it", name)
	}

	for _, c := range []struct {
		spec engine.Spec
		set  *dataset.Set
	}{
		{spec(1, engine.Linear), set(1, 2, 3)},                                           // a regression on integer labels
		{spec(4, engine.Linear), set(0, 1, 1)},                                           // one-hot regression
		{spec(1, engine.Sigmoid), set(0.25, 0.5, 1)},                                     // soft targets
		{spec(1, engine.Linear), dataset.New(make([]float64, 2), []float64{1.5, -2}, 1)}, // any numbers
	} {
		_, err := c.spec.TrainingTargets(c.set)
		assert.NoError(t, err, "%s on %v", engine.FormatLayers(c.spec.Layers), c.set.Labels)
	}
}

func TestSpecTargets(t *testing.T) {
	spec := engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 3, Activation: engine.Sigmoid}}, Loss: engine.BCE}
	y, err := spec.Targets(dataset.New(make([]float64, 2), []float64{2, 0}, 1))
	require.NoError(t, err, "several sigmoid outputs learn one-hot class targets with bce")
	assert.Equal(t, []float64{0, 0, 1, 1, 0, 0}, y)
	spec.Layers[0].Units = 1
	_, err = spec.Targets(dataset.New(make([]float64, 2), []float64{0, 2}, 1))
	assert.ErrorContains(t, err, "bce needs targets in [0, 1], found 2 at example 2")

	mnistLike := dataset.New(make([]float64, 2), []float64{3, 12}, 1)
	mnistLike.Classes = 10 // as a loader that knows its classes sets it, whatever the labels say
	spec = engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 10, Activation: engine.Softmax}}, Loss: engine.CE}
	_, err = spec.Targets(mnistLike)
	assert.ErrorContains(t, err, "example 2: label 12 is not a class 0..9 of the network's 10 outputs")
}

// kind says how set holds its features.
func kind(set *dataset.Set) string {
	if set.X == nil {
		return "codes"
	}
	return "float64"
}

func TestEvaluateRefusesOtherFeatures(t *testing.T) {
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE}
	net, err := engine.NewNetwork(spec, engine.InitAuto, engine.NewRNG(1))
	require.NoError(t, err)
	var levels [256]float64
	for _, set := range []*dataset.Set{dataset.New(make([]float64, 6), []float64{0, 1}, 3), dataset.NewCoded(make([]byte, 6), &levels, []float64{0, 1}, 3)} {
		_, err = engine.Evaluate(cpu.New(), net, set)
		assert.EqualError(t, err, "the data has 3 features per example but the network takes 2 inputs", "held as %s", kind(set))
	}
}

func TestParseLayersDropout(t *testing.T) {
	layers, err := engine.ParseLayers("256:relu:dropout=0.2, 64:tanh:dropout=0.5,10:softmax")
	require.NoError(t, err)
	assert.Equal(t, []engine.LayerSpec{{Units: 256, Activation: engine.ReLU, Dropout: 0.2}, {Units: 64, Activation: engine.Tanh, Dropout: 0.5},
		{Units: 10, Activation: engine.Softmax}}, layers)
	assert.Equal(t, "256:relu:dropout=0.2,64:tanh:dropout=0.5,10:softmax", engine.FormatLayers(layers))
	again, err := engine.ParseLayers(engine.FormatLayers(layers))
	require.NoError(t, err)
	assert.Equal(t, layers, again)

	layers, err = engine.ParseLayers("8:relu:dropout=0,1:sigmoid")
	require.NoError(t, err)
	assert.Equal(t, "8:relu,1:sigmoid", engine.FormatLayers(layers), "dropout=0 is no dropout")

	for i, c := range []struct{ in, want string }{
		{"8:relu:dropout=1,1:sigmoid", `layer 1 "8:relu:dropout=1": dropout must be a probability in [0, 1), found 1`},
		{"8:relu:dropout=-0.1,1:sigmoid", "found -0.1"},
		{"8:relu:dropout=NaN,1:sigmoid", "found NaN"},
		{"8:relu:dropout=half,1:sigmoid", `dropout "half": expected a probability in [0, 1), like 0.2`},
		{"8:relu:p=0.2,1:sigmoid", `unknown layer option "p=0.2": expected dropout=P, like 256:relu:dropout=0.2`},
		{"8:relu:dropout=0.2:x,1:sigmoid", `dropout "0.2:x"`},
		{"8:dropout=0.2,1:sigmoid", `unknown activation "dropout=0.2"`},
	} {
		_, err := engine.ParseLayers(c.in)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}

func TestSpecValidateDropout(t *testing.T) {
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 4, Activation: engine.ReLU, Dropout: 0.5}, {Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE}
	require.NoError(t, spec.Validate())
	assert.True(t, spec.Dropouts())
	spec.Layers[1].Dropout = 0.1
	assert.EqualError(t, spec.Validate(), "layer 2: the output layer cannot have dropout (found dropout=0.1): put it on a hidden layer")
	spec.Layers[1].Dropout, spec.Layers[0].Dropout = 0, 1.5
	assert.ErrorContains(t, spec.Validate(), "layer 1: dropout must be a probability in [0, 1), found 1.5")
	spec.Layers[0].Dropout = 0
	assert.False(t, spec.Dropouts())
}

// TestDropoutMask checks the masks' values, 0 or 1/(1−p), and that the
// fraction kept is within 5 standard deviations of 1−p, sqrt(p(1−p)/n);
// the same generator state draws the same mask.
func TestDropoutMask(t *testing.T) {
	for _, p := range []float64{0.05, 0.2, 0.5, 0.9} {
		const n = 200000
		mask := make([]float32, n)
		rng := engine.NewRNG(uint64(p * 100))
		state, err := rng.MarshalBinary()
		require.NoError(t, err)
		engine.DropoutMask(mask, p, rng)
		kept := 0
		for _, v := range mask {
			if v != 0 {
				kept++
				require.Equal(t, float32(1/(1-p)), v)
			}
		}
		rate, sigma := float64(kept)/n, math.Sqrt(p*(1-p)/n)
		assert.InDelta(t, 1-p, rate, 5*sigma, "p = %g: kept %d of %d", p, kept, n)

		again := make([]float32, n)
		replay := engine.NewRNG(0)
		require.NoError(t, replay.UnmarshalBinary(state))
		engine.DropoutMask(again, p, replay)
		assert.Equal(t, mask, again, "p = %g: the same state draws the same mask", p)
	}
}

// TestMapOutputs checks that a linear output layer mapped by MapOutputs
// outputs scale·y + offset for the outputs y it had, on random inputs, in
// both dtypes, and that other output layers and wrong lengths are refused.
func TestMapOutputs(t *testing.T) {
	for _, dt := range []engine.DType{engine.Float64, engine.Float32} {
		spec := engine.Spec{Inputs: 3, Layers: []engine.LayerSpec{{Units: 5, Activation: engine.ReLU}, {Units: 2, Activation: engine.Linear}}, Loss: engine.MSE, DType: dt}
		net, err := engine.NewNetwork(spec, engine.InitHe, engine.NewRNG(3))
		require.NoError(t, err)
		x := []float64{0.5, -1, 2, 1.5, 0.25, -0.75}
		be := cpu.New()
		before, err := engine.Predict(be, net, x, 2)
		require.NoError(t, err)
		scale, offset := []float64{7.8, 0.5}, []float64{23.5, -4}
		hidden := append([]float64(nil), net.Layers[0].W...)
		require.NoError(t, net.MapOutputs(scale, offset))
		assert.Equal(t, hidden, net.Layers[0].W, "hidden layers stay as they were")
		after, err := engine.Predict(be, net, x, 2)
		require.NoError(t, err)
		tol := 1e-12
		if dt == engine.Float32 {
			tol = 1e-5
		}
		for i, y := range before {
			j := i % 2
			assert.InDelta(t, scale[j]*y+offset[j], after[i], tol*(1+math.Abs(after[i])), "output %d", i)
		}
		for _, v := range net.Layers[1].W {
			assert.Equal(t, dt.Round(v), v, "parameters stay in the dtype")
		}
	}
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Sigmoid}}, Loss: engine.BCE, DType: engine.Float64}
	net, err := engine.NewNetwork(spec, engine.InitXavier, engine.NewRNG(1))
	require.NoError(t, err)
	assert.EqualError(t, net.MapOutputs([]float64{2}, []float64{1}), "the output layer is sigmoid: only a linear output layer's outputs can be mapped by its parameters")
	spec.Layers[0].Activation, spec.Loss = engine.Linear, engine.MSE
	net, err = engine.NewNetwork(spec, engine.InitXavier, engine.NewRNG(1))
	require.NoError(t, err)
	assert.EqualError(t, net.MapOutputs([]float64{2, 3}, []float64{1}), "2 scales and 1 offsets for 1 outputs")
}

// TestMapOutputsRefusesOverflow maps a float32 network's outputs by a
// scale that takes its parameters past float32's range: refused, and the
// network is left as it was.
func TestMapOutputsRefusesOverflow(t *testing.T) {
	spec := engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}}, Loss: engine.MSE, DType: engine.Float32}
	net, err := engine.NewNetwork(spec, engine.InitXavier, engine.NewRNG(1))
	require.NoError(t, err)
	before := net.Clone()
	err = net.MapOutputs([]float64{1e300}, []float64{0})
	assert.ErrorContains(t, err, "past float32's range")
	assert.Equal(t, before, net)
}
