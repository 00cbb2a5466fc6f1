package modelfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The safetensors format, as perceptron reads and writes it: an 8-byte
// little-endian header length, a JSON header (the __metadata__ strings and
// one entry per tensor: dtype, shape, data offsets), then the tensors' data.
// Files are read strictly: exact keys, each once; tensors that tile the
// data; sizes checked against the file before anything is allocated.

// MaxHeader bounds the JSON header's length, as the safetensors library does.
const MaxHeader = 100 << 20

// tensorInfo is a header entry of the safetensors format.
type tensorInfo struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// tensor is a named tensor of a file, in file order.
type tensor struct {
	name   string
	dtype  string // F32, F64, I64 or U8
	shape  []int
	floats []float64 // F32 and F64 values, widened
	ints   []int     // I64 values
	raw    []byte    // U8 values
	finite bool      // NaN and Inf are refused: the tensor holds parameters
}

// elemSize gives the bytes of one element of each dtype perceptron uses.
var elemSize = map[string]int64{"F32": 4, "F64": 8, "I64": 8, "U8": 1}

// count returns the number of elements the tensor's shape holds.
func (t *tensor) count() int64 {
	n := int64(1)
	for _, d := range t.shape {
		n *= int64(d)
	}
	return n
}

// bytes returns the size of the tensor's data.
func (t *tensor) bytes() int64 { return t.count() * elemSize[t.dtype] }

// alloc makes the tensor's value slice, once its size is known to fit the file.
func (t *tensor) alloc() {
	switch t.dtype {
	case "I64":
		t.ints = make([]int, t.count())
	case "U8":
		t.raw = make([]byte, t.count())
	default:
		t.floats = make([]float64, t.count())
	}
}

// encode writes a safetensors file of the metadata meta and the tensors ts,
// in their order.
func encode(w io.Writer, meta map[string]string, ts []tensor) error {
	header := map[string]any{"__metadata__": meta}
	var offset int64
	for i := range ts {
		n := ts[i].bytes()
		header[ts[i].name] = tensorInfo{DType: ts[i].dtype, Shape: ts[i].shape, DataOffsets: [2]int64{offset, offset + n}}
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
	return writeData(w, ts)
}

// writeData writes the data of the tensors ts, in their order, as the
// format lays it out after the header.
func writeData(w io.Writer, ts []tensor) error {
	buf := make([]byte, 0, 1<<16)
	flush := func(force bool) error {
		if len(buf) < 1<<16-8 && !force {
			return nil
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	for _, t := range ts {
		switch t.dtype {
		case "U8":
			buf = append(buf, t.raw...)
		case "I64":
			for _, v := range t.ints {
				buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
				if err := flush(false); err != nil {
					return err
				}
			}
		default:
			for _, v := range t.floats {
				if t.dtype == "F32" {
					buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v)))
				} else {
					buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
				}
				if err := flush(false); err != nil {
					return err
				}
			}
		}
		if err := flush(false); err != nil {
			return err
		}
	}
	return flush(true)
}

// checksumKey is the __metadata__ key of a checkpoint's checksum: the
// CRC-32C (8 hex digits) of its contents, which contentSum defines.
const checksumKey = "checksum"

// contentSum returns the CRC-32C of a file's contents: each metadata key
// but checksumKey, in sorted order, and its value, each followed by a zero
// byte, then the tensors' data. The header's tensor entries are left out:
// they must be exactly those the metadata implies, which reading checks.
func contentSum(meta map[string]string, data func(io.Writer) error) (uint32, error) {
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if k != checksumKey {
			h.Write(append(append(append([]byte(k), 0), meta[k]...), 0))
		}
	}
	if err := data(h); err != nil {
		return 0, err
	}
	return h.Sum32(), nil
}

// checkSum compares the checksum meta records, if any, with that of the
// contents, whose data is body.
func checkSum(meta map[string]string, body []byte) error {
	recorded, ok := meta[checksumKey]
	if !ok {
		return nil
	}
	sum, _ := contentSum(meta, func(w io.Writer) error { _, err := w.Write(body); return err }) // a hash's Write never fails
	if want, err := strconv.ParseUint(recorded, 16, 32); err != nil || len(recorded) != 8 {
		return fmt.Errorf("__metadata__ %s is %q, expected 8 hex digits", checksumKey, recorded)
	} else if uint32(want) != sum {
		return fmt.Errorf("the contents do not match the checksum the file records (crc32c %s, the contents' %08x): the file is damaged", recorded, sum)
	}
	return nil
}

// source is a safetensors file being read: its JSON header, the size of
// the data after it, and the data, read only once the header has been
// checked against that size.
type source struct {
	header []byte
	size   int64
	data   func() ([]byte, error)
}

// bytesSource reads a file held in data.
func bytesSource(data []byte) (*source, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("not a safetensors file: %d bytes, expected at least 8", len(data))
	}
	n, err := headerLength(binary.LittleEndian.Uint64(data), int64(len(data)-8))
	if err != nil {
		return nil, err
	}
	body := data[8+n:]
	return &source{header: data[8 : 8+n], size: int64(len(body)), data: func() ([]byte, error) { return body, nil }}, nil
}

// fileSource opens the regular file at path; close closes it.
func fileSource(path string) (src *source, close func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, errors.Unwrap(err) // the *PathError's cause: the caller names the path
	}
	src, err = readSource(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return src, func() { f.Close() }, nil
}

