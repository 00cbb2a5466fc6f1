package modelfile_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// preprocessor fits a preprocessor of 6 features (2 numbers, 4 colours) and
// 3 classes, for network's 6 inputs and 3 softmax outputs.
func preprocessor(t testing.TB) *dataset.Preprocessor {
	t.Helper()
	const csv = "a,b,color,label\n1,2,red,x\n,4,blue,y\n5,,green,z\n7,8,,x\n"
	tab, err := dataset.ReadTable(strings.NewReader(csv), "p.csv", dataset.ReadOptions{})
	require.NoError(t, err)
	p, err := dataset.FitPreprocessor(tab, nil, dataset.PrepOptions{Scale: dataset.Standardise})
	require.NoError(t, err)
	return p
}

func TestPreprocessingRoundTrip(t *testing.T) {
	prep := preprocessor(t)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, modelfile.Save(path, modelfile.Model{Network: network(t, engine.Float32), Prep: prep}))
	got, err := modelfile.Load(path)
	require.NoError(t, err)
	assert.Equal(t, prep, got.Prep)
	assert.Nil(t, got.Scaler)
	assert.Equal(t, []string{"a", "b", "color=<missing>", "color=blue", "color=green", "color=red"}, got.Prep.FeatureNames())

	ck := checkpoint(t, false)
	ck.Scaler, ck.Prep = nil, prep
	require.NoError(t, modelfile.SaveCheckpoint(path, ck))
	back, err := modelfile.LoadCheckpoint(path)
	require.NoError(t, err)
	sameCheckpoints(t, ck, back)
	assert.Equal(t, prep, back.Prep)

	err = modelfile.Save(path, modelfile.Model{Network: network(t, engine.Float32), Prep: prep,
		Scaler: &dataset.Scaler{Kind: dataset.MinMax, Offset: make([]float64, 6), Scale: []float64{1, 1, 1, 1, 1, 1}}})
	assert.ErrorContains(t, err, "a scaler or preprocessing, not both")
}

func TestPreprocessingErrors(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, modelfile.Encode(&buf, modelfile.Model{Network: network(t, engine.Float64), Prep: preprocessor(t)}))
	good := buf.Bytes()
	h, _ := header(t, good)
	js := h["__metadata__"].(map[string]any)["preprocessing"].(string)
	// edit returns the model with its preprocessing's JSON changed by f.
	edit := func(f func(p map[string]any)) []byte {
		var p map[string]any
		require.NoError(t, json.Unmarshal([]byte(js), &p))
		f(p)
		out, err := json.Marshal(p)
		require.NoError(t, err)
		h, body := header(t, good)
		h["__metadata__"].(map[string]any)["preprocessing"] = string(out)
		return encode(t, h, body)
	}
	input := func(p map[string]any, k int) map[string]any { return p["inputs"].([]any)[k].(map[string]any) }
	for i, c := range []struct {
		data []byte
		want string
	}{
		{edit(func(p map[string]any) { delete(p, "task") }), `the preprocessing has no "task"`},
		{edit(func(p map[string]any) { p["Task"] = p["task"]; delete(p, "task") }), `the preprocessing has no "task"`},
		{edit(func(p map[string]any) { p["notes"] = []string{} }), `the preprocessing: unknown field "notes"`},
		{edit(func(p map[string]any) { input(p, 1)["Fill"] = 1 }), `input 2: unknown field "Fill"`},
		{edit(func(p map[string]any) { delete(input(p, 2), "categories") }), `input 3 has no "categories"`},
		{edit(func(p map[string]any) { input(p, 2)["categories"] = []string{"", "red", "blue", "green"} }),
			`input color: categories "red" then "blue": expected them sorted, each once`},
		{edit(func(p map[string]any) { input(p, 2)["categories"] = []string{"", "blue", "green", "green"} }), `categories "green" then "green"`},
		{edit(func(p map[string]any) { input(p, 0)["scale"] = 0 }), "input a: fill 5, offset 4.5, scale 0"},
		{edit(func(p map[string]any) { input(p, 0)["kind"] = "ordinal" }), `input a: kind "ordinal"`},
		{edit(func(p map[string]any) { input(p, 1)["name"] = "a" }), `column "a": inputs and labels need names, each once`},
		{edit(func(p map[string]any) { p["class_names"] = []string{"x", "y", "x"} }), `class "x" is named twice`},
		{edit(func(p map[string]any) { p["class_names"] = []string{"x", "y"} }), "2 classes for a network of 3 outputs"},
		{edit(func(p map[string]any) { p["task"] = "regress" }), "a regression has no class names, found 3"},
		{edit(func(p map[string]any) { p["task"] = "cluster" }), `task "cluster", expected "classify" or "regress"`},
		{edit(func(p map[string]any) { p["impute"] = "mode" }), `unknown imputation "mode"`},
		{edit(func(p map[string]any) { p["inputs"] = p["inputs"].([]any)[:2] }), "2 features for a network of 6 inputs"},
		{edit(func(p map[string]any) { input(p, 2)["kind"] = "codes" }), `category "blue" is not a number in its shortest form`},
		{func() []byte {
			h, body := header(t, good)
			h["__metadata__"].(map[string]any)["scaler"] = `{"Kind":"minmax","Offset":[0,0,0,0,0,0],"Scale":[1,1,1,1,1,1]}`
			return encode(t, h, body)
		}(), "a scaler and preprocessing"},
		{func() []byte {
			h, body := header(t, good)
			h["__metadata__"].(map[string]any)["preprocessing"] = `{"inputs":[],"inputs":[]}`
			return encode(t, h, body)
		}(), `the preprocessing: key "inputs" appears twice`},
	} {
		_, err := modelfile.Decode(c.data)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), "__metadata__", "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}

