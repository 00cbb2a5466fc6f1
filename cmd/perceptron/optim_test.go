package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// trainJSON is what train --json prints, in the parts these tests read.
type trainJSON struct {
	LRSchedule         string `json:"lr_schedule"`
	ValidationExamples int    `json:"validation_examples"`
	BestEpoch          int    `json:"best_epoch"`
	StoppedEarly       bool   `json:"stopped_early"`
	History            []struct {
		Epoch   int
		ValLoss *float64 `json:"val_loss"`
		LR      float64  `json:"lr"`
	}
	Test struct{ Accuracy float64 }
}

func TestTrainWithAdamScheduleAndEarlyStopping(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "train", "--data", "synthetic:moons", "--samples", "600", "--layers", "16:relu,16:relu,1:sigmoid",
		"--optimizer", "adamw", "--weight-decay", "0.001", "--lr", "0.01", "--lr-schedule", "cosine", "--warmup-epochs", "2",
		"--epochs", "60", "--batch", "16", "--early-stop", "5", "--json", "--out", "m.safetensors", "--history", "h.csv", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	var sum trainJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum), r.stdout)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &raw))
	assert.Equal(t, "adamw(beta1 0.9, beta2 0.999, eps 1e-08, weight decay 0.001)", raw["optimizer"])
	assert.Equal(t, "cosine", sum.LRSchedule)
	assert.Equal(t, 48, sum.ValidationExamples, "0.1 of the 480 training examples validate the early stopping")
	require.NotEmpty(t, sum.History)
	assert.InDelta(t, 0.005, sum.History[0].LR, 1e-12, "warm-up: 432 examples make 27 steps an epoch; epoch 1 ends at step 27 of 54")
	assert.InDelta(t, 0.01, sum.History[1].LR, 1e-12, "the warm-up reaches --lr at the end of epoch 2")
	assert.Less(t, sum.History[len(sum.History)-1].LR, 0.01, "then the cosine falls")
	require.Greater(t, sum.BestEpoch, 0)
	best := *sum.History[sum.BestEpoch-1].ValLoss
	for _, e := range sum.History {
		assert.GreaterOrEqual(t, *e.ValLoss, best, "epoch %d: the best epoch has the lowest validation loss", e.Epoch)
	}
	if sum.StoppedEarly {
		assert.Len(t, sum.History, sum.BestEpoch+5)
	}
	assert.GreaterOrEqual(t, sum.Test.Accuracy, 0.95)
}

// historyLosses returns the history CSV's columns but the times, row by row.
func historyLosses(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, ",")
		rows = append(rows, strings.Join(append(f[:5:5], f[7]), ","))
	}
	return rows
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	da, err := os.ReadFile(a)
	require.NoError(t, err)
	db, err := os.ReadFile(b)
	require.NoError(t, err)
	assert.True(t, string(da) == string(db), "%s and %s differ", filepath.Base(a), filepath.Base(b))
}

