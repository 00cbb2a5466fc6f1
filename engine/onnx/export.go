package onnx

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// Operator sets an export can target (of the default domain, ai.onnx).
// Every op an export uses means the same in each of them.
const (
	MinOpset     = 13
	MaxOpset     = 17
	DefaultOpset = MinOpset
)

// irVersion is the ONNX IR version of an export: 8, which ONNX 1.10–1.13
// write and which covers opsets 13 to 17.
const irVersion = 8

// Names of the graph's input and output.
const (
	InputName  = "input"
	OutputName = "output"
)

// Options says how Encode writes a model.
type Options struct {
	// Opset is the ai.onnx operator set version; 0 is DefaultOpset.
	Opset int
	// Version is perceptron's version, written as the producer's version
	// and in the metadata; "" is "(devel)".
	Version string
}

// Save writes m as an ONNX model to path atomically (see
// modelfile.WriteAtomic).
func Save(path string, m modelfile.Model, opt Options) error {
	if err := check(m, &opt); err != nil {
		return err
	}
	return modelfile.WriteAtomic(path, func(w io.Writer) error { return Encode(w, m, opt) })
}

// Encode writes m as an ONNX model: its scaler or the numeric part of its
// preprocessing as nodes, then a Gemm and an activation node per layer,
// weights as initializers in the model's dtype (see the package doc).
func Encode(w io.Writer, m modelfile.Model, opt Options) error {
	if err := check(m, &opt); err != nil {
		return err
	}
	_, err := w.Write(build(m, opt))
	return err
}

// check reports what stops m from being exported with opt, and sets opt's
// defaults.
func check(m modelfile.Model, opt *Options) error {
	if opt.Opset == 0 {
		opt.Opset = DefaultOpset
	}
	if opt.Version == "" {
		opt.Version = "(devel)"
	}
	if opt.Opset < MinOpset || opt.Opset > MaxOpset {
		return fmt.Errorf("onnx: opset %d: expected %d to %d", opt.Opset, MinOpset, MaxOpset)
	}
	if m.Network == nil {
		return fmt.Errorf("onnx: the model has no network")
	}
	spec := m.Network.Spec
	if err := spec.Validate(); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	switch {
	case m.Scaler != nil && m.Prep != nil:
		return fmt.Errorf("onnx: a model has a scaler or preprocessing, not both")
	case m.Scaler != nil && (len(m.Scaler.Offset) != spec.Inputs || len(m.Scaler.Scale) != spec.Inputs):
		return fmt.Errorf("onnx: the scaler has %d offsets and %d scales, expected %d (the network's inputs)", len(m.Scaler.Offset), len(m.Scaler.Scale), spec.Inputs)
	case m.Prep != nil && m.Prep.Features() != spec.Inputs:
		return fmt.Errorf("onnx: the preprocessing makes %d features, but the network takes %d inputs", m.Prep.Features(), spec.Inputs)
	}
	return nil
}

// build returns the encoded ModelProto of m.
func build(m modelfile.Model, opt Options) []byte {
	spec := m.Network.Spec
	elem := int32(elemDouble)
	if spec.DType == engine.Float32 {
		elem = elemFloat
	}
	g := &graph{name: "perceptron", doc: "perceptron " + engine.FormatLayers(spec.Layers) + " (" + spec.DType.String() + ")"}
	inputDoc := fmt.Sprintf("rows of %d features", spec.Inputs)
	x := InputName
	switch {
	case m.Scaler != nil:
		inputDoc += ", as read: the graph scales them (" + string(m.Scaler.Kind) + ")"
		x = scale(g, elem, x, m.Scaler.Offset, m.Scaler.Scale)
	case m.Prep != nil:
		inputDoc += " named by the metadata's feature_names: numbers as read (NaN where missing: the graph fills and scales them), " +
			"each categorical column one-hot over its categories (the metadata's preprocessing lists them; a missing cell is the category \"\", an unseen one all zeros), " +
			"each date-time column as its parts, numbers as read (NaN where missing): COL:year, COL:month (1-12), COL:day, COL:weekday (Monday 0), " +
			"and COL:hour (hours since midnight, fractional) where the feature names list it, of the wall-clock time as written"
		x = prepare(g, elem, x, m.Prep)
	}
	in := spec.Inputs
	module := 0
	for i, l := range m.Network.Layers {
		ls := spec.Layers[i]
		last := i == len(spec.Layers)-1
		p := strconv.Itoa(module)
		wName, bName := p+".weight", p+".bias"
		g.inits = append(g.inits,
			tensor(wName, elem, []int{ls.Units, in}, l.W),
			tensor(bName, elem, []int{ls.Units}, l.B))
		z := p + ".z"
		if last && ls.Activation == engine.Linear {
			z = OutputName
		}
		g.nodes = append(g.nodes, node("Gemm", p+".gemm", []string{x, wName, bName}, []string{z}, intAttribute("transB", 1)))
		x = z
		module++
		if ls.Activation != engine.Linear {
			a := strconv.Itoa(module) + ".a"
			if last {
				a = OutputName
			}
			g.nodes = append(g.nodes, activation(ls.Activation, strconv.Itoa(module)+"."+ls.Activation.String(), z, a))
			x = a
			module++
		}
		if ls.Dropout > 0 {
			module++ // nn.Dropout's place in the model file's names: identity at inference, no node
		}
		in = ls.Units
	}
	batch := dim{param: "N"}
	g.inputs = [][]byte{valueInfo(InputName, inputDoc, elem, batch, dim{size: spec.Inputs})}
	g.outputs = [][]byte{valueInfo(OutputName, outputDoc(spec), elem, batch, dim{size: spec.Outputs()})}
	mp := &model{
		irVersion:       irVersion,
		producer:        "perceptron",
		producerVersion: opt.Version,
		doc:             g.doc,
		graph:           g.encode(),
		opsets:          [][]byte{opsetID("", int64(opt.Opset))},
		metadata:        metadata(m, opt),
	}
	return mp.encode()
}

