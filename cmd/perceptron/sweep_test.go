package main

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sweepJSON is what sweep --json prints.
type sweepJSON struct {
	Threads int        `json:"threads"`
	Fits    []sweepRow `json:"fits"`
	Best    int        `json:"best_fit"`
	Wrote   []string   `json:"wrote"`
}

func runSweep(t *testing.T, dir string, args ...string) sweepJSON {
	t.Helper()
	r := perceptron(t, dir, append([]string{"sweep", "--json"}, args...)...)
	require.Equal(t, 0, r.code, r.stderr)
	var out sweepJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
	return out
}

// TestSweepFitIsTrainFit checks that each fit of a sweep is the fit train
// gives with its flags: a fit's model file in --out-dir equals, byte for
// byte, train's with the same --lr and --seed; that the table lists every
// combination, labelled by what differs, best first; and that --out holds
// the best fit's model.
func TestSweepFitIsTrainFit(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--preset", "course", "--epochs", "3", "--val-split", "0.2", "--samples", "300"}
	out := runSweep(t, dir, append(common, "--lr", "0.01,0.1", "--seed", "3", "--seed=4", "--threads", "2", "--out-dir", "fits")...)
	require.Len(t, out.Fits, 4)
	assert.Equal(t, []string{"model.safetensors", "sweep.png", "sweep.csv"}, out.Wrote)
	labels := map[string]sweepRow{}
	for i, row := range out.Fits {
		labels[row.Label] = row
		assert.Equal(t, i+1, row.Rank)
		assert.Equal(t, "ok", row.Status)
		require.NotNil(t, row.Loss)
		if i > 0 {
			assert.LessOrEqual(t, *out.Fits[i-1].Loss, *row.Loss, "best first")
		}
	}
	assert.ElementsMatch(t, []string{"lr=0.01 seed=3", "lr=0.01 seed=4", "lr=0.1 seed=3", "lr=0.1 seed=4"}, keys(labels))
	fit := labels["lr=0.1 seed=4"]
	assert.Equal(t, 4, fit.Fit, "the last list turns fastest")
	r := perceptron(t, dir, append([]string{"train"}, append(common, "--lr", "0.1", "--seed", "4", "--out", "train.safetensors", "--history", "", "--plot", "")...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, readFile(t, dir, "train.safetensors"), readFile(t, dir, fit.Model), "the sweep's fit is train's, bit for bit")
	assert.Equal(t, readFile(t, dir, "model.safetensors"), readFile(t, dir, out.Fits[0].Model), "--out is the best fit's model")
	assert.Equal(t, out.Fits[0].Fit, out.Best)
	assert.True(t, strings.HasPrefix(readFile(t, dir, "sweep.png"), "\x89PNG"))
	csv := strings.Split(strings.TrimSpace(readFile(t, dir, "sweep.csv")), "\n")
	require.Len(t, csv, 5)
	assert.True(t, strings.HasPrefix(csv[0], "rank,fit,label,lr,seed,lr_trained,best_loss"), csv[0])
	assert.True(t, strings.HasPrefix(csv[1], "1,"+strconv.Itoa(out.Fits[0].Fit)+","+out.Fits[0].Label+","), csv[1])
}

// TestSweepSharedDataIsTrainData checks that fits sharing one data set
// (several rates and seeds, the data drawn once per seed) are each train's
// fit bit for bit, though each shuffles its training part (--val-split),
// scales every part (--scale standard) and weighs its classes in place:
// no fit sees another's changes.
func TestSweepSharedDataIsTrainData(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--data", "synthetic:moons", "--samples", "300", "--epochs", "2", "--val-split", "0.25", "--scale", "standard",
		"--class-weight", "balanced", "--layers", "4:relu,1:sigmoid"}
	out := runSweep(t, dir, append(common, "--lr", "0.01,0.1,0.5", "--seed", "5,6", "--threads", "2", "--out-dir", "fits", "--plot", "", "--csv", "")...)
	require.Len(t, out.Fits, 6)
	for _, row := range out.Fits {
		args := append([]string{"train", "--lr", row.Values["lr"], "--seed", row.Values["seed"], "--out", "train.safetensors", "--history", "", "--plot", ""}, common...)
		r := perceptron(t, dir, args...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, readFile(t, dir, "train.safetensors"), readFile(t, dir, row.Model), "fit %d (%s) is train's, bit for bit", row.Fit, row.Label)
	}
}

