package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// pricesCSV returns a CSV of n rows of two features and a price in the
// thousands, 5000 + 2000·a − 1500·b and a little noise.
func pricesCSV(n int) string {
	var b strings.Builder
	b.WriteString("a,b,price\n")
	for i := range n {
		x, y := float64(i%23)/23, float64(i%7)/7
		fmt.Fprintf(&b, "%g,%g,%g\n", x, y, 5000+2000*x-1500*y+float64(i%5-2)*10)
	}
	return b.String()
}

// testFigures returns the test's figures from a --json summary.
func testFigures(t *testing.T, stdout string) (rmse, r2 float64) {
	t.Helper()
	var sum struct {
		Test struct{ RMSE, R2 float64 }
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
	return sum.Test.RMSE, sum.Test.R2
}

// TestScaleTargetLearnsLabelsInTheirUnits trains a regression on prices
// in the thousands with the defaults (per-example SGD at lr 0.01): the
// labels standardised, it learns them (r2 above 0.95), where, learnt as
// they are (--scale-target none), it does not; the note says what the
// losses are; the model file records the standardisation and answers in
// the labels' units through eval and predict.
func TestScaleTargetLearnsLabelsInTheirUnits(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "prices.csv", pricesCSV(600))
	fit := []string{"train", "--data", "csv:prices.csv", "--epochs", "10", "--json", "--history", "", "--plot", ""}
	r := perceptron(t, dir, append(fit, "--out", "m.safetensors")...)
	require.Equal(t, 0, r.code, r.stderr)
	rmse, r2 := testFigures(t, r.stdout)
	assert.Greater(t, r2, 0.95, "standardised targets are learnt")
	assert.Less(t, rmse, 150.0, "the test's rmse is in the labels' units")
	assert.Contains(t, r.stderr, "perceptron: csv:prices.csv: label price (a regression); ")
	assert.Regexp(t, `perceptron: note: the targets are standardised for the fit \(price: mean 5[0-9.]+, sd [0-9.]+\): the losses per epoch are of standardised targets`, r.stderr)
	var sum summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	require.NotNil(t, sum.Target)
	assert.InDelta(t, 5300, sum.Target.Mean[0], 60, "the training part's mean price")

	m, err := modelfile.Load(filepath.Join(dir, "m.safetensors"))
	require.NoError(t, err)
	require.NotNil(t, m.Target)
	assert.Equal(t, sum.Target.Mean, m.Target.Offset)

	r = perceptron(t, dir, "eval", "--model", "m.safetensors", "--data", "csv:prices.csv", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var ev struct{ RMSE, R2 float64 }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ev))
	assert.Greater(t, ev.R2, 0.95)
	assert.Less(t, ev.RMSE, 150.0)

	write(t, dir, "rows.csv", "a,b\n0,0\n0.5,0.5\n")
	r = perceptron(t, dir, "predict", "--model", "m.safetensors", "--input", "rows.csv")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Fields(r.stdout)
	require.Len(t, lines, 2)
	for i, want := range []float64{5000, 5250} {
		got, err := strconv.ParseFloat(lines[i], 64)
		require.NoError(t, err)
		assert.InDelta(t, want, got, 300, "row %d predicted in the labels' units", i)
	}

	r = perceptron(t, dir, append(fit, "--out", "", "--scale-target", "none")...)
	if r.code == 0 {
		_, r2 := testFigures(t, r.stdout)
		assert.Less(t, r2, 0.95, "labels in the thousands learnt as they are")
	} else {
		assert.Contains(t, r.stderr, "the learning rate is probably too high")
	}
}

