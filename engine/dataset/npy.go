package dataset

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// MaxNPYBytes bounds the data of one .npy array: 256 MiB, which become at
// most 2 GiB of float64 values (from 1-byte dtypes). It is checked against
// what the header promises before anything is read, so a small compressed
// .npz entry cannot expand past it.
const MaxNPYBytes = 1 << 28

// maxNPYHeader bounds the length of a .npy header, magic and length
// included. NumPy itself refuses headers of more than 10,000 bytes by default
// (numpy.load's max_header_size); the headers of numeric arrays of up to 64
// dimensions fit in well under 4 KiB.
const maxNPYHeader = 64 << 10

// maxNPYDims is the most dimensions a .npy array may have, NumPy 2's limit.
const maxNPYDims = 64

// npyMagic begins every .npy file.
const npyMagic = "\x93NUMPY"

// Array is a numeric NumPy array read from a .npy file.
type Array struct {
	// Shape holds the size of each dimension; an empty shape is a scalar.
	Shape []int
	// DType is the dtype as the file spells it, like "<f8" or "|u1".
	DType string
	// Values holds the product of Shape values in C order (the last index
	// fastest), whatever the file's order.
	Values []float64
}

// ReadNPY reads a .npy array (format 1.0, 2.0 or 3.0) of size bytes from r.
// The dtype must be bool, a signed or unsigned integer of 1 to 8 bytes, or a
// float of 4 or 8 bytes, in either byte order; other dtypes (objects, text,
// complex numbers, float16, records) are refused. An array in Fortran order
// is returned in C order. Every value must be finite, and an integer must be
// below 2⁵³ in magnitude (a float64 holds it exactly); errors name the
// index of the first that is not. The data must be exactly what the header
// promises, checked against size before anything is allocated.
func ReadNPY(r io.Reader, size int64) (*Array, error) {
	br := bufio.NewReader(r)
	header, err := readNPYHeader(br, size)
	if err != nil {
		return nil, err
	}
	h, err := parseNPYHeader(header.text)
	if err != nil {
		return nil, err
	}
	count, err := h.count()
	if err != nil {
		return nil, err
	}
	nbytes := count * h.dtype.size
	if want := int64(header.length) + int64(nbytes); size != want {
		return nil, fmt.Errorf("the header (%d bytes) gives shape %s of %s, %d bytes of data, but the file holds %d bytes after the header",
			header.length, shapeString(h.shape), h.dtype.descr, nbytes, size-int64(header.length))
	}
	raw, err := readGrowing(br, nbytes)
	if err != nil {
		return nil, readError(err, fmt.Sprintf("truncated: shape %s of %s needs %d bytes of data, found %d", shapeString(h.shape), h.dtype.descr, nbytes, len(raw)))
	}
	var past [1]byte
	if n, err := io.ReadFull(br, past[:]); n > 0 {
		return nil, fmt.Errorf("the file goes on past the %d bytes of data its header gives", nbytes)
	} else if err != io.EOF {
		return nil, err // a zip entry's checksum or size that does not match, or a read error
	}
	values, err := h.decode(raw, count)
	if err != nil {
		return nil, err
	}
	return &Array{Shape: h.shape, DType: h.dtype.descr, Values: values}, nil
}

// npyHeaderText is a .npy header's dictionary and the length of all that
// precedes the data.
type npyHeaderText struct {
	text   string
	length int
}

// readNPYHeader reads the magic, the version, the header's length and the
// header itself, of a file of size bytes.
func readNPYHeader(r io.Reader, size int64) (npyHeaderText, error) {
	var lead [10]byte
	if _, err := io.ReadFull(r, lead[:8]); err != nil {
		return npyHeaderText{}, readError(err, "truncated: no .npy header")
	}
	if string(lead[:6]) != npyMagic {
		return npyHeaderText{}, fmt.Errorf("not a .npy file: it begins % x, expected %q", lead[:6], npyMagic)
	}
	var n, length int
	switch major, minor := lead[6], lead[7]; {
	case major == 1 && minor == 0:
		if _, err := io.ReadFull(r, lead[8:10]); err != nil {
			return npyHeaderText{}, readError(err, "truncated in the header's length")
		}
		n, length = int(binary.LittleEndian.Uint16(lead[8:10])), 10
	case (major == 2 || major == 3) && minor == 0:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return npyHeaderText{}, readError(err, "truncated in the header's length")
		}
		n64 := binary.LittleEndian.Uint32(l[:])
		if n64 > maxNPYHeader {
			return npyHeaderText{}, fmt.Errorf("the header claims %d bytes: more than %d, too long for a numeric array", n64, maxNPYHeader)
		}
		n, length = int(n64), 12
	default:
		return npyHeaderText{}, fmt.Errorf(".npy format version %d.%d: expected 1.0, 2.0 or 3.0", major, minor)
	}
	if int64(length+n) > size {
		return npyHeaderText{}, fmt.Errorf("the header claims %d bytes, but the file holds %d", length+n, size)
	}
	text := make([]byte, n)
	if _, err := io.ReadFull(r, text); err != nil {
		return npyHeaderText{}, readError(err, fmt.Sprintf("truncated: the header claims %d bytes", n))
	}
	return npyHeaderText{string(text), length + n}, nil
}

