package modelfile

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// Version is the format version written to and expected in __metadata__.
const Version = "1"

// Model is what a model file holds: the network and the feature scaling
// fitted on its training data (nil when the features are used as read), or
// the preprocessing of a table's columns into its inputs (nil for data
// that is numbers already); a model has at most one of the two. A
// regression trained on standardised targets has Target too.
type Model struct {
	Network *engine.Network
	Scaler  *dataset.Scaler
	Prep    *dataset.Preprocessor
	// Target is the standardisation of the labels the network was trained
	// on (dataset.FitTargets; nil: it learnt the labels as they are). The
	// Network has it folded in (FoldTarget): its outputs are in the labels'
	// units. A fit that goes on from the model trains UnfoldTarget's network
	// on labels standardised by Target.
	Target *dataset.Scaler
}

// paramTensors lists the tensors of a network of spec, each layer's W
// then b, under their nn.Sequential names after prefix ("" for the model's
// own), with no values yet.
func paramTensors(spec engine.Spec, prefix string) []tensor {
	var ts []tensor
	module, in := 0, spec.Inputs
	dtype := fileDType(spec.DType)
	for _, l := range spec.Layers {
		p := prefix + strconv.Itoa(module)
		ts = append(ts,
			tensor{name: p + ".weight", dtype: dtype, shape: []int{l.Units, in}, finite: true},
			tensor{name: p + ".bias", dtype: dtype, shape: []int{l.Units}, finite: true})
		module++
		if l.Activation != engine.Linear {
			module++
		}
		if l.Dropout > 0 {
			module++
		}
		in = l.Units
	}
	return ts
}

// withParams returns the tensors of net's parameters after prefix.
func withParams(net *engine.Network, prefix string) []tensor {
	ts := paramTensors(net.Spec, prefix)
	for i, l := range net.Layers {
		ts[2*i].floats, ts[2*i+1].floats = l.W, l.B
	}
	return ts
}

// network returns the network of spec whose parameters the tensors ts
// (as paramTensors lists them) hold.
func network(spec engine.Spec, ts []tensor) *engine.Network {
	net := engine.Zeros(spec)
	for i := range net.Layers {
		copy(net.Layers[i].W, ts[2*i].floats)
		copy(net.Layers[i].B, ts[2*i+1].floats)
	}
	return net
}

// torchModules spells out the nn.Sequential the tensors of a network of
// this spec belong to.
func torchModules(spec engine.Spec) string {
	var mods []string
	in := spec.Inputs
	for _, l := range spec.Layers {
		mods = append(mods, fmt.Sprintf("nn.Linear(%d, %d)", in, l.Units))
		in = l.Units
		switch l.Activation {
		case engine.ReLU:
			mods = append(mods, "nn.ReLU()")
		case engine.Sigmoid:
			mods = append(mods, "nn.Sigmoid()")
		case engine.Tanh:
			mods = append(mods, "nn.Tanh()")
		case engine.Softmax:
			mods = append(mods, "nn.Softmax(dim=-1)")
		}
		if l.Dropout > 0 {
			mods = append(mods, fmt.Sprintf("nn.Dropout(p=%s)", strconv.FormatFloat(l.Dropout, 'g', -1, 64)))
		}
	}
	return "nn.Sequential(" + strings.Join(mods, ", ") + ")"
}

func fileDType(d engine.DType) string {
	if d == engine.Float32 {
		return "F32"
	}
	return "F64"
}

// Save writes m to path atomically (see WriteAtomic).
func Save(path string, m Model) error {
	return WriteAtomic(path, func(w io.Writer) error { return Encode(w, m) })
}

// Encode writes m in the safetensors format.
func Encode(w io.Writer, m Model) error {
	meta, err := modelMeta(m)
	if err != nil {
		return err
	}
	return encode(w, meta, withParams(m.Network, ""))
}

