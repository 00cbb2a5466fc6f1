package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/backendtest"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// binary is the perceptron command built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "perceptron-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "perceptron")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building perceptron: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what a run of the binary printed and its exit status.
type result struct {
	stdout, stderr string
	code           int
}

func perceptron(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	return runCommand(t, cmd)
}

// runCommand runs cmd and returns what it printed and its exit status.
func runCommand(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{stdout.String(), stderr.String(), code}
}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

func TestBadInputFailsWithOneClearMessage(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ragged.csv", "a,b,label\n1,2,0\n3,1\n")
	write(t, dir, "words.csv", "a,b,label\n1,2,0.5\n1,3,abc\n")
	write(t, dir, "rows.csv", "1,2,3\n")
	write(t, dir, "broken.safetensors", "not a model")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "mnist"), 0o755))
	for _, name := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		write(t, dir, filepath.Join("mnist", name), "\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02")
	}
	moons := []string{"train", "--data", "synthetic:moons", "--samples", "100", "--out", "", "--history", "", "--plot", ""}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"train", "--data", "csv:missing.csv"}, []string{"missing.csv", "no such file"}},
		{[]string{"train", "--data", "csv:ragged.csv"}, []string{"ragged.csv:3: found 2 fields, expected 3 like the header"}},
		{[]string{"train", "--data", "csv:words.csv", "--layers", "4:relu,1:linear"}, []string{`words.csv:3: column 3 (label): label "abc" is not a number, which a regression needs`}},
		{[]string{"train", "--data", "csv:"}, []string{"needs a path"}},
		{[]string{"train", "--mnist-dir", "mnist"}, []string{"train-images-idx3-ubyte.gz: truncated: header [2 2 2] needs 8 bytes of data, found 2"}},
		{[]string{"train", "--data", "mnist", "--mnist-dir", dir}, []string{"MNIST files not found", "hint: go mod download"}},
		{[]string{"train", "--data", "imagenet"}, []string{`unknown data "imagenet"`}},
		{append(moons, "--layers", "8:relu,3:softmax,1:sigmoid"), []string{"softmax is for the output layer only"}},
		{append(moons, "--layers", "8:swish,1:sigmoid"), []string{`unknown activation "swish"`}},
		{append(moons, "--layers", "8:relu,1:relu", "--loss", "bce"), []string{"bce needs a sigmoid output layer, found relu"}},
		{append(moons, "--loss", "hinge"), []string{`--loss: unknown loss "hinge"`}},
		{[]string{"train", "--data", "synthetic:blobs", "--layers", "8:relu,2:softmax"},
			[]string{"--layers 8:relu,2:softmax: the data has 3 classes (0, 1, 2) but the output layer 2:softmax has 2 units", "hint: use --layers 8:relu,3:softmax\n"}},
		{[]string{"train", "--data", "synthetic:blobs", "--layers", "8:relu,1:sigmoid"},
			[]string{"the data has 3 classes (0, 1, 2) but the output layer 1:sigmoid has 1 unit", "hint: use --layers 8:relu,3:softmax\n"}},
		{[]string{"train", "--lr", "0"}, []string{"learning rate must be a number above 0, found 0"}},
		{[]string{"train", "--lr", "-0.5"}, []string{"learning rate must be a number above 0, found -0.5"}},
		{[]string{"train", "--epochs", "0"}, []string{"epochs must be at least 1, found 0"}},
		{[]string{"train", "--batch", "0"}, []string{"batch size must be at least 1, found 0"}},
		{append(moons, "--batch", "1000"), []string{"--batch 1000 is larger than the 72 training examples"}},
		{append(moons, "--dtype", "float16"), []string{`unknown dtype "float16"`}},
		{append(moons, "--init", "zeros"), []string{`unknown init "zeros"`}},
		{append(moons, "--scale", "log"), []string{`unknown scaling "log"`}},
		{append(moons, "--test-split", "1.5"), []string{"--test-split must be in [0, 1), found 1.5"}},
		{[]string{"train", "--test-split", "0.1"}, []string{"--test-split does not apply to mnist"}},
		{append(moons, "--backend", "cuda"), []string{"built without CUDA support", "hint:", "go build -tags cuda"}},
		{append(moons, "--backend", "tpu"), []string{`unknown backend "tpu"`}},
		{[]string{"train", "--lrate", "0.1"}, []string{"flag provided but not defined: -lrate", "hint: run perceptron train -h"}},
		{[]string{"train", "extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"fit"}, []string{`unknown command "fit"`}},
		{[]string{"eval", "--data", "synthetic:moons"}, []string{"no --model given"}},
		{[]string{"eval", "--model", "broken.safetensors"}, []string{"broken.safetensors: not a safetensors file"}},
		{[]string{"eval", "--model", "absent.safetensors"}, []string{"absent.safetensors", "no such file"}},
		{[]string{"predict", "--model", "broken.safetensors"}, []string{"needs --model and --input"}},
	} {
		r := perceptron(t, dir, c.args...)
		name := strings.Join(c.args, " ")
		assert.Equal(t, 1, r.code, "%s: exit status; stderr:\n%s", name, r.stderr)
		assert.True(t, strings.HasPrefix(r.stderr, "perceptron: error: "), "%s: stderr starts with the error:\n%s", name, r.stderr)
		assert.LessOrEqual(t, strings.Count(r.stderr, "\n"), 2, "%s: one error line and at most one hint:\n%s", name, r.stderr)
		assert.NotContains(t, r.stderr, "goroutine", name)
		for _, w := range c.want {
			assert.Contains(t, r.stderr, w, name)
		}
	}
}

