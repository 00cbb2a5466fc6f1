package dataset_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// npyDir holds the files testdata/npy/make_npy.py writes with NumPy.
const npyDir = "testdata/npy"

// written is one array as make_npy.py recorded it in values.json.
type written struct {
	Shape  []int
	Values []float64
}

// numpyWrote returns values.json: the shape and the C-order values of each
// array make_npy.py wrote, by file name (and file.npz/key).
func numpyWrote(t *testing.T) map[string]written {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(npyDir, "values.json"))
	require.NoError(t, err)
	var w map[string]written
	require.NoError(t, json.Unmarshal(data, &w))
	return w
}

// assertSameBits checks that got holds exactly want's values, -0 included.
func assertSameBits(t *testing.T, want, got []float64, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		assert.Equal(t, math.Float64bits(want[i]), math.Float64bits(got[i]), "%s: value %d: want %g, got %g", msg, i, want[i], got[i])
	}
}

func readNPYFile(t *testing.T, name string) (*dataset.Array, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(npyDir, name))
	require.NoError(t, err)
	return dataset.ReadNPY(bytes.NewReader(data), int64(len(data)))
}

func TestReadNPYWrittenByNumPy(t *testing.T) {
	dtypes := map[string]string{
		"bool.npy": "|b1", "int8.npy": "|i1", "int16.npy": "<i2", "int32.npy": "<i4", "int64.npy": "<i8",
		"uint8.npy": "|u1", "uint16.npy": "<u2", "uint32.npy": "<u4", "uint64.npy": "<u8",
		"float32.npy": "<f4", "float64.npy": "<f8", "float64-be.npy": ">f8", "float32-be.npy": ">f4",
		"int32-be.npy": ">i4", "uint16-be.npy": ">u2", "fortran-3d.npy": "<f8", "fortran-int16.npy": "<i2",
		"version2.npy": "<f8", "version3.npy": "<i4", "images-3d.npy": "|u1",
	}
	files := 0
	for name, w := range numpyWrote(t) {
		if strings.Contains(name, ".npz/") {
			continue
		}
		files++
		a, err := readNPYFile(t, name)
		require.NoError(t, err, name)
		assert.Equal(t, w.Shape, a.Shape, name)
		assertSameBits(t, w.Values, a.Values, name)
		if want, ok := dtypes[name]; ok {
			assert.Equal(t, want, a.DType, name)
		}
	}
	assert.Equal(t, 24, files, "values.json lists every .npy file make_npy.py reads back")
}

func TestReadNPYFortranOrder(t *testing.T) {
	a, err := readNPYFile(t, "fortran-int16.npy") // np.arange(6).reshape(3, 2) - 3, stored column by column
	require.NoError(t, err)
	assert.Equal(t, []float64{-3, -2, -1, 0, 1, 2}, a.Values)
	a, err = readNPYFile(t, "fortran-3d.npy")
	require.NoError(t, err)
	for k, v := range a.Values {
		require.Equal(t, float64(k)*1.5-7, v, "value %d of arange(24).reshape(2, 3, 4)*1.5-7", k)
	}
}

func TestReadNPYRefusesWhatIsNotNumeric(t *testing.T) {
	for name, want := range map[string]string{
		"object.npy":      `dtype "|O" (Python objects) is not numeric: expected bool, int8..int64, uint8..uint64, float32 or float64`,
		"unicode.npy":     `dtype "<U2" (text) is not numeric`,
		"complex.npy":     `dtype "<c16" (complex numbers) is not numeric`,
		"float16.npy":     `dtype "<f2" (float16) is not read: convert it with a.astype(np.float32)`,
		"structured.npy":  "a structured dtype (a record of fields) is not a numeric array",
		"nan.npy":         "the value at [1, 2] is NaN: every value must be a finite number",
		"inf-fortran.npy": "the value at [0, 1] is +Inf",
	} {
		_, err := readNPYFile(t, name)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), want, name)
	}
}

// npy encodes a .npy file of the given format version, header and data;
// the header is padded as NumPy pads it.
func npy(major byte, header string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.Write([]byte{major, 0})
	lead := 10
	if major > 1 {
		lead = 12
	}
	header += strings.Repeat(" ", 63-(lead+len(header))%64) + "\n"
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	}
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func header(descr, fortran, shape string) string {
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, fortran, shape)
}