// TestScaleTargetResumesExactly checkpoints a fit on standardised targets
// (Adam, early stopping's best parameters) and resumes it: the model file
// is the one of the fit never stopped, byte for byte.
func TestScaleTargetResumesExactly(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "prices.csv", pricesCSV(300))
	fit := []string{"--data", "csv:prices.csv", "--optimizer", "adam", "--early-stop", "9", "--batch", "4", "--quiet", "--plot", ""}
	r := perceptron(t, dir, append([]string{"train", "--epochs", "4", "--out", "whole.safetensors", "--history", "whole.csv"}, fit...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--epochs", "2", "--out", "", "--history", "", "--checkpoint", "two.safetensors"}, fit...)...)
	require.Equal(t, 0, r.code, r.stderr)
	ck, err := modelfile.LoadCheckpoint(filepath.Join(dir, "two.safetensors"))
	require.NoError(t, err)
	require.NotNil(t, ck.Target, "the checkpoint records the standardisation")
	r = perceptron(t, dir, "train", "--resume", "two.safetensors", "--epochs", "4", "--out", "resumed.safetensors", "--history", "resumed.csv", "--plot", "", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	sameFile(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "resumed.safetensors"))
	assert.Equal(t, historyLosses(t, filepath.Join(dir, "whole.csv")), historyLosses(t, filepath.Join(dir, "resumed.csv")))
}

// TestScaleTargetWarmStart starts a fit from a model trained on
// standardised targets, at a rate too small to move it: the warm start
// trains the model's network on labels standardised as its were, so its
// model predicts what the first did; --scale-target none is refused.
func TestScaleTargetWarmStart(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "prices.csv", pricesCSV(300))
	write(t, dir, "rows.csv", "a,b\n0,0\n0.5,0.5\n1,0\n")
	r := perceptron(t, dir, "train", "--data", "csv:prices.csv", "--epochs", "5", "--out", "a.safetensors", "--quiet", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, "train", "--data", "csv:prices.csv", "--epochs", "1", "--lr", "1e-12", "--init-from", "a.safetensors", "--out", "b.safetensors",
		"--quiet", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	predict := func(model string) []float64 {
		r := perceptron(t, dir, "predict", "--model", model, "--input", "rows.csv")
		require.Equal(t, 0, r.code, r.stderr)
		var out []float64
		for _, f := range strings.Fields(r.stdout) {
			v, err := strconv.ParseFloat(f, 64)
			require.NoError(t, err)
			out = append(out, v)
		}
		return out
	}
	a, b := predict("a.safetensors"), predict("b.safetensors")
	require.Len(t, b, len(a))
	for i := range a {
		assert.InDelta(t, a[i], b[i], 1e-3*math.Abs(a[i]), "row %d", i)
	}
	r = perceptron(t, dir, "train", "--data", "csv:prices.csv", "--init-from", "a.safetensors", "--scale-target", "none", "--out", "", "--quiet")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "perceptron: error: --init-from a.safetensors: the model's targets are scaled standard, --scale-target asks for none: its outputs would mean other numbers\n")
}

// TestScaleTargetErrors checks the refusals of --scale-target: an unknown
// choice, standard for an output layer that learns no labels as they are,
// and labels whose spread overflows (an sd of +Inf would make every target
// 0, and the fit fail only at the end).
func TestScaleTargetErrors(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "train", "--data", "synthetic:moons", "--scale-target", "log", "--out", "", "--quiet")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `perceptron: error: --scale-target: unknown choice "log": expected standard or none`)
	r = perceptron(t, dir, "train", "--data", "synthetic:moons", "--layers", "4:relu,1:sigmoid", "--scale-target", "standard", "--out", "", "--quiet")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "perceptron: error: --scale-target standard: the output layer 1:sigmoid learns no labels as they are, only a linear output layer of one unit per label does\n"+
		"perceptron: hint: drop --scale-target (it is for regressions)\n")
	write(t, dir, "huge.csv", "a,y\n1,1e200\n2,-1e200\n3,1e199\n4,5e199\n5,-3e199\n6,2e200\n")
	r = perceptron(t, dir, "train", "--data", "csv:huge.csv", "--layers", "4:relu,1:linear", "--test-split", "0", "--val-split", "0", "--out", "", "--quiet")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "perceptron: error: --scale-target standard: output 1's labels spread past float64's range (mean 3.833333333333333e+199, 1/sd 0): "+
		"they cannot be standardised\nperceptron: hint: scale the labels down in the file (as thousands or millions), or --scale-target none\n")
}