func TestTrainEvalPredict(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "train", "--data", "synthetic:moons", "--samples", "600", "--layers", "16:relu,16:relu,1:sigmoid",
		"--epochs", "40", "--lr", "0.05", "--scale", "standard", "--out", "m.safetensors", "--history", "h.csv", "--plot", "c.png", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var sum struct {
		Backend, DType, Layers, Loss string
		History                      []struct{ Epoch int }
		Test                         struct{ Accuracy float64 }
		Wrote                        []string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum), "stdout is one JSON document:\n%s", r.stdout)
	assert.Equal(t, "cpu", sum.Backend)
	assert.Equal(t, "float32", sum.DType)
	assert.Equal(t, "bce", sum.Loss, "the loss follows the sigmoid output")
	assert.Len(t, sum.History, 40)
	assert.GreaterOrEqual(t, sum.Test.Accuracy, 0.95)
	assert.Equal(t, []string{"m.safetensors", "h.csv", "c.png"}, sum.Wrote)

	hist, err := os.ReadFile(filepath.Join(dir, "h.csv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(hist)), "\n")
	assert.Equal(t, "epoch,loss,train_acc,val_loss,val_acc,seconds,examples_per_s,lr", lines[0])
	assert.True(t, strings.HasSuffix(lines[40], ",0.050000000000000003"), "the learning rate of epoch 40, in full: %s", lines[40])
	assert.Len(t, lines, 41)
	png, err := os.ReadFile(filepath.Join(dir, "c.png"))
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG")), "the plot is a PNG")

	r = perceptron(t, dir, "eval", "--model", "m.safetensors", "--data", "synthetic:moons", "--seed", "2")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "confusion matrix")
	acc := regexp.MustCompile(`accuracy\s+([0-9.]+)%`).FindStringSubmatch(r.stdout)
	require.NotNil(t, acc, r.stdout)
	v, _ := strconv.ParseFloat(acc[1], 64)
	assert.GreaterOrEqual(t, v, 95.0, "fresh moons, scaled by the model's own scaler")

	write(t, dir, "rows.csv", "x,y\n-1,0.5\n2,-0.3\n0.5,0.25\n")
	r = perceptron(t, dir, "predict", "--model", "m.safetensors", "--input", "rows.csv")
	require.Equal(t, 0, r.code, r.stderr)
	outs := strings.Fields(r.stdout)
	require.Len(t, outs, 3)
	for _, o := range outs {
		p, err := strconv.ParseFloat(o, 64)
		require.NoError(t, err)
		assert.True(t, p >= 0 && p <= 1, "a sigmoid output, found %g", p)
	}
	r = perceptron(t, dir, "predict", "--model", "m.safetensors", "--input", "rows.csv", "--class")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "0\n1\n", r.stdout[:4], "(-1, 0.5) lies on the upper moon (0), (2, -0.3) on the lower (1)")

	write(t, dir, "wide.csv", "1,2,3\n")
	r = perceptron(t, dir, "predict", "--model", "m.safetensors", "--input", "wide.csv")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "wide.csv: rows have 3 columns, but the model m.safetensors takes 2 inputs")
}