// modelMeta returns the metadata of a model file: the architecture, the
// nn.Sequential and the scaler.
func modelMeta(m Model) (map[string]string, error) {
	net := m.Network
	meta := map[string]string{
		"format":  "perceptron",
		"version": Version,
		"inputs":  strconv.Itoa(net.Spec.Inputs),
		"layers":  engine.FormatLayers(net.Spec.Layers),
		"loss":    net.Spec.Loss.String(),
		"dtype":   net.Spec.DType.String(),
		"torch":   torchModules(net.Spec),
	}
	if m.Scaler != nil {
		s, err := json.Marshal(m.Scaler)
		if err != nil {
			return nil, err
		}
		meta["scaler"] = string(s)
	}
	if m.Prep != nil {
		if m.Scaler != nil {
			return nil, fmt.Errorf("a model has a scaler or preprocessing, not both")
		}
		p, err := json.Marshal(m.Prep)
		if err != nil {
			return nil, err
		}
		meta["preprocessing"] = string(p)
	}
	if m.Target != nil {
		t, err := targetMeta(m.Target, net.Spec)
		if err != nil {
			return nil, err
		}
		meta["target"] = t
	}
	return meta, nil
}

// Load reads a model file written by Save, or the model of a checkpoint.
// It refuses anything but a regular file, and checks the header against the
// file's size before it reads or allocates the tensors. Errors name the file.
func Load(path string) (Model, error) {
	m, _, err := readPath(path)
	return m, err
}

// Decode parses a safetensors model file (or checkpoint) held in data. It
// checks the header's length and JSON (keys exactly as the format spells
// them, each once), the metadata, the size of the data the metadata implies
// against the data there is, every tensor's dtype, shape and offsets, that
// the tensors tile the data exactly, and that every parameter is finite.
func Decode(data []byte) (Model, error) {
	src, err := bytesSource(data)
	if err != nil {
		return Model{}, err
	}
	m, _, err := read(src)
	return m, err
}

// readPath reads the model file or checkpoint at path; errors name it.
func readPath(path string) (Model, *Checkpoint, error) {
	src, close, err := fileSource(path)
	if err == nil {
		defer close()
		var m Model
		var ck *Checkpoint
		if m, ck, err = read(src); err == nil {
			return m, ck, nil
		}
	}
	return Model{}, nil, fmt.Errorf("%s: %w", path, err)
}

// read reads a model file or a checkpoint from src: the model, and the
// checkpoint (nil for a model file).
func read(src *source) (Model, *Checkpoint, error) {
	meta, entries, err := readHeader(src.header)
	if err != nil {
		return Model{}, nil, err
	}
	spec, scaler, prep, err := parseMeta(meta)
	if err != nil {
		return Model{}, nil, err
	}
	var target *dataset.Scaler
	if js, ok := meta["target"]; ok {
		if target, err = parseTarget(js, spec); err != nil {
			return Model{}, nil, err
		}
	}
	params, err := spec.Params()
	if err != nil {
		return Model{}, nil, fmt.Errorf("__metadata__: %w", err)
	}
	ts := paramTensors(spec, "")
	what := fmt.Sprintf("a network of %d parameters", params)
	var plan *checkpointPlan
	if js, ok := meta["checkpoint"]; ok {
		if plan, err = planCheckpoint(js, meta["settings"], spec, target != nil); err != nil {
			return Model{}, nil, err
		}
		ts = append(ts, plan.tensors...)
		what += " and its checkpoint"
	}
	if err := checkSize(ts, src.size, what); err != nil {
		return Model{}, nil, err
	}
	body, err := src.data()
	if err != nil {
		return Model{}, nil, err
	}
	if err := decodeTensors(ts, entries, body, fmt.Sprintf("the %s %s network the metadata describes", spec.DType, engine.FormatLayers(spec.Layers))); err != nil {
		return Model{}, nil, err
	}
	m := Model{Network: network(spec, ts), Scaler: scaler, Prep: prep, Target: target}
	var ck *Checkpoint
	if plan != nil {
		if ck, err = plan.checkpoint(m, ts[2*len(spec.Layers):]); err != nil {
			return Model{}, nil, err
		}
	}
	if err := checkSum(meta, body); err != nil { // last: a field out of range is named above
		return Model{}, nil, err
	}
	return m, ck, nil
}

