package dataset_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

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
		require.Len(t, s.Row(i, nil), len(row))
		for j, v := range row {
			require.InDelta(t, v, s.Row(i, nil)[j], 1e-12, "row %d feature %d", i, j)
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

func readTable(t *testing.T, csv string, opt dataset.ReadOptions) (*dataset.Table, error) {
	t.Helper()
	return dataset.ReadTable(strings.NewReader(csv), "f.csv", opt)
}

func TestReadTable(t *testing.T) {
	tab, err := readTable(t, "\ufeffa|b|c\n1|x|\n\n2|\"y|z\"|3\n", dataset.ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, '|', tab.Sep)
	assert.Equal(t, []string{"a", "b", "c"}, tab.Names())
	assert.Equal(t, []float64{1, 2}, tab.Columns[0].Numbers)
	assert.Equal(t, []int32{0, 1}, tab.Columns[1].Codes)
	assert.Equal(t, []string{"x", "y|z"}, tab.Columns[1].Values)
	assert.True(t, math.IsNaN(tab.Columns[2].Numbers[0]))
	assert.Equal(t, []int{2, 4}, []int{tab.Line(0), tab.Line(1)}, "lines count the header and skip the empty one")

	tab, err = readTable(t, "1,red\n2,blue\n", dataset.ReadOptions{})
	require.NoError(t, err)
	assert.False(t, tab.Header, "a first line of a number over numbers and text over text is data")
	assert.Equal(t, []string{"1", "2"}, tab.Names())
	j, err := tab.Column("2")
	require.NoError(t, err)
	assert.Equal(t, 1, j)

	tab, err = readTable(t, "age,2024\n31,5\n", dataset.ReadOptions{})
	require.NoError(t, err)
	assert.True(t, tab.Header, "text over numbers makes a header, even beside a number")
	j, err = tab.Column("2024")
	require.NoError(t, err)
	assert.Equal(t, 1, j, "a name before a number")

	tab, err = readTable(t, "a,b\n1.0,-\n1,x\n01,\nNA,y\n", dataset.ReadOptions{NAValues: []string{"-"}})
	require.NoError(t, err)
	c := tab.Columns[0]
	assert.False(t, c.IsText())
	assert.True(t, tab.Columns[1].IsText())
	assert.Equal(t, []int32{-1, 0, -1, 1}, tab.Columns[1].Codes, "- is missing, as asked")

	tab, err = readTable(t, "a\n1.0\n2\n-0.50\n1.0\nn/a\n", dataset.ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"1.0", "2", "-0.50", "n/a"}, tab.Columns[0].Values, "numbers turned text keep their spelling")
	assert.Equal(t, []int32{0, 1, 2, 0, 3}, tab.Columns[0].Codes)
	assert.Empty(t, tab.Notes)

	tab, err = readTable(t, "a\n1.0\n1\nn/a\n", dataset.ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "n/a"}, tab.Columns[0].Values, "two spellings of one number: the shortest")
	assert.Len(t, tab.Notes, 1)

	var many strings.Builder
	many.WriteString("a\n")
	for i := range 1100 {
		fmt.Fprintf(&many, "%d.0\n", i)
	}
	many.WriteString("text\n")
	tab, err = readTable(t, many.String(), dataset.ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, "1099", tab.Columns[0].Values[1099], "past the spellings kept, shortest forms")
	assert.Equal(t, dataset.Notes{"column a: holds text below many numbers, whose spelling was not kept: they read as text in their shortest form (1.0 as 1)"}, tab.Notes)

	tab, err = readTable(t, "a;b\n1,5;2\n", dataset.ReadOptions{Sep: ';'})
	require.NoError(t, err)
	assert.Equal(t, []string{"1,5"}, tab.Columns[0].Values, "no decimal commas")
}

