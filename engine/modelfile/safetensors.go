package modelfile

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// Version is the format version written to and expected in __metadata__.
const Version = "1"

// MaxHeader bounds the JSON header's length, as the safetensors library does.
const MaxHeader = 100 << 20

// Model is what a model file holds: the network and the feature scaling
// fitted on its training data (nil when the features are used as read).
type Model struct {
	Network *engine.Network
	Scaler  *dataset.Scaler
}

// tensorInfo is a header entry of the safetensors format.
type tensorInfo struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// tensor is a named parameter tensor in file order.
type tensor struct {
	name   string
	shape  []int
	values []float64
}

// tensors lists net's parameters under their nn.Sequential names.
func tensors(net *engine.Network) []tensor {
	var ts []tensor
	module := 0
	for _, l := range net.Layers {
		p := strconv.Itoa(module)
		ts = append(ts,
			tensor{p + ".weight", []int{l.Units, l.Inputs}, l.W},
			tensor{p + ".bias", []int{l.Units}, l.B})
		module++
		if l.Activation != engine.Linear {
			module++
		}
	}
	return ts
}

// torchModules spells out the nn.Sequential the tensors belong to.
func torchModules(net *engine.Network) string {
	var mods []string
	for _, l := range net.Layers {
		mods = append(mods, fmt.Sprintf("nn.Linear(%d, %d)", l.Inputs, l.Units))
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
	}
	return "nn.Sequential(" + strings.Join(mods, ", ") + ")"
}

func fileDType(d engine.DType) string {
	if d == engine.Float32 {
		return "F32"
	}
	return "F64"
}

// Save writes m to path atomically.
func Save(path string, m Model) error {
	return WriteAtomic(path, func(w io.Writer) error { return Encode(w, m) })
}

// Encode writes m in the safetensors format.
func Encode(w io.Writer, m Model) error {
	net := m.Network
	meta := map[string]string{
		"format":  "perceptron",
		"version": Version,
		"inputs":  strconv.Itoa(net.Spec.Inputs),
		"layers":  engine.FormatLayers(net.Spec.Layers),
		"loss":    net.Spec.Loss.String(),
		"dtype":   net.Spec.DType.String(),
		"torch":   torchModules(net),
	}
	if m.Scaler != nil {
		s, err := json.Marshal(m.Scaler)
		if err != nil {
			return err
		}
		meta["scaler"] = string(s)
	}
	header := map[string]any{"__metadata__": meta}
	size := int64(net.Spec.DType.Size())
	var offset int64
	ts := tensors(net)
	for _, t := range ts {
		n := int64(len(t.values)) * size
		header[t.name] = tensorInfo{DType: fileDType(net.Spec.DType), Shape: t.shape, DataOffsets: [2]int64{offset, offset + n}}
		offset += n
	}
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(js)%8 != 0 { // the format pads the header with spaces to 8-byte alignment
		js = append(js, ' ')
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(js))); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	for _, t := range ts {
		for _, v := range t.values {
			if net.Spec.DType == engine.Float32 {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v)))
			} else {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
			}
			if len(buf) >= 1<<16-8 {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	_, err = w.Write(buf)
	return err
}

