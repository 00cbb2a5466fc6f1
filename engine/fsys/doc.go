// Package fsys is the file system perceptron writes its files through: the
// model, the checkpoints, the history, the plot, the TensorBoard event
// files, the exports and the benchmark results. It is a seam: every call
// that creates, writes, syncs, closes, renames or removes one of those
// files goes through the FS in use, the operating system's unless a test
// replaced it (fsystest.Faulty fails the Nth write, sync, rename, ... with
// a chosen errno), so that tests can make each write path fail at each
// point and check what is left behind.
//
// Explain turns what such a call returned into plain words naming the
// path and the folder: "no space left on the device holding DIR", "no
// inodes left ...", "read-only file system ...", "the file PATH is
// immutable (chattr +i)", "the folder DIR does not exist: it was removed, or never made", "no permission to
// write in the folder DIR".
//
// # Testing
//
// go test ./engine/fsys checks Explain's words for each errno and each
// operation (ENOSPC with and without inodes left, EDQUOT, EROFS, EIO,
// EACCES, EPERM on an immutable file and folder, ENOENT, one it does not
// know), that Replace restores the operating system's FS and refuses a
// second replacement, and SyncDir on a folder and on one that is gone; as
// root, EPERM's words are checked against a real chattr +i file and folder
// and ENOSPC's against a real tmpfs without inodes left (skipped, saying
// why, when not root or when mount or chattr are missing).
// go test ./engine/fsys/fsystest checks that Faulty fails exactly the Nth
// operation of its kind, once or from then on, with a short write, and
// records what it failed.
package fsys