func TestReadTableErrors(t *testing.T) {
	for i, c := range []struct{ csv, want string }{
		{"a,b\n1,2\n3\n", "f.csv:3: found 1 fields, expected 2 like the header (separator ',')"},
		{"1,2\n3,4,5\n", "f.csv:2: found 3 fields, expected 2 like the first row"},
		{"a,b\n1,inf\n", "f.csv:2: column 2 (b): found inf: a number must be finite (mark a missing cell empty or NA)"},
		{"a,b\n1,-Infinity\n", "found -Infinity: a number must be finite"},
		{"a,b\n1,1e999\n", "f.csv:2: column 2 (b): found 1e999"},
		{"a,b\n1,\"x\n", "f.csv:2: byte 6: extraneous or missing \" in quoted-field"},
		{"a,b,a\n1,2,3\n", "f.csv:1: columns 1 and 3 are both named \"a\""},
		{"a,b\n", "f.csv: no data rows"},
		{"", "f.csv: no data rows"},
	} {
		_, err := readTable(t, c.csv, dataset.ReadOptions{})
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
	_, err := readTable(t, "a\n1\n", dataset.ReadOptions{Sep: '"'})
	assert.EqualError(t, err, `f.csv: separator '"' cannot separate fields`)
	tab, err := readTable(t, "a,b\n1,2\n", dataset.ReadOptions{})
	require.NoError(t, err)
	_, err = tab.Column("c")
	assert.EqualError(t, err, `f.csv: no column "c": the columns are "a", "b" (or 1 to 2 by number)`)
}

func TestFitPreprocessorErrors(t *testing.T) {
	const csv = "n,t,code,label,w\n1,a,1,x,1\n2,b,2,y,0.5\n,c,3,x,2\n"
	for i, c := range []struct {
		csv  string
		opt  dataset.PrepOptions
		want string
	}{
		{csv, dataset.PrepOptions{Labels: []string{"nope"}}, `label column: f.csv: no column "nope"`},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, WeightCol: "label"}, "column label cannot be both the weights and a label"},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, Categorical: []string{"w"}, WeightCol: "w"}, "column w is the weight, not a feature"},
		{csv, dataset.PrepOptions{Labels: []string{"label", "label"}}, "column label is given twice as a label"},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, Task: dataset.Regress}, `f.csv:2: column 4 (label): label "x" is not a number, which a regression needs`},
		{csv, dataset.PrepOptions{Labels: []string{"w", "code"}, Task: dataset.Classify}, "2 label columns: several labels make a regression"},
		{csv, dataset.PrepOptions{Labels: []string{"n"}}, "f.csv:4: column 1 (n): the label is missing: drop the rows without one"},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, MaxCategories: 2}, "f.csv: column t: 3 distinct values in the training rows, more than the 2 categories allowed " +
			"(an identifier or free text is no category): drop the column (--drop t), or allow them (--max-categories 3)"},
		{"first name,y\na,0\nb,1\nc,0\n", dataset.PrepOptions{MaxCategories: 2}, "drop the column (--drop 1), or allow"}, // a name a shell or a list would split
		{"a,b,y\n,1,0\n,2,1\n", dataset.PrepOptions{}, "f.csv: column a: every cell is missing in the training rows: drop the column (--drop a), or fill missing numbers with zero (--impute zero)"},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, Drop: []string{"n", "colour"}},
			`dropped column: f.csv: no column "colour": the columns are "n", "t", "code", "label", "w" (or 1 to 5 by number)`},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, Drop: []string{"4"}}, "f.csv: cannot drop the label: column label is the label, not a feature"},
		{csv, dataset.PrepOptions{Drop: []string{"w"}}, "f.csv: cannot drop the label: column w is the label, not a feature"},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, WeightCol: "w", Drop: []string{"w"}}, "f.csv: cannot drop the weights: column w is the weights, not a feature"},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, Categorical: []string{"code"}, Drop: []string{"3"}},
			"f.csv: column code is both dropped and categorical: give it to one of them"},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, WeightCol: "w", Drop: []string{"n", "t", "code"}},
			"f.csv: no feature columns: every column is a label, the weights or dropped (n, t, code)"},
		{"c,y\n1,0\n,1\n2,0\n,1\n1,0\n-0,1\n0,1\n", dataset.PrepOptions{Categorical: []string{"c"}, MaxCategories: 2}, // missing is one value; -0 and 0 two
			"column c: 5 distinct values in the training rows, more than the 2 categories allowed"},
		{"c,y\na,0\n,1\nb,0\n,1\na,0\n", dataset.PrepOptions{MaxCategories: 1}, "column c: 3 distinct values in the training rows, more than the 1 categories allowed"},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, Impute: "mode"}, `unknown imputation "mode"`},
		{csv, dataset.PrepOptions{Labels: []string{"label"}, Task: "guess"}, `unknown task "guess"`},
		{"a,b\n,1\n,2\n", dataset.PrepOptions{}, "column a: every cell is missing in the training rows"},
		{"a,b\n1,x\n2,x\n", dataset.PrepOptions{}, `label column b has one class, "x", in the training rows`},
		{"a,b\n1,0.5\n2,1\n", dataset.PrepOptions{Task: dataset.Classify}, "f.csv:2: column 2 (b): label 0.5 is not an integer"},
		{"a,b,w\n1,0,-1\n2,1,1\n", dataset.PrepOptions{Labels: []string{"b"}, WeightCol: "w"}, `f.csv:2: column 3 (w): weight "-1", expected a finite number of 0 or more`},
		{"a,b,w\n1,0,\n2,1,1\n", dataset.PrepOptions{Labels: []string{"b"}, WeightCol: "w"}, "f.csv:2: column 3 (w): the weight is missing"},
		{"a\n1\n", dataset.PrepOptions{}, "no feature columns"},
	} {
		tab, err := readTable(t, c.csv, dataset.ReadOptions{})
		require.NoError(t, err, "case %d", i)
		_, err = dataset.FitPreprocessor(tab, nil, c.opt)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}