// duringRun starts train with args in dir, calls fault with it once the
// first epoch's row is printed (a signal, a folder removed, …), and
// returns what it printed and its exit status.
func duringRun(t *testing.T, dir string, fault func(*exec.Cmd), args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"train"}, args...)...)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && !strings.HasPrefix(strings.TrimSpace(lines.Text()), "1 ") {
	}
	fault(cmd)
	go func() {
		for lines.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("train did not end within 60 s of the fault")
	}
	exit, ok := err.(*exec.ExitError)
	require.True(t, ok, "exit error, found %v; stderr:\n%s", err, stderr.String())
	return result{"", stderr.String(), exit.ExitCode()}
}

// signalled runs train with args in dir, sends sig once the first epoch's
// row is printed, and returns what it printed and its exit status.
func signalled(t *testing.T, dir string, sig syscall.Signal, args ...string) result {
	t.Helper()
	return duringRun(t, dir, func(cmd *exec.Cmd) { require.NoError(t, cmd.Process.Signal(sig)) }, args...)
}

// TestSignalsSaveWhatWasTrained stops fits with SIGINT and SIGTERM, during
// the epochs and after the last one, with and without files to keep.
func TestSignalsSaveWhatWasTrained(t *testing.T) {
	long := []string{"--data", "synthetic:spirals", "--samples", "20000", "--epochs", "100000", "--lr", "0.001", "--quiet",
		"--out", "m.safetensors", "--history", "h.csv", "--plot", ""}
	for _, c := range []struct {
		name     string
		sig      syscall.Signal
		args     []string
		existing bool     // m.safetensors and h.csv hold an earlier run's files
		status   int      // exit status
		says     string   // on stderr, a regular expression (the epochs done before the signal lands vary)
		model    string   // where the model is written, "" for nowhere
		kept     []string // files that keep the earlier run's contents
	}{
		{"SIGINT", syscall.SIGINT, long, false, 130, `interrupted by SIGINT after \d+ full epochs( and \d+ examples of epoch \d+)?; the model reached so far is saved to m\.safetensors`, "m.safetensors", nil},
		{"SIGTERM beside a model", syscall.SIGTERM, long, true, 143,
			`interrupted by SIGTERM after \d+ full epochs( and \d+ examples of epoch \d+)?; the model reached so far is saved to m\.interrupted\.safetensors, beside the existing m\.safetensors`,
			"m.interrupted.safetensors", []string{"m.safetensors", "h.csv"}},
		{"replace", syscall.SIGINT, append(long, "--on-interrupt", "replace"), true, 130, `saved to m\.safetensors`, "m.safetensors", nil},
		{"discard", syscall.SIGTERM, append(long, "--on-interrupt", "discard"), true, 143, `not saved \(--on-interrupt discard\)`, "", []string{"m.safetensors", "h.csv"}},
		{"after the last epoch", syscall.SIGTERM, []string{"--data", "synthetic:moons", "--samples", "3000000", "--test-split", "0.99", "--epochs", "1",
			"--batch", "64", "--quiet", "--out", "m.safetensors", "--history", "h.csv", "--plot", ""}, true, 143,
			`interrupted by SIGTERM after the last of 1 epochs, (before|during) the test \(no test result\); the model reached so far is saved to m\.safetensors`, "m.safetensors", nil},
	} {
		dir := t.TempDir()
		if c.existing {
			write(t, dir, "m.safetensors", "an earlier model")
			write(t, dir, "h.csv", "an earlier history")
		}
		r := signalled(t, dir, c.sig, c.args...)
		assert.Equal(t, c.status, r.code, "%s: exit status; stderr:\n%s", c.name, r.stderr)
		assert.Regexp(t, c.says, r.stderr, c.name)
		if c.model != "" {
			m, err := modelfile.Load(filepath.Join(dir, c.model))
			require.NoError(t, err, "%s: the model was written", c.name)
			assert.Equal(t, 2, m.Network.Spec.Inputs, c.name)
		}
		for _, name := range c.kept {
			data, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err, c.name)
			assert.Contains(t, string(data), "an earlier", "%s: %s is kept", c.name, name)
		}
		tmp, err := filepath.Glob(filepath.Join(dir, ".*.tmp"))
		require.NoError(t, err)
		assert.Empty(t, tmp, "%s: no temporary file is left", c.name)
	}
}

