package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// weightedSummary is what the class-weight tests read of train --json.
type weightedSummary struct {
	ClassWeights []float64 `json:"class_weights"`
	History      []struct {
		Loss    float64 `json:"loss"`
		ValLoss float64 `json:"val_loss"`
	}
	Test struct{ Loss, Accuracy float64 }
}

func trainWeighted(t *testing.T, dir string, args ...string) weightedSummary {
	t.Helper()
	base := []string{"train", "--data", "synthetic:moons", "--samples", "200", "--epochs", "3", "--lr", "0.05",
		"--out", "", "--history", "", "--plot", "", "--json"}
	r := perceptron(t, dir, append(base, args...)...)
	require.Equal(t, 0, r.code, r.stderr)
	var sum weightedSummary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum), r.stdout)
	return sum
}

// TestClassWeight checks --class-weight: weights of 1 train as none, bit for
// bit; weights of 0 make the training and validation losses 0 while the
// test part, the same examples as the validation part, is reported
// unweighted; balanced weights are recorded in the summary and in the
// checkpoint, which --resume replays and refuses to change.
func TestClassWeight(t *testing.T) {
	dir := t.TempDir()
	plain := trainWeighted(t, dir)
	ones := trainWeighted(t, dir, "--class-weight", "0:1,1:1")
	assert.Equal(t, []float64{1, 1}, ones.ClassWeights)
	assert.Equal(t, plain.History, ones.History, "weights of 1 train as none")
	assert.Equal(t, plain.Test, ones.Test)

	zeros := trainWeighted(t, dir, "--class-weight", "0:0,1:0")
	for _, e := range zeros.History {
		assert.Zero(t, e.Loss, "the training loss weighs nothing")
		assert.Zero(t, e.ValLoss, "the validation loss weighs nothing")
	}
	assert.Greater(t, zeros.Test.Loss, 0.1, "the test loss is unweighted")

	heavy := trainWeighted(t, dir, "--class-weight", "1:3")
	assert.Equal(t, []float64{1, 3}, heavy.ClassWeights)
	assert.NotEqual(t, plain.History[0].Loss, heavy.History[0].Loss)

	balanced := trainWeighted(t, dir, "--class-weight", "balanced", "--checkpoint", "ck.safetensors", "--epochs", "1")
	require.Len(t, balanced.ClassWeights, 2)
	// moons has as many examples of each class, but the training part need not.
	assert.InDelta(t, 1, balanced.ClassWeights[0], 0.2)
	assert.InDelta(t, 2, 1/balanced.ClassWeights[0]+1/balanced.ClassWeights[1], 1e-12, "n/(2·count) over both classes")
	resumed := trainWeighted(t, dir, "--resume", "ck.safetensors", "--epochs", "2")
	assert.Equal(t, balanced.ClassWeights, resumed.ClassWeights, "--resume replays --class-weight")
	r := perceptron(t, dir, "train", "--resume", "ck.safetensors", "--epochs", "2", "--class-weight", "0:2", "--out", "", "--history", "", "--plot", "")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--class-weight balanced (this run: 0:2)")
}

func TestClassWeightErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "reg.csv", "1,0.5\n2,1.5\n3,2.25\n4,0.75\n5,3.5\n")
	write(t, dir, "named.csv", "x,label\n0,no\n1,yes\n0.2,no\n0.9,yes\n0.1,no\n0.8,yes\n0.3,no\n0.7,yes\n0.4,no\n0.6,yes\n")
	moons := []string{"train", "--data", "synthetic:moons", "--samples", "100", "--out", "", "--history", "", "--plot", ""}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"train", "--data", "csv:reg.csv", "--class-weight", "balanced", "--out", "", "--history", "", "--plot", ""},
			[]string{"--class-weight weighs the classes of a classification, but this network is a regression", "hint: drop --class-weight"}},
		{append(moons, "--class-weight", "2:1"), []string{`--class-weight: class weight "2:1": unknown class "2": the classes are 0..1`}},
		{append(moons, "--class-weight", "1:-2"), []string{"the weight must be a finite number of 0 or more"}},
		{append(moons, "--class-weight", "heavy"), []string{`expected NAME:WEIGHT (or "balanced")`}},
		{[]string{"train", "--data", "csv:named.csv", "--class-weight", "maybe:2", "--out", "", "--history", "", "--plot", ""},
			[]string{`unknown class "maybe"`, "no", "yes"}},
	} {
		r := perceptron(t, dir, c.args...)
		name := strings.Join(c.args, " ")
		assert.Equal(t, 1, r.code, "%s: exit status; stderr:\n%s", name, r.stderr)
		assert.True(t, strings.HasPrefix(r.stderr, "perceptron: error: "), "%s:\n%s", name, r.stderr)
		assert.LessOrEqual(t, strings.Count(r.stderr, "\n"), 2, "%s: one error line and at most one hint:\n%s", name, r.stderr)
		for _, w := range c.want {
			assert.Contains(t, r.stderr, w, name)
		}
	}
}