// TestSweepDataSets checks the data sets a sweep shares: one per distinct
// data (MNIST once for every seed and rate; a synthetic set once per seed,
// whatever the rates), each fit given copies that it may change, and each
// set dropped once every fit that reads it has ended.
func TestSweepDataSets(t *testing.T) {
	lists, rest, err := takeLists([]string{"--data", "mnist", "--lr", "0.1,1", "--seed", "1,2,3"})
	require.NoError(t, err)
	fits, err := sweepFits(lists, rest, io.Discard)
	require.NoError(t, err)
	assert.Len(t, newDataSets(fits).sets, 1, "mnist's data does not depend on the seed")
	lists, rest, err = takeLists([]string{"--data", "synthetic:moons", "--samples", "50", "--lr", "0.1,1", "--seed", "1,2,3"})
	require.NoError(t, err)
	fits, err = sweepFits(lists, rest, io.Discard)
	require.NoError(t, err)
	require.Len(t, fits, 6)
	sets := newDataSets(fits)
	assert.Len(t, sets.sets, 3, "a synthetic draw per seed")
	load := func(f *sweepFit) prepared {
		data, err := sets.loader(f.flags)(f.flags.seed, dataset.NoScaling, dataset.TaskAuto, nil)
		require.NoError(t, err)
		return data
	}
	first := load(fits[0])
	want := slices.Clone(first.train.X)
	first.train.X[0], first.test.X[0] = 1e9, 1e9 // a fit's changes to its copies
	again := load(fits[3])                       // lr=1 seed=1: the same data
	assert.Equal(t, fits[0].flags.seed, fits[3].flags.seed)
	assert.Equal(t, want, again.train.X, "each fit gets the data as read")
	assert.NotEqual(t, want, load(fits[1]).train.X, "seed 2 draws other data")
	for i, f := range fits {
		sets.done(f.flags)
		if i == 2 {
			assert.Len(t, sets.sets, 3, "every seed still has a fit to come")
		}
	}
	assert.Empty(t, sets.sets, "every set dropped once its fits have ended")
}

// TestSweepStalled checks the README's sweep of the course's network on
// the moons: at --lr 1 and 3 the relu units die and the training loss
// sticks near log 2 or above it, so both fits are "stalled" (in the JSON
// and the CSV) and ranked after every fit that learnt, by their loss. At
// --lr 1 the loss went from 0.797 in the first epoch to 0.768 in the 50th
// (above 0.9 times the first's); at --lr 3 the first epoch's jump (1.25,
// then about 1.0) looks like a fall of 20%, but 1.0 is above the loss of
// outputting the classes' frequency, log 2.
func TestSweepStalled(t *testing.T) {
	dir := t.TempDir()
	out := runSweep(t, dir, "--preset", "course", "--lr", "0.001,0.01,0.1,1,3", "--epochs", "50", "--val-split", "0.2", "--out", "")
	require.Len(t, out.Fits, 5)
	var order, status []string
	for _, row := range out.Fits {
		order, status = append(order, row.Label), append(status, row.Status)
	}
	assert.Equal(t, []string{"ok", "ok", "ok", "stalled", "stalled"}, status)
	assert.Equal(t, []string{"lr=0.1", "lr=0.01", "lr=0.001", "lr=1", "lr=3"}, order)
	require.NotNil(t, out.Fits[4].Loss, "a stalled fit keeps its figures")
	assert.Less(t, *out.Fits[3].Loss, *out.Fits[4].Loss, "the stalled fits ranked by their loss")
	csv := readFile(t, dir, "sweep.csv")
	assert.Equal(t, 2, strings.Count(csv, ",stalled,"), csv)
	assert.True(t, strings.HasPrefix(readFile(t, dir, "sweep.png"), "\x89PNG"), "a picture with stalled fits")
}

// TestSweepRanking checks the ranking: the fits that learnt, by loss,
// then those that stalled, by loss, then those that diverged or failed, in
// the order of the fits.
func TestSweepRanking(t *testing.T) {
	nan := math.NaN()
	fit := func(n int, err error, losses ...float64) *sweepFit {
		f := &sweepFit{n: n, err: err, baseline: 0.69}
		for i, l := range losses {
			f.hist = append(f.hist, engine.EpochStats{Epoch: i + 1, Loss: l, ValLoss: nan})
		}
		return f
	}
	fits := []*sweepFit{
		fit(1, errors.New("no data"), 1),
		fit(2, nil, 0.7, 0.69),                    // stalled: 0.69 > 0.9·0.7
		fit(3, &engine.NonFiniteError{Loss: nan}), // diverged to NaN
		fit(4, nil, 0.7, 0.6),
		fit(5, nil, 0.5, 0.8),  // diverged: the loss rose
		fit(6, nil, 0.8, 0.75), // stalled, its loss above fit 2's
		fit(7, nil, 0.7, 0.3),
		fit(8, nil, 0.5),       // one epoch: no stall to see
		fit(9, nil, 1.25, 0.9), // stalled: a fall of 28%, but 0.9 > 0.95·0.69, the constant output's loss
	}
	slices.SortStableFunc(fits, func(a, b *sweepFit) int {
		if better(a, b) {
			return -1
		}
		return 1
	})
	var order []int
	for _, f := range fits {
		order = append(order, f.n)
	}
	assert.Equal(t, []int{7, 8, 4, 2, 6, 9, 1, 3, 5}, order)
	assert.True(t, fits[3].stalled() && fits[4].stalled() && fits[5].stalled() && !fits[8].stalled() && !fits[0].stalled())
}

