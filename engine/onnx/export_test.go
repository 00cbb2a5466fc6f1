package onnx

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// message is a decoded protobuf message: each field's values in order,
// varints as uint64, length-delimited fields as bytes.
type message map[protowire.Number][]any

// decode parses b as a protobuf message, failing the test on malformed wire data.
func decode(t *testing.T, b []byte) message {
	t.Helper()
	m := message{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		require.GreaterOrEqual(t, n, 0, "tag: %v", protowire.ParseError(n))
		b = b[n:]
		var v any
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d: wire type %d, which an export never writes", num, typ)
		}
		require.GreaterOrEqual(t, n, 0, "field %d: %v", num, protowire.ParseError(n))
		b = b[n:]
		m[num] = append(m[num], v)
	}
	return m
}

func (m message) str(num protowire.Number) string {
	if len(m[num]) == 0 {
		return ""
	}
	return string(m[num][0].([]byte))
}

func (m message) int(num protowire.Number) int64 {
	if len(m[num]) == 0 {
		return 0
	}
	return int64(m[num][0].(uint64))
}

func (m message) strs(num protowire.Number) []string {
	var out []string
	for _, v := range m[num] {
		out = append(out, string(v.([]byte)))
	}
	return out
}

func (m message) msgs(t *testing.T, num protowire.Number) []message {
	var out []message
	for _, v := range m[num] {
		out = append(out, decode(t, v.([]byte)))
	}
	return out
}

// exported is the parts of an exported ModelProto that the tests look at.
type exported struct {
	model, graph message
	nodes        []message
	inits        map[string]message
	meta         map[string]string
}

func export(t *testing.T, m modelfile.Model, opt Options) exported {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Encode(&buf, m, opt))
	e := exported{model: decode(t, buf.Bytes()), inits: map[string]message{}, meta: map[string]string{}}
	graphs := e.model.msgs(t, 7)
	require.Len(t, graphs, 1)
	e.graph = graphs[0]
	e.nodes = e.graph.msgs(t, 1)
	for _, init := range e.graph.msgs(t, 5) {
		e.inits[init.str(8)] = init
	}
	for _, p := range e.model.msgs(t, 14) {
		e.meta[p.str(1)] = p.str(2)
	}
	return e
}

// values returns the numbers of an initializer (TensorProto raw_data).
func values(t *testing.T, tensor message) []float64 {
	raw := tensor[9][0].([]byte)
	var out []float64
	switch tensor.int(2) {
	case elemFloat:
		for i := 0; i+4 <= len(raw); i += 4 {
			out = append(out, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
		}
	case elemDouble:
		for i := 0; i+8 <= len(raw); i += 8 {
			out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(raw[i:])))
		}
	default:
		t.Fatalf("tensor %s: element type %d", tensor.str(8), tensor.int(2))
	}
	return out
}

func dims(tensor message) []int {
	var out []int
	for _, d := range tensor[1] {
		out = append(out, int(d.(uint64)))
	}
	return out
}

// shape returns a ValueInfoProto's element type and dims ("N" for a named one).
func shape(t *testing.T, v message) (int64, []any) {
	tensorType := v.msgs(t, 2)[0].msgs(t, 1)[0]
	var ds []any
	for _, d := range tensorType.msgs(t, 2)[0].msgs(t, 1) {
		if p := d.str(2); p != "" {
			ds = append(ds, p)
		} else {
			ds = append(ds, int(d.int(1)))
		}
	}
	return tensorType.int(1), ds
}

// attrs returns a node's attributes of type INT by name.
func attrs(t *testing.T, n message) map[string]int64 {
	out := map[string]int64{}
	for _, a := range n.msgs(t, 5) {
		require.EqualValues(t, attrTypeInt, a.int(20), "attribute %s", a.str(1))
		out[a.str(1)] = int64(a[3][0].(uint64))
	}
	return out
}

func ops(nodes []message) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.str(4))
	}
	return out
}

