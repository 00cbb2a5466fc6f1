//go:build cudaemu && !cuda

package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSweepGPUGroupIsTrainFit builds the perceptron on the CUDA emulator
// and sweeps the course's W1 with --backend cuda over three rates, two
// seeds and two batch sizes: the six per-example fits train as seats of
// one group, in shared launches of sgd_fits, the six of batch 16 alone
// (the sweep says why, for each); every fit's model file is byte for byte
// what perceptron train --backend cuda writes with its flags, and its
// history's losses and accuracies are train's.
func TestSweepGPUGroupIsTrainFit(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "perceptron-emu")
	out, err := exec.Command("go", "build", "-tags", "cudaemu", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	common := []string{"--preset", "course", "--backend", "cuda", "--epochs", "2", "--samples", "120", "--val-split", "0.2"}
	run := func(args ...string) result {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		return runCommand(t, cmd)
	}
	r := run(append([]string{"sweep", "--json", "--out-dir", "fits", "--lr", "0.01,0.1,0.5", "--seed", "3,4", "--batch", "1,16"}, common...)...)
	require.Equal(t, 0, r.code, r.stderr)
	var sw sweepJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sw), r.stdout)
	require.Len(t, sw.Fits, 12)
	alone := 0
	for _, row := range sw.Fits {
		f := row.Fit
		v := map[string]string{}
		for kv := range strings.FieldsSeq(row.Label) {
			name, value, _ := strings.Cut(kv, "=")
			v[name] = value
		}
		lr, seed, batch := v["lr"], v["seed"], v["batch"]
		what := "lr " + lr + " seed " + seed + " batch " + batch
		if batch == "16" {
			alone++
			assert.Contains(t, r.stderr, "fit "+strconv.Itoa(f)+" ("+row.Label+") trained alone on the GPU, not in one launch with the others: only per-example fits", what)
		} else {
			assert.NotContains(t, r.stderr, "fit "+strconv.Itoa(f)+" (", what)
		}
		name := "train-" + strconv.Itoa(f)
		tr := run(append([]string{"train", "--lr", lr, "--seed", seed, "--batch", batch, "--out", name + ".safetensors", "--history", name + ".csv", "--plot", ""}, common...)...)
		require.Equal(t, 0, tr.code, tr.stderr)
		assert.Equal(t, readFile(t, dir, name+".safetensors"), readFile(t, dir, row.Model), "%s: the sweep's fit is train's, bit for bit", what)
		assert.Equal(t, lossColumns(readFile(t, dir, name+".csv")), lossColumns(readFile(t, dir, strings.TrimSuffix(row.Model, ".safetensors")+".history.csv")),
			"%s: the losses and accuracies of every epoch", what)
	}
	assert.Equal(t, 6, alone)
}

// lossColumns returns a history CSV's epoch, loss, train_acc, val_loss and
// val_acc columns (not its seconds and rates, which vary from run to run).
func lossColumns(csv string) []string {
	var rows []string
	for line := range strings.SplitSeq(strings.TrimSpace(csv), "\n") {
		rows = append(rows, strings.Join(strings.Split(line, ",")[:5], ","))
	}
	return rows
}

// TestSweepAutoGroupIsTheModels: on the CUDA emulator (a GPU found), a
// sweep --backend auto of the course's W1 over 16 seeds trains in the
// GPU's group, each fit train --backend cuda's bit for bit, and over 8
// seeds on the CPU, each fit train --backend cpu's: the model's choice on
// 2 threads (gpu.Model.Fits).
func TestSweepAutoGroupIsTheModels(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "perceptron-emu")
	out, err := exec.Command("go", "build", "-tags", "cudaemu", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	run := func(args ...string) result {
		cmd := exec.Command(bin, append(args, "--preset", "course", "--epochs", "1")...)
		cmd.Dir = dir
		return runCommand(t, cmd)
	}
	for _, c := range []struct {
		fits    int
		backend string
	}{{16, "cuda"}, {8, "cpu"}} {
		seeds := make([]string, c.fits)
		for i := range seeds {
			seeds[i] = strconv.Itoa(i + 1)
		}
		fits := "fits-" + strconv.Itoa(c.fits)
		r := run("sweep", "--backend", "auto", "--threads", "2", "--seed", strings.Join(seeds, ","), "--out-dir", fits, "--csv", "", "--plot", "", "--out", "")
		require.Equal(t, 0, r.code, r.stderr)
		for _, seed := range []int{1, c.fits} {
			name := fmt.Sprintf("train-%d-%d.safetensors", c.fits, seed)
			tr := run("train", "--backend", c.backend, "--seed", strconv.Itoa(seed), "--out", name, "--history", "", "--plot", "")
			require.Equal(t, 0, tr.code, tr.stderr)
			assert.Equal(t, readFile(t, dir, name), readFile(t, dir, fmt.Sprintf("%s/fit-%03d.safetensors", fits, seed)),
				"%d fits, seed %d: train --backend %s's", c.fits, seed, c.backend)
		}
	}
}