// datePreprocessor fits a preprocessor of 6 features (a date-time's 5
// parts and a number) and 3 classes, for network's 6 inputs and 3 softmax
// outputs.
func datePreprocessor(t testing.TB) *dataset.Preprocessor {
	t.Helper()
	const csv = "t,a,label\n2019-03-23 20:21:09,1,x\n2019-03-24,2,y\n,3,z\n2020-01-01T08:00Z,4,x\n"
	tab, err := dataset.ReadTable(strings.NewReader(csv), "p.csv", dataset.ReadOptions{})
	require.NoError(t, err)
	p, err := dataset.FitPreprocessor(tab, nil, dataset.PrepOptions{Scale: dataset.Standardise})
	require.NoError(t, err)
	return p
}

func TestDatePreprocessing(t *testing.T) {
	prep := datePreprocessor(t)
	var buf bytes.Buffer
	require.NoError(t, modelfile.Encode(&buf, modelfile.Model{Network: network(t, engine.Float64), Prep: prep}))
	good := buf.Bytes()
	back, err := modelfile.Decode(good)
	require.NoError(t, err)
	assert.Equal(t, prep, back.Prep)
	assert.Equal(t, []string{"t:year", "t:month", "t:day", "t:weekday", "t:hour", "a"}, back.Prep.FeatureNames())

	h, _ := header(t, good)
	js := h["__metadata__"].(map[string]any)["preprocessing"].(string)
	edit := func(f func(in, part map[string]any)) []byte {
		var p map[string]any
		require.NoError(t, json.Unmarshal([]byte(js), &p))
		in := p["inputs"].([]any)[0].(map[string]any)
		f(in, in["parts"].([]any)[1].(map[string]any))
		out, err := json.Marshal(p)
		require.NoError(t, err)
		h, body := header(t, good)
		h["__metadata__"].(map[string]any)["preprocessing"] = string(out)
		return encode(t, h, body)
	}
	for i, c := range []struct {
		data []byte
		want string
	}{
		{edit(func(_, part map[string]any) { part["unit"] = "months" }), `input 1, part 2: unknown field "unit"`},
		{edit(func(_, part map[string]any) { delete(part, "scale") }), `input 1, part 2 has no "scale"`},
		{edit(func(in, _ map[string]any) { in["parts"] = "year" }), `input 1: parts: expected a list`},
		{edit(func(in, _ map[string]any) { in["parts"] = []any{1} }), `input 1, part 1 is not valid JSON: expected an object`},
		{edit(func(_, part map[string]any) { part["part"] = "minute" }), `input t: part "minute", expected`},
		{edit(func(_, part map[string]any) { part["scale"] = 0 }), `input t: part month: fill 3, offset`},
		{edit(func(in, _ map[string]any) { in["parts"] = in["parts"].([]any)[:4] }), "5 features for a network of 6 inputs"},
		{edit(func(in, _ map[string]any) { in["kind"] = "numeric" }), "input t: 5 parts: only a date-time input has parts"},
	} {
		_, err := modelfile.Decode(c.data)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), "__metadata__", "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}