// network returns a network of spec with parameters drawn from a fixed seed.
func network(t *testing.T, inputs int, layers string, loss engine.Loss, dtype engine.DType) *engine.Network {
	ls, err := engine.ParseLayers(layers)
	require.NoError(t, err)
	net := engine.Zeros(engine.Spec{Inputs: inputs, Layers: ls, Loss: loss, DType: dtype})
	for i := range net.Layers {
		for j := range net.Layers[i].W {
			v := math.Sin(float64(7*i + 3*j + 1))
			if dtype == engine.Float32 {
				v = float64(float32(v))
			}
			net.Layers[i].W[j] = v
		}
		for j := range net.Layers[i].B {
			net.Layers[i].B[j] = float64(j) / 8
		}
	}
	return net
}

func TestEncodeGraph(t *testing.T) {
	net := network(t, 3, "4:relu,5:tanh,2:softmax", engine.CE, engine.Float32)
	sc := &dataset.Scaler{Kind: dataset.Standardise, Offset: []float64{1, 2, 3}, Scale: []float64{0.5, 0.25, 2}}
	e := export(t, modelfile.Model{Network: net, Scaler: sc}, Options{Version: "v1.2.3"})

	assert.EqualValues(t, 8, e.model.int(1), "IR version")
	assert.Equal(t, "perceptron", e.model.str(2))
	assert.Equal(t, "v1.2.3", e.model.str(3))
	opsets := e.model.msgs(t, 8)
	require.Len(t, opsets, 1)
	assert.Equal(t, "", opsets[0].str(1), "the default domain, ai.onnx")
	assert.EqualValues(t, DefaultOpset, opsets[0].int(2))

	assert.Equal(t, []string{"Sub", "Mul", "Gemm", "Relu", "Gemm", "Tanh", "Gemm", "Softmax"}, ops(e.nodes))
	assert.Equal(t, []string{InputName, "scaler.offset"}, e.nodes[0].strs(1))
	assert.Equal(t, []string{"features", "0.weight", "0.bias"}, e.nodes[2].strs(1), "the first Gemm takes the scaled features")
	for i, n := range e.nodes {
		if i > 0 {
			assert.Equal(t, e.nodes[i-1].strs(2)[0], n.strs(1)[0], "node %d (%s) takes the output of the one before", i, n.str(4))
		}
		switch n.str(4) {
		case "Gemm":
			assert.Equal(t, map[string]int64{"transB": 1}, attrs(t, n))
		case "Softmax":
			assert.Equal(t, map[string]int64{"axis": -1}, attrs(t, n))
		default:
			assert.Empty(t, attrs(t, n))
		}
	}
	assert.Equal(t, []string{OutputName}, e.nodes[len(e.nodes)-1].strs(2))

	inputs, outputs := e.graph.msgs(t, 11), e.graph.msgs(t, 12)
	require.Len(t, inputs, 1)
	require.Len(t, outputs, 1)
	assert.Equal(t, InputName, inputs[0].str(1))
	assert.Equal(t, OutputName, outputs[0].str(1))
	elem, ds := shape(t, inputs[0])
	assert.EqualValues(t, elemFloat, elem)
	assert.Equal(t, []any{"N", 3}, ds)
	elem, ds = shape(t, outputs[0])
	assert.EqualValues(t, elemFloat, elem)
	assert.Equal(t, []any{"N", 2}, ds)

	require.Len(t, e.inits, 8)
	for i, module := range []string{"0", "2", "4"} {
		w, b := e.inits[module+".weight"], e.inits[module+".bias"]
		require.NotNil(t, w, module)
		assert.Equal(t, []int{net.Spec.Layers[i].Units, len(net.Layers[i].W) / net.Spec.Layers[i].Units}, dims(w))
		assert.Equal(t, net.Layers[i].W, values(t, w), "layer %d's weights, exactly", i+1)
		assert.Equal(t, net.Layers[i].B, values(t, b), "layer %d's biases, exactly", i+1)
	}
	assert.Equal(t, []float64{1, 2, 3}, values(t, e.inits["scaler.offset"]))
	assert.Equal(t, []float64{0.5, 0.25, 2}, values(t, e.inits["scaler.scale"]))

	assert.Equal(t, "v1.2.3", e.meta["perceptron_version"])
	assert.Equal(t, modelfile.Version, e.meta["perceptron_format"])
	assert.Equal(t, "4:relu,5:tanh,2:softmax", e.meta["layers"])
	assert.Equal(t, "float32", e.meta["dtype"])
	assert.Equal(t, "ce", e.meta["loss"])
	assert.JSONEq(t, `["0","1"]`, e.meta["class_names"])
	var back dataset.Scaler
	require.NoError(t, json.Unmarshal([]byte(e.meta["scaler"]), &back))
	assert.Equal(t, *sc, back)
}

