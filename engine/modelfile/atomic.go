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

	"github.com/perceptron-go/perceptron/engine/fsys"
)

// atomicFile is a file written in place of another, so that a failure, an
// interrupt or a kill never leaves a half-written file at its path nor
// destroys the file that was there: the bytes go to a temporary file beside
// it, which Commit syncs, renames over it and makes last by syncing the
// folder. The temporary file is named .NAME.PID.tmp; one that a killed
// process left behind is removed by the next createAtomic of the same path,
// and one of a live process is left alone. A process writes a path once at
// a time. Every call that writes goes through package fsys.
type atomicFile struct {
	path string
	tmp  fsys.File
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
	tmp, err := fsys.OpenFile(filepath.Join(dir, "."+base+"."+strconv.Itoa(os.Getpid())+".tmp"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fsys.Explain(path, err)
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
			fsys.Remove(name)
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

// Commit flushes and syncs the temporary file, renames it over the path
// and syncs the folder, so that a power cut after Commit cannot undo the
// rename. Until the rename, a failure removes the temporary file and leaves
// the path as it was; a failed folder sync says that the file is in place
// but may not outlive a power cut.
func (f *atomicFile) Commit() error {
	err := f.w.Flush()
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		return f.discard(err)
	}
	if err := fsys.SyncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("%w, syncing its folder after the rename: %s is in place, but a power cut could still undo it", fsys.Explain(f.path, err), f.path)
	}
	return nil
}

// Abort removes the temporary file and leaves the path as it was.
func (f *atomicFile) Abort() {
	f.tmp.Close()
	fsys.Remove(f.tmp.Name())
}

// discard removes the temporary file after err, which it returns in plain
// words naming the path. A temporary file that cannot be removed (its
// folder made read-only meanwhile) is emptied if it can be, and named.
func (f *atomicFile) discard(err error) error {
	f.tmp.Close() // closed already, but for a failed Flush or Sync
	err = fsys.Explain(f.path, err)
	rerr := fsys.Remove(f.tmp.Name())
	if rerr == nil || errors.Is(rerr, fs.ErrNotExist) {
		return err
	}
	left := "it is left as it was"
	if os.Truncate(f.tmp.Name(), 0) == nil {
		left = "it is left empty"
	}
	return fmt.Errorf("%w; %s was unchanged, but its temporary file %s could not be removed (%s): %s, and the next write of %s removes it",
		err, f.path, f.tmp.Name(), fsys.Words(f.tmp.Name(), rerr), left, f.path)
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
		var errno syscall.Errno
		if errors.As(err, &errno) { // the file system's: a full disk, a lost folder
			return f.discard(err)
		}
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
