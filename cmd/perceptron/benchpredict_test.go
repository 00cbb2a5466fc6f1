package main

import (
	binenc "encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/benchmarks"
)

// TestBenchPredict runs bench --predict on W1 in both dtypes and requires
// its JSON: one result each, with a positive latency and throughput, and a
// clear error for an unknown workload.
func TestBenchPredict(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "bench", "--predict", "--workload", "W1", "--backend", "cpu", "--dtype", "float32,float64")
	require.Equal(t, 0, r.code, r.stderr)
	var got []benchmarks.PredictResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	require.Len(t, got, 2)
	for i, dtype := range []string{"float32", "float64"} {
		assert.Equal(t, "W1", got[i].Workload)
		assert.Equal(t, "cpu", got[i].Backend)
		assert.Equal(t, dtype, got[i].DType)
		assert.Positive(t, got[i].MicrosPerRow)
		assert.Positive(t, got[i].RowsPerSec)
	}
	r = perceptron(t, dir, "bench", "--predict", "--workload", "W9")
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, `--workload: unknown workload "W9"`)
}

// TestBenchPredictModel runs bench --predict on a model file and rows of
// raw float32s, as compare-onnx.sh does, and requires its JSON (the model's
// stem as the workload, the rows' file as the inputs, the batch all its
// rows), and one clear error for each misuse: rows that are not whole rows
// of the model's inputs, --model with --workload, and --inputs alone.
func TestBenchPredictModel(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "train", "--data", "synthetic:moons", "--samples", "100", "--layers", "4:relu,1:sigmoid", "--epochs", "1",
		"--quiet", "--out", "moons.safetensors", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	rows := make([]byte, 0, 3*2*4)
	for _, v := range []float32{0.5, -0.25, 0, 0, 1.5, 0.75} {
		rows = binenc.LittleEndian.AppendUint32(rows, math.Float32bits(v))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rows.f32"), rows, 0o644))
	r = perceptron(t, dir, "bench", "--predict", "--backend", "cpu", "--model", "moons.safetensors", "--inputs", "rows.f32")
	require.Equal(t, 0, r.code, r.stderr)
	var got []benchmarks.PredictResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	require.Len(t, got, 1)
	assert.Equal(t, "moons", got[0].Workload)
	assert.Equal(t, "rows.f32", got[0].Inputs)
	assert.Equal(t, "float32", got[0].DType)
	assert.Equal(t, 3, got[0].Batch)
	assert.Positive(t, got[0].MicrosPerRow)
	assert.Positive(t, got[0].RowsPerSec)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.f32"), rows[:10], 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", "moons.safetensors", "--inputs", "bad.f32"}, "--inputs: bad.f32: 10 bytes are not whole rows of 2 float32 inputs (8 bytes each)"},
		{[]string{"--model", "moons.safetensors", "--workload", "W2"}, "--model and --workload both name what to measure"},
		{[]string{"--inputs", "rows.f32"}, "--inputs needs --model"},
	} {
		r = perceptron(t, dir, append([]string{"bench", "--predict", "--backend", "cpu"}, c.args...)...)
		assert.NotEqual(t, 0, r.code, "%v", c.args)
		assert.Contains(t, r.stderr, c.want, "%v", c.args)
	}
}