// TestResumeGoesOnExactly trains uninterrupted, then the same fit stopped
// and resumed twice — by Ctrl-C within an epoch, and at an epoch boundary
// with more epochs asked for — and checks the models are the same file and
// the histories the same losses and rates.
func TestResumeGoesOnExactly(t *testing.T) {
	dir := t.TempDir()
	fit := []string{"--data", "synthetic:spirals", "--samples", "6000", "--layers", "32:tanh,1:sigmoid", "--optimizer", "adam",
		"--lr-schedule", "step:2:0.5", "--batch", "4", "--seed", "3", "--quiet", "--plot", ""}
	r := perceptron(t, dir, append([]string{"train", "--epochs", "5", "--out", "whole.safetensors", "--history", "whole.csv"}, fit...)...)
	require.Equal(t, 0, r.code, r.stderr)

	r = signalled(t, dir, syscall.SIGINT, append([]string{"--epochs", "5", "--out", "cut.safetensors", "--history", "cut.csv",
		"--checkpoint", "ck.safetensors", "--checkpoint-every", "2"}, fit...)...)
	require.Equal(t, 130, r.code, r.stderr)
	assert.Contains(t, r.stderr, "train --resume ck.safetensors goes on")
	r = perceptron(t, dir, "train", "--resume", "ck.safetensors", "--checkpoint", "ck.safetensors", "--out", "resumed.safetensors",
		"--history", "resumed.csv", "--plot", "", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	sameFile(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "resumed.safetensors"))
	assert.Equal(t, historyLosses(t, filepath.Join(dir, "whole.csv")), historyLosses(t, filepath.Join(dir, "resumed.csv")))

	r = perceptron(t, dir, append([]string{"train", "--epochs", "3", "--out", "", "--history", "", "--checkpoint", "three.safetensors"}, fit...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, "train", "--resume", "three.safetensors", "--epochs", "5", "--out", "extended.safetensors",
		"--history", "extended.csv", "--plot", "", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	sameFile(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "extended.safetensors"))
	assert.Equal(t, historyLosses(t, filepath.Join(dir, "whole.csv")), historyLosses(t, filepath.Join(dir, "extended.csv")))
}

// TestResumePlateauClipping is TestResumeGoesOnExactly for a fit with a
// plateau schedule watching the validation accuracy and clipped gradients:
// the plateau's state and the clipping go on from the checkpoint, and the
// rate falls within the fit.
func TestResumePlateauClipping(t *testing.T) {
	dir := t.TempDir()
	fit := []string{"--data", "synthetic:spirals", "--samples", "600", "--layers", "16:tanh,1:sigmoid", "--optimizer", "adam", "--lr", "0.05",
		"--lr-schedule", "plateau:0:0.5:0.05:0:0", "--monitor", "val_accuracy", "--clip-grad-norm", "0.5", "--batch", "1", "--seed", "3",
		"--quiet", "--plot", ""}
	r := perceptron(t, dir, append([]string{"train", "--epochs", "5", "--out", "whole.safetensors", "--history", "whole.csv"}, fit...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--epochs", "2", "--out", "", "--history", "", "--checkpoint", "two.safetensors"}, fit...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, "train", "--resume", "two.safetensors", "--epochs", "5", "--out", "resumed.safetensors",
		"--history", "resumed.csv", "--plot", "", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	sameFile(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "resumed.safetensors"))
	whole := historyLosses(t, filepath.Join(dir, "whole.csv"))
	assert.Equal(t, whole, historyLosses(t, filepath.Join(dir, "resumed.csv")))
	first, last := strings.Split(whole[1], ","), strings.Split(whole[len(whole)-1], ",")
	assert.NotEqual(t, first[len(first)-1], last[len(last)-1], "the plateau schedule lowered the rate: %v", whole)

	r = perceptron(t, dir, append([]string{"train", "--epochs", "1", "--out", "", "--history", "", "--json"}, fit...)...)
	require.Equal(t, 0, r.code, r.stderr)
	var sum summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	assert.Equal(t, "val_accuracy", sum.Monitor, "the JSON says what the schedule watched")
	assert.Equal(t, 0.5, sum.ClipGradNorm)
	assert.Zero(t, sum.ClipGradValue)
}

func TestResumeRefusesAnotherFit(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "other.csv", "a,b,c,label\n1,2,3,0\n4,5,6,1\n7,8,9,0\n1,1,1,1\n2,2,2,0\n")
	r := perceptron(t, dir, "train", "--data", "synthetic:moons", "--samples", "200", "--epochs", "2", "--optimizer", "adam",
		"--quiet", "--out", "", "--history", "", "--plot", "", "--checkpoint", "ck.safetensors")
	require.Equal(t, 0, r.code, r.stderr)
	write(t, dir, "model.safetensors", "")
	r = perceptron(t, dir, "train", "--data", "synthetic:moons", "--samples", "200", "--epochs", "1", "--quiet", "--out", "m.safetensors")
	require.Equal(t, 0, r.code, r.stderr)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--layers", "8:relu,1:sigmoid"}, "--resume ck.safetensors: the checkpoint is of another fit: it has --layers  (this run: 8:relu,1:sigmoid)"},
		{[]string{"--optimizer", "sgd", "--lr", "0.5"}, "it has --lr 0 (this run: 0.5), --optimizer adam (this run: sgd)"},
		{[]string{"--data", "csv:other.csv"}, "--data synthetic:moons (this run: csv:other.csv)"},
		{[]string{"--epochs", "1"}, "resume: the checkpoint is at epoch 2, past this fit's 1 epochs"},
		{[]string{"--resume", "m.safetensors"}, "--resume: m.safetensors: a model file, not a checkpoint"},
		{[]string{"--resume", "model.safetensors"}, "--resume: model.safetensors: not a safetensors file"},
	} {
		args := append([]string{"train", "--resume", "ck.safetensors", "--quiet", "--out", "", "--history", "", "--plot", ""}, c.args...)
		r := perceptron(t, dir, args...)
		assert.Equal(t, 1, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, c.args)
		assert.True(t, strings.HasPrefix(r.stderr, "perceptron: error: "), r.stderr)
	}
}