func TestTransformErrorsAndNotes(t *testing.T) {
	train, err := readTable(t, "n,c,y,w\n1,a,x,1\n2,b,y,2\n3,a,x,0\n1000,b,y,1\n", dataset.ReadOptions{})
	require.NoError(t, err)
	p, err := dataset.FitPreprocessor(train, []int{0, 1, 2}, dataset.PrepOptions{Labels: []string{"y"}, WeightCol: "w"})
	require.NoError(t, err)
	s, notes, err := p.Transform(train, []int{3})
	require.NoError(t, err)
	assert.Equal(t, []float64{1000, 0, 1}, s.X, "the fit saw rows 0 to 2 only; row 3 is transformed as fitted")
	assert.Equal(t, []float64{1}, s.Weights)
	assert.Equal(t, []string{"x", "y"}, s.ClassNames)
	assert.Empty(t, notes)

	for i, c := range []struct{ csv, want string }{
		{"c,y\na,x\n", `f.csv: no column "n", which the model's features need: the columns are "c", "y"`},
		{"n,c,y\nten,a,x\n", `f.csv:2: column 1 (n): expected a finite number, found "ten"`},
		{"n,c,y\n1,a,z\n", `f.csv:2: column 3 (y): class "z" was not in the training rows, whose classes are "x", "y"`},
		{"n,c,y\n1,a,\n", "f.csv:2: column 3 (y): the label is missing"},
	} {
		tab, err := readTable(t, c.csv, dataset.ReadOptions{})
		require.NoError(t, err, "case %d", i)
		_, _, err = p.Transform(tab, nil)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}

	predict, err := readTable(t, "c,extra,n\nz,1,3\na,2,\n", dataset.ReadOptions{})
	require.NoError(t, err)
	s, notes, err = p.Transform(predict, nil)
	require.NoError(t, err)
	assert.Nil(t, s.Labels, "no label column: a set to predict")
	assert.Nil(t, s.Weights)
	assert.Equal(t, []float64{3, 0, 0, 2, 1, 0}, s.X, "an unseen category is zeros; a missing number the median")
	assert.Equal(t, dataset.Notes{"ignored columns: extra", "column c: 1 rows with categories not seen in training (all zeros)"}, notes)
}

func TestScaleHint(t *testing.T) {
	s := dataset.New([]float64{0, 0, 0, 1, 1, 500, 0.5, 0.5, 0}, []float64{0, 1, 0}, 3)
	assert.Equal(t, "feature c spans 500, 500 times the median span of the others (1): use --scale standard", dataset.ScaleHint(s, []string{"a", "b", "c"}))
	s = dataset.New([]float64{0, 0, 1, 50}, []float64{0, 1}, 2)
	assert.Empty(t, dataset.ScaleHint(s, nil), "50 times is not 100 times")

	tab, err := readTable(t, "a,b,y\n0,0,1.5\n1,1000,2.5\n", dataset.ReadOptions{})
	require.NoError(t, err)
	p, err := dataset.FitPreprocessor(tab, nil, dataset.PrepOptions{})
	require.NoError(t, err)
	_, notes, err := p.Transform(tab, nil)
	require.NoError(t, err)
	assert.Equal(t, dataset.Notes{"feature b spans 1000, 1000 times the median span of the others (1): use --scale standard"}, notes)
}

