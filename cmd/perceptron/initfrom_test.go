package main

import (
	"context"
	le "encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// noFiles are the flags of a train run that writes no history or plot.
var noFiles = []string{"--quiet", "--history", "", "--plot", ""}

// TestInitFromIsFitFromTheModel checks that --init-from trains the model's
// parameters with a fresh optimizer, as the Go API does with Fit on the
// loaded model's Network, bit for bit, and that the warm start starts
// where the model left off (its first loss is far below a fresh fit's).
func TestInitFromIsFitFromTheModel(t *testing.T) {
	dir := t.TempDir()
	moons := []string{"--data", "synthetic:moons", "--samples", "300", "--test-split", "0", "--val-split", "0", "--dtype", "float64", "--batch", "8", "--optimizer", "adam", "--json"}
	r := perceptron(t, dir, append(append([]string{"train", "--epochs", "30", "--out", "a.safetensors", "--seed", "1"}, moons...), noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, append(append([]string{"train", "--epochs", "2", "--out", "fresh.safetensors", "--seed", "2"}, moons...), noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	fresh := firstLoss(t, r.stdout)
	r = perceptron(t, dir, append(append([]string{"train", "--epochs", "2", "--out", "b.safetensors", "--seed", "2", "--init-from", "a.safetensors"}, moons...), noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Less(t, firstLoss(t, r.stdout), fresh/2, "the warm start begins from the trained model")
	var sum struct {
		InitFrom string `json:"init_from"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	assert.Equal(t, "a.safetensors", sum.InitFrom)

	// The same fit through the Go API: the model's Network, Fit.
	a, err := modelfile.Load(filepath.Join(dir, "a.safetensors"))
	require.NoError(t, err)
	all, err := dataset.Synthetic("moons", 300, -1, 2)
	require.NoError(t, err)
	train, _, err := all.Split(0, 2)
	require.NoError(t, err)
	train, _, err = train.Split(0, 3)
	require.NoError(t, err)
	_, err = engine.Fit(context.Background(), a.Network, train, engine.Config{Epochs: 2, LearningRate: 0.001, BatchSize: 8,
		Optimizer: engine.DefaultOptimizer(engine.Adam), RNG: engine.NewRNG(2), Backend: cpu.New()})
	require.NoError(t, err)
	b, err := modelfile.Load(filepath.Join(dir, "b.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, a.Network, b.Network)
}

// firstLoss returns the first epoch's training loss of a --json summary.
func firstLoss(t *testing.T, stdout string) float64 {
	t.Helper()
	var sum struct{ History []struct{ Loss float64 } }
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
	require.NotEmpty(t, sum.History)
	return sum.History[0].Loss
}

// TestInitFromKeepsThePreparation checks that a warm start prepares its
// data as the model's training data was: the model's scaler, not one
// fitted on the new data, and a CSV model's preprocessing; and that a warm
// start resumed from its checkpoint goes on exactly, with that scaler.
func TestInitFromKeepsThePreparation(t *testing.T) {
	dir := t.TempDir()
	npyFile(t, dir, "x1.npy", 60, 3, func(i, j int) float64 { return float64((i*7+j*3)%10) * float64(j+1) })
	npyFile(t, dir, "y1.npy", 60, 0, func(i, _ int) float64 { return float64(i % 2) })
	npyFile(t, dir, "x2.npy", 40, 3, func(i, j int) float64 { return 100 + float64((i*5+j)%13)*float64(j+2) })
	npyFile(t, dir, "y2.npy", 40, 0, func(i, _ int) float64 { return float64(i / 3 % 2) })
	first, second := "npy:x1.npy,y1.npy", "npy:x2.npy,y2.npy"
	r := perceptron(t, dir, append([]string{"train", "--data", first, "--epochs", "3", "--out", "a.safetensors", "--layers", "8:tanh,1:sigmoid"}, noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	warm := []string{"train", "--data", second, "--init-from", "a.safetensors", "--batch", "4", "--optimizer", "adam"}
	r = perceptron(t, dir, append(append(warm, "--epochs", "4", "--out", "whole.safetensors"), noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--data", second, "--epochs", "1", "--out", "fresh.safetensors"}, noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	a, whole, fresh := loadModel(t, dir, "a.safetensors"), loadModel(t, dir, "whole.safetensors"), loadModel(t, dir, "fresh.safetensors")
	require.NotNil(t, a.Scaler)
	assert.Equal(t, a.Scaler, whole.Scaler, "the model's scaler")
	assert.NotEqual(t, a.Scaler, fresh.Scaler, "a scaler fitted on the second data would differ")
	assert.Equal(t, a.Network.Spec, whole.Network.Spec)

	r = perceptron(t, dir, append(append(warm, "--epochs", "2", "--out", "", "--checkpoint", "ck.safetensors"), noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--resume", "ck.safetensors", "--epochs", "4", "--out", "resumed.safetensors"}, noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	sameFile(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "resumed.safetensors"))

	// A CSV model's preprocessing, with the columns in another order.
	write(t, dir, "one.csv", "colour,size,label\nred,1,a\nblue,2,b\nred,3,a\ngreen,4,b\nblue,5,a\nred,6,b\ngreen,7,a\nblue,8,b\n")
	write(t, dir, "two.csv", "size,label,colour\n10,a,red\n20,b,green\n30,a,blue\n40,b,red\n50,a,green\n60,b,blue\n")
	r = perceptron(t, dir, append([]string{"train", "--data", "csv:one.csv", "--test-split", "0", "--out", "csv.safetensors"}, noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--data", "csv:two.csv", "--test-split", "0", "--init-from", "csv.safetensors", "--out", "csv2.safetensors"}, noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	one, two := loadModel(t, dir, "csv.safetensors"), loadModel(t, dir, "csv2.safetensors")
	require.NotNil(t, one.Prep)
	wantPrep, err := json.Marshal(one.Prep)
	require.NoError(t, err)
	gotPrep, err := json.Marshal(two.Prep)
	require.NoError(t, err)
	assert.JSONEq(t, string(wantPrep), string(gotPrep), "the model's preprocessing, not one fitted on two.csv")
}

func loadModel(t *testing.T, dir, name string) modelfile.Model {
	t.Helper()
	m, err := modelfile.Load(filepath.Join(dir, name))
	require.NoError(t, err)
	return m
}

func TestInitFromErrors(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, append([]string{"train", "--data", "synthetic:moons", "--samples", "100", "--epochs", "1", "--out", "moons.safetensors"}, noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--data", "synthetic:moons", "--samples", "100", "--epochs", "1", "--out", "", "--checkpoint", "ck.safetensors"}, noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	npyFile(t, dir, "x.npy", 20, 3, func(i, j int) float64 { return float64(i*j%5) / 5 })
	npyFile(t, dir, "y.npy", 20, 0, func(i, _ int) float64 { return float64(i % 2) })
	write(t, dir, "t.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
	from := []string{"--init-from", "moons.safetensors"}
	for _, c := range []struct {
		args       []string
		want, hint string
	}{
		{[]string{"--layers", "8:relu,1:sigmoid"}, "--init-from moons.safetensors: the model's layers are 2-16:relu,16:relu,1:sigmoid, --layers asks for 2-8:relu,1:sigmoid",
			"--init-from takes the architecture"},
		{[]string{"--data", "npy:x.npy,y.npy", "--scale", "none"}, "--init-from moons.safetensors: the model takes 2 inputs (2-16:relu,16:relu,1:sigmoid), --data npy:x.npy,y.npy has 3 features (3-16:relu,16:relu,1:sigmoid)",
			"a warm start needs data of the same features"},
		{[]string{"--data", "npy:x.npy,y.npy", "--scale", "standard"}, "--init-from moons.safetensors: the model's features are scaled none, --scale asks for standard", ""},
		{[]string{"--data", "synthetic:blobs"}, "--init-from moons.safetensors: --layers 16:relu,16:relu,1:sigmoid: the data has 3 classes", "a warm start needs data of the model's shape"},
		{[]string{"--data", "csv:t.csv"}, "--init-from moons.safetensors: the model was trained on numbers, not on a CSV's columns", "give the data as npy or npz"},
		{[]string{"--resume", "ck.safetensors"}, "--init-from and --resume", "give one of them"},
		{[]string{"--init", "he"}, "--init he and --init-from moons.safetensors: the parameters come from the model", "drop --init"},
		{[]string{"--init-from", "missing.safetensors"}, "--init-from: missing.safetensors: no such file", ""},
	} {
		args := append(append(append([]string{"train", "--data", "synthetic:moons", "--samples", "100", "--out", ""}, from...), noFiles...), c.args...)
		r := perceptron(t, dir, args...)
		assert.Equal(t, 1, r.code, "%v: %s", c.args, r.stderr)
		assert.True(t, strings.HasPrefix(r.stderr, "perceptron: error: "+c.want), "%v: %s", c.args, r.stderr)
		if c.hint != "" {
			assert.Contains(t, r.stderr, "perceptron: hint: "+c.hint, c.args)
		}
	}
	r = perceptron(t, dir, append([]string{"train", "--data", "csv:t.csv", "--out", "csv.safetensors", "--test-split", "0"}, noFiles...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--data", "synthetic:moons", "--init-from", "csv.safetensors"}, noFiles...)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `the model was trained on a CSV's columns ("a", "b"): --data synthetic:moons has none`)
}

// TestTensorBoardFlag checks that train writes an event file of one
// record per epoch after the version record, lists it in what it wrote,
// and that a resumed fit adds a file of its own with the epochs it trains.
// engine/tensorboard's tests decode the records themselves.
func TestTensorBoardFlag(t *testing.T) {
	dir := t.TempDir()
	fit := append([]string{"train", "--data", "synthetic:moons", "--samples", "200", "--out", "", "--tensorboard", "runs/moons", "--json"}, noFiles...)
	r := perceptron(t, dir, append(fit, "--epochs", "3", "--checkpoint", "ck.safetensors")...)
	require.Equal(t, 0, r.code, r.stderr)
	var sum struct{ Wrote []string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	require.Len(t, sum.Wrote, 1)
	assert.Equal(t, 4, countRecords(t, filepath.Join(dir, sum.Wrote[0])))
	r = perceptron(t, dir, "train", "--resume", "ck.safetensors", "--epochs", "5", "--out", "", "--tensorboard", "runs/moons", "--json", "--quiet", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	files, err := filepath.Glob(filepath.Join(dir, "runs", "moons", "events.out.tfevents.*"))
	require.NoError(t, err)
	require.Len(t, files, 2)
	for _, f := range files {
		want := 4
		if f != filepath.Join(dir, sum.Wrote[0]) {
			want = 3 // the version and epochs 4 and 5
		}
		assert.Equal(t, want, countRecords(t, f), f)
	}
	write(t, dir, "file", "")
	r = perceptron(t, dir, append(fit, "--tensorboard", "file")...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "perceptron: error: --tensorboard file: not a folder")
}

// countRecords counts the TFRecords of a file by their lengths.
func countRecords(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	n := 0
	for len(b) > 0 {
		require.GreaterOrEqual(t, len(b), 16)
		size := le.LittleEndian.Uint64(b)
		require.LessOrEqual(t, 16+size, uint64(len(b)))
		b = b[16+size:]
		n++
	}
	return n
}