func TestInfo(t *testing.T) {
	r := perceptron(t, t.TempDir(), "info")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "build tags none")
	assert.Contains(t, r.stdout, "cpu (")
	assert.Contains(t, r.stdout, "cuda       unavailable: built without CUDA support")
}

func TestHelp(t *testing.T) {
	r := perceptron(t, t.TempDir(), "-h")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stderr, "perceptron train")
	r = perceptron(t, t.TempDir(), "train", "-h")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stderr, "-layers")
	r = perceptron(t, t.TempDir())
	assert.Equal(t, 2, r.code, "no command is a usage error")
}

// TestDefaultTrainReachesMNISTTarget runs `perceptron train` with no flags, as
// the README's first command does, and checks the test accuracy it reports.
func TestDefaultTrainReachesMNISTTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("trains MNIST for 5 epochs")
	}
	dir := t.TempDir()
	r := perceptron(t, dir, "train")
	require.Equal(t, 0, r.code, r.stderr)
	t.Log("\n" + r.stdout)
	assert.Contains(t, r.stderr, "perceptron: mnist: 54000 training, 6000 validation (from the training data), 10000 test examples;")
	assert.Regexp(t, `^epoch +loss +train_acc +val_loss +val_acc +`, r.stdout)
	m := regexp.MustCompile(`test: loss [0-9.]+, accuracy ([0-9.]+)%`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	acc, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, acc, 97.0)
	for _, f := range []string{"model.safetensors", "history.csv", "curves.png"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
}

