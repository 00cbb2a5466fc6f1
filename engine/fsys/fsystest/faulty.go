package fsystest

import (
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"github.com/perceptron-go/perceptron/engine/fsys"
)

// Op is an operation Faulty can fail.
type Op int

// The operations, in the order a file is written.
const (
	Mkdir   Op = iota // fsys.MkdirAll
	Open              // fsys.OpenFile
	Write             // File.Write
	Sync              // File.Sync
	Close             // File.Close
	Rename            // fsys.Rename
	SyncDir           // fsys.SyncDir
	numOps
)

// Ops lists every operation.
var Ops = []Op{Mkdir, Open, Write, Sync, Close, Rename, SyncDir}

// String names the operation as package os's errors do.
func (o Op) String() string {
	return [...]string{"mkdir", "open", "write", "sync", "close", "rename", "syncdir"}[o]
}

// Faulty is an fsys.FS over the operating system's whose Nth call of Op
// fails with Err, and with Persist every later one too, as a full disk
// stays full. A failed Write writes half its bytes first. Remove, which
// cleans up after a failure, never fails.
type Faulty struct {
	Op      Op
	N       int // 1 for the first call
	Err     syscall.Errno
	Persist bool

	mu     sync.Mutex
	calls  [numOps]int
	failed string // the file of the first call failed
}

// Calls returns how many calls of op Faulty has seen.
func (f *Faulty) Calls(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Failed returns the file (or folder) of the first call Faulty failed, or
// "" if it failed none.
func (f *Faulty) Failed() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// fails counts a call of op on name and reports whether it fails.
func (f *Faulty) fails(op Op, name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	n := f.calls[op]
	if op != f.Op || n < f.N || n > f.N && !f.Persist {
		return false
	}
	if f.failed == "" {
		f.failed = name
	}
	return true
}

// pathError is the error package os returns for op on name.
func (f *Faulty) pathError(op Op, name string) error {
	return &fs.PathError{Op: op.String(), Path: name, Err: f.Err}
}

// OpenFile opens the file, unless the call fails.
func (f *Faulty) OpenFile(name string, flag int, perm fs.FileMode) (fsys.File, error) {
	if f.fails(Open, name) {
		return nil, f.pathError(Open, name)
	}
	file, err := fsys.OS{}.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, fs: f}, nil
}

// MkdirAll makes the folder, unless the call fails.
func (f *Faulty) MkdirAll(path string, perm fs.FileMode) error {
	if f.fails(Mkdir, path) {
		return f.pathError(Mkdir, path)
	}
	return os.MkdirAll(path, perm)
}

// Rename renames the file, unless the call fails.
func (f *Faulty) Rename(oldpath, newpath string) error {
	if f.fails(Rename, newpath) {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: f.Err}
	}
	return os.Rename(oldpath, newpath)
}

// Remove removes the file.
func (f *Faulty) Remove(name string) error { return os.Remove(name) }

// SyncDir syncs the folder, unless the call fails.
func (f *Faulty) SyncDir(dir string) error {
	if f.fails(SyncDir, dir) {
		return f.pathError(SyncDir, dir)
	}
	return fsys.OS{}.SyncDir(dir)
}

// faultyFile is a file of a Faulty.
type faultyFile struct {
	fsys.File
	fs *Faulty
}

// Write writes p, or half of it and fails.
func (f *faultyFile) Write(p []byte) (int, error) {
	if f.fs.fails(Write, f.Name()) {
		n, err := f.File.Write(p[:len(p)/2])
		if err != nil {
			return n, err
		}
		return n, f.fs.pathError(Write, f.Name())
	}
	return f.File.Write(p)
}

// Sync syncs the file, unless the call fails.
func (f *faultyFile) Sync() error {
	if f.fs.fails(Sync, f.Name()) {
		return f.fs.pathError(Sync, f.Name())
	}
	return f.File.Sync()
}

// Close closes the file; a call that fails closes it too, as close(2) does.
func (f *faultyFile) Close() error {
	err := f.File.Close()
	if f.fs.fails(Close, f.Name()) {
		return f.fs.pathError(Close, f.Name())
	}
	return err
}

// String describes the fault, for test messages.
func (f *Faulty) String() string {
	persist := ""
	if f.Persist {
		persist = " and every later one"
	}
	return fmt.Sprintf("%v #%d%s fails with %s", f.Op, f.N, persist, errnoName(f.Err))
}

// errnoName returns the errno's symbol, such as ENOSPC.
func errnoName(e syscall.Errno) string {
	for _, n := range []struct {
		e    syscall.Errno
		name string
	}{{syscall.ENOSPC, "ENOSPC"}, {syscall.EDQUOT, "EDQUOT"}, {syscall.EROFS, "EROFS"}, {syscall.EIO, "EIO"}, {syscall.EPERM, "EPERM"},
		{syscall.EACCES, "EACCES"}, {syscall.ENOENT, "ENOENT"}} {
		if n.e == e {
			return n.name
		}
	}
	return e.Error()
}
