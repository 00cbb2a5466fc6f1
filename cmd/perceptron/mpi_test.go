//go:build mpi

package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/benchmarks"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// mpiBinary builds the perceptron with -tags mpi and the other tags.
func mpiBinary(t *testing.T, tags ...string) string {
	bin := filepath.Join(t.TempDir(), "perceptron")
	out, err := exec.Command("go", "build", "-tags", strings.Join(append(tags, "mpi"), ","), "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// mpirun runs mpirun with args in dir; Open MPI refuses to run as root
// unless told that it may (CI runs as root).
func mpirun(t *testing.T, dir string, args ...string) result {
	t.Helper()
	path, err := exec.LookPath("mpirun")
	require.NoError(t, err, "the mpi build's tests need Open MPI's mpirun: apt-get install openmpi-bin")
	cmd := exec.Command(path, append([]string{"--oversubscribe"}, args...)...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	return runCommand(t, cmd)
}

// mpmd returns the arguments of mpirun that start process 0 with args0 and
// process 1 with args1, both of bin.
func mpmd(bin string, args0, args1 []string) []string {
	return slices.Concat([]string{"-np", "1", bin}, args0, []string{":", "-np", "1", bin}, args1)
}

// requireSameModels requires the parameters of the model files got and
// want to be within rel of each other, relative to want's largest.
func requireSameModels(t *testing.T, want, got string, rel float64) {
	t.Helper()
	w, err := modelfile.Load(want)
	require.NoError(t, err)
	g, err := modelfile.Load(got)
	require.NoError(t, err)
	var scale, worst float64
	for l, layer := range w.Network.Layers {
		for _, p := range [][2][]float64{{layer.W, g.Network.Layers[l].W}, {layer.B, g.Network.Layers[l].B}} {
			for i, v := range p[0] {
				scale, worst = max(scale, math.Abs(v)), max(worst, math.Abs(v-p[1][i]))
			}
		}
	}
	require.LessOrEqual(t, worst, rel*scale, "%s against %s: the largest difference against the largest parameter %g", got, want, scale)
}

// mpiMoons trains on 1,000 moons (800 for training) in batches of 64, the
// last of 32, writing no plot.
var mpiMoons = []string{"train", "--data", "synthetic:moons", "--samples", "1000", "--layers", "16:relu,16:tanh,1:sigmoid",
	"--batch", "64", "--lr", "0.05", "--epochs", "3", "--plot", ""}

// TestMPITrainMatchesOneProcess trains under mpirun on 2 processes (and 3,
// which share the batches unevenly), with every optimizer, and checks that
// the model is the one a single process trains: to 1e-12 of the largest
// parameter in float64, to float32's rounding in float32; only process 0
// writes and reports.
func TestMPITrainMatchesOneProcess(t *testing.T) {
	bin := mpiBinary(t)
	dir := t.TempDir()
	for _, c := range []struct {
		optimizer []string
		dtype     string
		np        int
	}{
		{[]string{"--optimizer", "sgd"}, "float64", 2},
		{[]string{"--optimizer", "sgd", "--momentum", "0.9", "--nesterov"}, "float64", 2},
		{[]string{"--optimizer", "adam"}, "float64", 2},
		{[]string{"--optimizer", "adamw"}, "float64", 2},
		{[]string{"--optimizer", "adam"}, "float64", 3},
		{[]string{"--optimizer", "sgd", "--momentum", "0.9"}, "float32", 2},
		{[]string{"--optimizer", "adamw"}, "float32", 3},
	} {
		name := fmt.Sprintf("%s/%s/np%d", strings.Join(c.optimizer[1:], ""), c.dtype, c.np)
		t.Run(name, func(t *testing.T) {
			args := slices.Concat(mpiMoons, c.optimizer, []string{"--dtype", c.dtype})
			one := runCommand(t, exec.Command(bin, slices.Concat(args, []string{"--out", filepath.Join(dir, "one.safetensors"), "--history", filepath.Join(dir, "one.csv")})...))
			require.Equal(t, 0, one.code, "%s", one.stderr)
			r := mpirun(t, dir, slices.Concat([]string{"-np", fmt.Sprint(c.np), bin}, args, []string{"--out", "par.safetensors", "--history", "par.csv"})...)
			require.Equal(t, 0, r.code, "%s", r.stderr)
			assert.Contains(t, r.stderr, fmt.Sprintf("cpu backend, %d processes (MPI)", c.np))
			assert.Equal(t, 1, strings.Count(r.stdout, "test: loss"), "process 0 alone reports: %s", r.stdout)
			assert.Equal(t, 1, strings.Count(r.stderr, "perceptron: wrote"), "process 0 alone writes: %s", r.stderr)
			rel := map[string]float64{"float64": 1e-12, "float32": 1e-5}[c.dtype]
			requireSameModels(t, filepath.Join(dir, "one.safetensors"), filepath.Join(dir, "par.safetensors"), rel)
			assert.Equal(t, len(historyLosses(t, filepath.Join(dir, "one.csv"))), len(historyLosses(t, filepath.Join(dir, "par.csv"))))
		})
	}
}

// TestMPITrainCUDAEmulator trains with the cuda backend of an emulator
// build under mpirun on 3 processes, each with its emulated device, which
// sum their gradients over MPI on the host where NCCL would on GPUs: the
// model is the one a single process trains, to 1e-12 in float64.
func TestMPITrainCUDAEmulator(t *testing.T) {
	bin := mpiBinary(t, "cudaemu")
	dir := t.TempDir()
	args := slices.Concat(mpiMoons, []string{"--backend", "cuda", "--optimizer", "adam", "--dtype", "float64", "--history", ""})
	one := runCommand(t, exec.Command(bin, slices.Concat(args, []string{"--out", filepath.Join(dir, "one.safetensors")})...))
	require.Equal(t, 0, one.code, "%s", one.stderr)
	r := mpirun(t, dir, slices.Concat([]string{"-np", "3", bin}, args, []string{"--out", "par.safetensors"})...)
	require.Equal(t, 0, r.code, "%s", r.stderr)
	assert.Contains(t, r.stderr, "cuda backend, 3 processes (MPI)")
	requireSameModels(t, filepath.Join(dir, "one.safetensors"), filepath.Join(dir, "par.safetensors"), 1e-12)
}

// TestMPIFailsTogether gives process 1 of 2 input that process 0 does not
// have (mpirun's MPMD form): both stop, and process 0 alone prints one error
// naming process 1 and the cause, and no table of epochs when they fail
// before they meet. A batch of 1 is one error too.
func TestMPIFailsTogether(t *testing.T) {
	bin := mpiBinary(t)
	dir := t.TempDir()
	var rows strings.Builder
	for i := range 40 {
		fmt.Fprintf(&rows, "%d,%d,%d\n", i, 40-i, i%2)
	}
	write(t, dir, "a.csv", rows.String())
	write(t, dir, "b.csv", strings.Replace(rows.String(), "3,37,1", "3,38,1", 1))
	write(t, dir, "inf.csv", strings.Replace(rows.String(), "3,37,1", "3,inf,1", 1))
	common := []string{"train", "--batch", "8", "--epochs", "1", "--out", "", "--history", "", "--plot", ""}
	for _, c := range []struct {
		name, rank1, want string
		met               bool // the processes met before one failed
	}{
		{"missing file", "missing.csv", `perceptron: error: process 1 of 2: open missing.csv: no such file or directory`, false},
		{"bad value", "inf.csv", `perceptron: error: process 1 of 2: inf.csv:4: column 2 (2): found inf`, false},
		{"other data", "b.csv", `perceptron: error: process 1 of 2: the data-parallel fit differs from process 0's: the training data: process 0 has 29 examples (crc32c `, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := slices.Concat(common, []string{"--data", "csv:a.csv"})
			r := mpirun(t, dir, slices.Concat([]string{"-np", "1", bin}, a)...)
			require.Equal(t, 0, r.code, "alone, process 0 trains: %s", r.stderr)
			r = mpirun(t, dir, mpmd(bin, a, slices.Concat(common, []string{"--data", "csv:" + c.rank1}))...)
			assert.NotEqual(t, 0, r.code)
			assert.Equal(t, 1, strings.Count(r.stderr, "perceptron: error:"), "%s", r.stderr)
			assert.Contains(t, r.stderr, c.want)
			assert.Equal(t, c.met, strings.Contains(r.stdout, "epoch "), "%s", r.stdout)
		})
	}
	t.Run("batch of one", func(t *testing.T) {
		r := mpirun(t, dir, "-np", "2", bin, "train", "--data", "csv:a.csv", "--epochs", "1", "--out", "", "--history", "", "--plot", "")
		assert.NotEqual(t, 0, r.code)
		assert.Equal(t, 1, strings.Count(r.stderr, "perceptron: error:"), "%s", r.stderr)
		assert.Contains(t, r.stderr, "perceptron: error: per-example SGD (batch size 1) is sequential: it cannot be shared among 2 processes; "+
			"train in mini-batches of at least 2 examples, such as 64")
		assert.Contains(t, r.stderr, "perceptron: hint: give --batch 64 (or any batch from 2 to the training examples)\n")
	})
}

// TestMPICheckpointResume trains 2 of 4 epochs on 2 processes with a
// checkpoint, which process 0 alone writes, resumes it on 3 processes and
// ends with the model of one process training the 4 epochs: the steps'
// all-reduces in buckets smaller than a layer (--bucket-mb 0.0001: 13
// float64 values), then in buckets of 131 values.
func TestMPICheckpointResume(t *testing.T) {
	bin := mpiBinary(t)
	dir := t.TempDir()
	args := slices.Concat(mpiMoons, []string{"--optimizer", "adam", "--dtype", "float64", "--history", ""})
	one := runCommand(t, exec.Command(bin, slices.Concat(args, []string{"--epochs", "4", "--out", filepath.Join(dir, "one.safetensors")})...))
	require.Equal(t, 0, one.code, "%s", one.stderr)

	// The second process is given another --out: it must write nothing.
	first := slices.Concat(args, []string{"--epochs", "2", "--checkpoint", "run.ckpt", "--bucket-mb", "0.0001"})
	r := mpirun(t, dir, mpmd(bin, slices.Concat(first, []string{"--out", ""}), slices.Concat(first, []string{"--out", "other.safetensors"}))...)
	require.Equal(t, 0, r.code, "%s", r.stderr)
	assert.NoFileExists(t, filepath.Join(dir, "other.safetensors"), "process 1 writes nothing")
	require.FileExists(t, filepath.Join(dir, "run.ckpt"))

	r = mpirun(t, dir, "-np", "3", bin, "train", "--resume", "run.ckpt", "--epochs", "4", "--bucket-mb", "0.001", "--out", "par.safetensors", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, "%s", r.stderr)
	assert.Contains(t, r.stderr, "resuming run.ckpt after epoch 2")
	requireSameModels(t, filepath.Join(dir, "one.safetensors"), filepath.Join(dir, "par.safetensors"), 1e-12)
}

// TestMPIBench runs bench under mpirun: the mini-batch workloads run data
// parallel, at --batch's sizes, in --bucket-mb's buckets (0.05 MiB: W2's
// 101,770 gradients in 8), process 0 reports them with the shares of the
// computation, the all-reduces and the waiting, and per-example SGD is
// skipped.
func TestMPIBench(t *testing.T) {
	bin := mpiBinary(t)
	dir := t.TempDir()
	r := mpirun(t, dir, "-np", "2", bin, "bench", "--workload", "W2", "--batch", "128", "--bucket-mb", "0.05", "--out", "bench.json")
	require.Equal(t, 0, r.code, "%s", r.stderr)
	assert.Contains(t, r.stderr, "perceptron: bench W2 batch 1 skipped: per-example SGD is sequential")
	assert.Regexp(t, `\nW2 +cpu +float32 +128 +\d+ +2 +\d+ `, r.stdout)
	assert.Regexp(t, `\nW2 float32 batch 128 on 2 processes: \d+\.\d% of the fit computing, \d+\.\d% in all-reduces \(what the computation did not hide\), \d+\.\d% waiting for the slowest process\n`, r.stdout)
	var results []benchmarks.Result
	data, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &results))
	require.Len(t, results, 1)
	assert.Equal(t, 2, results[0].Processes)
	assert.Equal(t, 52428, results[0].BucketBytes)
	assert.Greater(t, results[0].AllReduceShare, 0.0)
	assert.Greater(t, results[0].WaitShare, 0.0)
	assert.Less(t, results[0].AllReduceShare+results[0].WaitShare, 1.0)
	assert.Greater(t, results[0].TestAccuracy, 0.8)
}
