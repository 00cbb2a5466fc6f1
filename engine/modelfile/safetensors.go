package modelfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
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
		"torch":   torchModules(net.Spec),
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

// Load reads a model file written by Save. It refuses anything but a
// regular file, and checks the header against the file's size before it
// reads or allocates the tensors. Errors name the file.
func Load(path string) (Model, error) {
	m, err := load(path)
	if err != nil {
		return Model{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func load(path string) (Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return Model{}, errors.Unwrap(err) // the *PathError's cause: Load names the path
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Model{}, err
	}
	if !st.Mode().IsRegular() {
		return Model{}, fmt.Errorf("a %s, not a model file", fileKind(st.Mode()))
	}
	var length [8]byte
	if _, err := io.ReadFull(f, length[:]); err != nil {
		return Model{}, fmt.Errorf("not a safetensors file: %d bytes, expected at least 8", st.Size())
	}
	n, err := headerLength(binary.LittleEndian.Uint64(length[:]), st.Size()-8)
	if err != nil {
		return Model{}, err
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(f, js); err != nil {
		return Model{}, err
	}
	h, err := parseHeader(js)
	if err != nil {
		return Model{}, err
	}
	if err := h.checkBody(st.Size() - 8 - n); err != nil {
		return Model{}, err
	}
	body := make([]byte, st.Size()-8-n)
	if _, err := io.ReadFull(f, body); err != nil {
		return Model{}, err
	}
	return h.decode(body)
}

// Decode parses a safetensors model file held in data. It checks the
// header's length and JSON (keys exactly as the format spells them, each
// once), the metadata, the size of the data the metadata implies against
// the data there is, every tensor's dtype, shape and offsets, that the
// tensors tile the data exactly, and that every parameter is finite.
func Decode(data []byte) (Model, error) {
	if len(data) < 8 {
		return Model{}, fmt.Errorf("not a safetensors file: %d bytes, expected at least 8", len(data))
	}
	n, err := headerLength(binary.LittleEndian.Uint64(data), int64(len(data)-8))
	if err != nil {
		return Model{}, err
	}
	h, err := parseHeader(data[8 : 8+n])
	if err != nil {
		return Model{}, err
	}
	body := data[8+n:]
	if err := h.checkBody(int64(len(body))); err != nil {
		return Model{}, err
	}
	return h.decode(body)
}

// headerLength checks a header length n read from a file with rest bytes
// after it.
func headerLength(n uint64, rest int64) (int64, error) {
	if n < 2 || n > MaxHeader || n > uint64(rest) {
		return 0, fmt.Errorf("not a safetensors file: header length %d is out of bounds: the file has %d bytes after the length", n, rest)
	}
	return int64(n), nil
}

// header is a parsed, checked file header: the model's shape and scaling,
// and the tensors' entries by name.
type header struct {
	spec    engine.Spec
	scaler  *dataset.Scaler
	params  int
	tensors map[string]json.RawMessage
}

// parseHeader parses and checks the JSON header js.
func parseHeader(js []byte) (header, error) {
	fields, err := objectFields(js, "header")
	if err != nil {
		return header{}, err
	}
	rawMeta, ok := fields["__metadata__"]
	if !ok {
		return header{}, fmt.Errorf("header has no __metadata__: not a perceptron model file")
	}
	delete(fields, "__metadata__")
	meta, err := metadata(rawMeta)
	if err != nil {
		return header{}, err
	}
	spec, scaler, err := parseMeta(meta)
	if err != nil {
		return header{}, err
	}
	params, err := spec.Params()
	if err != nil {
		return header{}, fmt.Errorf("__metadata__: %w", err)
	}
	return header{spec: spec, scaler: scaler, params: params, tensors: fields}, nil
}

// checkBody compares the size of the data section with what the metadata implies.
func (h header) checkBody(size int64) error {
	if want := int64(h.params) * int64(h.spec.DType.Size()); size != want {
		return fmt.Errorf("the metadata describes a network of %d parameters, %d bytes of %s, but the file has %d bytes of tensor data",
			h.params, want, fileDType(h.spec.DType), size)
	}
	return nil
}

// decode allocates the network and fills it from the data section body.
func (h header) decode(body []byte) (Model, error) {
	net := engine.Zeros(h.spec)
	if err := readTensors(net, h.tensors, body); err != nil {
		return Model{}, err
	}
	return Model{Network: net, Scaler: h.scaler}, nil
}

// metaKeys are the keys of __metadata__, each a string; only scaler is optional.
var metaKeys = []string{"format", "version", "inputs", "layers", "loss", "dtype", "torch", "scaler"}

// metadata parses __metadata__: an object of the metaKeys, each a string.
func metadata(raw json.RawMessage) (map[string]string, error) {
	fields, err := objectFields(raw, "__metadata__")
	if err != nil {
		return nil, err
	}
	if err := exactKeys(fields, "__metadata__", metaKeys[:len(metaKeys)-1], metaKeys[len(metaKeys)-1:]); err != nil {
		return nil, err
	}
	meta := map[string]string{}
	for k, v := range fields {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("__metadata__ %s: expected a string, found %s", k, v)
		}
		meta[k] = s
	}
	return meta, nil
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
	fields, err := objectFields([]byte(js), "the scaler")
	if err != nil {
		return nil, err
	}
	if err := exactKeys(fields, "the scaler", []string{"Kind", "Offset", "Scale"}, nil); err != nil {
		return nil, err
	}
	sc := new(dataset.Scaler)
	if err := json.Unmarshal([]byte(js), sc); err != nil {
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

// objectFields parses js, named what in errors, as a JSON object whose keys
// are matched exactly (encoding/json alone matches struct fields without
// regard to case) and may appear only once.
func objectFields(js []byte, what string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%s is not valid JSON: expected an object", what)
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s is not valid JSON: %w", what, err)
		}
		key := tok.(string) // inside an object, json.Decoder gives keys as strings
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("%s: key %q appears twice", what, key)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s is not valid JSON: %w", what, err)
		}
		fields[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %w", what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s is not valid JSON: data after the object", what)
	}
	return fields, nil
}

// exactKeys checks that fields has every required key, and no key outside
// required and optional.
func exactKeys(fields map[string]json.RawMessage, what string, required, optional []string) error {
	for _, k := range required {
		if _, ok := fields[k]; !ok {
			return fmt.Errorf("%s has no %q", what, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if !slices.Contains(required, k) && !slices.Contains(optional, k) {
			return fmt.Errorf("%s: unknown field %q (expected %s)", what, k, strings.Join(append(slices.Clone(required), optional...), ", "))
		}
	}
	return nil
}

// tensorKeys are the fields of a tensor's header entry.
var tensorKeys = []string{"dtype", "shape", "data_offsets"}

// tensorEntry parses a tensor's header entry, named name in errors.
func tensorEntry(name string, raw json.RawMessage) (tensorInfo, error) {
	var info tensorInfo
	fields, err := objectFields(raw, "tensor "+name)
	if err != nil {
		return info, err
	}
	if err := exactKeys(fields, "tensor "+name, tensorKeys, nil); err != nil {
		return info, err
	}
	var offsets []int64
	if json.Unmarshal(fields["dtype"], &info.DType) != nil || json.Unmarshal(fields["shape"], &info.Shape) != nil ||
		json.Unmarshal(fields["data_offsets"], &offsets) != nil || len(offsets) != 2 {
		return info, fmt.Errorf("tensor %s: expected a dtype string, a shape of integers and two integer data offsets, found %s", name, raw)
	}
	info.DataOffsets = [2]int64{offsets[0], offsets[1]}
	return info, nil
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
		info, err := tensorEntry(t.name, r)
		if err != nil {
			return err
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
			if v := t.values[i]; math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("tensor %s: element %s is %g: every parameter must be a finite number", t.name, position(i, t.shape), v)
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
	return nil // checkBody made the data as long as the tensors, which tile it from byte 0
}

// position writes the index of element i of a row-major tensor of shape: [row, column] for a matrix.
func position(i int, shape []int) string {
	if len(shape) == 2 {
		return fmt.Sprintf("[%d, %d]", i/shape[1], i%shape[1])
	}
	return fmt.Sprintf("[%d]", i)
}

// fileKind names the kind of file mode describes, for errors.
func fileKind(mode os.FileMode) string {
	switch {
	case mode.IsDir():
		return "directory"
	case mode&os.ModeSymlink != 0:
		return "symbolic link"
	case mode&os.ModeDevice != 0:
		return "device"
	case mode&os.ModeNamedPipe != 0:
		return "named pipe"
	case mode&os.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}