func TestLabelsAsClassesOrOutputs(t *testing.T) {
	tab, err := readTable(t, "a,y,z\n1,3,0.5\n2,1,1.5\n3,2,2.5\n4,10,3\n", dataset.ReadOptions{})
	require.NoError(t, err)
	p, err := dataset.FitPreprocessor(tab, nil, dataset.PrepOptions{Labels: []string{"y"}, Categorical: []string{"z"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2", "3", "10"}, p.ClassNames, "integer classes sort as numbers")
	assert.Equal(t, dataset.Notes{"label column y: 4 integer values read as 4 classes (for a regression of these numbers, ask for one: a linear output layer, or Task Regress)"}, p.FitNotes())
	assert.Equal(t, []string{"a", "z=0.5", "z=1.5", "z=2.5", "z=3"}, p.FeatureNames())
	s, _, err := p.Transform(tab, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{2, 0, 1, 3}, s.Labels)

	p, err = dataset.FitPreprocessor(tab, nil, dataset.PrepOptions{Labels: []string{"y", "z"}})
	require.NoError(t, err)
	assert.Equal(t, dataset.Regress, p.Task)
	s, _, err = p.Transform(tab, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Outputs)
	assert.Equal(t, []float64{3, 0.5, 1, 1.5, 2, 2.5, 10, 3}, s.Labels)
	sub := s.Subset([]int{3, 0})
	assert.Equal(t, []float64{10, 3, 3, 0.5}, sub.Labels, "Subset keeps each example's outputs")
	y, err := sub.Targets(2)
	require.NoError(t, err)
	assert.Equal(t, sub.Labels, y)
	_, err = sub.Targets(3)
	assert.EqualError(t, err, "the data has 2 label values per example but the network has 3 outputs")
}

func TestTransformRow(t *testing.T) {
	train := loadTable(t, "train.csv")
	p, err := dataset.FitPreprocessor(train, nil, dataset.PrepOptions{Categorical: []string{"zone"}, Scale: dataset.Standardise})
	require.NoError(t, err)
	test := loadTable(t, "test.csv")
	s, _, err := p.Transform(test, nil)
	require.NoError(t, err)
	dst := make([]float64, p.Features())
	for i := 0; i < test.Rows; i++ {
		row := map[string]string{}
		fields := make([]string, len(p.Inputs))
		for _, c := range test.Columns {
			text, _ := c.Text(i)
			row[c.Name] = text
		}
		for k, name := range p.InputNames() {
			fields[k] = row[name]
		}
		require.NoError(t, p.TransformRow(row, dst))
		assert.Equal(t, s.Row(i, nil), dst, "row %d as Transform", i)
		clear(dst)
		require.NoError(t, p.TransformFields(fields, dst))
		assert.Equal(t, s.Row(i, nil), dst, "row %d as Transform", i)
	}
	row := map[string]string{"age": " 40 ", "income": "NA", "color": "red", "city": "Boston", "zone": "2.0"}
	allocs := testing.AllocsPerRun(100, func() { require.NoError(t, p.TransformRow(row, dst)) })
	assert.Zero(t, allocs, "TransformRow allocates nothing")
	assert.Equal(t, 1.0, dst[p.Features()-2], "zone 2.0 is the code 2")

	delete(row, "city")
	assert.EqualError(t, p.TransformRow(row, dst), `no cell for column "city", which the model's features need`)
	row["city"], row["age"] = "Boston", "old"
	assert.EqualError(t, p.TransformRow(row, dst), `column age: expected a finite number, found "old" (the column held numbers in training)`)
	assert.ErrorContains(t, p.TransformRow(row, dst[:3]), "dst holds 3 values, expected 15 features")
}

func TestPreprocessorJSONRoundTrip(t *testing.T) {
	p, err := dataset.FitPreprocessor(loadTable(t, "train.csv"), nil, dataset.PrepOptions{Categorical: []string{"zone"}, Scale: dataset.MinMax})
	require.NoError(t, err)
	js, err := json.Marshal(p)
	require.NoError(t, err)
	var back dataset.Preprocessor
	require.NoError(t, json.Unmarshal(js, &back))
	test := loadTable(t, "test.csv")
	a, _, err := p.Transform(test, nil)
	require.NoError(t, err)
	b, _, err := back.Transform(test, nil)
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.ErrorContains(t, json.Unmarshal([]byte(`{"inputs":[],"labels":["y"],"task":"regress","impute":"median","scale":"none"}`), &back),
		"0 inputs and 1 labels")
}

// zeros is an endless run of zero bytes: a line that never ends.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestReadTableBounds checks that a line past MaxLine and a line of more
// fields than MaxColumns are refused, before the line is held.
func TestReadTableBounds(t *testing.T) {
	_, err := dataset.ReadTable(io.MultiReader(strings.NewReader("a,b\n1,2\n"), zeros{}), "zeros.csv", dataset.ReadOptions{})
	require.EqualError(t, err, "zeros.csv:3: a line longer than 64 MiB: not a CSV file")
	_, err = dataset.ReadTable(strings.NewReader(strings.Repeat(",", dataset.MaxColumns)+"\n"), "wide.csv", dataset.ReadOptions{})
	require.EqualError(t, err, "wide.csv:1: 1048577 fields, more than the 1048576 columns a table may have")
}

// TestLabelError checks that FitPreprocessor's errors of the label columns
// are a *LabelError naming them, and those of the features are not.
func TestLabelError(t *testing.T) {
	tab, err := readTable(t, "a,b,y\n1,x,0\n2,y,\n", dataset.ReadOptions{})
	require.NoError(t, err)
	_, err = dataset.FitPreprocessor(tab, nil, dataset.PrepOptions{})
	var le *dataset.LabelError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, []string{"y"}, le.Columns)
	assert.EqualError(t, err, "f.csv:3: column 3 (y): the label is missing: drop the rows without one (--drop-unlabelled)")
	_, err = dataset.FitPreprocessor(tab, nil, dataset.PrepOptions{Labels: []string{"a"}, MaxCategories: 1})
	require.Error(t, err)
	assert.False(t, errors.As(err, &le), "a feature's error: %v", err)
}

// TestLabelErrorOfTransform checks that Transform's errors of the label
// columns are a *LabelError too.
func TestLabelErrorOfTransform(t *testing.T) {
	tab, err := readTable(t, "a,y\n1,0\n2,1\n3,\n", dataset.ReadOptions{})
	require.NoError(t, err)
	p, err := dataset.FitPreprocessor(tab, []int{0, 1}, dataset.PrepOptions{})
	require.NoError(t, err)
	_, _, err = p.Transform(tab, []int{2})
	var le *dataset.LabelError
	require.ErrorAs(t, err, &le)
	assert.EqualError(t, err, "f.csv:4: column 2 (y): the label is missing: drop the rows without one (--drop-unlabelled)")
}

// TestLabelledRows checks the rows whose label columns all have a value:
// by default the last column, several columns by name or number, in the
// file's order; and the error of an unknown column.
func TestLabelledRows(t *testing.T) {
	tab, err := readTable(t, "a,y1,y2\n1,0,x\n2,,y\n3,1,\n4,1,z\n", dataset.ReadOptions{})
	require.NoError(t, err)
	labelled, unlabelled, err := tab.LabelledRows(nil)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 3}, labelled, "y2, the last column")
	assert.Equal(t, []int{2}, unlabelled)
	labelled, unlabelled, err = tab.LabelledRows([]string{"y1", "3"})
	require.NoError(t, err)
	assert.Equal(t, []int{0, 3}, labelled)
	assert.Equal(t, []int{1, 2}, unlabelled)
	_, _, err = tab.LabelledRows([]string{"z"})
	assert.ErrorContains(t, err, `label column: f.csv: no column "z"`)
}