// TestModelLoadsInPyTorch loads a trained model into torch.nn.Sequential with
// load_state_dict(strict=True) and compares its outputs with perceptron
// predict. It needs python3 with torch (Debian: python3-torch) and skips without.
func TestModelLoadsInPyTorch(t *testing.T) {
	python := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import torch").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		t.Skip("no python3 with torch is installed")
	}
	dir := t.TempDir()
	for _, c := range []struct{ data, layers, dtype string }{
		{"synthetic:blobs", "6:tanh,5:linear,3:softmax", "float64"},
		{"synthetic:moons", "8:relu,1:sigmoid", "float32"},
		{"synthetic:blobs", "6:tanh:dropout=0.3,5:relu:dropout=0.5,3:softmax", "float64"},
		{"synthetic:moons", "8:sigmoid:dropout=0.25,1:sigmoid", "float32"},
	} {
		r := perceptron(t, dir, "train", "--data", c.data, "--layers", c.layers, "--dtype", c.dtype, "--epochs", "3",
			"--scale", "minmax", "--quiet", "--out", "m.safetensors", "--history", "", "--plot", "")
		require.Equal(t, 0, r.code, r.stderr)
		write(t, dir, "rows.csv", "0.5,-1\n2,0.25\n-1.5,1\n")
		ours := perceptron(t, dir, "predict", "--model", "m.safetensors", "--input", "rows.csv")
		require.Equal(t, 0, ours.code, ours.stderr)
		script, err := filepath.Abs("testdata/torch_load.py")
		require.NoError(t, err)
		cmd := exec.Command(python, script, "m.safetensors", "rows.csv")
		cmd.Dir = dir
		theirs, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", theirs)
		want, got := strings.Fields(string(theirs)), strings.Fields(ours.stdout)
		require.Len(t, got, len(want), c.layers)
		for i := range want {
			w, g := strings.Split(want[i], ","), strings.Split(got[i], ",")
			require.Len(t, g, len(w))
			for k := range w {
				wv, _ := strconv.ParseFloat(w[k], 64)
				gv, _ := strconv.ParseFloat(g[k], 64)
				assert.InDelta(t, wv, gv, 1e-5*(1+math.Abs(wv)), "%s row %d output %d", c.layers, i, k)
			}
		}
	}
}

// readHistory returns the losses of a history CSV written by train.
func readHistory(t *testing.T, path string) engine.History {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var hist engine.History
	for _, line := range lines[1:] {
		loss, err := strconv.ParseFloat(strings.Split(line, ",")[1], 64)
		require.NoError(t, err, line)
		hist = append(hist, engine.EpochStats{Loss: loss})
	}
	return hist
}

// courseCSV returns the absolute path of a course run's data file.
func courseCSV(t *testing.T, c backendtest.CourseCase) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "engine", "backendtest", "testdata", "course", c.Data))
	require.NoError(t, err)
	return path
}

// TestReplaysTheCourse runs the command line that reproduces the course's
// NumPy code on each committed course run and compares the history's losses
// with those NumPy printed.
func TestReplaysTheCourse(t *testing.T) {
	dir := t.TempDir()
	for _, c := range backendtest.CourseCases(t) {
		r := perceptron(t, dir, "train", "--data", "csv:"+courseCSV(t, c), "--layers", c.Layers, "--loss", "bce", "--init", "uniform",
			"--rng", "numpy", "--seed", strconv.Itoa(int(c.Seed)), "--lr", strconv.FormatFloat(c.LR, 'g', -1, 64),
			"--epochs", strconv.Itoa(c.Epochs), "--batch", "1", "--dtype", "float64", "--test-split", "0", "--val-split", "0",
			"--scale", "none", "--history", "h.csv", "--out", "", "--plot", "", "--quiet")
		require.Equal(t, 0, r.code, r.stderr)
		backendtest.AssertLosses(t, c.Losses, readHistory(t, filepath.Join(dir, "h.csv")))
	}
}

func TestPresetCourse(t *testing.T) {
	dir := t.TempDir()
	c := backendtest.CourseCases(t)[0]
	require.Equal(t, "6:relu,6:relu,1:sigmoid", c.Layers, "the first course run uses the preset's network")
	r := perceptron(t, dir, "train", "--preset", "course", "--data", "csv:"+courseCSV(t, c), "--history", "h.csv", "--out", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 10)
	for i, line := range lines {
		assert.Equal(t, fmt.Sprintf("Loss at epoch %d: %.3f", i+1, c.Losses[i]), line)
	}
	backendtest.AssertLosses(t, c.Losses, readHistory(t, filepath.Join(dir, "h.csv")))

	r = perceptron(t, dir, "train", "--preset", "course", "--epochs", "2", "--history", "", "--out", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 2, strings.Count(r.stdout, "Loss at epoch"), "a flag given overrides the preset")
	r = perceptron(t, dir, "train", "--preset", "lecture")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `unknown preset "lecture"`)
	r = perceptron(t, dir, "train", "--rng", "numpy", "--seed", "4294967296")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "NumPy's generator takes seeds 0 to 4294967295")
}

