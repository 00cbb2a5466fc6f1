package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// TestResumeKeepsTheCSVFlags resumes a fit on a CSV read and prepared with
// every CSV flag given (the separator, more missing values, a numeric
// column as categories, the imputation, the most categories, a weight
// column and a column dropped) from a checkpoint, with --resume alone: the checkpoint's CSV
// flags apply, and the model file and history are those of the fit never
// stopped. A resume given another value of one is refused, naming it.
func TestResumeKeepsTheCSVFlags(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "train.csv", customers(400, "age;plan;city;fee;w;churned", func(age int, plan, city, fee, w, churned string) []string {
		return []string{fmt.Sprint(age), plan, city, fee, w, churned}
	}))
	fit := []string{"--data", "csv:train.csv", "--label-col", "churned", "--sep", ";", "--na-values", "Paris", "--categorical", "age",
		"--impute", "mean", "--max-categories", "60", "--weight-col", "w", "--drop", "city", "--layers", "8:relu,2:softmax", "--optimizer", "adam",
		"--batch", "8", "--seed", "5", "--quiet", "--plot", ""}
	r := perceptron(t, dir, append([]string{"train", "--epochs", "4", "--out", "whole.safetensors", "--history", "whole.csv"}, fit...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--epochs", "2", "--out", "", "--history", "", "--checkpoint", "two.safetensors"}, fit...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, "train", "--resume", "two.safetensors", "--epochs", "4", "--out", "resumed.safetensors",
		"--history", "resumed.csv", "--plot", "", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	sameFile(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "resumed.safetensors"))
	assert.Equal(t, historyLosses(t, filepath.Join(dir, "whole.csv")), historyLosses(t, filepath.Join(dir, "resumed.csv")))

	r = perceptron(t, dir, "train", "--resume", "two.safetensors", "--impute", "median", "--out", "", "--history", "", "--plot", "")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the checkpoint is of another fit: it has --impute mean (this run: median)")
	r = perceptron(t, dir, "train", "--resume", "two.safetensors", "--drop", "fee", "--out", "", "--history", "", "--plot", "")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the checkpoint is of another fit: it has --drop city (this run: fee)")
}

// TestResumeGoesOnCheckpointing resumes a fit with --resume alone: it goes
// on writing its checkpoint to the file it resumed from (so a second stop
// loses nothing), and --checkpoint "" turns that off.
func TestResumeGoesOnCheckpointing(t *testing.T) {
	dir := t.TempDir()
	fit := []string{"--data", "synthetic:moons", "--samples", "200", "--quiet", "--out", "", "--history", "", "--plot", ""}
	r := perceptron(t, dir, append([]string{"train", "--epochs", "2", "--checkpoint", "ck.safetensors"}, fit...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, "train", "--resume", "ck.safetensors", "--epochs", "3", "--out", "", "--history", "", "--plot", "", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	ck, err := modelfile.LoadCheckpoint(filepath.Join(dir, "ck.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, 3, ck.Fit.Epoch, "the resumed fit's checkpoint is written where it resumed from")

	before := readFile(t, dir, "ck.safetensors")
	r = perceptron(t, dir, "train", "--resume", "ck.safetensors", "--epochs", "4", "--checkpoint", "", "--out", "", "--history", "", "--plot", "", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, before, readFile(t, dir, "ck.safetensors"), "--checkpoint \"\" writes none")
}
