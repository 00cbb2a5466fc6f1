package benchmarks

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// makeTabular runs tabular/make_tabular.py into a new folder and returns it;
// the test is skipped where /usr/bin/python3 has no NumPy.
func makeTabular(t *testing.T, args ...string) string {
	t.Helper()
	if exec.Command("/usr/bin/python3", "-c", "import numpy").Run() != nil {
		t.Skip("/usr/bin/python3 with NumPy is needed to run tabular/make_tabular.py")
	}
	dir := t.TempDir()
	out, err := exec.Command("/usr/bin/python3", append([]string{"tabular/make_tabular.py", dir}, args...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return dir
}

// readTable reads a CSV written by make_tabular.py: its header and a map from
// each column's name to its cells.
func readTable(t *testing.T, path string) ([]string, map[string][]string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err, "%s: every row as wide as the header", path)
	require.NotEmpty(t, rows)
	cols := map[string][]string{}
	for _, row := range rows[1:] {
		for i, name := range rows[0] {
			cols[name] = append(cols[name], row[i])
		}
	}
	return rows[0], cols
}

// distinct returns the set of cells of a column, missing markers left out.
func distinct(cells []string) map[string]bool {
	set := map[string]bool{}
	for _, c := range cells {
		if !missing(c) {
			set[c] = true
		}
	}
	return set
}

func missing(cell string) bool { return cell == "" || cell == "?" || cell == "NA" }

// TestMakeTabular checks what the tabular comparison relies on in the files
// make_tabular.py writes: their sizes, the same bytes for the same seed,
// numeric and text columns each with all three missing markers, a heavy-tailed
// capital_gain, about 40 countries, a text label of two classes with both
// present, and a test file with its columns reordered, one extra column and
// categories the training file never has.
func TestMakeTabular(t *testing.T) {
	dir := makeTabular(t, "--train-rows", "6000", "--test-rows", "2000", "--seed", "5")
	again := makeTabular(t, "--train-rows", "6000", "--test-rows", "2000", "--seed", "5")
	for _, name := range []string{"train.csv", "test.csv"} {
		a, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(again, name))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "%s differs between two runs with seed 5", name)
	}

	header, train := readTable(t, filepath.Join(dir, "train.csv"))
	testHeader, test := readTable(t, filepath.Join(dir, "test.csv"))
	assert.Len(t, train["income"], 6000)
	assert.Len(t, test["income"], 2000)
	assert.Equal(t, "income", header[len(header)-1], "the label is train.csv's last column")

	assert.NotEqual(t, header, testHeader[:len(header)], "test.csv's columns are in another order")
	extra := slices.DeleteFunc(slices.Clone(testHeader), func(c string) bool { return slices.Contains(header, c) })
	assert.Equal(t, []string{"record_id"}, extra, "test.csv has one column train.csv has not")
	for _, c := range header {
		assert.Contains(t, testHeader, c, "test.csv has train.csv's column %s", c)
	}

	numeric := []string{"age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"}
	for name, cells := range train {
		for i, c := range cells {
			if slices.Contains(numeric, name) && !missing(c) {
				_, err := strconv.ParseFloat(c, 64)
				require.NoError(t, err, "train.csv column %s row %d: a number or a missing marker", name, i+1)
			}
		}
		if name == "income" {
			continue
		}
		markers := map[string]int{}
		for _, c := range cells {
			if missing(c) {
				markers[c]++
			}
		}
		if slices.Contains([]string{"age", "hours_per_week", "workclass", "occupation", "native_country"}, name) {
			assert.Len(t, markers, 3, "train.csv column %s has all of \"\", \"?\" and \"NA\": %v", name, markers)
		} else {
			assert.NotEmpty(t, markers, "train.csv column %s has missing cells", name)
		}
	}

	assert.Equal(t, map[string]bool{">50K": true, "<=50K": true}, distinct(train["income"]))
	assert.Equal(t, map[string]bool{">50K": true, "<=50K": true}, distinct(test["income"]))
	positive := 0
	for _, c := range train["income"] {
		if c == ">50K" {
			positive++
		}
	}
	assert.InDelta(t, 0.25, float64(positive)/6000, 0.05, "about a quarter earn >50K, as in the census")

	var gains []float64
	for _, c := range train["capital_gain"] {
		if g, err := strconv.ParseFloat(c, 64); err == nil {
			gains = append(gains, g)
		}
	}
	slices.Sort(gains)
	assert.Zero(t, gains[len(gains)/2], "most capital gains are 0")
	assert.Equal(t, 99999.0, gains[len(gains)-1], "and a few reach 99999")

	countries := distinct(train["native_country"])
	assert.GreaterOrEqual(t, len(countries), 25, "native_country has many values")
	assert.LessOrEqual(t, len(countries), 41)
	assert.True(t, distinct(train["occupation"])["Handlers, cleaners"], "a category holds the separator, so it is quoted")
	for _, col := range []string{"workclass", "occupation", "native_country"} {
		seen := distinct(train[col])
		var unseen []string
		for c := range distinct(test[col]) {
			if !seen[c] {
				unseen = append(unseen, c)
			}
		}
		assert.NotEmpty(t, unseen, "test.csv has %s categories train.csv has not", col)
	}
}
