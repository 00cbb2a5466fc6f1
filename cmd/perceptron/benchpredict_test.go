package main

import (
	"encoding/json"
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