func TestEncodeFloat64AndLinear(t *testing.T) {
	net := network(t, 2, "3:sigmoid,3:linear,1:linear", engine.MSE, engine.Float64)
	e := export(t, modelfile.Model{Network: net}, Options{Opset: 17})
	assert.EqualValues(t, 17, e.model.msgs(t, 8)[0].int(2))
	assert.Equal(t, "(devel)", e.model.str(3))
	assert.Equal(t, []string{"Gemm", "Sigmoid", "Gemm", "Gemm"}, ops(e.nodes), "no node for a linear activation")
	assert.Equal(t, []string{"2.z"}, e.nodes[3].strs(1)[:1], "the hidden linear layer's output feeds the next Gemm")
	assert.Equal(t, []string{OutputName}, e.nodes[3].strs(2), "the output layer's Gemm gives the output")
	for name, init := range e.inits {
		assert.EqualValues(t, elemDouble, init.int(2), name)
	}
	assert.Equal(t, net.Layers[1].W, values(t, e.inits["2.weight"]), "float64 weights, exactly")
	elem, _ := shape(t, e.graph.msgs(t, 11)[0])
	assert.EqualValues(t, elemDouble, elem)
	_, isClassifier := e.meta["class_names"]
	assert.False(t, isClassifier, "a regression has no class names")
}

// TestEncodeIgnoresDropout checks that dropout, the identity at inference,
// adds no node, and that the initialisers keep the model file's names,
// where each nn.Dropout takes a module's index.
func TestEncodeIgnoresDropout(t *testing.T) {
	net := network(t, 3, "4:relu:dropout=0.3,5:linear:dropout=0.1,2:softmax", engine.CE, engine.Float64)
	e := export(t, modelfile.Model{Network: net}, Options{})
	assert.Equal(t, []string{"Gemm", "Relu", "Gemm", "Gemm", "Softmax"}, ops(e.nodes))
	// Linear(0) ReLU(1) Dropout(2) Linear(3) Dropout(4) Linear(5) Softmax(6)
	for i, module := range []string{"0", "3", "5"} {
		assert.Equal(t, net.Layers[i].W, values(t, e.inits[module+".weight"]), "layer %d's weights", i+1)
		assert.Equal(t, net.Layers[i].B, values(t, e.inits[module+".bias"]), "layer %d's biases", i+1)
	}
	assert.Equal(t, []string{"3.z"}, e.nodes[3].strs(1)[:1], "the hidden linear layer's output feeds the next Gemm")
	assert.Equal(t, "4:relu:dropout=0.3,5:linear:dropout=0.1,2:softmax", e.meta["layers"])
}

