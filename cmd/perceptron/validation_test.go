package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// digitsDir writes an MNIST folder of train and test 4×4 images under
// dir/name: image i shows digit i mod 10 as a bright pixel at that index
// over seeded noise, so that a network learns them. testLabel maps each
// test image's digit to the label written for it.
func digitsDir(t *testing.T, dir, name string, train, test int, testLabel func(digit byte) byte) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	images := func(n int, label func(byte) byte) (pixels, labels []byte) {
		for i := range n {
			digit := byte(i % 10)
			img := make([]byte, 16)
			for p := range img {
				img[p] = byte(rng.IntN(150))
			}
			img[digit] = 130 + byte(rng.IntN(120))
			pixels, labels = append(pixels, img...), append(labels, label(digit))
		}
		return pixels, labels
	}
	trainPixels, trainLabels := images(train, func(d byte) byte { return d })
	testPixels, testLabels := images(test, testLabel)
	path := filepath.Join(dir, name)
	require.NoError(t, os.Mkdir(path, 0o755))
	for f, data := range map[string][]byte{
		"train-images-idx3-ubyte.gz": idxFile([]uint32{uint32(train), 4, 4}, trainPixels, true),
		"train-labels-idx1-ubyte.gz": idxFile([]uint32{uint32(train)}, trainLabels, true),
		"t10k-images-idx3-ubyte.gz":  idxFile([]uint32{uint32(test), 4, 4}, testPixels, true),
		"t10k-labels-idx1-ubyte.gz":  idxFile([]uint32{uint32(test)}, testLabels, true),
	} {
		require.NoError(t, os.WriteFile(filepath.Join(path, f), data, 0o644))
	}
	return path
}

// validationJSON is what train --json prints, in the parts these tests read.
type validationJSON struct {
	TrainExamples      int `json:"train_examples"`
	ValidationExamples int `json:"validation_examples"`
	TestExamples       int `json:"test_examples"`
	BestEpoch          int `json:"best_epoch"`
	History            []map[string]*float64
	Test               *struct{ Loss, Accuracy float64 }
}

// TestValidationComesFromTrainingData checks that validation is held out of
// the training data by default, mnist included (0.1 of its training images),
// that --val-split 0 means no validation figures anywhere (never the test
// set's in their place), and that the test set is read only for the final
// test: scrambling its labels changes no epoch's figures and not the epoch
// early stopping keeps.
func TestValidationComesFromTrainingData(t *testing.T) {
	dir := t.TempDir()
	digitsDir(t, dir, "digits", 300, 100, func(d byte) byte { return d })
	digitsDir(t, dir, "scrambled", 300, 100, func(d byte) byte { return (d + 3) % 10 })
	train := func(folder string, args ...string) (validationJSON, result) {
		t.Helper()
		r := perceptron(t, dir, append([]string{"train", "--mnist-dir", folder, "--epochs", "12", "--lr", "0.05",
			"--json", "--out", "", "--plot", "", "--history", folder + ".csv"}, args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		var sum validationJSON
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum), r.stdout)
		return sum, r
	}

	sum, r := train("digits")
	assert.Contains(t, r.stderr, "perceptron: mnist: 270 training, 30 validation (from the training data), 100 test examples;")
	assert.Equal(t, []int{270, 30, 100}, []int{sum.TrainExamples, sum.ValidationExamples, sum.TestExamples})
	require.Len(t, sum.History, 12)
	for _, e := range sum.History {
		assert.NotNil(t, e["val_loss"], "epoch %v has a validation loss", *e["epoch"])
		assert.NotNil(t, e["val_acc"])
	}
	require.NotNil(t, sum.Test)
	assert.Greater(t, sum.Test.Accuracy, 0.6, "the digits are learnt")
	rows := historyRows(t, filepath.Join(dir, "digits.csv"))
	assert.Equal(t, "epoch,loss,train_acc,val_loss,val_acc,seconds,examples_per_s,lr", rows[0])
	for _, row := range rows[1:] {
		f := strings.Split(row, ",")
		assert.NotEmpty(t, f[3], row)
		assert.NotEmpty(t, f[4], row)
	}

	scrambled, _ := train("scrambled")
	require.NotNil(t, scrambled.Test)
	assert.Less(t, scrambled.Test.Accuracy, 0.3, "the scrambled test labels are read by the test")
	assert.Equal(t, historyLosses(t, filepath.Join(dir, "digits.csv")), historyLosses(t, filepath.Join(dir, "scrambled.csv")),
		"no epoch's figure depends on the test set")

	early, _ := train("digits", "--early-stop", "2", "--epochs", "40")
	earlyScrambled, _ := train("scrambled", "--early-stop", "2", "--epochs", "40")
	require.Greater(t, early.BestEpoch, 0)
	assert.Less(t, len(early.History), 40, "the fit stops early, so that the epoch is chosen")
	assert.Equal(t, early.BestEpoch, earlyScrambled.BestEpoch, "the test set does not choose the epoch")
	assert.Equal(t, historyLosses(t, filepath.Join(dir, "digits.csv")), historyLosses(t, filepath.Join(dir, "scrambled.csv")))

	none, r := train("digits", "--val-split", "0")
	assert.Contains(t, r.stderr, "perceptron: mnist: 300 training, no validation, 100 test examples;")
	assert.Equal(t, []int{300, 0, 100}, []int{none.TrainExamples, none.ValidationExamples, none.TestExamples})
	for _, e := range none.History {
		assert.Contains(t, e, "val_loss", "the key is there, with null")
		assert.Nil(t, e["val_loss"], "no validation figure, and never the test's")
		assert.Nil(t, e["val_acc"])
	}
	require.NotNil(t, none.Test)
	for _, row := range historyRows(t, filepath.Join(dir, "digits.csv"))[1:] {
		f := strings.Split(row, ",")
		assert.Equal(t, []string{"", ""}, f[3:5], "no validation figures: %s", row)
	}

	r = perceptron(t, dir, "train", "--mnist-dir", "digits", "--epochs", "2", "--val-split", "0", "--out", "", "--plot", "", "--history", "")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^epoch +loss +train_acc +seconds +examples/s +lr\n`, r.stdout, "the table has no validation columns")
	assert.NotContains(t, r.stdout, "val_")
	assert.Regexp(t, `\ntest: loss [0-9.]+, accuracy [0-9.]+% \(always [0-9]: [0-9.]+%\)\n$`, r.stdout, "the test line, with what always answering the most common class scores")
	r = perceptron(t, dir, "train", "--mnist-dir", "digits", "--epochs", "2", "--out", "", "--plot", "", "--history", "")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^epoch +loss +train_acc +val_loss +val_acc +seconds +examples/s +lr\n`, r.stdout)
}