// TestDescribeLabels checks the announcement's words for a CSV's labels:
// classes (the first five, then …), one regression label, several.
func TestDescribeLabels(t *testing.T) {
	assert.Empty(t, describeLabels(nil))
	seven := &dataset.Preprocessor{Labels: []string{"digit"}, Task: dataset.Classify, ClassNames: []string{"1", "2", "3", "4", "5", "6", "7"}}
	assert.Equal(t, "label digit (7 classes: 1, 2, 3, 4, 5, …); ", describeLabels(seven))
	assert.Equal(t, "label mpg (a regression); ", describeLabels(&dataset.Preprocessor{Labels: []string{"mpg"}, Task: dataset.Regress}))
	assert.Equal(t, "labels x, y (a regression of 2 outputs); ", describeLabels(&dataset.Preprocessor{Labels: []string{"x", "y"}, Task: dataset.Regress}))
}

// TestScaleTargetSweep sweeps rates of a regression on prices: the best
// fit's model, and each fit's under --out-dir, records the
// standardisation and predicts in the labels' units.
func TestScaleTargetSweep(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "prices.csv", pricesCSV(400))
	write(t, dir, "rows.csv", "a,b\n1,0\n")
	r := perceptron(t, dir, "sweep", "--data", "csv:prices.csv", "--lr", "0.003,0.01", "--epochs", "10", "--out", "best.safetensors", "--out-dir", "fits",
		"--plot", "", "--csv", "")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "perceptron: note: best_loss is of the standardised labels (--scale-target standard), which the fits rank by; "+
		"test_loss (in --csv) is in the labels' units\n")
	for _, model := range []string{"best.safetensors", "fits/fit-001.safetensors", "fits/fit-002.safetensors"} {
		m, err := modelfile.Load(filepath.Join(dir, model))
		require.NoError(t, err)
		assert.NotNil(t, m.Target, model)
		r = perceptron(t, dir, "predict", "--model", model, "--input", "rows.csv")
		require.Equal(t, 0, r.code, r.stderr)
		got, err := strconv.ParseFloat(strings.TrimSpace(r.stdout), 64)
		require.NoError(t, err)
		assert.InDelta(t, 7000, got, 500, "%s predicts a price", model)
	}
}

// TestMajority checks what always answering the training part's most
// common class scores on the test set, by class name and index, none for
// a regression, and the note when a classifier's accuracy is no better.
func TestMajority(t *testing.T) {
	spec := engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 3, Activation: engine.Softmax}}, Loss: engine.CE, DType: engine.Float32}
	train := &dataset.Set{Labels: []float64{2, 0, 2, 1, 2}, N: 5, Classes: 3, ClassNames: []string{"a", "b", "c"}}
	test := &dataset.Set{Labels: []float64{2, 2, 0, 1}, N: 4, Classes: 3}
	assert.Equal(t, &majorityJSON{Class: "c", Accuracy: 0.5}, majority(spec, train, test))
	train.ClassNames = nil
	assert.Equal(t, &majorityJSON{Class: "2", Accuracy: 0.5}, majority(spec, train, test))
	regression := engine.Spec{Inputs: 1, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Linear}}, Loss: engine.MSE, DType: engine.Float32}
	assert.Nil(t, majority(regression, train, test))

	tr := &training{}
	tr.sum.Test = &metricsJSON{Accuracy: num(0.505), Majority: &majorityJSON{Class: "no", Accuracy: 0.5}}
	assert.Equal(t, "the test accuracy, 50.50%, is no better than always answering no (50.00%): the model has learnt next to nothing from the features; "+
		"try --class-weight balanced (where a class is rare), more --epochs, another --lr (--lr find), or check that the label is the column meant", tr.majorityNote())
	tr.sum.Test.Accuracy = num(0.51)
	assert.Empty(t, tr.majorityNote(), "a point above")
}
