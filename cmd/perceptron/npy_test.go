package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// numpyFile returns the path of a file that engine/dataset's
// testdata/npy/make_npy.py wrote with NumPy.
func numpyFile(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "engine", "dataset", "testdata", "npy", name))
	require.NoError(t, err)
	return path
}

// TestTrainOnNumPyArrays trains and evaluates on .npz and .npy data: an .npz
// file's own test arrays, or the split of one without them, and the
// default scaling of each kind of data.
func TestTrainOnNumPyArrays(t *testing.T) {
	dir := t.TempDir()
	quiet := []string{"--val-split", "0", "--epochs", "2", "--batch", "1", "--history", "", "--plot", "", "--json"}
	for _, c := range []struct {
		data                  string
		train, test, features int
		scaling               dataset.Scaling
		flags                 []string
	}{
		{"npz:" + numpyFile(t, "mnist-like.npz"), 6, 3, 4, dataset.Standardise, nil},
		{"npz:" + numpyFile(t, "compressed.npz"), 6, 3, 4, dataset.MinMax, []string{"--scale", "minmax"}},
		{"npz:" + numpyFile(t, "train-only.npz"), 3, 2, 2, dataset.Standardise, []string{"--test-split", "0.4"}},
		{"npy:" + numpyFile(t, "images-3d.npy") + "," + numpyFile(t, "labels-column.npy"), 3, 1, 6, dataset.Standardise, nil},
		{"synthetic:moons", 80, 20, 2, dataset.NoScaling, []string{"--samples", "100"}},
	} {
		args := append([]string{"train", "--data", c.data, "--out", "m.safetensors"}, quiet...)
		r := perceptron(t, dir, append(args, c.flags...)...)
		require.Equal(t, 0, r.code, "%s: %s", c.data, r.stderr)
		var sum struct {
			Inputs        int
			TrainExamples int `json:"train_examples"`
			TestExamples  int `json:"test_examples"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum), r.stdout)
		assert.Equal(t, [3]int{c.train, c.test, c.features}, [3]int{sum.TrainExamples, sum.TestExamples, sum.Inputs}, c.data)
		m, err := modelfile.Load(filepath.Join(dir, "m.safetensors"))
		require.NoError(t, err, c.data)
		if c.scaling == dataset.NoScaling {
			assert.True(t, m.Scaler == nil || m.Scaler.Kind == dataset.NoScaling, "%s: no scaling by default", c.data)
		} else {
			require.NotNil(t, m.Scaler, c.data)
			assert.Equal(t, c.scaling, m.Scaler.Kind, c.data)
		}
	}

	for data, n := range map[string]int{"npz:" + numpyFile(t, "mnist-like.npz"): 3, "npy:" + numpyFile(t, "images-3d.npy") + "," + numpyFile(t, "labels.npy"): 4} {
		r := perceptron(t, dir, "train", "--data", data, "--out", "m.safetensors", "--history", "", "--plot", "", "--quiet")
		require.Equal(t, 0, r.code, r.stderr)
		r = perceptron(t, dir, "eval", "--model", "m.safetensors", "--data", data, "--json")
		require.Equal(t, 0, r.code, "%s: %s", data, r.stderr)
		var met struct{ N int }
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &met), r.stdout)
		assert.Equal(t, n, met.N, "%s: eval reads an .npz file's test arrays, or the whole of the .npy files", data)
	}
}

func TestNumPyDataErrors(t *testing.T) {
	dir := t.TempDir()
	mnistLike := numpyFile(t, "mnist-like.npz")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.npy"), []byte("\x93NUMPY\x01\x00\x64\x00"), 0o644))
	for _, c := range []struct {
		args       []string
		want, hint string
	}{
		{[]string{"train", "--data", "npz:" + mnistLike, "--test-split", "0.3"},
			"--test-split does not apply to " + mnistLike + ": it holds its own test set, x_test and y_test",
			"drop --test-split to test on x_test and y_test, or save the file without them to split x_train"},
		{[]string{"train", "--data", "npz:"}, "--data npz: needs a path", "write --data npz:PATH"},
		{[]string{"train", "--data", "npy:x.npy"}, "--data npy:x.npy: expected two files, the features and the labels", "write --data npy:X.npy,Y.npy"},
		{[]string{"train", "--data", "npy:a,b,c"}, "--data npy:a,b,c: expected two files", "write --data npy:X.npy,Y.npy"},
		{[]string{"train", "--data", "npy:x.npy,y.npy"}, "x.npy: the header claims 110 bytes, but the file holds 10", ""},
		{[]string{"train", "--data", "npz:" + numpyFile(t, "object.npz")}, `object.npz: x_train: dtype "|O" (Python objects) is not numeric`, ""},
		{[]string{"train", "--data", "npz:" + numpyFile(t, "labels.npy")}, "labels.npy: zip: not a valid zip file (an .npz file is a zip archive, as numpy.savez writes it)", ""},
		{[]string{"train", "--data", "npy:" + numpyFile(t, "images-3d.npy") + "," + numpyFile(t, "labels-onehot.npy")}, "for one-hot rows, give the class indices (y.argmax(axis=1))", ""},
		{[]string{"train", "--data", "npy:x.npy,y.npy", "--out", "x.npy"}, "--out x.npy is the input x.npy", ""},
		{[]string{"train", "--data", "parquet:d.parquet"}, `unknown data "parquet:d.parquet"`, "use mnist, csv:PATH, npz:PATH, npy:X.npy,Y.npy or synthetic:NAME"},
	} {
		r := perceptron(t, dir, c.args...)
		assert.Equal(t, 1, r.code, "%v: %s", c.args, r.stderr)
		assert.Regexp(t, `^perceptron: error: [^\n]*`+regexp.QuoteMeta(c.want), r.stderr, c.args)
		if c.hint != "" {
			assert.Contains(t, r.stderr, "\nperceptron: hint: "+c.hint+"\n", c.args)
		}
	}
}
