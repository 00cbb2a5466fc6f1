package fsystest_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/fsys/fsystest"
)

// writeThree writes a, b and c through f, each created, written twice,
// synced, closed and renamed into place, and returns the first error.
func writeThree(f *fsystest.Faulty, dir string) error {
	for _, name := range []string{"a", "b", "c"} {
		if err := f.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		file, err := f.OpenFile(filepath.Join(dir, name+".tmp"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		for _, half := range []string{"0123", "4567"} {
			if _, err := file.Write([]byte(half)); err != nil {
				file.Close()
				return err
			}
		}
		if err := file.Sync(); err != nil {
			file.Close()
			return err
		}
		if err := file.Close(); err != nil {
			return err
		}
		if err := f.Rename(filepath.Join(dir, name+".tmp"), filepath.Join(dir, name)); err != nil {
			return err
		}
		if err := f.SyncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

func TestFaultyFailsTheNthCallOfItsOperation(t *testing.T) {
	perFile := map[fsystest.Op]int{fsystest.Mkdir: 1, fsystest.Open: 1, fsystest.Write: 2, fsystest.Sync: 1, fsystest.Close: 1, fsystest.Rename: 1, fsystest.SyncDir: 1}
	for _, op := range fsystest.Ops {
		for n := 1; n <= 3*perFile[op]; n++ {
			for _, persist := range []bool{false, true} {
				dir := t.TempDir()
				f := &fsystest.Faulty{Op: op, N: n, Err: syscall.ENOSPC, Persist: persist}
				err := writeThree(f, dir)
				require.ErrorIs(t, err, syscall.ENOSPC, "%v", f)
				assert.Equal(t, n, f.Calls(op), "%v: the failed call is the Nth", f)
				file := (n - 1) / perFile[op] // the file the fault hit: a, b or c
				if op == fsystest.SyncDir {
					file++ // renamed into place before
				}
				written, _ := filepath.Glob(filepath.Join(dir, "[abc]"))
				assert.Len(t, written, file, "%v: the files before it are written", f)
				assert.NotEmpty(t, f.Failed(), "%v", f)
				if op == fsystest.Write {
					data, err := os.ReadFile(filepath.Join(dir, string(rune('a'+file))+".tmp"))
					require.NoError(t, err)
					assert.Equal(t, []string{"01", "012345"}[(n-1)%2], string(data), "%v: the failed write wrote half", f)
				}
				var pathErr *fs.PathError
				var linkErr *os.LinkError
				assert.True(t, errors.As(err, &pathErr) || errors.As(err, &linkErr), "%v: an error of package os's types", f)
			}
		}
		f := &fsystest.Faulty{Op: op, N: 3*perFile[op] + 1, Err: syscall.EIO}
		require.NoError(t, writeThree(f, t.TempDir()), "%v: past the calls made, nothing fails", f)
		assert.Empty(t, f.Failed())
	}
}

func TestFaultyPersists(t *testing.T) {
	dir := t.TempDir()
	once := &fsystest.Faulty{Op: fsystest.Open, N: 1, Err: syscall.EROFS}
	require.Error(t, writeThree(once, dir))
	require.NoError(t, writeThree(once, dir), "a fault that does not persist fails one call")
	always := &fsystest.Faulty{Op: fsystest.Open, N: 1, Err: syscall.EROFS, Persist: true}
	require.Error(t, writeThree(always, dir))
	require.ErrorIs(t, writeThree(always, dir), syscall.EROFS, "a persistent fault fails every later call")
	assert.Equal(t, filepath.Join(dir, "a.tmp"), always.Failed(), "Failed names the first")
	assert.Equal(t, "open #1 and every later one fails with EROFS", always.String())
}
