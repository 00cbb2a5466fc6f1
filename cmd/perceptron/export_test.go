package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "train", "--data", "synthetic:moons", "--samples", "100", "--layers", "4:relu,1:sigmoid", "--epochs", "1",
		"--quiet", "--out", "m.safetensors", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	for i, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", "m.safetensors"}, "export: needs --model and --out"},
		{[]string{"--model", "m.safetensors", "--out", "m.onnx", "--format", "tflite"}, `export: unknown format "tflite"` + "\nperceptron: hint: the formats are: onnx"},
		{[]string{"--model", "m.safetensors", "--out", "m.onnx", "--opset", "11"}, "export: opset 11 is not supported\nperceptron: hint: give --opset 13 to 17"},
		{[]string{"--model", "none.safetensors", "--out", "m.onnx"}, "none.safetensors"},
		{[]string{"--model", "m.safetensors", "--out", "no/such/dir/m.onnx"}, "no/such/dir"},
	} {
		r := perceptron(t, dir, append([]string{"export"}, c.args...)...)
		assert.Equal(t, 1, r.code, "case %d", i)
		assert.Contains(t, r.stderr, "perceptron: error: ", "case %d", i)
		assert.Contains(t, r.stderr, c.want, "case %d", i)
		assert.NoFileExists(t, filepath.Join(dir, "m.onnx"), "case %d", i)
	}
	r = perceptron(t, dir, "export", "--model", "m.safetensors", "--out", "m.onnx")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "wrote m.onnx\n", r.stdout)
}

// onnxTools returns the python3 that has onnx and the path of run.js, or
// skips the test naming what is missing.
func onnxTools(t *testing.T) (python, runJS string) {
	t.Helper()
	python = "/usr/bin/python3"
	if exec.Command(python, "-c", "import onnx").Run() != nil {
		t.Skip("ONNX checks skipped: /usr/bin/python3 has no onnx (Debian: apt-get install python3-onnx)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("ONNX checks skipped: no node (Debian: apt-get install nodejs npm)")
	}
	runJS, err := filepath.Abs("../../benchmarks/onnx/run.js")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(filepath.Dir(runJS), "node_modules", "onnxruntime-node")); err != nil {
		t.Skip("ONNX checks skipped: onnxruntime-node is not installed (cd benchmarks/onnx && npm ci --ignore-scripts)")
	}
	return python, runJS
}

