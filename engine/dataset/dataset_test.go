package dataset_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// idx encodes an IDX file of unsigned bytes.
func idx(dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestLoadIDX(t *testing.T) {
	pix := []byte{0, 255, 51, 102, 0, 0, 0, 255} // two 2×2 images
	for _, zip := range []bool{false, true} {
		images, labels := idx([]uint32{2, 2, 2}, pix), idx([]uint32{2}, []byte{7, 3})
		if zip {
			images, labels = gz(images), gz(labels)
		}
		s, err := dataset.LoadIDX(writeFile(t, "img", images), writeFile(t, "lab", labels))
		require.NoError(t, err, "gzip %v", zip)
		assert.Equal(t, 2, s.N)
		assert.Equal(t, 4, s.Features)
		assert.Nil(t, s.X, "images are held as their bytes")
		assert.Equal(t, pix, s.Codes.Bytes)
		assert.Equal(t, []float64{0, 1, 0.2, 0.4, 0, 0, 0, 1}, s.Rows(0, 2, nil))
		assert.Equal(t, []float64{0, 0, 0, 1}, s.Row(1, nil))
		assert.Equal(t, []float64{7, 3}, s.Labels)
	}
}

func TestPixelValuesAreThoseOfFloat64Division(t *testing.T) {
	pix := make([]byte, 256)
	for p := range pix {
		pix[p] = byte(p)
	}
	s, err := dataset.LoadIDX(writeFile(t, "img", idx([]uint32{1, 16, 16}, pix)), writeFile(t, "lab", idx([]uint32{1}, []byte{0})))
	require.NoError(t, err)
	as64, as32 := make([]float64, 256), make([]float32, 256)
	dataset.Values(as64, s.X, s.Codes, 0)
	dataset.Values(as32, s.X, s.Codes, 0)
	for p := range pix {
		require.Equal(t, float64(p)/255, as64[p], "pixel %d as float64", p)
		require.Equal(t, float32(float64(p)/255), as32[p], "pixel %d as float32: the float64 value rounded once", p)
	}
	assert.Equal(t, as64, s.Float64s(), "Float64s holds the same values")
	assert.Nil(t, s.Codes, "and the set holds them as float64 from then on")
	assert.Equal(t, as64[:3], s.Row(0, nil)[:3])
}

// LoadIDX holds the images as the file's bytes: what it allocates beyond
// them (read once, through a buffer that doubles) is bounded by a small
// multiple of the pixels, not the 8 bytes a pixel float64 values take.
func TestLoadIDXHoldsBytes(t *testing.T) {
	const n, side = 2000, 28
	pix := make([]byte, n*side*side)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	images, labels := writeFile(t, "img", gz(idx([]uint32{n, side, side}, pix))), writeFile(t, "lab", idx([]uint32{n}, make([]byte, n)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, err := dataset.LoadIDX(images, labels)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, pix, s.Codes.Bytes)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(3*len(pix)+8*n+1<<20), "bytes allocated to load %d pixels", len(pix))
	t.Logf("%d bytes allocated to load %d pixels", allocated, len(pix))
}

func TestLoadIDXErrors(t *testing.T) {
	good := writeFile(t, "lab", idx([]uint32{2}, []byte{1, 2}))
	for i, c := range []struct {
		images []byte
		want   string
	}{
		{idx([]uint32{2, 2, 2}, []byte{1, 2, 3}), "truncated: header [2 2 2] needs 8 bytes of data, found 3"},
		{gz(idx([]uint32{2, 2, 2}, []byte{1, 2, 3})), "truncated"},
		{[]byte{0, 0}, "truncated: no IDX header"},
		{[]byte{0, 0, 0, 3, 0, 0, 0, 1}, "not an IDX file of unsigned bytes"},
		{[]byte{0, 0, 8, 3, 0, 0}, "truncated in the header's dimension 1"},
		{idx([]uint32{2}, []byte{1, 2}), "expected images"},
		{idx([]uint32{3, 1, 1}, []byte{1, 2, 3}), "expected 3 labels"},
		{idx([]uint32{2, 0, 2}, nil), "every size at least 1"},
		{idx([]uint32{2, 2, 2}, make([]byte, 9)), "the file goes on past the 8 bytes of data its header [2 2 2] gives"},
		{corruptCRC(gz(idx([]uint32{2, 2, 2}, make([]byte, 8)))), "gzip: invalid checksum"},
		{idx([]uint32{60000, 28, 28}, nil), "truncated: header [60000 28 28] needs 47040000 bytes of data, found 0"},
		{idx([]uint32{65536, 65536}, nil), "IDX header gives dimensions [65536 65536]: more than 134217728 bytes"},
		{idx([]uint32{172000, 28, 28}, nil), "IDX header gives dimensions [172000 28 28]: more than 134217728 bytes"},
	} {
		_, err := dataset.LoadIDX(writeFile(t, "img", c.images), good)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}

// corruptCRC flips a bit of a gzip stream's CRC-32, which follows the data.
func corruptCRC(z []byte) []byte {
	z[len(z)-8] ^= 1
	return z
}

func TestReadIDXAllocatesWhatArrives(t *testing.T) {
	claim := idx([]uint32{dataset.MaxIDXBytes}, []byte{1, 2, 3}) // 128 MiB promised, 3 bytes there
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := dataset.ReadIDX(bytes.NewReader(claim))
	runtime.ReadMemStats(&after)
	assert.ErrorContains(t, err, "needs 134217728 bytes of data, found 3")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "bytes allocated for a header's empty promise")
}

// writeMNIST writes the four MNIST files into a new folder: the training set
// of trainImages 1×1 images labelled trainLabels, and a test set of one image
// of testPixels pixels labelled testLabel.
func writeMNIST(t *testing.T, trainLabels []byte, testPixels int, testLabel byte) string {
	t.Helper()
	dir := t.TempDir()
	n := uint32(len(trainLabels))
	for name, body := range map[string][]byte{
		dataset.MNISTTrainImages: idx([]uint32{n, 1, 1}, make([]byte, n)),
		dataset.MNISTTrainLabels: idx([]uint32{n}, trainLabels),
		dataset.MNISTTestImages:  idx([]uint32{1, 1, uint32(testPixels)}, make([]byte, testPixels)),
		dataset.MNISTTestLabels:  idx([]uint32{1}, []byte{testLabel}),
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), gz(body), 0o644))
	}
	return dir
}