// Load reads a model file written by Save.
func Load(path string) (Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Model{}, err
	}
	m, err := Decode(data)
	if err != nil {
		return Model{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Decode parses a safetensors model file held in data, checking the header's
// length, the metadata, every tensor's dtype, shape and offsets, and that the
// tensors tile the data section exactly.
func Decode(data []byte) (Model, error) {
	if len(data) < 8 {
		return Model{}, fmt.Errorf("not a safetensors file: %d bytes, expected at least 8", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n < 2 || n > MaxHeader || n > uint64(len(data)-8) {
		return Model{}, fmt.Errorf("not a safetensors file: header length %d is out of bounds: the file has %d bytes after the length", n, len(data)-8)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &raw); err != nil {
		return Model{}, fmt.Errorf("header is not valid JSON: %w", err)
	}
	var meta map[string]string
	if m, ok := raw["__metadata__"]; !ok {
		return Model{}, fmt.Errorf("header has no __metadata__: not a perceptron model file")
	} else if err := json.Unmarshal(m, &meta); err != nil {
		return Model{}, fmt.Errorf("__metadata__: %w", err)
	}
	delete(raw, "__metadata__")
	spec, scaler, err := parseMeta(meta)
	if err != nil {
		return Model{}, err
	}
	net := engine.Zeros(spec)
	body := data[8+n:]
	if err := readTensors(net, raw, body); err != nil {
		return Model{}, err
	}
	return Model{Network: net, Scaler: scaler}, nil
}

// parseMeta reads the architecture (and scaler) from the metadata.
func parseMeta(meta map[string]string) (engine.Spec, *dataset.Scaler, error) {
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
	var scaler *dataset.Scaler
	if s, ok := meta["scaler"]; ok {
		scaler = new(dataset.Scaler)
		if err := json.Unmarshal([]byte(s), scaler); err != nil {
			return spec, nil, fmt.Errorf("__metadata__ scaler: %w", err)
		}
		if len(scaler.Offset) != spec.Inputs || len(scaler.Scale) != spec.Inputs {
			return spec, nil, fmt.Errorf("__metadata__ scaler: %d offsets and %d scales for %d inputs", len(scaler.Offset), len(scaler.Scale), spec.Inputs)
		}
	}
	return spec, scaler, nil
}

// readTensors fills net's parameters from the header entries raw and the data section body.
func readTensors(net *engine.Network, raw map[string]json.RawMessage, body []byte) error {
	want := fileDType(net.Spec.DType)
	size := int64(net.Spec.DType.Size())
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	for _, t := range tensors(net) {
		r, ok := raw[t.name]
		if !ok {
			return fmt.Errorf("tensor %s is missing", t.name)
		}
		delete(raw, t.name)
		var info tensorInfo
		if err := json.Unmarshal(r, &info); err != nil {
			return fmt.Errorf("tensor %s: %w", t.name, err)
		}
		if info.DType != want {
			return fmt.Errorf("tensor %s: dtype %s, expected %s for a %s network", t.name, info.DType, want, net.Spec.DType)
		}
		if !slices.Equal(info.Shape, t.shape) {
			return fmt.Errorf("tensor %s: shape %v, expected %v from the metadata", t.name, info.Shape, t.shape)
		}
		b, e := info.DataOffsets[0], info.DataOffsets[1]
		if b < 0 || e < b || e > int64(len(body)) {
			return fmt.Errorf("tensor %s: data offsets [%d, %d] lie outside the %d bytes of data", t.name, b, e, len(body))
		}
		if e-b != int64(len(t.values))*size {
			return fmt.Errorf("tensor %s: %d bytes of data, expected %d for shape %v", t.name, e-b, int64(len(t.values))*size, t.shape)
		}
		for i := range t.values {
			at := b + int64(i)*size
			if size == 4 {
				t.values[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(body[at:])))
			} else {
				t.values[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[at:]))
			}
		}
		spans = append(spans, span{t.name, b, e})
	}
	if len(raw) > 0 {
		extra := slices.Sorted(maps.Keys(raw))
		return fmt.Errorf("tensor %s is not part of the %s network the metadata describes", extra[0], engine.FormatLayers(net.Spec.Layers))
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	var at int64
	for _, s := range spans {
		if s.begin != at {
			return fmt.Errorf("tensor %s: data starts at byte %d, expected %d: tensors must tile the data without gaps or overlaps", s.name, s.begin, at)
		}
		at = s.end
	}
	if at != int64(len(body)) {
		return fmt.Errorf("the data section has %d bytes, the tensors cover %d", len(body), at)
	}
	return nil
}
