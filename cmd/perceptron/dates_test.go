package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// rides writes n taxi rides, "pickup,fare,late" or in another order: a ride
// is late when picked up from 20:00 to 03:59, which only the pickup's hour
// tells; the fare is noise.
func rides(n int, columns string) string {
	var b strings.Builder
	b.WriteString(columns + "\n")
	for i := range n {
		hour, minute := (i*7)%24, (i*13)%60
		pickup := fmt.Sprintf("2019-03-%02d %02d:%02d:%02d", 1+i%28, hour, minute, i%60)
		if i%5 == 0 {
			pickup = fmt.Sprintf("2019-03-%02dT%02d:%02dZ", 1+i%28, hour, minute)
		}
		late := "no"
		if hour >= 20 || hour < 4 {
			late = "yes"
		}
		fare := fmt.Sprint(5 + (i*31)%20)
		cells := map[string]string{"pickup": pickup, "fare": fare, "late": late}
		var row []string
		for _, c := range strings.Split(columns, ",") {
			row = append(row, cells[c])
		}
		b.WriteString(strings.Join(row, ",") + "\n")
	}
	return b.String()
}

// TestDates trains on a CSV of date-times, which become the parts of the
// pickup's date, and evaluates, predicts and serves with files whose
// columns come in another order; a cell that is not a date is an error
// naming where it is.
func TestDates(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "train.csv", rides(480, "pickup,fare,late"))
	write(t, dir, "test.csv", rides(96, "late,fare,pickup"))
	write(t, dir, "requests.csv", "fare,pickup\n10,2019-03-05 22:30:00\n10,2019-03-05T12:00+01:00\n12,\n")

	r := perceptron(t, dir, "train", "--data", "csv:train.csv", "--label-col", "late", "--layers", "16:relu,2:softmax",
		"--optimizer", "adam", "--lr", "0.01", "--batch", "8", "--epochs", "80", "--json", "--history", "", "--plot", "")
	require.Equal(t, 0, r.code, r.stderr)
	var sum summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
	assert.Equal(t, 6, sum.Inputs, "pickup's year, month, day, weekday and hour, and the fare")
	m, err := modelfile.Load(filepath.Join(dir, "model.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, []string{"pickup:year", "pickup:month", "pickup:day", "pickup:weekday", "pickup:hour", "fare"}, m.Prep.FeatureNames())
	assert.Equal(t, dataset.DateTimeInput, m.Prep.Inputs[0].Kind)

	r = perceptron(t, dir, "eval", "--model", "model.safetensors", "--data", "csv:test.csv", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var met metricsJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &met))
	assert.Equal(t, 96, met.N)
	require.NotNil(t, met.Accuracy)
	assert.Greater(t, *met.Accuracy, 0.9, "the hour tells late rides")

	r = perceptron(t, dir, "predict", "--model", "model.safetensors", "--input", "requests.csv", "--class")
	require.Equal(t, 0, r.code, r.stderr)
	classes := strings.Fields(r.stdout)
	require.Len(t, classes, 3)
	assert.Equal(t, []string{"yes", "no"}, classes[:2], "22:30 is late, noon is not (its zone not applied)")

	s := serving(t, dir, "--model", "model.safetensors", "--name", "rides")
	out := s.infer(t, "rides", `{"inputs":[{"name":"pickup","shape":[3],"datatype":"BYTES","data":["2019-03-05 22:30:00","2019-03-05T12:00+01:00",""]},
		{"name":"fare","shape":[3],"datatype":"BYTES","data":["10","10","12"]}]}`)
	var served []string
	require.NoError(t, json.Unmarshal(out["class"], &served))
	assert.Equal(t, classes, served, "serve reads dates as predict does")
	res, err := http.Post(s.url+"/v2/models/rides/infer", "application/json", strings.NewReader(
		`{"inputs":[{"name":"pickup","shape":[1],"datatype":"BYTES","data":["5 March"]},{"name":"fare","shape":[1],"datatype":"BYTES","data":["10"]}]}`))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "a request whose date is no date")

	write(t, dir, "bad.csv", "fare,pickup\n10,2019-03-05 22:30:00\n11,05/03/2019 22:30\n")
	r = perceptron(t, dir, "predict", "--model", "model.safetensors", "--input", "bad.csv")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `bad.csv:3: column 2 (pickup): "05/03/2019 22:30" is not a date: expected ISO 8601 dates or date-times: 2006-01-02,`)
}
