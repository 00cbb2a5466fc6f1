package fsys

import (
	"io"
	"io/fs"
	"os"
)

// FS is what perceptron's write paths do to the file system.
type FS interface {
	// OpenFile opens a file as os.OpenFile does.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// MkdirAll makes a folder and its parents as os.MkdirAll does.
	MkdirAll(path string, perm fs.FileMode) error
	// Rename renames a file as os.Rename does, replacing newpath.
	Rename(oldpath, newpath string) error
	// Remove removes a file as os.Remove does.
	Remove(name string) error
	// SyncDir flushes a folder's entries to the device, so that a rename
	// or a creation in it outlives a power cut.
	SyncDir(dir string) error
}

// File is an open file of an FS.
type File interface {
	io.Writer
	// Name returns the name the file was opened with.
	Name() string
	// Sync flushes the file's contents to the device.
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Stat describes the file.
	Stat() (fs.FileInfo, error)
	// Close closes the file.
	Close() error
}

// OS is the operating system's file system.
type OS struct{}

// OpenFile calls os.OpenFile.
func (OS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // not a nil *os.File in a non-nil File
	}
	return f, nil
}

// MkdirAll calls os.MkdirAll.
func (OS) MkdirAll(path string, perm fs.FileMode) error { return os.MkdirAll(path, perm) }

// Rename calls os.Rename.
func (OS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// Remove calls os.Remove.
func (OS) Remove(name string) error { return os.Remove(name) }

// SyncDir opens dir and syncs it.
func (OS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// current is the FS in use.
var current FS = OS{}

// Replace makes f the FS in use until the function it returns is called,
// which restores the operating system's. It is for tests, which must not
// run in parallel while f is in use: Replace panics if an FS other than the
// operating system's is in use already.
func Replace(f FS) (restore func()) {
	if _, ok := current.(OS); !ok {
		panic("fsys: Replace while another FS is in use (tests that replace it must not run in parallel)")
	}
	current = f
	return func() { current = OS{} }
}

// OpenFile opens a file through the FS in use.
func OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	return current.OpenFile(name, flag, perm)
}

// MkdirAll makes a folder and its parents through the FS in use.
func MkdirAll(path string, perm fs.FileMode) error { return current.MkdirAll(path, perm) }

// Rename renames a file through the FS in use.
func Rename(oldpath, newpath string) error { return current.Rename(oldpath, newpath) }

// Remove removes a file through the FS in use.
func Remove(name string) error { return current.Remove(name) }

// SyncDir syncs a folder through the FS in use.
func SyncDir(dir string) error { return current.SyncDir(dir) }