func TestEncodePreprocessing(t *testing.T) {
	var prep dataset.Preprocessor
	require.NoError(t, json.Unmarshal([]byte(`{"inputs":[
		{"name":"age","kind":"numeric","fill":40,"offset":38,"scale":0.1,"categories":null},
		{"name":"colour","kind":"categorical","fill":0,"offset":0,"scale":1,"categories":["","blue","red"]},
		{"name":"at","kind":"datetime","fill":0,"offset":0,"scale":1,"categories":null,"parts":[
			{"part":"year","fill":2019,"offset":2019.5,"scale":0.5},{"part":"hour","fill":12,"offset":11,"scale":0.25}]},
		{"name":"size","kind":"numeric","fill":2.5,"offset":0,"scale":1,"categories":null}],
		"labels":["y"],"task":"classify","class_names":["no","yes"],"weight":"","impute":"median","scale":"standard"}`), &prep))
	net := network(t, 7, "3:relu,2:softmax", engine.CE, engine.Float64)
	e := export(t, modelfile.Model{Network: net, Prep: &prep}, Options{})
	assert.Equal(t, []string{"IsNaN", "Where", "Sub", "Mul", "Gemm", "Relu", "Gemm", "Softmax"}, ops(e.nodes))
	assert.Equal(t, []string{InputName}, e.nodes[0].strs(1))
	assert.Equal(t, []string{"prep.missing", "prep.fill", InputName}, e.nodes[1].strs(1), "Where(IsNaN(x), fill, x)")
	assert.Equal(t, []float64{40, 0, 0, 0, 2019, 12, 2.5}, values(t, e.inits["prep.fill"]), "a date-time's parts filled as numbers")
	assert.Equal(t, []float64{38, 0, 0, 0, 2019.5, 11, 0}, values(t, e.inits["scaler.offset"]))
	assert.Equal(t, []float64{0.1, 1, 1, 1, 0.5, 0.25, 1}, values(t, e.inits["scaler.scale"]), "one-hot features pass unscaled")
	assert.JSONEq(t, `["no","yes"]`, e.meta["class_names"])
	assert.JSONEq(t, `["age","colour=<missing>","colour=blue","colour=red","at:year","at:hour","size"]`, e.meta["feature_names"])
	var back dataset.Preprocessor
	require.NoError(t, json.Unmarshal([]byte(e.meta["preprocessing"]), &back), "the metadata's preprocessing reads back")
	assert.Equal(t, prep.Inputs, back.Inputs)
}

func TestEncodeErrors(t *testing.T) {
	net := network(t, 2, "1:sigmoid", engine.BCE, engine.Float32)
	var prep dataset.Preprocessor
	require.NoError(t, json.Unmarshal([]byte(`{"inputs":[{"name":"a","kind":"numeric","fill":0,"offset":0,"scale":1,"categories":null}],
		"labels":["y"],"task":"regress","class_names":null,"weight":"","impute":"zero","scale":"none"}`), &prep))
	for i, c := range []struct {
		m    modelfile.Model
		opt  Options
		want string
	}{
		{modelfile.Model{Network: net}, Options{Opset: 12}, "onnx: opset 12: expected 13 to 17"},
		{modelfile.Model{Network: net}, Options{Opset: 18}, "onnx: opset 18: expected 13 to 17"},
		{modelfile.Model{}, Options{}, "onnx: the model has no network"},
		{modelfile.Model{Network: net, Scaler: &dataset.Scaler{Offset: []float64{0}, Scale: []float64{1}}}, Options{},
			"onnx: the scaler has 1 offsets and 1 scales, expected 2 (the network's inputs)"},
		{modelfile.Model{Network: net, Prep: &prep}, Options{}, "onnx: the preprocessing makes 1 features, but the network takes 2 inputs"},
		{modelfile.Model{Network: &engine.Network{Spec: engine.Spec{Inputs: 2, Layers: []engine.LayerSpec{{Units: 1, Activation: engine.Softmax}}, Loss: engine.CE},
			Layers: []engine.Layer{{W: []float64{1, 2}, B: []float64{0}}}}}, Options{},
			"onnx: layer 1: softmax needs at least 2 units"},
	} {
		var buf bytes.Buffer
		err := Encode(&buf, c.m, c.opt)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
		assert.Zero(t, buf.Len(), "case %d: nothing written", i)
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	net := network(t, 2, "2:relu,1:sigmoid", engine.BCE, engine.Float32)
	require.NoError(t, Save(path, modelfile.Model{Network: net}, Options{}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, Encode(&buf, modelfile.Model{Network: net}, Options{}))
	assert.Equal(t, buf.Bytes(), data, "Save writes what Encode does")

	err = Save(path, modelfile.Model{Network: net}, Options{Opset: 99})
	require.Error(t, err)
	after, _ := os.ReadFile(path)
	assert.Equal(t, data, after, "a failed export keeps the file that was there")
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "and leaves no temporary file")
}