func TestReadNPYErrors(t *testing.T) {
	f8 := func(vs ...float64) []byte {
		b := make([]byte, 8*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
		return b
	}
	i8 := func(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }
	bigHeader := []byte("\x93NUMPY\x02\x00\x00\x00\x00\x80")
	for i, c := range []struct {
		file []byte
		want string
	}{
		{[]byte("\x93NUM"), "truncated: no .npy header"},
		{[]byte("PK\x03\x04\x14\x00\x00\x00"), `not a .npy file: it begins 50 4b 03 04 14 00, expected "\x93NUMPY"`},
		{[]byte("\x93NUMPY\x04\x00\x10\x00"), ".npy format version 4.0: expected 1.0, 2.0 or 3.0"},
		{[]byte("\x93NUMPY\x01\x00\x10"), "truncated in the header's length"},
		{bigHeader, "the header claims 2147483648 bytes: more than 65536"},
		{[]byte("\x93NUMPY\x01\x00\xff\xff{}"), "the header claims 65545 bytes, but the file holds 12"},
		{npy(1, header("<f8", "False", "(2,)"), f8(1)), "the header (128 bytes) gives shape (2,) of <f8, 16 bytes of data, but the file holds 8 bytes after the header"},
		{npy(1, header("<f8", "False", "(4294967296, 4294967296)"), nil), `expected a size of 0 to 268435456 in the shape at byte 51, found "4294967296, 42949672…"`},
		{npy(1, header("<f8", "False", "(65536, 65536)"), nil), "shape (65536, 65536) of <f8 is more than 268435456 bytes of data"},
		{npy(1, header("<f8", "False", "(-1,)"), nil), `expected a size of 0 to 268435456 in the shape at byte 51, found "-1,), }"`},
		{npy(1, header("<f8", "False", "(2)"), f8(1, 2)), "the shape (2) is a number, not a tuple: expected (2,)"},
		{npy(1, header("<f8", "False", "("+strings.Repeat("1,", 65)+")"), f8(1)), "the shape has more than 64 dimensions"},
		{npy(1, header("<f8", "0", "(1,)"), f8(1)), `fortran_order must be True or False, found "0, 'shape': (1,), }"`},
		{npy(1, "{'descr': '<f8', 'shape': (1,), }", f8(1)), `header: no key "fortran_order"`},
		{npy(1, "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", f8(1)), `the key "descr" is given twice`},
		{npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}", f8(1)), `unknown key "extra": expected descr, fortran_order and shape`},
		{npy(1, header("<f8", "False", "(1,)")+" x", f8(1)), `header: "x" after the dictionary`},
		{npy(1, "{'descr': '<f8' 'fortran_order': False, 'shape': (1,)}", f8(1)), `expected ',' at byte 16`},
		{npy(1, "{'descr': '<\\x66\\x38', 'fortran_order': False, 'shape': (1,)}", f8(1)), "holds an escape"},
		{npy(1, header("|f8", "False", "(1,)"), f8(1)), `dtype "|f8": the byte order '|' is not <, > or (for one byte) |`},
		{npy(1, header("=f8", "False", "(1,)"), f8(1)), `dtype "=f8": the byte order '='`},
		{npy(1, header("<f", "False", "(1,)"), f8(1)), `dtype "<f" is not numeric`},
		{npy(1, header("<i3", "False", "(1,)"), f8(1)), `dtype "<i3" is not numeric`},
		{npy(1, header("<i8", "False", "(1,)"), i8(1<<53)), "the value at [0] is 9007199254740992: integers must be below 2^53 in magnitude"},
		{npy(1, header("<i8", "False", "(1,)"), i8(math.MinInt64)), "the value at [0] is -9223372036854775808"},
	} {
		_, err := dataset.ReadNPY(bytes.NewReader(c.file), int64(len(c.file)))
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}

func TestReadNPYChecksWhatArrives(t *testing.T) {
	whole := npy(1, header("<f8", "False", "(2,)"), make([]byte, 16))
	_, err := dataset.ReadNPY(bytes.NewReader(whole[:len(whole)-3]), int64(len(whole)))
	assert.EqualError(t, err, "truncated: shape (2,) of <f8 needs 16 bytes of data, found 13")
	_, err = dataset.ReadNPY(bytes.NewReader(append(whole, 0)), int64(len(whole)))
	assert.EqualError(t, err, "the file goes on past the 16 bytes of data its header gives")
}

func TestReadNPYAllocatesWhatArrives(t *testing.T) {
	claim := npy(2, header("|u1", "False", "(268435456,)"), []byte{1, 2, 3}) // 256 MiB promised, and claimed, 3 bytes there
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := dataset.ReadNPY(bytes.NewReader(claim), int64(len(claim)-3+dataset.MaxNPYBytes))
	runtime.ReadMemStats(&after)
	assert.ErrorContains(t, err, "needs 268435456 bytes of data, found 3")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "bytes allocated for a header's empty promise")
}

func TestLoadNPY(t *testing.T) {
	w := numpyWrote(t)
	x := filepath.Join(npyDir, "images-3d.npy")
	for _, labels := range []string{"labels.npy", "labels-column.npy"} {
		s, err := dataset.LoadNPY(x, filepath.Join(npyDir, labels))
		require.NoError(t, err, labels)
		assert.Equal(t, 4, s.N)
		assert.Equal(t, 6, s.Features, "each 2×3 image is a row of 6")
		assert.Equal(t, 3, s.Classes)
		assertSameBits(t, w["images-3d.npy"].Values, s.X, labels)
		assert.Equal(t, []float64{0, 1, 2, 1}, s.Labels)
	}
	s, err := dataset.LoadNPY(x, filepath.Join(npyDir, "labels-float.npy"))
	require.NoError(t, err)
	assert.Equal(t, 0, s.Classes, "labels that are not all integers are a regression")
	assert.Equal(t, []float64{0.5, 1.25, -2, 3}, s.Labels)
	s, err = dataset.LoadNPY(filepath.Join(npyDir, "labels.npy"), filepath.Join(npyDir, "labels.npy"))
	require.NoError(t, err)
	assert.Equal(t, 1, s.Features, "x of shape (N,) is one feature each")
}

func TestLoadNPYErrors(t *testing.T) {
	p := func(name string) string { return filepath.Join(npyDir, name) }
	for i, c := range []struct {
		x, y, want string
	}{
		{p("images-3d.npy"), p("labels-onehot.npy"), p("labels-onehot.npy") + ": shape (4, 3): one label per example is read, of shape (4,) or (4, 1); for one-hot rows, give the class indices (y.argmax(axis=1))"},
		{p("images-3d.npy"), p("fortran-3d.npy"), p("fortran-3d.npy") + ": shape (2, 3, 4): expected labels of shape (4,) or (4, 1)"},
		{p("int8.npy"), p("labels.npy"), p("labels.npy") + ": 4 labels, but " + p("int8.npy") + " has 2 examples"},
		{p("object.npy"), p("labels.npy"), p("object.npy") + `: dtype "|O" (Python objects) is not numeric`},
		{p("images-3d.npy"), p("nan.npy"), p("nan.npy") + ": the value at [1, 2] is NaN"},
		{p("missing.npy"), p("labels.npy"), "no such file or directory"},
		{npyDir, p("labels.npy"), npyDir + ": not a regular file"},
		{writeFile(t, "empty.npy", npy(1, header("<f8", "False", "(0, 3)"), nil)), p("labels.npy"), "empty.npy: shape (0, 3): expected examples along the first dimension, at least one"},
		{writeFile(t, "scalar.npy", npy(1, header("<f8", "False", "()"), make([]byte, 8))), p("labels.npy"), "scalar.npy: shape (): expected examples"},
		{writeFile(t, "none.npy", npy(1, header("<f8", "False", "(4, 0)"), nil)), p("labels.npy"), "none.npy: shape (4, 0): the examples have no features"},
	} {
		_, err := dataset.LoadNPY(c.x, c.y)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}

func TestLoadNPZ(t *testing.T) {
	w := numpyWrote(t)
	for _, name := range []string{"mnist-like.npz", "compressed.npz"} {
		train, test, err := dataset.LoadNPZ(filepath.Join(npyDir, name))
		require.NoError(t, err, name)
		require.NotNil(t, test, name)
		assert.Equal(t, [3]int{6, 4, 3}, [3]int{train.N, train.Features, train.Classes}, name)
		assert.Equal(t, [3]int{3, 4, 3}, [3]int{test.N, test.Features, test.Classes}, name)
		assertSameBits(t, w[name+"/x_train"].Values, train.X, name)
		assertSameBits(t, w[name+"/y_train"].Values, train.Labels, name)
		assertSameBits(t, w[name+"/x_test"].Values, test.X, name)
		assertSameBits(t, w[name+"/y_test"].Values, test.Labels, name)
	}
	train, test, err := dataset.LoadNPZ(filepath.Join(npyDir, "train-only.npz"))
	require.NoError(t, err)
	assert.Nil(t, test, "no test arrays: the caller splits")
	assert.Equal(t, 2, train.Features)
	assertSameBits(t, w["train-only.npz/x_train"].Values, train.X, "train-only")
	assertSameBits(t, w["train-only.npz/y_train"].Values, train.Labels, "train-only")
}

// zipped writes a zip file of the given entries, deflated, the zip header
// of each changed by edit[name] where given.
func zipped(t *testing.T, entries map[string][]byte, edit map[string]func(*zip.FileHeader)) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range entries {
		var z bytes.Buffer
		fw, err := flate.NewWriter(&z, flate.BestCompression)
		require.NoError(t, err)
		fw.Write(data)
		require.NoError(t, fw.Close())
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data),
			CompressedSize64: uint64(z.Len()), UncompressedSize64: uint64(len(data))}
		if edit[name] != nil {
			edit[name](h)
		}
		w, err := zw.CreateRaw(h)
		require.NoError(t, err)
		w.Write(z.Bytes())
	}
	require.NoError(t, zw.Close())
	return writeFile(t, "hostile.npz", b.Bytes())
}

