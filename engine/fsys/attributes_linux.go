package fsys

import (
	"os"

	"golang.org/x/sys/unix"
)

// The inode flags of linux/fs.h that chattr +i and +a set.
const (
	immutableFlag  = 0x10 // FS_IMMUTABLE_FL
	appendOnlyFlag = 0x20 // FS_APPEND_FL
)

// attributes reports whether the file or folder at path is immutable or
// append-only (chattr +i, +a), as far as it can be read.
func attributes(path string) (immutable, appendOnly bool) {
	f, err := os.Open(path)
	if err != nil {
		return false, false
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return false, false
	}
	return flags&immutableFlag != 0, flags&appendOnlyFlag != 0
}

// noInodesLeft reports whether the file system holding dir has no inode
// left for another file.
func noInodesLeft(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Files > 0 && st.Ffree == 0
}