func TestBench(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "bench", "--workload", "W1", "--dtype", "float32,float64", "--json", "--out", "b.json")
	require.Equal(t, 0, r.code, r.stderr)
	var results []struct {
		Workload, Backend, Device, DType string
		Batch                            int
		ExamplesPerS                     float64 `json:"examples_per_s"`
		TestAccuracy                     float64 `json:"test_accuracy"`
		FLOPs                            float64 `json:"flops_per_example"`
		GFLOPS                           float64 `json:"gflops"`
		PeakGFLOPS                       float64 `json:"peak_gflops"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &results), r.stdout)
	require.Len(t, results, 2)
	for _, res := range results {
		assert.Equal(t, "W1", res.Workload)
		assert.Equal(t, "cpu", res.Backend)
		assert.Equal(t, cpu.New().Device(), res.Device)
		assert.Greater(t, res.ExamplesPerS, 0.0)
		assert.GreaterOrEqual(t, res.TestAccuracy, 0.95, "W1 learns the moons")
		assert.Equal(t, 2.0*2*(2*6)+3*2*(6*6)+3*2*(6*1), res.FLOPs, "W1's products")
		assert.InDelta(t, res.FLOPs*res.ExamplesPerS/1e9, res.GFLOPS, 1e-9*res.GFLOPS)
		if cpu.Peak(1, 1).ISA != "none" {
			assert.Greater(t, res.PeakGFLOPS, 0.0, "the peak beside the CPU's GFLOP/s")
		}
	}
	assert.FileExists(t, filepath.Join(dir, "b.json"))

	write(t, dir, "torch.json", `[{"workload":"W1","backend":"pytorch-cpu","device":"Some CPU","dtype":"float32","batch":1,"threads":2,"examples_per_s":1000}]`)
	r = perceptron(t, dir, "bench", "--workload", "W1", "--compare-json", "torch.json", "--out", "")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `\n +pytorch-cpu +Some CPU\n`, r.stdout, "the devices under the table")
	assert.Regexp(t, `\n +cpu +`+regexp.QuoteMeta(cpu.New().Device())+`\n`, r.stdout)
	assert.Regexp(t, `W1 float32 batch 1: cpu is [0-9.]+× pytorch-cpu`, r.stdout)

	r = perceptron(t, dir, "bench", "--workload", "W9")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `unknown workload "W9"`)
	r = perceptron(t, dir, "bench", "--workload", "W1", "--compare-json", "missing.json")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "missing.json")
}

// TestEvalRegressionOnClassLabels evaluates a network with a linear output
// on integer labels: it is a regression, whatever the labels look like.
func TestEvalRegressionOnClassLabels(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "train", "--data", "synthetic:blobs", "--layers", "8:relu,1:linear", "--epochs", "3", "--quiet",
		"--out", "m.safetensors", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `test: loss [0-9.]+, rmse [0-9.]+, r2 -?[0-9.]+\n`, r.stdout, "a regression's test line")
	r = perceptron(t, dir, "eval", "--model", "m.safetensors", "--data", "synthetic:blobs")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "model     regression (a linear output layer)\n")
	assert.Regexp(t, `\nmae +[0-9.]+\nrmse +[0-9.]+\nr2 +-?[0-9.]+\n`, r.stdout)
	assert.NotContains(t, r.stdout, "accuracy")
	assert.NotContains(t, r.stdout, "confusion")
	r = perceptron(t, dir, "eval", "--model", "m.safetensors", "--data", "synthetic:blobs", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &m))
	assert.Nil(t, m["accuracy"])
	assert.Contains(t, m, "rmse")
	assert.Equal(t, "regression (a linear output layer)", m["kind"])
}
