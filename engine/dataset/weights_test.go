package dataset_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// TestClassWeightsBalanced checks "balanced" against scikit-learn's
// compute_class_weight (testdata/class_weights.py).
func TestClassWeightsBalanced(t *testing.T) {
	raw, err := os.ReadFile("testdata/class_weights.json")
	require.NoError(t, err)
	var cases []struct {
		Labels  []float64
		Classes int
		Weights []float64
	}
	require.NoError(t, json.Unmarshal(raw, &cases))
	require.NotEmpty(t, cases)
	for _, c := range cases {
		w, err := dataset.ClassWeights("balanced", c.Labels, c.Classes, nil)
		require.NoError(t, err)
		require.Len(t, w, c.Classes)
		for k := range w {
			assert.InDelta(t, c.Weights[k], w[k], 1e-15*c.Weights[k], "class %d of %v", k, c.Labels)
		}
		// Balanced weights make every class weigh the same in all: n/k.
		sums := make([]float64, c.Classes)
		for _, l := range c.Labels {
			sums[int(l)] += w[int(l)]
		}
		for k, s := range sums {
			assert.InDelta(t, float64(len(c.Labels))/float64(c.Classes), s, 1e-12, "class %d", k)
		}
	}
}

func TestClassWeightsList(t *testing.T) {
	labels := []float64{0, 1, 2, 2}
	w, err := dataset.ClassWeights("2:0.5, 0:3", labels, 3, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{3, 1, 0.5}, w)

	w, err = dataset.ClassWeights("spam:4,ham:0", labels, 3, []string{"ham", "spam", "eggs"})
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 4, 1}, w)
}

func TestClassWeightsErrors(t *testing.T) {
	labels := []float64{0, 1, 1, 0}
	names := []string{"cat", "dog", "bird"}
	for _, c := range []struct {
		spec    string
		classes int
		names   []string
		want    string
	}{
		{"balanced", 3, nil, "class 2 has no training examples"},
		{"balanced", 3, names, `class "bird" has no training examples`},
		{"fish:2", 3, names, `unknown class "fish": the classes are cat, dog, bird`},
		{"3:2", 3, nil, `unknown class "3": the classes are 0..2`},
		{"1:-1", 3, nil, `the weight must be a finite number of 0 or more, found "-1"`},
		{"1:NaN", 3, nil, "finite number of 0 or more"},
		{"1:+Inf", 3, nil, "finite number of 0 or more"},
		{"1:x", 3, nil, "finite number of 0 or more"},
		{"1", 3, nil, `class weight "1": expected NAME:WEIGHT (or "balanced")`},
		{"1:2,1:3", 3, nil, "class 1 is weighed twice"},
		{"balanced", 0, nil, "class weights need class labels"},
	} {
		_, err := dataset.ClassWeights(c.spec, labels, c.classes, c.names)
		require.Error(t, err, c.spec)
		assert.Contains(t, err.Error(), c.want, c.spec)
	}
}

func TestWeighClassesAndSubset(t *testing.T) {
	s := dataset.New([]float64{0, 1, 2, 3, 4, 5}, []float64{1, 0, 1}, 2)
	require.NoError(t, s.WeighClasses([]float64{0.5, 2}))
	assert.Equal(t, []float64{2, 0.5, 2}, s.Weights)
	require.NoError(t, s.CheckWeights())

	sub := s.Subset([]int{2, 1})
	assert.Equal(t, []float64{2, 0.5}, sub.Weights)
	train, test, err := s.Split(1.0/3, 1)
	require.NoError(t, err)
	require.Len(t, train.Weights, train.N)
	require.Len(t, test.Weights, test.N)
	for _, part := range []*dataset.Set{train, test} {
		for i, l := range part.Labels {
			assert.Equal(t, []float64{0.5, 2}[int(l)], part.Weights[i], "weights follow their examples")
		}
	}
	assert.Nil(t, dataset.New([]float64{1}, []float64{0}, 1).Subset([]int{0}).Weights, "no weights stay none")

	err = s.WeighClasses([]float64{1})
	require.ErrorContains(t, err, "example 1 has label 1, not one of the 1 weighed classes")
}

func TestCheckWeights(t *testing.T) {
	s := dataset.New([]float64{0, 1}, []float64{0, 1}, 1)
	require.NoError(t, s.CheckWeights())
	s.Weights = []float64{1}
	require.ErrorContains(t, s.CheckWeights(), "1 example weights for 2 examples")
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		s.Weights = []float64{0, bad}
		require.ErrorContains(t, s.CheckWeights(), "example 2: weight")
	}
}
