package fsys_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/fsys"
	"github.com/perceptron-go/perceptron/engine/fsys/fsystest"
)

// failed returns the error package os returns for op on name with errno.
func failed(op, name string, errno syscall.Errno) error {
	return &fs.PathError{Op: op, Path: name, Err: errno}
}

func TestExplainSaysTheCauseInPlainWords(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	tmp := filepath.Join(dir, ".m.safetensors.1.tmp")
	gone := filepath.Join(dir, "gone", "m.safetensors")
	for _, c := range []struct {
		path string
		err  error
		want string
	}{
		{path, failed("write", tmp, syscall.ENOSPC), "no space left on the device holding " + dir + " (free some, or write elsewhere)"},
		{path, failed("write", tmp, syscall.EDQUOT), "the disk quota on the device holding " + dir + " is used up (free some, or write elsewhere)"},
		{path, failed("open", tmp, syscall.EROFS), dir + " is on a read-only file system"},
		{path, failed("sync", tmp, syscall.EIO), "input/output error on the device holding " + dir + " (a failing disk, or a network file system that went away)"},
		{path, failed("open", tmp, syscall.EACCES), "no permission to write in the folder " + dir},
		{path, &os.LinkError{Op: "rename", Old: tmp, New: path, Err: syscall.EPERM}, "the file system does not permit writing " + path},
		{gone, failed("open", tmp, syscall.ENOENT), "the folder " + filepath.Dir(gone) + " does not exist: it was removed, or never made"},
		{path, &os.LinkError{Op: "rename", Old: tmp, New: path, Err: syscall.ENOENT}, tmp + " was removed while it was written"},
		{filepath.Join(path, "x"), failed("open", tmp, syscall.ENOTDIR), path + " is not a folder (or a folder above it is not)"},
		{path, failed("open", tmp, syscall.EMFILE), "too many open files"},
		{path, errors.New("the encoder's own words"), "the encoder's own words"},
	} {
		err := fsys.Explain(c.path, c.err)
		assert.EqualError(t, err, "cannot write "+c.path+": "+c.want)
		assert.ErrorIs(t, err, c.err, "%s: the file system's error is kept", c.want)
	}
}

func TestExplainTellsImmutableAndAppendOnlyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	rename := &os.LinkError{Op: "rename", Old: path + ".tmp", New: path, Err: syscall.EPERM}
	fsystest.Chattr(t, "+i", path)
	assert.EqualError(t, fsys.Explain(path, rename), "cannot write "+path+": the file "+path+" is immutable (chattr +i; chattr -i "+path+" lifts it)")
	require.Error(t, os.Rename(filepath.Join(t.TempDir(), "x"), path), "the kernel's EPERM")
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	fsystest.Chattr(t, "+a", sub)
	in := filepath.Join(sub, "m.safetensors")
	assert.EqualError(t, fsys.Explain(in, rename), "cannot write "+in+": the folder "+sub+" is append-only (chattr +a): files can be added to it, not replaced")
	fsystest.Chattr(t, "+i", sub)
	_, err := os.Create(in)
	require.ErrorIs(t, err, syscall.EPERM, "the kernel refuses a file in an immutable folder")
	assert.EqualError(t, fsys.Explain(in, err), "cannot write "+in+": the folder "+sub+" is immutable (chattr +i; chattr -i "+sub+" lifts it)")
}

func TestExplainTellsNoInodesFromNoSpace(t *testing.T) {
	dir := fsystest.Tmpfs(t, 1<<20, 2) // the root and one file
	path := filepath.Join(dir, "m.safetensors")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	_, err := os.Create(filepath.Join(dir, ".m.safetensors.1.tmp"))
	require.ErrorIs(t, err, syscall.ENOSPC, "the kernel's error for no inode left")
	assert.EqualError(t, fsys.Explain(path, err), "cannot write "+path+": no inodes left on the device holding "+dir+": it can hold no more files (remove some, or write elsewhere)")
}

func TestReplaceRestoresTheOperatingSystems(t *testing.T) {
	dir := t.TempDir()
	f := &fsystest.Faulty{Op: fsystest.SyncDir, N: 1, Err: syscall.EIO}
	restore := fsys.Replace(f)
	assert.Panics(t, func() { fsys.Replace(&fsystest.Faulty{}) }, "a second replacement, as parallel tests would make")
	require.ErrorIs(t, fsys.SyncDir(dir), syscall.EIO)
	restore()
	require.NoError(t, fsys.SyncDir(dir), "the operating system's again")
	assert.Equal(t, 1, f.Calls(fsystest.SyncDir), "the replaced FS is no longer called")
	assert.ErrorIs(t, fsys.SyncDir(filepath.Join(dir, "gone")), fs.ErrNotExist)
}