func TestOptimizerFlagErrors(t *testing.T) {
	moons := []string{"train", "--data", "synthetic:moons", "--samples", "100", "--quiet", "--out", "", "--history", "", "--plot", ""}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--optimizer", "rmsprop"}, `--optimizer: unknown optimizer "rmsprop": expected sgd, adam, adamw`},
		{[]string{"--optimizer", "adam", "--momentum", "0.9"}, "--momentum does not apply to --optimizer adam"},
		{[]string{"--beta1", "0.8"}, "--beta1 does not apply to --optimizer sgd"},
		{[]string{"--nesterov"}, "--optimizer sgd: nesterov needs a momentum above 0"},
		{[]string{"--optimizer", "adamw", "--beta2", "1"}, "--optimizer adamw: beta1 and beta2 must be in [0, 1), found 0.9 and 1"},
		{[]string{"--weight-decay", "-1"}, "weight decay must be a finite number of 0 or more, found -1"},
		{[]string{"--lr-schedule", "exp"}, `--lr-schedule: unknown schedule "exp"`},
		{[]string{"--lr-schedule", "step:0:0.5"}, "--lr-schedule: a step schedule's period must be at least 1 epoch, found 0"},
		{[]string{"--warmup-epochs", "-2"}, "warm-up must be 0 epochs or more"},
		{[]string{"--early-stop", "-1"}, "--early-stop must be 0 (never) or a number of epochs, found -1"},
		{[]string{"--min-delta", "0.1"}, "--min-delta needs --early-stop"},
		{[]string{"--early-stop", "3", "--val-split", "1"}, "--val-split must be in [0, 1), found 1"},
		{[]string{"--val-split", "-0.1"}, "--val-split must be in [0, 1), found -0.1"},
		{[]string{"--early-stop", "3", "--val-split", "0"}, "--early-stop needs validation data, and --val-split 0 holds none out of the training data"},
		{[]string{"--early-stop", "3", "--val-split", "0.001"}, "--val-split 0.001 of the 80 training examples holds out none, and --early-stop needs validation examples"},
		{[]string{"--checkpoint-every", "-1"}, "checkpoints every -1 epochs"},
		{[]string{"--lr-schedule", "plateau:3"}, `--lr-schedule: schedule "plateau:3": expected plateau:PATIENCE:FACTOR, like plateau:5:0.5`},
		{[]string{"--lr-schedule", "plateau:3:1.5"}, "--lr-schedule: a plateau schedule's factor must be in (0, 1), found 1.5"},
		{[]string{"--lr-schedule", "plateau:3:0.5", "--warmup-epochs", "1"}, "--lr-schedule: a plateau schedule takes no warm-up"},
		{[]string{"--lr-schedule", "plateau:3:0.5", "--val-split", "0"},
			"--lr-schedule plateau:3:0.5 watches the validation figure --monitor names, and --val-split 0 holds no validation data out"},
		{[]string{"--lr-schedule", "plateau:3:0.5", "--val-split", "0.001"},
			"--val-split 0.001 of the 80 training examples holds out none, and --lr-schedule plateau:3:0.5 needs validation examples"},
		{[]string{"--monitor", "val_f1", "--early-stop", "2"}, `--monitor: unknown monitor "val_f1"`},
		{[]string{"--monitor", "val_accuracy"}, "--monitor val_accuracy has nothing to watch for"},
		{[]string{"--clip-grad-norm", "-1"}, "--clip-grad-norm, --clip-grad-value: gradient clipping by norm must be a finite number above 0 (0: off), found -1"},
		{[]string{"--clip-grad-norm", "1", "--clip-grad-value", "0.5"}, "gradient clipping by norm (1) and by value (0.5) at once: give one of them"},
	} {
		r := perceptron(t, t.TempDir(), append(moons, c.args...)...)
		assert.Equal(t, 1, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, c.args)
	}
}