// npyHeader is what a .npy header describes.
type npyHeader struct {
	dtype   npyDType
	fortran bool
	shape   []int
}

// parseNPYHeader parses a header's Python dictionary, like
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }, strictly:
// its three keys, each once, and nothing else.
func parseNPYHeader(text string) (npyHeader, error) {
	p := &pyParser{s: strings.TrimRight(text, " \n")}
	var h npyHeader
	seen := map[string]bool{}
	if err := p.expect('{'); err != nil {
		return h, err
	}
	for !p.peek('}') {
		key, err := p.str()
		if err != nil {
			return h, err
		}
		if seen[key] {
			return h, fmt.Errorf("header: the key %q is given twice", key)
		}
		seen[key] = true
		if err := p.expect(':'); err != nil {
			return h, err
		}
		switch key {
		case "descr":
			if p.peek('[') {
				return h, errors.New("header: a structured dtype (a record of fields) is not a numeric array: save each field as its own array")
			}
			descr, err := p.str()
			if err != nil {
				return h, err
			}
			if h.dtype, err = parseDType(descr); err != nil {
				return h, err
			}
		case "fortran_order":
			if h.fortran, err = p.boolean(); err != nil {
				return h, err
			}
		case "shape":
			if h.shape, err = p.shape(); err != nil {
				return h, err
			}
		default:
			return h, fmt.Errorf("header: unknown key %q: expected descr, fortran_order and shape", key)
		}
		if !p.peek('}') {
			if err := p.expect(','); err != nil {
				return h, err
			}
		}
	}
	if err := p.expect('}'); err != nil {
		return h, err
	}
	if p.skipSpace(); p.pos != len(p.s) {
		return h, fmt.Errorf("header: %q after the dictionary", p.rest())
	}
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if !seen[key] {
			return h, fmt.Errorf("header: no key %q", key)
		}
	}
	return h, nil
}

// count returns the number of values the shape holds, refusing a product
// that passes MaxNPYBytes of data.
func (h npyHeader) count() (int, error) {
	count := 1
	for _, d := range h.shape {
		if d != 0 && count > MaxNPYBytes/h.dtype.size/d {
			return 0, fmt.Errorf("shape %s of %s is more than %d bytes of data", shapeString(h.shape), h.dtype.descr, MaxNPYBytes)
		}
		count *= d
	}
	return count, nil
}

// decode converts raw, count values stored in the header's order, into
// float64 values in C order, refusing the first value that is not finite or
// not exact.
func (h npyHeader) decode(raw []byte, count int) ([]float64, error) {
	at, size := h.dtype.decoder(), h.dtype.size
	wide := h.dtype.size == 8 && h.dtype.kind != 'f' // an integer that a float64 may not hold exactly
	values := make([]float64, count)
	if size == 1 { // bool, int8, uint8: each byte's value from a table, and nothing to check
		var table [256]float64
		for b := range table {
			table[b] = at([]byte{byte(b)})
		}
		for k, b := range raw[:count] {
			values[k] = table[b]
		}
		return h.inCOrder(values), nil
	}
	for k := range values {
		v := at(raw[k*size:])
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("the value at %s is %g: every value must be a finite number", indexString(h.index(k)), v)
		}
		if wide && math.Abs(v) >= 1<<53 {
			return nil, fmt.Errorf("the value at %s is %s: integers must be below 2^53 in magnitude, to be exact as float64",
				indexString(h.index(k)), h.dtype.integer(raw[k*size:]))
		}
		values[k] = v
	}
	return h.inCOrder(values), nil
}

// inCOrder returns values, stored in the header's order, in C order.
func (h npyHeader) inCOrder(values []float64) []float64 {
	if h.fortran && len(h.shape) > 1 {
		return fortranToC(values, h.shape)
	}
	return values
}

// index returns the index of the k-th stored value: in C order the last
// index runs fastest, in Fortran order the first.
func (h npyHeader) index(k int) []int {
	nd := len(h.shape)
	index := make([]int, nd)
	for n := range nd {
		j := nd - 1 - n
		if h.fortran {
			j = n
		}
		index[j] = k % h.shape[j]
		k /= h.shape[j]
	}
	return index
}

