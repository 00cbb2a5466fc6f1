package dataset_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// FuzzReadIDX feeds the IDX reader arbitrary files, plain and gzipped. What
// it accepts has 1 to 4 dimensions and exactly as many bytes as they
// multiply to. testdata/fuzz/FuzzReadIDX holds the files that made earlier
// versions allocate what the header claimed.
func FuzzReadIDX(f *testing.F) {
	f.Add(idx([]uint32{2, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8}))
	f.Add(gz(idx([]uint32{3}, []byte{7, 8, 9})))
	f.Add(corruptCRC(gz(idx([]uint32{1}, []byte{1}))))
	f.Add([]byte{0, 0, 8, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		dims, pix, err := dataset.ReadIDX(bytes.NewReader(data))
		if err != nil {
			return
		}
		require.True(t, len(dims) >= 1 && len(dims) <= 4, "dimensions %v", dims)
		size := 1
		for _, d := range dims {
			size *= d
		}
		assert.Len(t, pix, size, "the data is what the header %v says", dims)
	})
}

// FuzzReadTable feeds ReadTable arbitrary text. What it accepts has rows,
// columns of one length, uniquely named; a numeric column holds finite
// numbers or NaN only, a text column codes within its values (or -1), and
// every row a line within the file.
func FuzzReadTable(f *testing.F) {
	for _, seed := range []string{
		"age,color,label\n31,red,yes\n,blue,no\n", "a;b\n1,5;x\n", "a\tb\n\"q\tq\"\t2\n", "1|2\n3|4\n",
		"\ufeffx,y\n1,NA\n?,2\n", "a,b\n1,inf\n", "a,a\n1,2\n", "a\n1.0\n1\nx\n", "\"a\nb\",c\n1,2\n", "1,red\n2,blue\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := dataset.ReadTable(bytes.NewReader(data), "f.csv", dataset.ReadOptions{})
		if err != nil {
			assert.Contains(t, err.Error(), "f.csv", "errors name the file")
			return
		}
		require.Positive(t, tab.Rows)
		lines := bytes.Count(data, []byte("\n")) + 1
		names := map[string]bool{}
		for _, c := range tab.Columns {
			require.False(t, names[c.Name], "column %q twice", c.Name)
			require.True(t, utf8.ValidString(c.Name), "column name %q is not UTF-8", c.Name)
			names[c.Name] = true
			if c.IsText() {
				for _, v := range c.Values {
					require.True(t, utf8.ValidString(v), "value %q is not UTF-8: a model file would store it otherwise", v)
				}
				require.Len(t, c.Codes, tab.Rows)
				for _, code := range c.Codes {
					require.True(t, code >= -1 && int(code) < len(c.Values), "code %d of %d values", code, len(c.Values))
				}
				continue
			}
			require.Len(t, c.Numbers, tab.Rows)
			for _, v := range c.Numbers {
				require.False(t, math.IsInf(v, 0), "a numeric column holds %g", v)
			}
		}
		for i := 0; i < tab.Rows; i++ {
			require.True(t, tab.Line(i) >= 1 && tab.Line(i) <= lines, "row %d on line %d of %d", i, tab.Line(i), lines)
		}
	})
}

// FuzzReadNPY feeds the .npy reader arbitrary files, seeded with those
// NumPy wrote in testdata/npy. What it accepts has exactly as many values as
// its shape multiplies to, all finite.
func FuzzReadNPY(f *testing.F) {
	for _, name := range []string{"float64.npy", "int8.npy", "uint64.npy", "bool.npy", "float32-be.npy",
		"fortran-3d.npy", "version2.npy", "version3.npy", "object.npy", "structured.npy", "nan.npy"} {
		data, err := os.ReadFile(filepath.Join(npyDir, name))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add(npy(2, header("|u1", "False", "(268435456,)"), []byte{1, 2, 3}))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := dataset.ReadNPY(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		size := 1
		for _, d := range a.Shape {
			require.GreaterOrEqual(t, d, 0, "shape %v", a.Shape)
			size *= d
		}
		require.Len(t, a.Values, size, "the values are what the shape %v holds", a.Shape)
		for i, v := range a.Values {
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "value %d is %g", i, v)
		}
	})
}
