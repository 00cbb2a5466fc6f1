package fsys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// WriteError is a failed write of the file at Path, in plain words.
type WriteError struct {
	Path  string // the file perceptron was writing
	Words string // the cause, in plain words
	Err   error  // what the file system returned
}

// Error says "cannot write PATH: WORDS".
func (e *WriteError) Error() string { return "cannot write " + e.Path + ": " + e.Words }

// Unwrap returns what the file system returned.
func (e *WriteError) Unwrap() error { return e.Err }

// Explain returns err, which a call writing the file at path returned, as a
// *WriteError that says its cause in plain words naming path or its folder.
// An err without an errno keeps its own words.
func Explain(path string, err error) error {
	return &WriteError{Path: path, Words: Words(path, err), Err: err}
}

// Words says in plain words what err, which a call writing the file at path
// returned, means for that file.
func Words(path string, err error) string {
	dir := filepath.Dir(path)
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return innermost(err).Error()
	}
	switch errno {
	case syscall.ENOSPC:
		if noInodesLeft(dir) {
			return fmt.Sprintf("no inodes left on the device holding %s: it can hold no more files (remove some, or write elsewhere)", dir)
		}
		return fmt.Sprintf("no space left on the device holding %s (free some, or write elsewhere)", dir)
	case syscall.EDQUOT:
		return fmt.Sprintf("the disk quota on the device holding %s is used up (free some, or write elsewhere)", dir)
	case syscall.EROFS:
		return fmt.Sprintf("%s is on a read-only file system", dir)
	case syscall.EIO:
		return fmt.Sprintf("input/output error on the device holding %s (a failing disk, or a network file system that went away)", dir)
	case syscall.EACCES:
		return fmt.Sprintf("no permission to write in the folder %s", dir)
	case syscall.EPERM:
		return notPermitted(path, dir)
	case syscall.ENOENT:
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return fmt.Sprintf("the folder %s does not exist: it was removed, or never made", dir)
		}
		return fmt.Sprintf("%s was removed while it was written", culprit(err, path))
	case syscall.ENOTDIR:
		return fmt.Sprintf("%s is not a folder (or a folder above it is not)", dir)
	}
	return errno.Error()
}

// notPermitted says why the file system refused to write path with EPERM:
// the file or its folder immutable or append-only (chattr +i, +a), or else
// not permitted.
func notPermitted(path, dir string) string {
	switch immutable, appendOnly := attributes(path); {
	case immutable:
		return fmt.Sprintf("the file %s is immutable (chattr +i; chattr -i %s lifts it)", path, path)
	case appendOnly:
		return fmt.Sprintf("the file %s is append-only (chattr +a; chattr -a %s lifts it)", path, path)
	}
	switch immutable, appendOnly := attributes(dir); {
	case immutable:
		return fmt.Sprintf("the folder %s is immutable (chattr +i; chattr -i %s lifts it)", dir, dir)
	case appendOnly:
		return fmt.Sprintf("the folder %s is append-only (chattr +a): files can be added to it, not replaced", dir)
	}
	return fmt.Sprintf("the file system does not permit writing %s", path)
}

// culprit returns the file err names, or path.
func culprit(err error, path string) string {
	var pathErr *fs.PathError
	var linkErr *os.LinkError
	switch {
	case errors.As(err, &linkErr):
		return linkErr.Old
	case errors.As(err, &pathErr):
		return pathErr.Path
	}
	return path
}

// innermost returns the error err wraps at the bottom.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