func TestLoadMNISTChecksLabelsAndShapes(t *testing.T) {
	train, test, err := dataset.LoadMNIST(writeMNIST(t, []byte{0, 9, 4}, 1, 7))
	require.NoError(t, err)
	assert.Equal(t, []int{3, 1, 10}, []int{train.N, train.Features, train.Classes})
	assert.Equal(t, 10, test.Classes)

	_, _, err = dataset.LoadMNIST(writeMNIST(t, []byte{0, 10, 4}, 1, 7))
	assert.ErrorContains(t, err, dataset.MNISTTrainLabels+": item 1 has label 10, expected a digit 0 to 9")
	_, _, err = dataset.LoadMNIST(writeMNIST(t, []byte{0}, 1, 255))
	assert.ErrorContains(t, err, dataset.MNISTTestLabels+": item 0 has label 255")
	_, _, err = dataset.LoadMNIST(writeMNIST(t, []byte{0}, 4, 1))
	assert.ErrorContains(t, err, dataset.MNISTTestImages+": images of 4 pixels, but those of "+dataset.MNISTTrainImages+" have 1")
}

func TestLoadMNISTMissing(t *testing.T) {
	dir := t.TempDir()
	_, _, err := dataset.LoadMNIST(dir)
	assert.ErrorIs(t, err, dataset.ErrNoMNIST)
	assert.EqualError(t, err, "MNIST files not found: no "+dataset.MNISTTrainImages+" in "+dir)
	_, _, err = dataset.LoadMNIST("")
	assert.ErrorIs(t, err, dataset.ErrNoMNIST)
	assert.EqualError(t, err, "MNIST files not found: no folder given", "the folder is the caller's to find")
}

