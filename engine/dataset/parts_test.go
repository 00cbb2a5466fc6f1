package dataset_test

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// randomCSV writes rows of numbers (some missing, some with the spelling
// "1.50"), an optional text column, and a label column of classes or
// numbers.
func randomCSV(rng *rand.Rand, rows, cols int, text, regress bool) string {
	var b strings.Builder
	for j := range cols {
		fmt.Fprintf(&b, "x%d,", j)
	}
	if text {
		b.WriteString("colour,")
	}
	b.WriteString("y\n")
	for range rows {
		for range cols {
			switch rng.IntN(10) {
			case 0:
				b.WriteString(",")
			case 1:
				fmt.Fprintf(&b, "%.2f,", float64(rng.IntN(8))/2)
			default:
				fmt.Fprintf(&b, "%g,", rng.NormFloat64()*100)
			}
		}
		if text {
			b.WriteString([]string{"red,", "green,", ",", "blue,"}[rng.IntN(4)])
		}
		if regress {
			fmt.Fprintf(&b, "%g\n", rng.NormFloat64())
		} else {
			fmt.Fprintf(&b, "%d\n", rng.IntN(3))
		}
	}
	return b.String()
}

// onlyReader hides every method of a reader but Read: a pipe, which
// ReadTable cannot count ahead.
type onlyReader struct{ io.Reader }

// TestTransformPartsIsTransform checks that TransformParts makes, bit for
// bit, the sets Transform makes of each part, whether it rewrites the
// table's array in place (numbers only, read from a file or a reader that
// seeks) or not (a text column, a pipe longer than 64 KiB), for splits of
// every size and each scaling.
func TestTransformPartsIsTransform(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	dir := t.TempDir()
	for trial := range 24 {
		rows, cols := 1+rng.IntN(300), 1+rng.IntN(6)
		text, regress := trial%4 == 3, trial%3 == 1
		pipe := trial%6 == 5
		if pipe {
			rows = 3000 // past the 64 KiB ReadTable counts in a pipe
		}
		csv := randomCSV(rng, rows, cols, text, regress)
		scale := []dataset.Scaling{dataset.NoScaling, dataset.Standardise, dataset.MinMax}[trial%3]
		path := filepath.Join(dir, fmt.Sprintf("t%d.csv", trial))
		require.NoError(t, os.WriteFile(path, []byte(csv), 0o644))
		read := func() *dataset.Table {
			var tab *dataset.Table
			var err error
			switch {
			case pipe:
				tab, err = dataset.ReadTable(onlyReader{strings.NewReader(csv)}, path, dataset.ReadOptions{})
			case trial%2 == 0:
				tab, err = dataset.LoadTable(path, dataset.ReadOptions{})
			default:
				tab, err = dataset.ReadTable(strings.NewReader(csv), path, dataset.ReadOptions{})
			}
			require.NoError(t, err)
			return tab
		}
		ref, consumed := read(), read()
		train, test, err := dataset.SplitRows(rows, []float64{0, 0.2, 0.5}[trial%3], uint64(trial))
		require.NoError(t, err)
		task := dataset.TaskAuto
		if regress {
			task = dataset.Regress
		}
		prep, err := dataset.FitPreprocessor(ref, train, dataset.PrepOptions{Scale: scale, Task: task})
		if err != nil { // a split whose training rows hold one class, or a column all missing
			continue
		}
		parts := [][]int{train}
		if test != nil {
			parts = append(parts, test)
		}
		sets, notes, err := prep.TransformParts(consumed, parts...)
		require.NoError(t, err, "trial %d", trial)
		require.Len(t, sets, len(parts))
		for k, rows := range parts {
			want, wantNotes, err := prep.Transform(ref, rows)
			require.NoError(t, err)
			got := sets[k]
			require.Equal(t, want.N, got.N)
			require.Equal(t, want.Features, got.Features)
			require.Len(t, got.X, len(want.X))
			for i := range want.X {
				require.Equal(t, math.Float64bits(want.X[i]), math.Float64bits(got.X[i]), "trial %d part %d value %d", trial, k, i)
			}
			assert.Equal(t, want.Labels, got.Labels)
			assert.Equal(t, want.Classes, got.Classes)
			assert.Equal(t, want.ClassNames, got.ClassNames)
			assert.Equal(t, wantNotes, notes[k])
			assert.Equal(t, len(got.X), cap(got.X), "a part's features end where the next part's begin")
		}
		assert.Zero(t, consumed.Rows, "the table is emptied")
	}
}

func TestTransformPartsRefusesARowTwice(t *testing.T) {
	tab, err := readTable(t, "a,b,y\n1,2,0\n3,4,1\n5,6,0\n", dataset.ReadOptions{})
	require.NoError(t, err)
	prep, err := dataset.FitPreprocessor(tab, nil, dataset.PrepOptions{})
	require.NoError(t, err)
	_, _, err = prep.TransformParts(tab, []int{0, 1}, []int{1, 2})
	require.EqualError(t, err, "f.csv: row 1 (line 3) is in two parts")
}

// peakHeap returns the most heap that f holds at once beyond what was held
// before, sampled every 100 µs with the collector running after each 1%
// of growth, so that the heap holds little more than what is live.
func peakHeap(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(1))
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base, peak := heap(), uint64(0)
	stop, done := make(chan bool), make(chan bool)
	go func() {
		for {
			peak = max(peak, heap())
			select {
			case <-stop:
				close(done)
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()
	f()
	stop <- true
	<-done
	peak = max(peak, heap())
	return peak - min(base, peak)
}

// TestReadAndTransformPeakUnder2xTheFile reads a CSV of short numbers (6
// bytes a cell, where a float64 takes 8) and turns it into a training and
// a test set: the heap never holds more than twice the file's size, those
// sets included. Columns that grew by appending, then copied into the
// features, held 2.9 times the file (1.77 now, the features and labels
// being 1.36).
func TestReadAndTransformPeakUnder2xTheFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const rows, cols = 50000, 30
	var b strings.Builder
	for j := range cols {
		fmt.Fprintf(&b, "f%d,", j)
	}
	b.WriteString("label\n")
	for range rows {
		for range cols {
			fmt.Fprintf(&b, "%.3f,", rng.Float64())
		}
		fmt.Fprintf(&b, "%d\n", rng.IntN(2))
	}
	path := filepath.Join(t.TempDir(), "short.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	size := uint64(b.Len())
	b = strings.Builder{}

	var sets []*dataset.Set
	peak := peakHeap(func() {
		tab, err := dataset.LoadTable(path, dataset.ReadOptions{})
		require.NoError(t, err)
		train, test, err := dataset.SplitRows(tab.Rows, 0.2, 1)
		require.NoError(t, err)
		prep, err := dataset.FitPreprocessor(tab, train, dataset.PrepOptions{Scale: dataset.Standardise})
		require.NoError(t, err)
		sets, _, err = prep.TransformParts(tab, train, test)
		require.NoError(t, err)
	})
	features := 8 * (sets[0].N + sets[1].N) * (sets[0].Features + 1)
	t.Logf("file %d bytes, features and labels %d bytes, peak heap %d bytes (%.2f× the file)", size, features, peak, float64(peak)/float64(size))
	assert.Less(t, peak, 2*size)
	assert.Equal(t, rows*4/5, sets[0].N)
}
