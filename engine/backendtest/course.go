package backendtest

import (
	"bufio"
	"context"
	"embed"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// courseFiles holds data sets and the per-epoch losses that the course's
// unmodified NumPy code printed for them (testdata/course/make.sh).
//
//go:embed testdata/course
var courseFiles embed.FS

// CourseCase is one run of the course's code: its data file and arguments,
// and the losses it printed.
type CourseCase struct {
	Data, Layers string
	Seed         uint32
	LR           float64
	Epochs       int
	Losses       []float64
}

// CourseCases returns the committed runs of the course's NumPy code.
func CourseCases(t *testing.T) []CourseCase {
	t.Helper()
	list, err := courseFiles.ReadFile("testdata/course/cases.txt")
	require.NoError(t, err)
	var cases []CourseCase
	for _, line := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		f := strings.Fields(line)
		require.Len(t, f, 5, "cases.txt: %q", line)
		c := CourseCase{Data: f[0], Layers: f[1]}
		seed, err := strconv.ParseUint(f[2], 10, 32)
		require.NoError(t, err)
		c.Seed = uint32(seed)
		c.LR, err = strconv.ParseFloat(f[3], 64)
		require.NoError(t, err)
		c.Epochs, err = strconv.Atoi(f[4])
		require.NoError(t, err)
		losses, err := courseFiles.Open("testdata/course/" + strings.TrimSuffix(c.Data, ".csv") + ".losses")
		require.NoError(t, err)
		sc := bufio.NewScanner(losses)
		for sc.Scan() {
			_, loss, ok := strings.Cut(sc.Text(), ",")
			require.True(t, ok, "%s.losses: %q", c.Data, sc.Text())
			v, err := strconv.ParseFloat(loss, 64)
			require.NoError(t, err)
			c.Losses = append(c.Losses, v)
		}
		losses.Close()
		require.Len(t, c.Losses, c.Epochs)
		cases = append(cases, c)
	}
	return cases
}

// CourseData returns the data set of a course case.
func CourseData(t *testing.T, c CourseCase) *dataset.Set {
	t.Helper()
	f, err := courseFiles.Open("testdata/course/" + c.Data)
	require.NoError(t, err)
	defer f.Close()
	table, err := dataset.ReadTable(f, c.Data, dataset.ReadOptions{})
	require.NoError(t, err)
	prep, err := dataset.FitPreprocessor(table, nil, dataset.PrepOptions{}) // the label last; no scaling
	require.NoError(t, err)
	set, _, err := prep.Transform(table, nil)
	require.NoError(t, err)
	return set
}

// AssertLosses checks a fit's per-epoch losses against NumPy's, within
// goldenTolerance relative.
func AssertLosses(t *testing.T, want []float64, hist engine.History) {
	t.Helper()
	require.Len(t, hist, len(want))
	worst := 0.0
	for i, h := range hist {
		rel := math.Abs(h.Loss-want[i]) / math.Abs(want[i])
		worst = max(worst, rel)
		assert.LessOrEqual(t, rel, goldenTolerance, "epoch %d: loss %.17g, NumPy %.17g", i+1, h.Loss, want[i])
	}
	t.Logf("worst relative difference from NumPy: %.3g", worst)
}

// Course replays the course's NumPy runs end to end: NumPy's generator
// seeded as np.random.seed draws the uniform initial parameters and every
// epoch's permutation, in float64 with per-example SGD.
func Course(t *testing.T, be engine.Backend) {
	for _, c := range CourseCases(t) {
		t.Run(c.Data, func(t *testing.T) {
			set := CourseData(t, c)
			layers, err := engine.ParseLayers(c.Layers)
			require.NoError(t, err)
			rng := engine.NewNumPyRNG(c.Seed)
			net, err := engine.NewNetwork(engine.Spec{Inputs: set.Features, Layers: layers, Loss: engine.BCE, DType: engine.Float64}, engine.InitUniform, rng)
			require.NoError(t, err)
			hist, err := engine.Fit(context.Background(), net, set, engine.Config{Epochs: c.Epochs, LearningRate: c.LR, BatchSize: 1, RNG: rng, Backend: be})
			require.NoError(t, err)
			AssertLosses(t, c.Losses, hist)
		})
	}
}