// TestResumeCheckpointOfEarlierVersion resumes checkpoints as perceptron
// wrote them before validation always came from the training data: they
// record --val-split -1, which held 0.1 out with --early-stop and nothing
// without (the test set validated). Each resumes the fit it began, ending
// with the model and history of today's fit never stopped, and without the
// test set's figures as validation's.
func TestResumeCheckpointOfEarlierVersion(t *testing.T) {
	dir := t.TempDir()
	fit := []string{"--data", "synthetic:moons", "--samples", "400", "--layers", "8:relu,1:sigmoid", "--optimizer", "adam", "--batch", "8",
		"--quiet", "--plot", ""}
	for _, c := range []struct {
		name  string
		today []string // the flags of today's same fit
	}{
		{"without early stopping", []string{"--val-split", "0"}},
		{"with early stopping", []string{"--early-stop", "50", "--val-split", "0.1"}},
	} {
		r := perceptron(t, dir, append(append([]string{"train", "--epochs", "5", "--out", "whole.safetensors", "--history", "whole.csv"}, fit...), c.today...)...)
		require.Equal(t, 0, r.code, r.stderr)
		r = perceptron(t, dir, append(append([]string{"train", "--epochs", "3", "--out", "", "--history", "", "--checkpoint", "old.safetensors"}, fit...), c.today...)...)
		require.Equal(t, 0, r.code, r.stderr)
		path := filepath.Join(dir, "old.safetensors")
		ck, err := modelfile.LoadCheckpoint(path)
		require.NoError(t, err)
		ck.Settings["val-split"] = "-1"
		if c.today[1] == "0" {
			for i := range ck.Fit.History { // the test set's figures
				ck.Fit.History[i].ValLoss, ck.Fit.History[i].ValAccuracy = 0.25, 0.875
			}
		}
		require.NoError(t, modelfile.SaveCheckpoint(path, ck))

		r = perceptron(t, dir, "train", "--resume", "old.safetensors", "--epochs", "5", "--out", "resumed.safetensors", "--history", "resumed.csv",
			"--plot", "", "--quiet")
		require.Equal(t, 0, r.code, "%s: %s", c.name, r.stderr)
		sameFile(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "resumed.safetensors"))
		assert.Equal(t, historyLosses(t, filepath.Join(dir, "whole.csv")), historyLosses(t, filepath.Join(dir, "resumed.csv")), c.name)

		r = perceptron(t, dir, "train", "--resume", "old.safetensors", "--epochs", "5", "--val-split", "0.2", "--out", "", "--history", "", "--plot", "")
		assert.Equal(t, 1, r.code, c.name)
		assert.Contains(t, r.stderr, "it has --val-split "+c.today[len(c.today)-1]+" (this run: 0.2)", c.name)
	}
}