// TestExportRunsInONNXRuntime trains small models (float32 and float64,
// every activation, sigmoid and softmax outputs, a scaler, a table's
// preprocessing, dropout), exports each, checks it with ONNX's checker
// (testdata's check.py) and runs it in ONNX Runtime (run.js): its outputs
// equal perceptron predict's within 1e-5.
func TestExportRunsInONNXRuntime(t *testing.T) {
	python, runJS := onnxTools(t)
	check, err := filepath.Abs("../../engine/onnx/testdata/check.py")
	require.NoError(t, err)
	dir := t.TempDir()
	compare := func(name, rows, ortRows string, opset int) {
		t.Helper()
		r := perceptron(t, dir, "export", "--model", name+".safetensors", "--out", name+".onnx", "--opset", strconv.Itoa(opset))
		require.Equal(t, 0, r.code, r.stderr)
		cmd := exec.Command(python, check, name+".onnx")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "check.py %s: %s", name, out)
		ours := perceptron(t, dir, "predict", "--model", name+".safetensors", "--input", rows)
		require.Equal(t, 0, ours.code, ours.stderr)
		cmd = exec.Command("node", runJS, name+".onnx", ortRows)
		cmd.Dir = dir
		theirs, err := cmd.Output()
		require.NoError(t, err, "run.js %s", name)
		want, got := strings.Fields(ours.stdout), strings.Fields(string(theirs))
		require.Len(t, got, len(want), name)
		for i := range want {
			w, g := strings.Split(want[i], ","), strings.Split(got[i], ",")
			require.Len(t, g, len(w), name)
			for k := range w {
				wv, _ := strconv.ParseFloat(w[k], 64)
				gv, err := strconv.ParseFloat(g[k], 64)
				require.NoError(t, err)
				assert.InDelta(t, wv, gv, 1e-5, "%s row %d output %d: predict %s, ONNX Runtime %s", name, i, k, w[k], g[k])
			}
		}
	}
	write(t, dir, "rows.csv", "0.5,-1\n2,0.25\n-1.5,1\n0,0\n1e3,-2\n")
	for i, c := range []struct{ data, layers, dtype, scale string }{
		{"synthetic:moons", "8:relu,1:sigmoid", "float32", "standard"},
		{"synthetic:moons", "8:relu,1:sigmoid", "float64", "none"},
		{"synthetic:blobs", "6:tanh,5:linear,3:softmax", "float64", "minmax"},
		{"synthetic:blobs", "6:sigmoid,4:relu,3:softmax", "float32", "minmax"},
		{"synthetic:xor", "5:tanh,2:sigmoid", "float32", "none"},
		{"synthetic:blobs", "6:relu:dropout=0.3,5:tanh:dropout=0.2,3:softmax", "float64", "minmax"}, // dropout: no node
	} {
		name := fmt.Sprintf("m%d", i)
		r := perceptron(t, dir, "train", "--data", c.data, "--layers", c.layers, "--dtype", c.dtype, "--epochs", "5",
			"--scale", c.scale, "--quiet", "--out", name+".safetensors", "--history", "", "--plot", "")
		require.Equal(t, 0, r.code, r.stderr)
		compare(name, "rows.csv", "rows.csv", 13+i%5)
	}

	// A table: numbers with missing cells (filled and scaled in the graph)
	// and text columns one-hot encoded here, as the model's metadata says.
	write(t, dir, "train.csv", customers(200, "age;plan;city;fee;w;churned", func(age int, plan, city, fee, w, churned string) []string {
		return []string{fmt.Sprint(age), plan, city, fee, w, churned}
	}))
	requests := [][]string{{"Paris", "60", "basic", "2000"}, {"", "30", "pro", ""}, {"Lyon; FR", "", "NA", "1500"}, {"Rome", "45", "gold", "3100"}}
	var csv, features strings.Builder
	csv.WriteString("city,age,plan,fee\n")
	for _, dtype := range []string{"float32", "float64"} {
		name := "table-" + dtype
		r := perceptron(t, dir, "train", "--data", "csv:train.csv", "--label-col", "churned", "--weight-col", "w", "--layers", "6:relu,2:softmax", "--dtype", dtype,
			"--epochs", "10", "--quiet", "--out", name+".safetensors", "--history", "", "--plot", "")
		require.Equal(t, 0, r.code, r.stderr)
		if dtype == "float32" {
			m, err := modelfile.Load(filepath.Join(dir, name+".safetensors"))
			require.NoError(t, err)
			for _, req := range requests {
				csv.WriteString(`"` + strings.Join(req, `","`) + "\"\n")
				features.WriteString(strings.Join(oneHot(t, m.Prep, map[string]string{"city": req[0], "age": req[1], "plan": req[2], "fee": req[3]}), ",") + "\n")
			}
			write(t, dir, "requests.csv", csv.String())
			write(t, dir, "features.csv", features.String())
		}
		compare(name, "requests.csv", "features.csv", 13)
	}
}

// oneHot returns the ONNX input of a table's row: numbers as given ("NaN"
// where missing), categories one-hot.
func oneHot(t *testing.T, p *dataset.Preprocessor, row map[string]string) []string {
	var out []string
	for _, in := range p.Inputs {
		cell := strings.TrimSpace(row[in.Name])
		missing := cell == "" || cell == "NA"
		if in.Kind == dataset.NumericInput {
			if missing {
				cell = "NaN"
			}
			_, err := strconv.ParseFloat(cell, 64)
			require.NoError(t, err)
			out = append(out, cell)
			continue
		}
		if missing {
			cell = ""
		}
		at := slices.Index(in.Categories, cell)
		for k := range in.Categories {
			out = append(out, strconv.Itoa(b2i(k == at)))
		}
	}
	require.Len(t, out, p.Features())
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