// claims returns the edit of zipped that makes name claim size bytes.
func claims(name string, size uint64) map[string]func(*zip.FileHeader) {
	return map[string]func(*zip.FileHeader){name: func(h *zip.FileHeader) { h.UncompressedSize64 = size }}
}

func TestLoadNPZErrors(t *testing.T) {
	p := func(name string) string { return filepath.Join(npyDir, name) }
	y := npy(1, header("<i8", "False", "(2,)"), make([]byte, 16))
	x := npy(1, header("|u1", "False", "(2, 3)"), make([]byte, 6))
	for i, c := range []struct {
		path, want string
	}{
		{p("test-without-labels.npz"), "holds only one of x_test and y_test: give both, or neither to split the training arrays"},
		{p("other-key.npz"), `holds "weights.npy": expected only the arrays x_train, y_train, x_test, y_test`},
		{p("other-test-shape.npz"), "x_test has shape (3, 4): its examples must have the shape (2, 2) of x_train's (6, 2, 2)"},
		{p("object.npz"), p("object.npz") + `: x_train: dtype "|O" (Python objects) is not numeric`},
		{p("labels.npy"), "zip: not a valid zip file (an .npz file is a zip archive, as numpy.savez writes it)"},
		{zipped(t, map[string][]byte{"x_train.npy": x}, nil), "no array y_train"},
		{zipped(t, map[string][]byte{"x_train.npy": x, "y_train.npy": y[:len(y)-1]}, nil), "y_train: the header (128 bytes) gives shape (2,) of <i8, 16 bytes of data, but the file holds 15"},
		{zipped(t, map[string][]byte{"x_train.npy": x, "y_train.npy": y}, claims("y_train.npy", 1<<40)),
			"y_train: the zip entry claims 1099511627776 bytes: more than 268435456 of data"},
		// The entry expands to more than it claims, its header agreeing with the claim.
		{zipped(t, map[string][]byte{"x_train.npy": x, "y_train.npy": append(y, 0)}, claims("y_train.npy", uint64(len(y)))),
			"y_train: the zip entry expands to more than the 144 bytes it claims"},
		// The entry claims 8 bytes more than it expands to, its header agreeing with the claim.
		{zipped(t, map[string][]byte{"x_train.npy": x, "y_train.npy": npy(1, header("<i8", "False", "(3,)"), make([]byte, 16))},
			claims("y_train.npy", uint64(len(y)+8))), "y_train: the zip entry expands to fewer than the 152 bytes it claims"},
		{zipped(t, map[string][]byte{"x_train.npy": x, "y_train.npy": y}, map[string]func(*zip.FileHeader){"y_train.npy": func(h *zip.FileHeader) { h.CRC32++ }}),
			"y_train: the zip entry fails its checksum: zip: checksum error"},
	} {
		_, _, err := dataset.LoadNPZ(c.path)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}