// historyRows returns the lines of a history CSV.
func historyRows(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// TestClassesMustFitTheOutput checks the errors of a classifier whose
// output does not fit the data's classes, both ways, and of a class with no
// training examples, with their hints.
func TestClassesMustFitTheOutput(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "from1.csv", "a,label\n1,1\n2,2\n3,3\n4,1\n5,2\n6,3\n7,1\n8,2\n9,3\n10,1\n")
	digitsDir(t, dir, "digits", 300, 20, func(d byte) byte { return d })
	// digits 0 to 8 only: MNIST has 10 classes whatever its labels, and 9 has no training image
	nine := digitsDir(t, dir, "nine", 300, 20, func(d byte) byte { return d })
	path := filepath.Join(nine, "train-labels-idx1-ubyte.gz")
	labels := make([]byte, 300)
	for i := range labels {
		labels[i] = byte(i % 9)
	}
	require.NoError(t, os.WriteFile(path, idxFile([]uint32{300}, labels, true), 0o644))

	quiet := []string{"--epochs", "1", "--quiet", "--out", "", "--history", "", "--plot", ""}
	for _, c := range []struct {
		args      []string
		err, hint string
	}{
		{[]string{"--data", "synthetic:moons", "--layers", "8:relu,4:softmax"},
			"--layers 8:relu,4:softmax: the data has 2 classes (0, 1) but the output layer 4:softmax has 4 units",
			"use --layers 8:relu,2:softmax or --layers 8:relu,1:sigmoid"},
		{[]string{"--data", "synthetic:moons", "--layers", "3:sigmoid"},
			"--layers 3:sigmoid: the data has 2 classes (0, 1) but the output layer 3:sigmoid has 3 units",
			"use --layers 2:softmax or --layers 1:sigmoid"},
		{[]string{"--data", "synthetic:blobs", "--layers", "8:relu,8:relu,2:softmax"},
			"--layers 8:relu,8:relu,2:softmax: the data has 3 classes (0, 1, 2) but the output layer 2:softmax has 2 units",
			"use --layers 8:relu,8:relu,3:softmax"},
		{[]string{"--mnist-dir", "digits", "--layers", "32:relu,11:softmax"},
			"--layers 32:relu,11:softmax: the data has 10 classes (0 to 9) but the output layer 11:softmax has 11 units",
			"use --layers 32:relu,10:softmax"},
		{[]string{"--mnist-dir", "nine"},
			"class 9 has no training examples, of the data's 10 classes (0 to 9)",
			"the test set holds classes the training data lacks: add training examples of them"},
	} {
		r := perceptron(t, dir, append(append([]string{"train"}, c.args...), quiet...)...)
		name := strings.Join(c.args, " ")
		assert.Equal(t, 1, r.code, "%s: %s", name, r.stderr)
		assert.True(t, strings.HasPrefix(r.stderr, "perceptron: error: "+c.err+"\nperceptron: hint: "), "%s: the error:\n%s", name, r.stderr)
		assert.True(t, strings.HasSuffix(r.stderr, c.hint+"\n"), "%s: the hint:\n%s", name, r.stderr)
		assert.Equal(t, 2, strings.Count(r.stderr, "\n"), name)
	}
	r := perceptron(t, dir, append([]string{"train", "--data", "synthetic:blobs", "--layers", "8:relu,1:linear"}, quiet...)...)
	assert.Equal(t, 0, r.code, "a regression is not held to the classes: %s", r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--data", "csv:from1.csv", "--layers", "8:relu,1:linear"}, quiet...)...)
	assert.Equal(t, 0, r.code, "a regression on labels 1 to 3: %s", r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--data", "csv:from1.csv", "--layers", "8:relu,3:softmax"}, quiet...)...)
	assert.Equal(t, 0, r.code, "a CSV's labels 1 to 3 are the classes named 1, 2 and 3: %s", r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--data", "csv:from1.csv", "--layers", "8:relu,4:softmax"}, quiet...)...)
	assert.Contains(t, r.stderr, "the data has 3 classes (1, 2, 3) but the output layer 4:softmax has 4 units", "names, not indices")
}
