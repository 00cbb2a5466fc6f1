package dataset_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// golden is a case written by testdata/tabular/make_goldens.py.
type golden struct {
	Features    []string       `json:"features"`
	Classes     []string       `json:"classes"`
	Train       [][]float64    `json:"train"`
	TrainLabels []float64      `json:"train_labels"`
	Test        [][]float64    `json:"test"`
	TestLabels  []float64      `json:"test_labels"`
	Unseen      map[string]int `json:"unseen"`
}

func loadGolden(t *testing.T, name string) golden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "tabular", "golden_"+name+".json"))
	require.NoError(t, err)
	var g golden
	require.NoError(t, json.Unmarshal(data, &g))
	return g
}

func loadTable(t *testing.T, file string) *dataset.Table {
	t.Helper()
	tab, err := dataset.LoadTable(filepath.Join("testdata", "tabular", file), dataset.ReadOptions{})
	require.NoError(t, err)
	return tab
}

// sameMatrix compares a set's features with a golden matrix to 1e-12.
func sameMatrix(t *testing.T, want [][]float64, s *dataset.Set) {
	t.Helper()
	require.Equal(t, len(want), s.N)
	for i, row := range want {
		require.Len(t, s.Row(i), len(row))
		for j, v := range row {
			require.InDelta(t, v, s.Row(i)[j], 1e-12, "row %d feature %d", i, j)
		}
	}
}

func TestTransformMatchesScikitLearn(t *testing.T) {
	for _, tc := range []struct {
		golden, train, test string
		sep                 rune
		opt                 dataset.PrepOptions
	}{
		{"comma", "train.csv", "test.csv", ',', dataset.PrepOptions{Categorical: []string{"zone"}, Scale: dataset.Standardise}},
		{"semicolon", "semi.csv", "", ';', dataset.PrepOptions{Impute: dataset.ImputeMean, Scale: dataset.MinMax}},
		{"tab", "tab.tsv", "", '\t', dataset.PrepOptions{Impute: dataset.ImputeZero, Task: dataset.Regress}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			g := loadGolden(t, tc.golden)
			train := loadTable(t, tc.train)
			assert.Equal(t, tc.sep, train.Sep, "the separator is detected")
			assert.True(t, train.Header)
			p, err := dataset.FitPreprocessor(train, nil, tc.opt)
			require.NoError(t, err)
			assert.Equal(t, g.Features, p.FeatureNames())
			assert.Equal(t, g.Classes, p.ClassNames)
			s, _, err := p.Transform(train, nil)
			require.NoError(t, err)
			sameMatrix(t, g.Train, s)
			assert.Equal(t, g.TrainLabels, s.Labels)
			assert.Equal(t, len(g.Classes), s.Classes)
			if tc.test == "" {
				return
			}
			test := loadTable(t, tc.test)
			ts, notes, err := p.Transform(test, nil)
			require.NoError(t, err)
			sameMatrix(t, g.Test, ts)
			assert.Equal(t, g.TestLabels, ts.Labels)
			want := dataset.Notes{"ignored columns: notes"}
			for _, col := range []string{"city", "color", "zone"} {
				if n := g.Unseen[col]; n > 0 {
					want = append(want, notesUnseen(col, n))
				}
			}
			assert.ElementsMatch(t, want, notes)
		})
	}
}

func notesUnseen(col string, n int) string {
	return fmt.Sprintf("column %s: %d rows with categories not seen in training (all zeros)", col, n)
}