// fortranToC returns the values of an array of the given shape stored in
// Fortran order (the first index fastest) in C order (the last fastest).
func fortranToC(values []float64, shape []int) []float64 {
	nd := len(shape)
	stride := make([]int, nd) // how far a step of each index moves in values
	step := 1
	for j, d := range shape {
		stride[j] = step
		step *= d
	}
	out := make([]float64, len(values))
	index, at := make([]int, nd), 0 // the index of out[k], and where values holds it
	for k := range out {
		out[k] = values[at]
		for j := nd - 1; j >= 0; j-- {
			index[j]++
			at += stride[j]
			if index[j] < shape[j] {
				break
			}
			at -= index[j] * stride[j]
			index[j] = 0
		}
	}
	return out
}

// npyDType is a numeric dtype: kind 'b' (bool), 'i', 'u' or 'f', its size
// in bytes and its byte order.
type npyDType struct {
	descr string
	kind  byte
	size  int
	order binary.ByteOrder
}

// dtypeKinds names the kinds of NumPy dtypes that are refused.
var dtypeKinds = map[byte]string{
	'O': "Python objects", 'U': "text", 'S': "bytes", 'a': "bytes", 'c': "complex numbers",
	'M': "dates", 'm': "time deltas", 'V': "raw bytes",
}

// parseDType parses a dtype's descr, like "<f8", "|u1" or ">i4".
func parseDType(descr string) (npyDType, error) {
	d := npyDType{descr: descr}
	if len(descr) < 2 {
		return d, fmt.Errorf("dtype %q is not numeric: %s", descr, dtypeHint)
	}
	size, err := strconv.Atoi(descr[2:])
	d.kind, d.size = descr[1], size
	numeric := err == nil && (d.kind == 'b' && size == 1 || (d.kind == 'i' || d.kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8) ||
		d.kind == 'f' && (size == 4 || size == 8))
	switch {
	case !numeric && dtypeKinds[d.kind] != "":
		return d, fmt.Errorf("dtype %q (%s) is not numeric: %s", descr, dtypeKinds[d.kind], dtypeHint)
	case !numeric && d.kind == 'f' && size == 2:
		return d, fmt.Errorf("dtype %q (float16) is not read: convert it with a.astype(np.float32)", descr)
	case !numeric:
		return d, fmt.Errorf("dtype %q is not numeric: %s", descr, dtypeHint)
	case descr[0] == '<' || descr[0] == '|' && size == 1:
		d.order = binary.LittleEndian
	case descr[0] == '>':
		d.order = binary.BigEndian
	default:
		return d, fmt.Errorf("dtype %q: the byte order %q is not <, > or (for one byte) |", descr, descr[0])
	}
	return d, nil
}

const dtypeHint = "expected bool, int8..int64, uint8..uint64, float32 or float64"

// decoder returns the function that reads one value of the dtype.
func (d npyDType) decoder() func([]byte) float64 {
	o := d.order
	switch {
	case d.kind == 'b':
		return func(b []byte) float64 { return float64(min(b[0], 1)) }
	case d.kind == 'f' && d.size == 4:
		return func(b []byte) float64 { return float64(math.Float32frombits(o.Uint32(b))) }
	case d.kind == 'f':
		return func(b []byte) float64 { return math.Float64frombits(o.Uint64(b)) }
	case d.kind == 'i' && d.size == 1:
		return func(b []byte) float64 { return float64(int8(b[0])) }
	case d.kind == 'i' && d.size == 2:
		return func(b []byte) float64 { return float64(int16(o.Uint16(b))) }
	case d.kind == 'i' && d.size == 4:
		return func(b []byte) float64 { return float64(int32(o.Uint32(b))) }
	case d.kind == 'i':
		return func(b []byte) float64 { return float64(int64(o.Uint64(b))) }
	case d.size == 1:
		return func(b []byte) float64 { return float64(b[0]) }
	case d.size == 2:
		return func(b []byte) float64 { return float64(o.Uint16(b)) }
	case d.size == 4:
		return func(b []byte) float64 { return float64(o.Uint32(b)) }
	}
	return func(b []byte) float64 { return float64(o.Uint64(b)) }
}

// integer writes an 8-byte integer of the dtype exactly.
func (d npyDType) integer(b []byte) string {
	if d.kind == 'i' {
		return strconv.FormatInt(int64(d.order.Uint64(b)), 10)
	}
	return strconv.FormatUint(d.order.Uint64(b), 10)
}