// metaKeys are the keys of __metadata__; scaler, preprocessing and target
// are optional, and so are checkpoint and settings, which only a checkpoint
// has.
var metaKeys, metaOptional = []string{"format", "version", "inputs", "layers", "loss", "dtype", "torch"}, []string{"scaler", "preprocessing", "target", "checkpoint", "settings", checksumKey}

// parseMeta reads the architecture (and scaler or preprocessing) from the
// metadata.
func parseMeta(meta map[string]string) (engine.Spec, *dataset.Scaler, *dataset.Preprocessor, error) {
	spec, scaler, err := parseSpec(meta)
	if err != nil {
		return spec, nil, nil, err
	}
	js, ok := meta["preprocessing"]
	if !ok {
		return spec, scaler, nil, nil
	}
	if scaler != nil {
		return spec, nil, nil, fmt.Errorf("__metadata__ has a scaler and preprocessing: a model has one or the other")
	}
	prep, err := parsePrep(js, spec)
	if err != nil {
		return spec, nil, nil, fmt.Errorf("__metadata__ preprocessing: %w", err)
	}
	return spec, nil, prep, nil
}

// parseSpec reads the architecture (and scaler) from the metadata.
func parseSpec(meta map[string]string) (engine.Spec, *dataset.Scaler, error) {
	keys := map[string]json.RawMessage{}
	for k := range meta {
		keys[k] = nil
	}
	if err := exactKeys(keys, "__metadata__", metaKeys, metaOptional); err != nil {
		return engine.Spec{}, nil, err
	}
	if meta["format"] != "perceptron" {
		return engine.Spec{}, nil, fmt.Errorf("__metadata__ format is %q, expected \"perceptron\"", meta["format"])
	}
	if meta["version"] != Version {
		return engine.Spec{}, nil, fmt.Errorf("__metadata__ version is %q, this program reads version %s", meta["version"], Version)
	}
	var spec engine.Spec
	var err error
	if spec.Inputs, err = strconv.Atoi(meta["inputs"]); err != nil {
		return spec, nil, fmt.Errorf("__metadata__ inputs %q: expected an integer", meta["inputs"])
	}
	if spec.Layers, err = engine.ParseLayers(meta["layers"]); err != nil {
		return spec, nil, fmt.Errorf("__metadata__ layers: %w", err)
	}
	if spec.Loss, err = engine.ParseLoss(meta["loss"]); err != nil {
		return spec, nil, fmt.Errorf("__metadata__ loss: %w", err)
	}
	if spec.DType, err = engine.ParseDType(meta["dtype"]); err != nil {
		return spec, nil, fmt.Errorf("__metadata__ dtype: %w", err)
	}
	if err := spec.Validate(); err != nil {
		return spec, nil, fmt.Errorf("__metadata__: %w", err)
	}
	if want := torchModules(spec); meta["torch"] != want {
		return spec, nil, fmt.Errorf("__metadata__ torch is %q, but the layers make %q", meta["torch"], want)
	}
	var scaler *dataset.Scaler
	if s, ok := meta["scaler"]; ok {
		if scaler, err = parseScaler(s, spec.Inputs); err != nil {
			return spec, nil, fmt.Errorf("__metadata__ scaler: %w", err)
		}
	}
	return spec, scaler, nil
}

