package dataset_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// datesPrep fits the preprocessor of the date goldens (testdata/tabular/make_dates.py).
func datesPrep(t *testing.T) *dataset.Preprocessor {
	t.Helper()
	p, err := dataset.FitPreprocessor(loadTable(t, "dates_train.csv"), nil, dataset.PrepOptions{Scale: dataset.Standardise})
	require.NoError(t, err)
	return p
}

func TestDatesMatchPandas(t *testing.T) {
	g := loadGolden(t, "dates")
	p := datesPrep(t)
	assert.Equal(t, g.Features, p.FeatureNames())
	assert.Equal(t, []dataset.InputKind{dataset.DateTimeInput, dataset.DateTimeInput, dataset.NumericInput},
		[]dataset.InputKind{p.Inputs[0].Kind, p.Inputs[1].Kind, p.Inputs[2].Kind})
	train, notes, err := p.Transform(loadTable(t, "dates_train.csv"), nil)
	require.NoError(t, err)
	assert.Empty(t, notes)
	sameMatrix(t, g.Train, train)
	assert.Equal(t, g.TrainLabels, train.Labels)
	test, notes, err := p.Transform(loadTable(t, "dates_test.csv"), nil) // columns reordered
	require.NoError(t, err)
	assert.Empty(t, notes)
	sameMatrix(t, g.Test, test)
	assert.Equal(t, g.TestLabels, test.Labels)

	// The parts before scaling: 20:21:09 is 20.3525 hours.
	raw, err := dataset.FitPreprocessor(loadTable(t, "dates_train.csv"), nil, dataset.PrepOptions{})
	require.NoError(t, err)
	s, _, err := raw.Transform(loadTable(t, "dates_train.csv"), []int{0, 3})
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{2019, 3, 23, 5, 20.3525, 2019, 3, 23, 5, 1.5}, s.Row(0, nil), 1e-12, "Saturday 2019-03-23 20:21:09")
	assert.Equal(t, []float64{2019, 3, 10, 6, 0, 2019, 3, 10, 6, 0.5}, s.Row(1, nil), "a date alone is midnight")
}

// fitColumn fits a preprocessor on a table of a feature column x of cells,
// and one more missing, and a label y.
func fitColumn(t *testing.T, cells []string, opt dataset.PrepOptions) (*dataset.Preprocessor, error) {
	t.Helper()
	csv := "x,y\n"
	for i, c := range append(cells, "") { // a missing cell, and two classes

		csv += c + "," + []string{"a", "b"}[i%2] + "\n"
	}
	tab, err := readTable(t, csv, dataset.ReadOptions{})
	require.NoError(t, err)
	return dataset.FitPreprocessor(tab, nil, opt)
}

func TestDateDetection(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cells []string
		kind  dataset.InputKind
		parts int
	}{
		{"dates", []string{"2019-03-23", "2020-02-29", ""}, dataset.DateTimeInput, 4},
		{"minutes", []string{"2019-03-23 20:21", "2019-03-24 00:00"}, dataset.DateTimeInput, 5},
		{"seconds", []string{"2019-03-23 20:21:09", "2019-03-24 00:00:00"}, dataset.DateTimeInput, 5},
		{"T", []string{"2019-03-23T20:21:09", "2019-03-24T01:02"}, dataset.DateTimeInput, 5},
		{"zones", []string{"2019-03-23T20:21:09Z", "2019-03-24 01:02+02:00", "2019-03-24 01:02:03-0530"}, dataset.DateTimeInput, 5},
		{"fractions", []string{"2019-03-23 20:21:09.5", "2019-03-24T01:02:03.123456789Z"}, dataset.DateTimeInput, 5},
		{"dates and date-times", []string{"2019-03-23", "2019-03-24 12:00"}, dataset.DateTimeInput, 5},
		{"one bad cell", []string{"2019-03-23", "2019-03-24", "soon"}, dataset.CategoricalInput, 0},
		{"day past the month", []string{"2019-03-23", "2019-02-29"}, dataset.CategoricalInput, 0},
		{"hour 24", []string{"2019-03-23 24:00"}, dataset.CategoricalInput, 0},
		{"fraction of minutes", []string{"2019-03-23 20:21.5"}, dataset.CategoricalInput, 0},
		{"zone without time", []string{"2019-03-23Z"}, dataset.CategoricalInput, 0},
		{"bad zone", []string{"2019-03-23 20:21+2"}, dataset.CategoricalInput, 0},
		{"US dates", []string{"03/23/2019", "03/24/2019"}, dataset.CategoricalInput, 0},
		{"numbers", []string{"20190323", "20190324"}, dataset.NumericInput, 0},
		{"numbers and text", []string{"20190323", "x"}, dataset.CategoricalInput, 0},
		{"all missing", []string{"", "NA"}, dataset.NumericInput, 0},
	} {
		p, err := fitColumn(t, tc.cells, dataset.PrepOptions{Impute: dataset.ImputeZero})
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.kind, p.Inputs[0].Kind, tc.name)
		assert.Len(t, p.Inputs[0].Parts, tc.parts, tc.name)
	}
	p, err := fitColumn(t, []string{"2019-03-23", "2019-03-24"}, dataset.PrepOptions{Categorical: []string{"x"}})
	require.NoError(t, err)
	assert.Equal(t, dataset.CategoricalInput, p.Inputs[0].Kind, "forced categorical")
	assert.Equal(t, []string{"x=<missing>", "x=2019-03-23", "x=2019-03-24"}, p.FeatureNames())
}