func TestTargets(t *testing.T) {
	s := dataset.New(make([]float64, 3), []float64{0, 2, 1}, 1)
	y, err := s.Targets(3)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 0, 0, 0, 0, 1, 0, 1, 0}, y)
	y, err = s.Targets(1)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 2, 1}, y, "one output takes the labels as they are")
	_, err = s.Targets(2)
	assert.ErrorContains(t, err, "3 classes but the network has 2 outputs")
	_, err = dataset.New(make([]float64, 2), []float64{0.5, 1}, 1).Targets(2)
	assert.ErrorContains(t, err, "needs class labels 0..1")
}

// splitSets returns the same 50 examples of two features, rows (i, -i)
// labelled i%2, held as float64 values and as codes.
func splitSets() []*dataset.Set {
	x, codes, labels := make([]float64, 100), make([]byte, 100), make([]float64, 50)
	var levels [256]float64
	for i := range labels {
		x[2*i], x[2*i+1], labels[i] = float64(i), float64(-i), float64(i%2)
		codes[2*i], codes[2*i+1] = byte(i), byte(128+i)
		levels[i], levels[128+i] = float64(i), float64(-i)
	}
	return []*dataset.Set{dataset.New(x, labels, 2), dataset.NewCoded(codes, &levels, slices.Clone(labels), 2)}
}

func TestSplit(t *testing.T) {
	var splits [][]float64
	for _, s := range splitSets() {
		train, test, err := s.Split(0.2, 7)
		require.NoError(t, err)
		assert.Equal(t, 40, train.N)
		assert.Equal(t, 10, test.N)
		seen := map[float64]bool{}
		for _, part := range []*dataset.Set{train, test} {
			for i := 0; i < part.N; i++ {
				row := part.Row(i, nil)
				assert.Equal(t, -row[0], row[1], "rows stay whole")
				assert.Equal(t, float64(int(row[0])%2), part.Labels[i], "labels follow their rows")
				assert.False(t, seen[row[0]], "row %g in both parts", row[0])
				seen[row[0]] = true
			}
		}
		assert.Len(t, seen, 50, "every row in one part")
		assert.Equal(t, append(train.Rows(0, 40, nil), test.Rows(0, 10, nil)...), s.Rows(0, 50, nil), "s is shuffled in place: train, then test")
		assert.Equal(t, append(slices.Clone(train.Labels), test.Labels...), s.Labels)
		splits = append(splits, append(train.Rows(0, 40, nil), test.Rows(0, 10, nil)...))
		if s.X != nil {
			train.X[0]++
			assert.Equal(t, train.X[0], s.X[0], "the parts share s's memory")
			assert.Len(t, append(train.X, 0), 81, "appending to a part does not write over the next")
			assert.Equal(t, s.X[80], test.X[0])
		}
	}
	assert.Equal(t, splits[0], splits[1], "a coded set splits as the same values held as float64")

	again := splitSets()[0]
	_, _, err := again.Split(0.2, 7)
	require.NoError(t, err)
	assert.Equal(t, splits[0], again.X, "same seed, same split")
	s := splitSets()[1]
	whole, none, err := s.Split(0, 7)
	require.NoError(t, err)
	assert.Same(t, s, whole, "no test split keeps the set and its order")
	assert.Equal(t, 0, none.N)
	assert.NotNil(t, none.Codes, "an empty part is held as s is")
	_, _, err = s.Split(1, 7)
	assert.ErrorContains(t, err, "test split must be in [0, 1), found 1")
}

// Split holds no second copy of the rows: what it allocates is its
// permutation and a flag per example, 9 bytes an example (the bound allows
// twice that, for size classes and a row buffer), not the 800 bytes of
// each example's 100 features.
func TestSplitAllocatesNoCopy(t *testing.T) {
	const n, features = 10000, 100
	s := dataset.New(make([]float64, n*features), make([]float64, n), features)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := s.Split(0.1, 3)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(2*(9*n+8*features)), "bytes allocated to split %d bytes of features (a copy is 8 a value)", 8*n*features)
	t.Logf("%d bytes allocated to split %d examples", allocated, n)
}