// TestSweepLists checks the lists: a log range of rates, networks
// separated by semicolons with a --dropout list on their hidden layers,
// and a fit whose loss becomes NaN marked diverged and ranked last.
func TestSweepLists(t *testing.T) {
	dir := t.TempDir()
	out := runSweep(t, dir, "--data", "synthetic:moons", "--samples", "200", "--epochs", "1", "--lr", "log:1e-4:1:5", "--plot", "", "--csv", "")
	var rates []string
	for _, row := range out.Fits {
		rates = append(rates, row.Values["lr"])
	}
	assert.ElementsMatch(t, []string{"0.0001", "0.001", "0.01", "0.1", "1"}, rates)
	out = runSweep(t, dir, "--data", "synthetic:moons", "--samples", "200", "--epochs", "1", "--layers", "8:relu,1:sigmoid;4:relu,4:relu,1:sigmoid",
		"--dropout", "0,0.5", "--out-dir", "nets", "--plot", "", "--csv", "")
	require.Len(t, out.Fits, 4)
	var labels []string
	for _, row := range out.Fits {
		labels = append(labels, row.Label)
	}
	assert.ElementsMatch(t, []string{"layers=8:relu,1:sigmoid dropout=0", "layers=8:relu,1:sigmoid dropout=0.5",
		"layers=4:relu,4:relu,1:sigmoid dropout=0", "layers=4:relu,4:relu,1:sigmoid dropout=0.5"}, labels)
	out = runSweep(t, dir, "--data", "synthetic:moons", "--samples", "200", "--epochs", "3", "--layers", "1:linear", "--loss", "mse",
		"--lr", "0.01,1e30", "--csv", "")
	require.Len(t, out.Fits, 2)
	assert.Equal(t, "lr=0.01", out.Fits[0].Label)
	assert.Equal(t, "ok", out.Fits[0].Status)
	assert.Equal(t, "lr=1e30", out.Fits[1].Label)
	assert.Equal(t, "diverged", out.Fits[1].Status)
	assert.Nil(t, out.Fits[1].Loss)
	assert.True(t, strings.HasPrefix(readFile(t, dir, "sweep.png"), "\x89PNG"), "a picture with a diverged fit")
}

// TestSweepErrors checks sweep's errors: each one line naming the flag,
// nothing trained or written.
func TestSweepErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--lr", "log:1:0.1:3"}, `--lr "log:1:0.1:3": expected log:MIN:MAX:N`},
		{[]string{"--lr", "0.1,,1"}, `--lr "0.1,,1": an empty value in the list`},
		{[]string{"--batch", "1,x"}, "--batch x: parse error"},
		{[]string{"--dropout", "0.2"}, "--dropout needs --layers"},
		{[]string{"--layers", "4:relu,1:sigmoid", "--dropout", "1"}, "--dropout 1: expected a probability in [0, 1)"},
		{[]string{"--resume", "ck.safetensors"}, "sweep: --resume is for one fit"},
		{[]string{"--history", "h.csv"}, "sweep: --history is for one fit"},
		{[]string{"--threads", "0"}, "--threads must be at least 1, found 0"},
		{[]string{"--lr"}, "sweep: flag needs an argument: -lr"},
		{[]string{"--data", "synthetic:nope", "--lr", "0.1,0.2"}, "no fit of the sweep trained: fit 1 (lr=0.1)"},
	} {
		r := perceptron(t, dir, append([]string{"sweep", "--data", "synthetic:moons", "--samples", "100", "--epochs", "1"}, c.args...)...)
		assert.Equal(t, 1, r.code, c.args)
		assert.Contains(t, r.stderr, c.want, c.args)
		assert.Equal(t, 1, strings.Count(r.stderr, "perceptron: error:"), r.stderr)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written")
}

