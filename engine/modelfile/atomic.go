package modelfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// atomicFile is a file written in place of another, so that a failure, an
// interrupt or a kill never leaves a half-written file at its path nor
// destroys the file that was there: the bytes go to a temporary file beside
// it, which Commit renames over it. The temporary file is named
// .NAME.PID.tmp; one that a killed process left behind is removed by the
// next createAtomic of the same path. A process writes a path once at a time.
type atomicFile struct {
	path string
	tmp  *os.File
	w    *bufio.Writer
}

// createAtomic starts writing path. It refuses a path that exists and is
// not a regular file (a symbolic link, a device, a directory): renaming over
// it would replace it. Errors name path, not the temporary file.
func createAtomic(path string) (*atomicFile, error) {
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is a %s, not a regular file: perceptron replaces only regular files", path, fileKind(st.Mode()))
	}
	dir, base := filepath.Dir(path), filepath.Base(path)
	removeStale(dir, base)
	tmp, err := os.OpenFile(filepath.Join(dir, "."+base+"."+strconv.Itoa(os.Getpid())+".tmp"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("cannot write %s: the folder %s does not exist", path, dir)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("cannot write %s: no permission to create files in %s", path, dir)
	case err != nil:
		return nil, fmt.Errorf("cannot write %s: %w", path, errors.Unwrap(err))
	}
	return &atomicFile{path: path, tmp: tmp, w: bufio.NewWriterSize(tmp, 1<<20)}, nil
}

// removeStale removes the temporary files .base.PID.tmp in dir whose
// process has ended.
func removeStale(dir, base string) {
	stale, _ := filepath.Glob(filepath.Join(dir, "."+escapeGlob(base)+".*.tmp"))
	for _, name := range stale {
		pid, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), "."+base+"."), ".tmp"))
		if err == nil && pid != os.Getpid() && !processAlive(pid) {
			os.Remove(name)
		}
	}
}

// escapeGlob escapes the characters filepath.Match treats as patterns.
func escapeGlob(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`).Replace(s)
}

// processAlive reports whether process pid exists.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, fs.ErrPermission)
}

// Write writes to the temporary file.
func (f *atomicFile) Write(p []byte) (int, error) { return f.w.Write(p) }

// Commit flushes and syncs the temporary file and renames it over the path.
// On failure the temporary file is removed and the path left as it was.
func (f *atomicFile) Commit() error {
	err := f.w.Flush()
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.tmp.Name())
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	return nil
}

// Abort removes the temporary file and leaves the path as it was.
func (f *atomicFile) Abort() {
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}

// WriteAtomic writes a file through write: to a temporary file beside path,
// then renamed over it, so that a failure, an interrupt or a kill never
// leaves a half-written file at path nor destroys the file that was there.
// It refuses a path that exists and is not a regular file (a symbolic link,
// a device, a directory), which the rename would replace. The temporary
// file is named .NAME.PID.tmp, and the next write of the same path removes
// those of processes that have ended. Errors name path.
func WriteAtomic(path string, write func(w io.Writer) error) error {
	f, err := createAtomic(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}

// CheckWritable reports, before any work is done, what would stop
// WriteAtomic from writing path: a path that is not a regular file, a
// folder that does not exist or cannot be written to.
func CheckWritable(path string) error {
	f, err := createAtomic(path)
	if err != nil {
		return err
	}
	f.Abort()
	return nil
}