// shapeString writes a shape as NumPy does: (3, 4), (5,) or ().
func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	if len(shape) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// indexString writes an index as NumPy's a[i, j] would take it: [1, 2].
func indexString(index []int) string {
	parts := make([]string, len(index))
	for i, d := range index {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// pyParser reads the Python literals of a .npy header.
type pyParser struct {
	s   string
	pos int
}

func (p *pyParser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\n' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// rest returns a short piece of the text left, for errors.
func (p *pyParser) rest() string {
	rest := p.s[p.pos:]
	if len(rest) > 20 {
		rest = rest[:20] + "…"
	}
	return rest
}

// peek reports whether the next character, after spaces, is c.
func (p *pyParser) peek(c byte) bool {
	p.skipSpace()
	return p.pos < len(p.s) && p.s[p.pos] == c
}

func (p *pyParser) expect(c byte) error {
	if !p.peek(c) {
		return fmt.Errorf("header: expected %q at byte %d, found %q", c, p.pos, p.rest())
	}
	p.pos++
	return nil
}

// str reads a quoted string without escapes.
func (p *pyParser) str() (string, error) {
	p.skipSpace()
	if p.pos == len(p.s) || p.s[p.pos] != '\'' && p.s[p.pos] != '"' {
		return "", fmt.Errorf("header: expected a quoted string at byte %d, found %q", p.pos, p.rest())
	}
	quote := p.s[p.pos]
	end := strings.IndexByte(p.s[p.pos+1:], quote)
	if end < 0 {
		return "", fmt.Errorf("header: a string at byte %d does not end", p.pos)
	}
	s := p.s[p.pos+1 : p.pos+1+end]
	if strings.ContainsRune(s, '\\') {
		return "", fmt.Errorf("header: the string %q at byte %d holds an escape", s, p.pos)
	}
	p.pos += end + 2
	return s, nil
}

func (p *pyParser) boolean() (bool, error) {
	p.skipSpace()
	for word, v := range map[string]bool{"True": true, "False": false} {
		if strings.HasPrefix(p.s[p.pos:], word) {
			p.pos += len(word)
			return v, nil
		}
	}
	return false, fmt.Errorf("header: fortran_order must be True or False, found %q", p.rest())
}

// shape reads a tuple of sizes: (), (5,) or (3, 4).
func (p *pyParser) shape() ([]int, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	shape, comma := []int{}, false
	for !p.peek(')') {
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		d, err := strconv.Atoi(p.s[start:p.pos])
		if err != nil || d > MaxNPYBytes {
			p.pos = start
			return nil, fmt.Errorf("header: expected a size of 0 to %d in the shape at byte %d, found %q", MaxNPYBytes, start, p.rest())
		}
		if shape = append(shape, d); len(shape) > maxNPYDims {
			return nil, fmt.Errorf("header: the shape has more than %d dimensions", maxNPYDims)
		}
		if comma = !p.peek(')'); comma {
			if err := p.expect(','); err != nil {
				return nil, err
			}
		}
	}
	if len(shape) == 1 && !comma {
		return nil, fmt.Errorf("header: the shape (%d) is a number, not a tuple: expected (%d,)", shape[0], shape[0])
	}
	p.pos++
	return shape, nil
}

// LoadNPY reads a data set from two .npy files: the features x, of shape
// (N, …) with any number of dimensions after the first, each example's
// flattened in C order; and the labels y, of shape (N,) or (N, 1).
func LoadNPY(xPath, yPath string) (*Set, error) {
	x, err := loadNPYFile(xPath)
	if err != nil {
		return nil, err
	}
	y, err := loadNPYFile(yPath)
	if err != nil {
		return nil, err
	}
	return arraysToSet(x, y, xPath, yPath)
}

// loadNPYFile reads the .npy file at path; errors name the file.
func loadNPYFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	a, err := ReadNPY(f, info.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// arraysToSet makes a set of the features x and the labels y, named xName
// and yName in errors.
func arraysToSet(x, y *Array, xName, yName string) (*Set, error) {
	if len(x.Shape) == 0 || x.Shape[0] == 0 {
		return nil, fmt.Errorf("%s: shape %s: expected examples along the first dimension, at least one", xName, shapeString(x.Shape))
	}
	n := x.Shape[0]
	features := len(x.Values) / n
	if features == 0 {
		return nil, fmt.Errorf("%s: shape %s: the examples have no features", xName, shapeString(x.Shape))
	}
	switch {
	case len(y.Shape) == 2 && y.Shape[1] > 1:
		return nil, fmt.Errorf("%s: shape %s: one label per example is read, of shape (%d,) or (%d, 1); for one-hot rows, give the class indices (y.argmax(axis=1))",
			yName, shapeString(y.Shape), y.Shape[0], y.Shape[0])
	case len(y.Shape) == 0 || len(y.Shape) > 2:
		return nil, fmt.Errorf("%s: shape %s: expected labels of shape (%d,) or (%d, 1)", yName, shapeString(y.Shape), n, n)
	case y.Shape[0] != n:
		return nil, fmt.Errorf("%s: %d labels, but %s has %d examples", yName, y.Shape[0], xName, n)
	}
	return New(x.Values, y.Values, features), nil
}
