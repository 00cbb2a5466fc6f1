package tensorboard

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/fsys"
	"github.com/perceptron-go/perceptron/engine/fsys/fsystest"
)

// logThree creates a writer in dir, logs three epochs and closes it,
// returning the file's path ("" if none was made) and the first error.
func logThree(dir string) (string, error) {
	w, err := create(dir, func() time.Time { return time.Unix(1_800_000_000, 0) })
	if err != nil {
		return "", err
	}
	for epoch := 1; epoch <= 3; epoch++ {
		if err := w.Epoch(engine.EpochStats{Epoch: epoch, Loss: 1 / float64(epoch)}); err != nil {
			w.Close()
			return w.Path(), err
		}
	}
	return w.Path(), w.Close()
}

// TestEveryFaultLeavesWholeRecords fails each call of each operation of a
// writer in turn (the folder's mkdir, the file's open, each record's write,
// the sync and close at the end) with ENOSPC, EIO or EDQUOT: the error names
// the event file and the cause, and the file holds whole records only, the
// version's and those of the epochs before the fault (a failed write is cut
// back), or is not there when its first record failed.
func TestEveryFaultLeavesWholeRecords(t *testing.T) {
	errnos := []syscall.Errno{syscall.ENOSPC, syscall.EIO, syscall.EDQUOT}
	points := 0
	for _, op := range []fsystest.Op{fsystest.Mkdir, fsystest.Open, fsystest.Write, fsystest.Sync, fsystest.Close} {
		for n := 1; ; n++ {
			f := &fsystest.Faulty{Op: op, N: n, Err: errnos[points%len(errnos)]}
			dir := filepath.Join(t.TempDir(), "runs")
			restore := fsys.Replace(f)
			path, err := logThree(dir)
			restore()
			if f.Failed() == "" {
				require.NoError(t, err, "%v", f)
				break
			}
			points++
			require.ErrorIs(t, err, f.Err, "%v", f)
			assert.True(t, strings.HasPrefix(err.Error(), "tensorboard: cannot write "+dir+string(filepath.Separator)+"events.out.tfevents"), "%v: %v", f, err)
			files, _ := filepath.Glob(filepath.Join(dir, "events.*"))
			if op == fsystest.Mkdir || op == fsystest.Open || op == fsystest.Write && n == 1 {
				assert.Empty(t, files, "%v: no file without its version record", f)
				continue
			}
			require.Equal(t, []string{path}, files, "%v", f)
			events := readEvents(t, path) // fails on a record cut short
			wantEpochs := 3
			if op == fsystest.Write {
				wantEpochs = n - 2
			}
			require.Len(t, events, 1+wantEpochs, "%v: the version and the epochs before the fault", f)
			for i, e := range events[1:] {
				assert.Equal(t, int64(i+1), e.step, "%v", f)
			}
		}
	}
	assert.Equal(t, 1+1+4+1+1, points, "fault points: mkdir, open, four records, sync, close")
}

// TestRemovedFolder removes the log's folder between two epochs: the next
// epoch's record is an error naming the folder, not a write into a file
// no reader will find.
func TestRemovedFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "runs")
	w, err := Create(dir)
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Epoch(engine.EpochStats{Epoch: 1, Loss: 1}))
	require.NoError(t, os.RemoveAll(dir))
	err = w.Epoch(engine.EpochStats{Epoch: 2, Loss: 0.5})
	require.ErrorIs(t, err, syscall.ENOENT)
	assert.EqualError(t, err, "tensorboard: cannot write "+w.Path()+": the folder "+dir+" does not exist: it was removed, or never made")
}

// TestFullDevice logs to a tmpfs too small for the records, as root: the
// error says the device is full, and the file holds whole records only.
func TestFullDevice(t *testing.T) {
	dir := fsystest.Tmpfs(t, 4096, 16) // one page
	w, err := Create(dir)
	require.NoError(t, err)
	for epoch := 1; ; epoch++ {
		require.Less(t, epoch, 1000, "the device never filled")
		if err = w.Epoch(engine.EpochStats{Epoch: epoch, Loss: 1}); err != nil {
			break
		}
	}
	w.Close()
	assert.EqualError(t, err, "tensorboard: cannot write "+w.Path()+": no space left on the device holding "+dir+" (free some, or write elsewhere)")
	assert.NotEmpty(t, readEvents(t, w.Path()))
}