// activation returns the node computing out = f(in).
func activation(act engine.Activation, name, in, out string) []byte {
	ops := map[engine.Activation]string{engine.ReLU: "Relu", engine.Sigmoid: "Sigmoid", engine.Tanh: "Tanh", engine.Softmax: "Softmax"}
	if act == engine.Softmax {
		return node("Softmax", name, []string{in}, []string{out}, intAttribute("axis", -1))
	}
	return node(ops[act], name, []string{in}, []string{out})
}

// scale adds the nodes x' = (x - offset)·scale, per feature, and returns
// the name of x'.
func scale(g *graph, elem int32, x string, offset, scale []float64) string {
	f := len(offset)
	g.inits = append(g.inits, tensor("scaler.offset", elem, []int{f}, offset), tensor("scaler.scale", elem, []int{f}, scale))
	g.nodes = append(g.nodes,
		node("Sub", "scaler.sub", []string{x, "scaler.offset"}, []string{"scaler.centred"}),
		node("Mul", "scaler.mul", []string{"scaler.centred", "scaler.scale"}, []string{"features"}))
	return "features"
}

// prepare adds the nodes of a preprocessor's numeric features (a
// date-time's parts included), filling a missing (NaN) value and then
// scaling, x' = (Where(IsNaN(x), fill, x) - offset)·scale, which leave a
// one-hot feature as it is (fill 0, offset 0, scale 1), and returns the
// name of x'.
func prepare(g *graph, elem int32, x string, p *dataset.Preprocessor) string {
	n := p.Features()
	fill, offset, sc := make([]float64, n), make([]float64, n), make([]float64, n)
	at := 0
	for _, in := range p.Inputs {
		switch in.Kind {
		case dataset.NumericInput:
		case dataset.DateTimeInput:
			for _, part := range in.Parts {
				fill[at], offset[at], sc[at] = part.Fill, part.Offset, part.Scale
				at++
			}
			continue
		default:
			for k := range in.Categories {
				sc[at+k] = 1
			}
			at += len(in.Categories)
			continue
		}
		fill[at], offset[at], sc[at] = in.Fill, in.Offset, in.Scale
		at++
	}
	g.inits = append(g.inits, tensor("prep.fill", elem, []int{n}, fill))
	g.nodes = append(g.nodes,
		node("IsNaN", "prep.isnan", []string{x}, []string{"prep.missing"}),
		node("Where", "prep.fill", []string{"prep.missing", "prep.fill", x}, []string{"prep.filled"}))
	return scale(g, elem, "prep.filled", offset, sc)
}

// outputDoc describes the graph's output.
func outputDoc(spec engine.Spec) string {
	out := spec.Layers[len(spec.Layers)-1]
	switch {
	case out.Activation == engine.Softmax:
		return fmt.Sprintf("the probabilities of the %d classes (softmax), one row per input row", out.Units)
	case out.Activation == engine.Sigmoid && out.Units == 1:
		return "the probability of class 1 (sigmoid), one row per input row"
	case out.Activation == engine.Sigmoid:
		return fmt.Sprintf("the probability of each of the %d classes (sigmoid), one row per input row", out.Units)
	}
	return fmt.Sprintf("the %d outputs (%s), one row per input row", out.Units, out.Activation)
}

// metadata returns the model's metadata_props: perceptron's version, the
// model file format, the architecture, and the class and feature names.
func metadata(m modelfile.Model, opt Options) [][]byte {
	spec := m.Network.Spec
	props := [][]byte{
		entry("perceptron_version", opt.Version),
		entry("perceptron_format", modelfile.Version),
		entry("inputs", strconv.Itoa(spec.Inputs)),
		entry("layers", engine.FormatLayers(spec.Layers)),
		entry("loss", spec.Loss.String()),
		entry("dtype", spec.DType.String()),
	}
	add := func(key string, v any) {
		js, _ := json.Marshal(v) // strings and a Preprocessor: never fails
		props = append(props, entry(key, string(js)))
	}
	if names := classNames(m); names != nil {
		add("class_names", names)
	}
	if m.Scaler != nil {
		add("scaler", m.Scaler)
	}
	if m.Prep != nil {
		add("feature_names", m.Prep.FeatureNames())
		add("preprocessing", m.Prep)
	}
	return props
}

// classNames returns the names of a classifier's classes in output order:
// the preprocessing's, or else the class numbers; nil for a regression.
func classNames(m modelfile.Model) []string {
	if m.Prep != nil {
		return m.Prep.ClassNames
	}
	spec := m.Network.Spec
	if !spec.Classifier() {
		return nil
	}
	k := max(spec.Outputs(), 2)
	names := make([]string, k)
	for c := range names {
		names[c] = strconv.Itoa(c)
	}
	return names
}