// TestTrainLRFind checks train --lr find: the range test's suggestion and
// curve in the JSON and its plot written; the fit equal, byte for byte, to
// train --lr with the rate suggested (the range test's parameters thrown
// away, the fit's generator untouched); sweep --lr find's fit trained at
// the same rate; a checkpoint recording the rate found, resuming, and
// refusing --lr find.
func TestTrainLRFind(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--data", "synthetic:moons", "--samples", "400", "--epochs", "2", "--history", "", "--plot", ""}
	r := perceptron(t, dir, append([]string{"train", "--json", "--lr", "find", "--out", "found.safetensors", "--find-plot", "find.png"}, common...)...)
	require.Equal(t, 0, r.code, r.stderr)
	var sum struct {
		LR     float64 `json:"lr"`
		LRFind struct {
			Suggested float64   `json:"suggested"`
			Step      int       `json:"step"`
			Steps     int       `json:"steps"`
			Rates     []float64 `json:"rates"`
			Method    string    `json:"method"`
		} `json:"lr_find"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	assert.Equal(t, sum.LR, sum.LRFind.Suggested)
	assert.Equal(t, sum.LRFind.Rates[sum.LRFind.Step-1], sum.LR)
	assert.Len(t, sum.LRFind.Rates, sum.LRFind.Steps)
	assert.InEpsilon(t, 1e-7, sum.LRFind.Rates[0], 1e-12)
	assert.Contains(t, sum.LRFind.Method, "steepest descent")
	assert.True(t, sum.LR > 1e-4 && sum.LR < 1, "a sane rate for the moons: %g", sum.LR)
	assert.True(t, strings.HasPrefix(readFile(t, dir, "find.png"), "\x89PNG"))
	lr := strconv.FormatFloat(sum.LR, 'g', -1, 64)
	r = perceptron(t, dir, append([]string{"train", "--quiet", "--lr", lr, "--out", "given.safetensors"}, common...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, readFile(t, dir, "given.safetensors"), readFile(t, dir, "found.safetensors"), "the fit after find is train --lr %s's", lr)
	out := runSweep(t, dir, append([]string{"--lr", "find", "--out", "swept.safetensors", "--csv", "", "--plot", ""}, common[:len(common)-4]...)...)
	require.Len(t, out.Fits, 1)
	assert.Equal(t, sum.LR, out.Fits[0].LR)
	assert.Equal(t, readFile(t, dir, "swept.safetensors"), readFile(t, dir, "found.safetensors"))
	r = perceptron(t, dir, append([]string{"train", "--lr", "find", "--checkpoint", "ck.safetensors", "--out", ""}, common...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = perceptron(t, dir, "train", "--resume", "ck.safetensors", "--lr", "find", "--out", "")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the checkpoint is of another fit: it has --lr "+lr+" (this run: find)")
	r = perceptron(t, dir, "train", "--resume", "ck.safetensors", "--epochs", "3", "--out", "", "--history", "", "--plot", "")
	assert.Equal(t, 0, r.code, "the checkpoint records the rate found: %s", r.stderr)
	r = perceptron(t, dir, append([]string{"train", "--lr", "fnd"}, common...)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `expected a number or find, found "fnd"`)
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return string(b)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSweepDrop checks that a sweep takes --drop as train does, every fit
// training without the columns dropped, and that --drop is part of the key
// of the data fits share: fits that drop other columns read other data.
func TestSweepDrop(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "titanic.csv", passengers(120))
	r := perceptron(t, dir, "sweep", "--data", "csv:titanic.csv", "--label-col", "survived", "--drop", "ticket,alive", "--lr", "0.01,0.1",
		"--epochs", "1", "--out-dir", "fits", "--plot", "", "--csv", "", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "note:", "no copy of the label left, no column noted as ignored")
	var out sweepJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
	require.Len(t, out.Fits, 2)
	for _, fit := range out.Fits {
		m, err := modelfile.Load(filepath.Join(dir, fit.Model))
		require.NoError(t, err)
		assert.Equal(t, []string{"class", "sex", "fare"}, m.Prep.InputNames(), fit.Label)
	}

	key := func(drop string) dataKey {
		lists, rest, err := takeLists([]string{"--data", "csv:titanic.csv", "--drop", drop, "--lr", "0.1"})
		require.NoError(t, err)
		fits, err := sweepFits(lists, rest, io.Discard)
		require.NoError(t, err)
		return keyOf(fits[0].flags)
	}
	assert.Equal(t, key("ticket"), key("ticket"))
	assert.NotEqual(t, key("ticket"), key("ticket,alive"), "other columns dropped: other data")
}