// TestDecimalComma reads numbers written with a decimal comma: as numbers
// with Decimal ',' (the header told apart from them, a point in such a
// cell making it text), and as text with a note naming the flag without
// it; and refuses a comma that is the separator too, or another mark.
func TestDecimalComma(t *testing.T) {
	const csv = "price;qty;code;y\n1234,56;3;1,2,3;a\n12,5;-4;x;b\n7;1,0;y;a\n"
	tab, err := readTable(t, csv, dataset.ReadOptions{Decimal: ','})
	require.NoError(t, err)
	assert.True(t, tab.Header)
	assert.Equal(t, []float64{1234.56, 12.5, 7}, tab.Columns[0].Numbers)
	assert.Equal(t, []float64{3, -4, 1}, tab.Columns[1].Numbers)
	assert.True(t, tab.Columns[2].IsText(), "1,2,3 is no number")
	assert.Empty(t, tab.Notes)
	tab, err = readTable(t, "a;b\n1,5;x\n1.234,5;y\n", dataset.ReadOptions{Decimal: ','})
	require.NoError(t, err)
	assert.Equal(t, []string{"1,5", "1.234,5"}, tab.Columns[0].Values, "thousands points are not read: text, as written")
	tab, err = readTable(t, "a;b\n1,5;x\n1.234;y\n", dataset.ReadOptions{Decimal: ','})
	require.NoError(t, err)
	assert.Equal(t, []string{"1,5", "1.234"}, tab.Columns[0].Values, "a point is no decimal mark: 1.234 is not read as 1.234 (it may mean 1234)")

	tab, err = readTable(t, csv, dataset.ReadOptions{})
	require.NoError(t, err)
	assert.True(t, tab.Columns[0].IsText())
	assert.Equal(t, dataset.Notes{"column price: its cells are numbers written with a decimal comma (such as 1234,56): they read as text, a category each; " +
		"--decimal , reads them as numbers",
		"column qty: its cells are numbers written with a decimal comma (such as 1,0): they read as text, a category each; --decimal , reads them as numbers"}, tab.Notes)

	_, err = readTable(t, "a,b\n1,2\n", dataset.ReadOptions{Decimal: ','})
	assert.EqualError(t, err, `f.csv: the decimal mark and the separator are both ",": a decimal comma needs another separator (;, tab or |)`)
	_, err = readTable(t, "a;b\n1;2\n", dataset.ReadOptions{Decimal: '\''})
	assert.EqualError(t, err, `f.csv: decimal mark '\'': expected . or ,`)
}