func TestDateTooManyCategoriesHint(t *testing.T) {
	var cells []string
	for d := 1; d <= 28; d++ {
		cells = append(cells, fmt.Sprintf("03/%02d/2019", d))
	}
	_, err := fitColumn(t, cells, dataset.PrepOptions{MaxCategories: 10})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `29 distinct values in the training rows, more than the 10 categories allowed`)
	assert.Contains(t, err.Error(), `(--max-categories 29); "03/01/2019" looks like a date, but only ISO 8601 dates and date-times (2006-01-02, 2006-01-02 15:04:05) are read as dates`)
	cells[0] = "red"
	_, err = fitColumn(t, cells, dataset.PrepOptions{MaxCategories: 10})
	assert.NotContains(t, err.Error(), "looks like a date")
}

func TestDateErrors(t *testing.T) {
	p := datesPrep(t)
	test, err := readTable(t, "y,n,day,when\na,1,2019-03-01,2019-03-01\nb,2,2019-03-02,03/02/2019 10:00\n", dataset.ReadOptions{})
	require.NoError(t, err)
	_, _, err = p.Transform(test, nil)
	assert.EqualError(t, err, `f.csv:3: column 4 (when): "03/02/2019 10:00" is not a date: expected `+dataset.DateLayouts+`, as in the training rows`)
	_, _, err = p.TransformParts(test, []int{0}, []int{1})
	assert.ErrorContains(t, err, `f.csv:3: column 4 (when): "03/02/2019 10:00" is not a date`)
	numbers, err := readTable(t, "y,n,day,when\na,1,20190301,2019-03-01\n", dataset.ReadOptions{})
	require.NoError(t, err)
	_, _, err = p.Transform(numbers, nil)
	assert.ErrorContains(t, err, `f.csv:2: column 3 (day): "20190301" is not a date`)

	dst := make([]float64, p.Features())
	row := map[string]string{"when": "2019-03-01 25:00", "day": "", "n": "1"}
	assert.EqualError(t, p.TransformRow(row, dst), `column when: "2019-03-01 25:00" is not a date: expected `+dataset.DateLayouts+`, as in the training rows`)
	assert.ErrorContains(t, p.TransformFields([]string{"2019-03-01", "tomorrow", "1"}, dst), `column day: "tomorrow" is not a date`)
}

func TestDatesTransformRow(t *testing.T) {
	p := datesPrep(t)
	test := loadTable(t, "dates_test.csv")
	s, _, err := p.Transform(test, nil)
	require.NoError(t, err)
	dst := make([]float64, p.Features())
	for i := 0; i < test.Rows; i++ {
		row := map[string]string{}
		for _, c := range test.Columns {
			row[c.Name], _ = c.Text(i)
		}
		clear(dst)
		require.NoError(t, p.TransformRow(row, dst))
		assert.Equal(t, s.Row(i, nil), dst, "row %d as Transform", i)
		fields := []string{row["when"], row["day"], row["n"]}
		clear(dst)
		require.NoError(t, p.TransformFields(fields, dst))
		assert.Equal(t, s.Row(i, nil), dst, "row %d as Transform", i)
	}
	row := map[string]string{"when": " 2019-03-27 17:53:01.25+02:00 ", "day": "NA", "n": "2"}
	allocs := testing.AllocsPerRun(100, func() { require.NoError(t, p.TransformRow(row, dst)) })
	assert.Zero(t, allocs, "TransformRow allocates nothing")
	fields := []string{"2019-03-04T16:11:55Z", "2019-03-04", "?"}
	allocs = testing.AllocsPerRun(100, func() { require.NoError(t, p.TransformFields(fields, dst)) })
	assert.Zero(t, allocs, "TransformFields allocates nothing")
}