// parseScaler parses a scaler's JSON for a network of inputs inputs: its
// fields exactly, a known kind, and an offset and a nonzero scale per input
// (JSON numbers are finite).
func parseScaler(js string, inputs int) (*dataset.Scaler, error) {
	sc := new(dataset.Scaler)
	if err := strictJSON([]byte(js), "the scaler", sc, []string{"Kind", "Offset", "Scale"}, nil); err != nil {
		return nil, err
	}
	if sc.Kind != dataset.MinMax && sc.Kind != dataset.Standardise {
		return nil, fmt.Errorf("kind %q, expected %q or %q", sc.Kind, dataset.MinMax, dataset.Standardise)
	}
	if len(sc.Offset) != inputs || len(sc.Scale) != inputs {
		return nil, fmt.Errorf("%d offsets and %d scales for %d inputs", len(sc.Offset), len(sc.Scale), inputs)
	}
	if j := slices.Index(sc.Scale, 0); j >= 0 {
		return nil, fmt.Errorf("input %d: scale 0 would map every value to 0", j+1)
	}
	return sc, nil
}

// prepKeys and inputKeys are the fields of a preprocessing's JSON and of
// each of its inputs, which a date-time input follows with its parts
// (partsKey), each of partKeys.
var (
	prepKeys  = []string{"inputs", "labels", "task", "class_names", "weight", "impute", "scale"}
	inputKeys = []string{"name", "kind", "fill", "offset", "scale", "categories"}
	partsKey  = "parts"
	partKeys  = []string{"part", "fill", "offset", "scale"}
)

// parsePrep parses a preprocessing's JSON for a network of spec: its fields
// exactly, valid (see dataset.Preprocessor.Validate), as many features as
// the network has inputs, and as many classes as it has outputs (2 for one
// sigmoid output) or as many labels for a regression.
func parsePrep(js string, spec engine.Spec) (*dataset.Preprocessor, error) {
	fields, err := objectFields([]byte(js), "the preprocessing")
	if err != nil {
		return nil, err
	}
	if err := exactKeys(fields, "the preprocessing", prepKeys, nil); err != nil {
		return nil, err
	}
	var inputs []json.RawMessage
	if err := json.Unmarshal(fields["inputs"], &inputs); err != nil {
		return nil, fmt.Errorf("inputs: expected a list: %w", err)
	}
	for k, raw := range inputs {
		what := fmt.Sprintf("input %d", k+1)
		in, err := objectFields(raw, what)
		if err != nil {
			return nil, err
		}
		if err := exactKeys(in, what, inputKeys, []string{partsKey}); err != nil {
			return nil, err
		}
		if _, ok := in[partsKey]; !ok {
			continue
		}
		var parts []json.RawMessage
		if err := json.Unmarshal(in[partsKey], &parts); err != nil {
			return nil, fmt.Errorf("%s: parts: expected a list: %w", what, err)
		}
		for i, raw := range parts {
			part := fmt.Sprintf("%s, part %d", what, i+1)
			fields, err := objectFields(raw, part)
			if err != nil {
				return nil, err
			}
			if err := exactKeys(fields, part, partKeys, nil); err != nil {
				return nil, err
			}
		}
	}
	p := new(dataset.Preprocessor)
	if err := json.Unmarshal([]byte(js), p); err != nil { // validates
		return nil, err
	}
	if p.Features() != spec.Inputs {
		return nil, fmt.Errorf("%d features for a network of %d inputs", p.Features(), spec.Inputs)
	}
	outputs, out := spec.Outputs(), spec.Layers[len(spec.Layers)-1].Activation
	switch {
	case p.Task == dataset.Regress && outputs != len(p.Labels):
		return nil, fmt.Errorf("%d label columns for a network of %d outputs", len(p.Labels), outputs)
	case p.Task == dataset.Classify && outputs != len(p.ClassNames) && !(outputs == 1 && len(p.ClassNames) == 2 && out != engine.Softmax):
		return nil, fmt.Errorf("%d classes for a network of %d outputs (expected as many, or 2 for one sigmoid output)", len(p.ClassNames), outputs)
	}
	return p, nil
}
