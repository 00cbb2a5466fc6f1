package serve

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// saved writes a 2-input network of dtype with a standard scaler, or a
// network over the preprocessing of a table with a text column, and loads
// it for serving.
func saved(t testing.TB, dtype engine.DType, tabular bool) (Model, modelfile.Model) {
	t.Helper()
	layers, err := engine.ParseLayers("5:relu,3:softmax")
	require.NoError(t, err)
	m := modelfile.Model{Scaler: &dataset.Scaler{Kind: dataset.Standardise, Offset: []float64{1, -2}, Scale: []float64{0.5, 4}}}
	inputs := 2
	if tabular {
		tab, err := dataset.ReadTable(strings.NewReader("a,color,label\n1,red,x\n,blue,y\n5,green,z\n7,,x\n"), "t.csv", dataset.ReadOptions{})
		require.NoError(t, err)
		m.Prep, err = dataset.FitPreprocessor(tab, nil, dataset.PrepOptions{Scale: dataset.Standardise})
		require.NoError(t, err)
		m.Scaler, inputs = nil, m.Prep.Features()
	}
	m.Network, err = engine.NewNetwork(engine.Spec{Inputs: inputs, Layers: layers, Loss: engine.CE, DType: dtype}, engine.InitAuto, engine.NewRNG(3))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, modelfile.Save(path, m))
	served, err := Load(path, cpu.New())
	require.NoError(t, err)
	return served, m
}

func TestServesModelFiles(t *testing.T) {
	for _, dtype := range []engine.DType{engine.Float32, engine.Float64} {
		served, m := saved(t, dtype, false)
		_, url := start(t, served, testConfig())
		assert.Contains(t, do(t, "GET", url+"/v2/models/m", "").body, `"inputs":[{"name":"input","datatype":"`+map[engine.DType]string{engine.Float32: "FP32", engine.Float64: "FP64"}[dtype]+`","shape":[-1,2]}]`)
		rows := []float64{0.5, 1, -3, 2.25, 7, 0}
		x := append([]float64(nil), rows...)
		m.Scaler.Apply(x)
		want, err := engine.Predict(cpu.New(), m.Network, x, 3)
		require.NoError(t, err)

		r := infer(t, url, `{"inputs":[{"name":"input","shape":[3,2],"datatype":"FP64","data":[[0.5,1],[-3,2.25],[7,0]]}]}`)
		var got []float64
		require.NoError(t, json.Unmarshal(r.Outputs[0].Data, &got))
		assert.InDeltaSlice(t, want, got, 1e-6, "%v: the scaler applied, outputs as engine.Predict's (to float32's last bits: a batch and one row sum in other orders)", dtype)

		r = infer(t, url, `{"inputs":[{"name":"input","shape":[3,2],"datatype":"FP32","data":[0.5,1,-3,2.25,7,0]}]}`)
		var got32 []float32
		require.NoError(t, json.Unmarshal(r.Outputs[0].Data, &got32))
		for i := range want {
			assert.InDelta(t, want[i], float64(got32[i]), 1e-6, "%v: output %d in FP32", dtype, i)
		}
	}
}

func TestServesTabularModels(t *testing.T) {
	served, m := saved(t, engine.Float64, true)
	_, url := start(t, served, testConfig())
	assert.JSONEq(t, `{"name":"m","versions":[],"platform":"perceptron",
		"inputs":[{"name":"a","datatype":"BYTES","shape":[-1]},{"name":"color","datatype":"BYTES","shape":[-1]}],
		"outputs":[{"name":"output","datatype":"FP64","shape":[-1,3]},{"name":"class","datatype":"BYTES","shape":[-1]}]}`,
		do(t, "GET", url+"/v2/models/m", "").body)

	rows := []map[string]string{{"a": "3", "color": "blue"}, {"a": "", "color": "purple"}, {"a": "2.5", "color": ""}}
	var want []float64
	var classes []string
	for _, row := range rows {
		x := make([]float64, m.Prep.Features())
		require.NoError(t, m.Prep.TransformRow(row, x))
		out, err := engine.Predict(cpu.New(), m.Network, x, 1)
		require.NoError(t, err)
		want = append(want, out...)
		classes = append(classes, m.Prep.ClassNames[engine.PredictedClass(out)])
	}
	r := infer(t, url, `{"inputs":[{"name":"color","shape":[3],"datatype":"BYTES","data":["blue","purple",null]},
		{"name":"a","shape":[3,1],"datatype":"FP64","data":[[3],[null],[2.5]]}]}`)
	require.Len(t, r.Outputs, 2)
	var got []float64
	require.NoError(t, json.Unmarshal(r.Outputs[0].Data, &got))
	assert.InDeltaSlice(t, want, got, 1e-12, "the rows through the model's preprocessing, columns in any order")
	assert.Equal(t, []int{3, 3}, r.Outputs[0].Shape)
	var gotClasses []string
	require.NoError(t, json.Unmarshal(r.Outputs[1].Data, &gotClasses))
	assert.Equal(t, classes, gotClasses)

	col := func(name, dtype, shape, data string) string {
		return `{"name":"` + name + `","datatype":"` + dtype + `","shape":` + shape + `,"data":` + data + `}`
	}
	color := col("color", "BYTES", "[1]", `["red"]`)
	for i, c := range []struct{ inputs, want string }{
		{color, `no input for the columns "a": the model takes one BYTES input per column`},
		{color + "," + col("a", "BYTES", "[1]", `["x"]`), `row 0: predict: column a: `},
		{color + "," + col("b", "BYTES", "[1]", `["1"]`), `unknown input "b": the model's inputs are its columns, "a", "color"`},
		{color + "," + color, `input "color" comes twice`},
		{color + "," + col("a", "FP64", "[2]", `[1,2]`), `input "a" has 2 cells, but input "color" has 1: every column needs one per row`},
		{color + "," + col("a", "FP64", "[1,2]", `[1,2]`), `input "a" has shape [1 2], expected [n] or [n, 1]`},
		{color + "," + col("a", "FP64", "[1]", `["1"]`), `input "a" (FP64): cell 0 is "1", expected a number or null`},
		{color + "," + col("a", "BYTES", "[1]", `[true]`), `input "a" (BYTES): cell 0 is true, expected a string, a number or null`},
		{color + "," + col("a", "FP16", "[1]", `[1]`), `input "a" has datatype "FP16", expected BYTES (or FP32, FP64, INT32, INT64`},
		{color + "," + col("a", "FP64", "[2]", `[1]`), `input "a" has 1 cells, but its shape [2] says 2`},
	} {
		a := do(t, "POST", url+"/v2/models/m/infer", `{"inputs":[`+c.inputs+`]}`)
		if assert.Equal(t, http.StatusBadRequest, a.code, "case %d: %s", i, a.body) {
			assert.Contains(t, errorOf(t, a), c.want, "case %d", i)
		}
	}
}