func TestDatesTransformParts(t *testing.T) {
	p := datesPrep(t)
	want, _, err := p.Transform(loadTable(t, "dates_train.csv"), []int{5, 0, 7})
	require.NoError(t, err)
	want2, _, err := p.Transform(loadTable(t, "dates_train.csv"), []int{1, 2})
	require.NoError(t, err)
	sets, _, err := p.TransformParts(loadTable(t, "dates_train.csv"), []int{5, 0, 7}, []int{1, 2})
	require.NoError(t, err)
	assert.Equal(t, want, sets[0])
	assert.Equal(t, want2, sets[1])
}

func TestDatesJSON(t *testing.T) {
	p := datesPrep(t)
	js, err := json.Marshal(p)
	require.NoError(t, err)
	assert.Contains(t, string(js), `{"name":"day","kind":"datetime","fill":0,"offset":0,"scale":1,"categories":null,"parts":[{"part":"year","fill":2019,`)
	assert.Equal(t, 2, strings.Count(string(js), `"parts"`), "the numeric input has no parts: its JSON is as before")
	var back dataset.Preprocessor
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, p.FeatureNames(), back.FeatureNames())
	a, _, err := p.Transform(loadTable(t, "dates_test.csv"), nil)
	require.NoError(t, err)
	b, _, err := back.Transform(loadTable(t, "dates_test.csv"), nil)
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

func TestDatesValidate(t *testing.T) {
	const prep = `{"inputs":[%s],"labels":["y"],"task":"regress","impute":"median","scale":"none"}`
	const part = `{"part":"%s","fill":1,"offset":0,"scale":%s}`
	valid := `{"name":"t","kind":"datetime","fill":0,"offset":0,"scale":1,"parts":[` + fmt.Sprintf(part, "year", "1") + `,` + fmt.Sprintf(part, "hour", "0.5") + `]}`
	var p dataset.Preprocessor
	require.NoError(t, json.Unmarshal([]byte(fmt.Sprintf(prep, valid)), &p))
	assert.Equal(t, []string{"t:year", "t:hour"}, p.FeatureNames())
	for _, tc := range []struct{ input, err string }{
		{`{"name":"t","kind":"datetime","fill":0,"offset":0,"scale":1}`, "0 parts: a date-time input has 0, 0, 1, no categories and some parts"},
		{`{"name":"t","kind":"datetime","fill":0,"offset":0,"scale":1,"parts":[]}`, "0 parts: a date-time input has"},
		{`{"name":"t","kind":"datetime","fill":0,"offset":0,"scale":2,"parts":[` + fmt.Sprintf(part, "year", "1") + `]}`, "scale 2, 0 categories and 1 parts"},
		{`{"name":"t","kind":"datetime","fill":0,"offset":0,"scale":1,"categories":["a"],"parts":[` + fmt.Sprintf(part, "year", "1") + `]}`, "1 categories"},
		{`{"name":"t","kind":"datetime","fill":0,"offset":0,"scale":1,"parts":[` + fmt.Sprintf(part, "minute", "1") + `]}`, `part "minute", expected "year", "month", "day", "weekday", "hour"`},
		{`{"name":"t","kind":"datetime","fill":0,"offset":0,"scale":1,"parts":[` + fmt.Sprintf(part, "hour", "1") + `,` + fmt.Sprintf(part, "year", "1") + `]}`, `part "year" after "hour": expected the parts in the order`},
		{`{"name":"t","kind":"datetime","fill":0,"offset":0,"scale":1,"parts":[` + fmt.Sprintf(part, "day", "1") + `,` + fmt.Sprintf(part, "day", "1") + `]}`, `part "day" after "day"`},
		{`{"name":"t","kind":"datetime","fill":0,"offset":0,"scale":1,"parts":[` + fmt.Sprintf(part, "month", "0") + `]}`, "part month: fill 1, offset 0 and scale 0: expected finite ones and a scale other than 0"},
		{`{"name":"t","kind":"numeric","fill":0,"offset":0,"scale":1,"parts":[` + fmt.Sprintf(part, "year", "1") + `]}`, "input t: 1 parts: only a date-time input has parts"},
		{`{"name":"t","kind":"dates","fill":0,"offset":0,"scale":1}`, `kind "dates", expected "numeric", "categorical", "codes" or "datetime"`},
	} {
		var p dataset.Preprocessor
		assert.ErrorContains(t, json.Unmarshal([]byte(fmt.Sprintf(prep, tc.input)), &p), tc.err, tc.input)
	}
}
