package main

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBenchFits: bench --fits trains 1 and 3 W1 fits at once on the CPU
// as the sweep does (its own line says so, for each count) and reports
// each count's seconds, at least the sweep's own, and fits a second; and
// its errors: a count that is not one, --backend auto, a workload other
// than W1 or W2, and --predict beside it.
func TestBenchFits(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "bench", "--fits", "1,3", "--backend", "cpu", "--threads", "1", "--dtype", "float64")
	require.Equal(t, 0, r.code, r.stderr)
	var results []fitsResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &results), r.stdout)
	require.Len(t, results, 2)
	sweeps := regexp.MustCompile(`perceptron: (\d+) fits in ([0-9.]+) s on 1 threads`).FindAllStringSubmatch(r.stderr, -1)
	require.Len(t, sweeps, 2, r.stderr)
	for i, res := range results {
		assert.Equal(t, fitsResult{Workload: "W1", Backend: "cpu", DType: "float64", Fits: []int{1, 3}[i], Threads: 1,
			Seconds: res.Seconds, FitsPerSecond: res.FitsPerSecond}, res)
		assert.InDelta(t, float64(res.Fits)/res.Seconds, res.FitsPerSecond, 1e-9*res.FitsPerSecond)
		assert.Equal(t, strconv.Itoa(res.Fits), sweeps[i][1], "the sweep trained that many fits")
		secs, err := strconv.ParseFloat(sweeps[i][2], 64)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, res.Seconds, secs-0.005, "the sweep's own time, within its rounding, is inside the bench's")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--fits", "0"}, `--fits: "0" is not a count of fits`},
		{[]string{"--fits", "8,x", "--backend", "cpu"}, `--fits: "x" is not a count of fits`},
		{[]string{"--fits", "8"}, "--backend auto would measure the backend the model picks"},
		{[]string{"--fits", "8", "--backend", "cpu", "--workload", "W3"}, `workload "W3": expected W1`},
		{[]string{"--fits", "8", "--predict"}, "--predict and --fits measure different things"},
	} {
		r := perceptron(t, dir, append([]string{"bench"}, c.args...)...)
		assert.Equal(t, 1, r.code, c.args)
		assert.Contains(t, r.stderr, c.want, c.args)
	}
}
