// Package fsystest makes perceptron's writes fail on purpose: Faulty is an
// fsys.FS over the operating system's that fails the Nth call of one
// operation (open, write, sync, close, rename, folder sync, mkdir) with a
// chosen errno, as SQLite's I/O error tests do. A test replaces the FS in
// use with it:
//
//	f := &fsystest.Faulty{Op: fsystest.Rename, N: 2, Err: syscall.ENOSPC}
//	t.Cleanup(fsys.Replace(f))
//
// and, running the same work for N = 1, 2, ... until f.Failed() is "",
// reaches every fault point of that operation.
//
// # Testing
//
// go test ./engine/fsys/fsystest checks that Faulty fails exactly the
// Nth call of its operation and no other, once or (Persist) from then on;
// that a failed write writes half its bytes, as a device filling up does;
// that the errors are those of package os, carrying the errno; and that it
// counts the calls it saw.
package fsystest
