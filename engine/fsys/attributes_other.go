//go:build !linux

package fsys

// attributes reports that nothing is known of immutable or append-only
// files outside Linux.
func attributes(string) (immutable, appendOnly bool) { return false, false }

// noInodesLeft reports that nothing is known of inodes outside Linux.
func noInodesLeft(string) bool { return false }