// readSource reads the length and header of the open file f.
func readSource(f *os.File) (*source, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("a %s, not a model file", fileKind(st.Mode()))
	}
	var length [8]byte
	if _, err := io.ReadFull(f, length[:]); err != nil {
		return nil, fmt.Errorf("not a safetensors file: %d bytes, expected at least 8", st.Size())
	}
	n, err := headerLength(binary.LittleEndian.Uint64(length[:]), st.Size()-8)
	if err != nil {
		return nil, err
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(f, js); err != nil {
		return nil, err
	}
	size := st.Size() - 8 - n
	return &source{header: js, size: size, data: func() ([]byte, error) {
		body := make([]byte, size)
		_, err := io.ReadFull(f, body)
		return body, err
	}}, nil
}

// headerLength checks a header length n read from a file with rest bytes
// after it.
func headerLength(n uint64, rest int64) (int64, error) {
	if n < 2 || n > MaxHeader || n > uint64(rest) {
		return 0, fmt.Errorf("not a safetensors file: header length %d is out of bounds: the file has %d bytes after the length", n, rest)
	}
	return int64(n), nil
}

// readHeader parses a JSON header into its metadata, whose values must all
// be strings, and its tensor entries by name.
func readHeader(js []byte) (meta map[string]string, entries map[string]json.RawMessage, err error) {
	entries, err = objectFields(js, "header")
	if err != nil {
		return nil, nil, err
	}
	rawMeta, ok := entries["__metadata__"]
	if !ok {
		return nil, nil, fmt.Errorf("header has no __metadata__: not a perceptron model file")
	}
	delete(entries, "__metadata__")
	fields, err := objectFields(rawMeta, "__metadata__")
	if err != nil {
		return nil, nil, err
	}
	meta = map[string]string{}
	for k, v := range fields {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, nil, fmt.Errorf("__metadata__ %s: expected a string, found %s", k, v)
		}
		meta[k] = s
	}
	return meta, entries, nil
}

// checkSize compares the data of a file, size bytes, with what the tensors
// ts need, before anything is allocated; what says what the metadata describes.
func checkSize(ts []tensor, size int64, what string) error {
	var want int64
	for i := range ts {
		want += ts[i].bytes()
	}
	if size != want {
		return fmt.Errorf("the metadata describes %s (%d bytes of tensor data), but the file has %d bytes of tensor data", what, want, size)
	}
	return nil
}

// decodeTensors allocates and fills the tensors ts from their header
// entries and the data section body, checking each entry's dtype, shape and
// offsets, that no other tensor is there, and that they tile the data.
func decodeTensors(ts []tensor, entries map[string]json.RawMessage, body []byte, what string) error {
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	for i := range ts {
		t := &ts[i]
		r, ok := entries[t.name]
		if !ok {
			return fmt.Errorf("tensor %s is missing", t.name)
		}
		delete(entries, t.name)
		info, err := tensorEntry(t.name, r)
		if err != nil {
			return err
		}
		if info.DType != t.dtype {
			return fmt.Errorf("tensor %s: dtype %s, expected %s for %s", t.name, info.DType, t.dtype, what)
		}
		if !slices.Equal(info.Shape, t.shape) {
			return fmt.Errorf("tensor %s: shape %v, expected %v from the metadata", t.name, info.Shape, t.shape)
		}
		b, e := info.DataOffsets[0], info.DataOffsets[1]
		if b < 0 || e < b || e > int64(len(body)) {
			return fmt.Errorf("tensor %s: data offsets [%d, %d] lie outside the %d bytes of data", t.name, b, e, len(body))
		}
		if e-b != t.bytes() {
			return fmt.Errorf("tensor %s: %d bytes of data, expected %d for shape %v", t.name, e-b, t.bytes(), t.shape)
		}
		t.alloc()
		if err := t.read(body[b:e]); err != nil {
			return err
		}
		spans = append(spans, span{t.name, b, e})
	}
	if len(entries) > 0 {
		return fmt.Errorf("tensor %s is not part of %s", slices.Sorted(maps.Keys(entries))[0], what)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	var at int64
	for _, s := range spans {
		if s.begin != at {
			return fmt.Errorf("tensor %s: data starts at byte %d, expected %d: tensors must tile the data without gaps or overlaps", s.name, s.begin, at)
		}
		at = s.end
	}
	return nil // checkSize made the data as long as the tensors, which tile it from byte 0
}

// read fills the tensor's values from its data.
func (t *tensor) read(data []byte) error {
	switch t.dtype {
	case "U8":
		copy(t.raw, data)
	case "I64":
		for i := range t.ints {
			t.ints[i] = int(int64(binary.LittleEndian.Uint64(data[8*i:])))
		}
	default:
		for i := range t.floats {
			if t.dtype == "F32" {
				t.floats[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])))
			} else {
				t.floats[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
			}
			if v := t.floats[i]; t.finite && (math.IsNaN(v) || math.IsInf(v, 0)) {
				return fmt.Errorf("tensor %s: element %s is %g: every parameter must be a finite number", t.name, position(i, t.shape), v)
			}
		}
	}
	return nil
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

// strictJSON decodes the object js, named what in errors, into v, whose
// fields it must name exactly, each once.
func strictJSON(js []byte, what string, v any, required, optional []string) error {
	fields, err := objectFields(js, what)
	if err != nil {
		return err
	}
	if err := exactKeys(fields, what, required, optional); err != nil {
		return err
	}
	if err := json.Unmarshal(js, v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
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