// TestEncodings reads a file of Windows-1252 text: refused as UTF-8 with
// the file, line, column and cell, read with Encoding (by two of its
// labels); UTF-16 after a byte order mark, little- and big-endian, from a
// file and from a reader that cannot seek, with no option; and refuses an
// unknown encoding and a header that is not UTF-8.
func TestEncodings(t *testing.T) {
	cp1252 := []byte("ville;prix\nParis;3\nCaf\xe9;4\nGen\xe8ve \x80;5\n")
	_, err := dataset.ReadTable(bytes.NewReader(cp1252), "f.csv", dataset.ReadOptions{})
	assert.EqualError(t, err, `f.csv:3: column 1 (ville): "Caf\xe9" is not UTF-8 text: the file is in another encoding, such as Windows-1252 (Latin-1), `+
		`in which spreadsheets in Western Europe save CSV files: give its encoding (--encoding windows-1252), or save the file as UTF-8`)
	_, err = dataset.ReadTable(bytes.NewReader(cp1252), "f.csv", dataset.ReadOptions{Encoding: "utf-8"})
	assert.ErrorContains(t, err, `"Caf\xe9" is not UTF-8 text`)
	for _, label := range []string{"windows-1252", "latin1"} {
		tab, err := dataset.ReadTable(bytes.NewReader(cp1252), "f.csv", dataset.ReadOptions{Encoding: label})
		require.NoError(t, err, label)
		assert.Equal(t, []string{"Paris", "Café", "Genève €"}, tab.Columns[0].Values, label)
		assert.Equal(t, []float64{3, 4, 5}, tab.Columns[1].Numbers, label)
	}

	text := "ville;prix\nZürich;3\n東京;4\n"
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		units := utf16.Encode([]rune("\ufeff" + text))
		data := make([]byte, 2*len(units))
		for i, u := range units {
			order.PutUint16(data[2*i:], u)
		}
		path := filepath.Join(t.TempDir(), "utf16.csv")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		tab, err := dataset.LoadTable(path, dataset.ReadOptions{})
		require.NoError(t, err, order)
		assert.Equal(t, []string{"Zürich", "東京"}, tab.Columns[0].Values, order)
		tab, err = dataset.ReadTable(struct{ io.Reader }{bytes.NewReader(data)}, "pipe", dataset.ReadOptions{})
		require.NoError(t, err, "%v, a reader that cannot seek", order)
		assert.Equal(t, []float64{3, 4}, tab.Columns[1].Numbers, order)
	}

	_, err = dataset.ReadTable(strings.NewReader(text), "f.csv", dataset.ReadOptions{Encoding: "klingon"})
	assert.EqualError(t, err, `f.csv: unknown encoding "klingon": expected one of WHATWG's names, such as utf-8, windows-1252, latin1, iso-8859-15, shift_jis or utf-16le`)
	_, err = dataset.ReadTable(strings.NewReader("caf\xe9;prix\nx;1\n"), "f.csv", dataset.ReadOptions{})
	assert.ErrorContains(t, err, `f.csv:1: column 1: "caf\xe9" is not UTF-8 text`)
}