func TestSubset(t *testing.T) {
	for _, s := range splitSets() {
		sub := s.Subset([]int{3, 0, 3})
		assert.Equal(t, []float64{3, -3, 0, 0, 3, -3}, sub.Rows(0, 3, nil))
		assert.Equal(t, []float64{1, 0, 1}, sub.Labels)
		assert.Equal(t, s.X == nil, sub.X == nil, "held as s is")
		sub.Labels[0] = 5
		assert.Equal(t, 1.0, s.Labels[3], "a copy")
	}
}

func TestScalerOnCodes(t *testing.T) {
	sets := splitSets()
	for _, kind := range []dataset.Scaling{dataset.MinMax, dataset.Standardise} {
		assert.Equal(t, dataset.FitScaler(kind, sets[0]), dataset.FitScaler(kind, sets[1]), "%s: fitted on codes as on their float64 values", kind)
	}
}

func TestScalers(t *testing.T) {
	s := dataset.New([]float64{1, 10, 3, 10, 5, 10}, []float64{0, 1, 0}, 2)
	mm := dataset.FitScaler(dataset.MinMax, s)
	x := []float64{1, 10, 5, 10, 7, 3}
	mm.Apply(x)
	assert.Equal(t, []float64{0, 0, 1, 0, 1.5, -7}, x, "fitted on s: min 1, range 4; constant column maps to 0")
	st := dataset.FitScaler(dataset.Standardise, s)
	assert.Equal(t, []float64{3, 10}, st.Offset)
	assert.InDelta(t, 1/math.Sqrt(8.0/3), st.Scale[0], 1e-15)
	assert.Equal(t, 1.0, st.Scale[1])
	_, err := dataset.ParseScaling("zscore")
	assert.ErrorContains(t, err, "expected none, minmax or standard")
}

func TestSynthetic(t *testing.T) {
	for _, name := range dataset.SyntheticNames() {
		a, err := dataset.Synthetic(name, 300, -1, 5)
		require.NoError(t, err, name)
		b, err := dataset.Synthetic(name, 300, -1, 5)
		require.NoError(t, err, name)
		assert.Equal(t, a.X, b.X, "%s: same seed, same data", name)
		assert.Equal(t, 2, a.Features, name)
		assert.GreaterOrEqual(t, a.Classes, 2, name)
		c, err := dataset.Synthetic(name, 300, -1, 6)
		require.NoError(t, err, name)
		assert.NotEqual(t, a.X, c.X, "%s: another seed, other data", name)
	}
	blobs, _ := dataset.Synthetic("blobs", 30, -1, 1)
	assert.Equal(t, 3, blobs.Classes)
	_, err := dataset.Synthetic("swirl", 10, -1, 1)
	assert.ErrorContains(t, err, `unknown synthetic data set "swirl"`)
	_, err = dataset.Synthetic("xor", 0, -1, 1)
	assert.ErrorContains(t, err, "at least 1 example")
}

// TestFitTargets checks the standardisation of regression labels, per
// output of a set of two: the mean and the population standard deviation
// (as scikit-learn's StandardScaler), a constant output left at scale 1,
// and labels of mean 0 and variance 1 once applied.
func TestFitTargets(t *testing.T) {
	s := &dataset.Set{X: make([]float64, 4), Labels: []float64{10, 5, 20, 5, 30, 5, 40, 5}, N: 4, Features: 1, Outputs: 2}
	sc := dataset.FitTargets(s)
	assert.Equal(t, dataset.Standardise, sc.Kind)
	assert.Equal(t, []float64{25, 5}, sc.Offset)
	assert.InDelta(t, 1/math.Sqrt(125), sc.Scale[0], 1e-15)
	assert.Equal(t, 1.0, sc.Scale[1], "a constant output keeps scale 1")
	sc.Apply(s.Labels)
	var sum, ss float64
	for i := range 4 {
		v := s.Labels[2*i]
		sum, ss = sum+v, ss+v*v
		assert.Zero(t, s.Labels[2*i+1])
	}
	assert.InDelta(t, 0, sum/4, 1e-15)
	assert.InDelta(t, 1, ss/4, 1e-15)
	one := dataset.New([]float64{1, 2, 3}, []float64{2, 4, 9}, 1)
	assert.Equal(t, []float64{5}, dataset.FitTargets(one).Offset, "one output: the labels' mean")
}
