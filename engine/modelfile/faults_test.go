package modelfile_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/fsys"
	"github.com/perceptron-go/perceptron/engine/fsys/fsystest"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// errnos are the faults the tests inject, taken in turn.
var errnos = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EIO, syscall.EPERM}

// newBytes is what the tests write: more than WriteAtomic buffers, so that
// it takes three writes.
var newBytes = bytes.Repeat([]byte("new bytes "), 250_000)

// writeNew writes newBytes to path with WriteAtomic, 100 kB at a time.
func writeNew(path string) error {
	return modelfile.WriteAtomic(path, func(w io.Writer) error {
		for b := newBytes; len(b) > 0; b = b[min(len(b), 100_000):] {
			if _, err := w.Write(b[:min(len(b), 100_000)]); err != nil {
				return err
			}
		}
		return nil
	})
}

// assertKept checks that path holds old and that no temporary file is left
// in its folder.
func assertKept(t *testing.T, path, old string, msg ...any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err, msg...)
	assert.Equal(t, old, string(data), msg...)
	tmp, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp, msg...)
}

// TestWriteAtomicUnderEveryFault fails each call of each operation of
// WriteAtomic in turn (open, the writes, sync, close, rename, the folder's
// sync), with each errno in turn, once and for good: the error names the
// path and the cause, the file at the path is the old one (the new one
// once the rename is done), and no temporary file is left.
func TestWriteAtomicUnderEveryFault(t *testing.T) {
	points := 0
	for _, op := range []fsystest.Op{fsystest.Open, fsystest.Write, fsystest.Sync, fsystest.Close, fsystest.Rename, fsystest.SyncDir} {
		for n := 1; ; n++ {
			errno := errnos[(points)%len(errnos)]
			f := &fsystest.Faulty{Op: op, N: n, Err: errno, Persist: n%2 == 0}
			path := write(t, t.TempDir(), "m.safetensors", "old")
			restore := fsys.Replace(f)
			err := writeNew(path)
			restore()
			if f.Failed() == "" {
				require.NoError(t, err, "%v", f)
				assert.Greater(t, n, 1, "%v: every operation is called", op)
				break
			}
			points++
			require.ErrorIs(t, err, errno, "%v", f)
			assert.True(t, strings.HasPrefix(err.Error(), "cannot write "+path+": "), "%v: %v", f, err)
			assert.NotContains(t, err.Error(), ".tmp", "%v: the error names the path, not the temporary file", f)
			if op == fsystest.SyncDir {
				assert.ErrorContains(t, err, "syncing its folder after the rename: "+path+" is in place, but a power cut could still undo it")
				assertKept(t, path, string(newBytes), f)
				continue
			}
			assertKept(t, path, "old", f)
		}
	}
	assert.Equal(t, 8, points, "fault points: one each, the writes three")
}

// remountAtRename is the operating system's file system, which remounts
// dir read-only just before its first rename: the folder turns read-only
// after the temporary file is written.
type remountAtRename struct {
	fsys.OS
	t    *testing.T
	dir  string
	done *bool
}

func (r remountAtRename) Rename(oldpath, newpath string) error {
	if !*r.done {
		fsystest.Remount(r.t, r.dir, "ro")
		*r.done = true
	}
	return r.OS.Rename(oldpath, newpath)
}

// TestWriteAtomicOnRealFaults writes where the kernel itself refuses, as
// root: a full tmpfs, one without inodes left, an immutable file and
// folder, a read-only mount, and a folder made read-only after the
// temporary file was written (which cannot be removed then: the error
// says so, and the next write removes it).
func TestWriteAtomicOnRealFaults(t *testing.T) {
	for _, c := range []struct {
		name   string
		size   int
		inodes int
		before func(t *testing.T, dir, path string)
		want   string // after "cannot write PATH: ", with DIR for the folder
	}{
		{"full", 64 << 10, 16, nil, "no space left on the device holding DIR (free some, or write elsewhere)"},
		{"no inodes", 4 << 20, 2, nil, "no inodes left on the device holding DIR: it can hold no more files (remove some, or write elsewhere)"},
		{"immutable file", 4 << 20, 16, func(t *testing.T, _, path string) { fsystest.Chattr(t, "+i", path) },
			"the file PATH is immutable (chattr +i; chattr -i PATH lifts it)"},
		{"immutable folder", 4 << 20, 16, func(t *testing.T, dir, _ string) { fsystest.Chattr(t, "+i", dir) },
			"the folder DIR is immutable (chattr +i; chattr -i DIR lifts it)"},
		{"read-only", 4 << 20, 16, func(t *testing.T, dir, _ string) { fsystest.Remount(t, dir, "ro") }, "DIR is on a read-only file system"},
		{"read-only after the temporary file", 4 << 20, 16, func(t *testing.T, dir, _ string) {
			t.Cleanup(fsys.Replace(remountAtRename{t: t, dir: dir, done: new(bool)}))
		},
			"DIR is on a read-only file system; PATH was unchanged, but its temporary file DIR/.m.safetensors.PID.tmp could not be removed " +
				"(DIR is on a read-only file system): it is left as it was, and the next write of PATH removes it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := fsystest.Tmpfs(t, c.size, c.inodes)
			path := write(t, dir, "m.safetensors", "old")
			if c.before != nil {
				c.before(t, dir, path)
			}
			err := writeNew(path)
			want := strings.NewReplacer("PATH", path, "DIR", dir, "PID", strconv.Itoa(os.Getpid())).Replace(c.want)
			require.EqualError(t, err, "cannot write "+path+": "+want)
			data, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			assert.Equal(t, "old", string(data), "the old file is kept")
			if c.name != "read-only after the temporary file" {
				assertKept(t, path, "old")
				return
			}
			fsystest.Remount(t, dir, "rw")
			require.NoError(t, writeNew(path), "the next write")
			assertKept(t, path, string(newBytes), "the next write removes the temporary file")
		})
	}
}
