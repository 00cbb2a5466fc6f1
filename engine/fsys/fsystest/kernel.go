package fsystest

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Tmpfs mounts a tmpfs of size bytes holding at most inodes inodes (its
// root folder counts as one) on a new folder, unmounted when the test ends,
// and returns the folder. It skips the test, saying why, unless it runs as
// root and mount works.
func Tmpfs(t testing.TB, size, inodes int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	opts := "size=" + strconv.Itoa(size) + ",nr_inodes=" + strconv.Itoa(inodes)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount -t tmpfs -o %s failed (%v): %s", opts, err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Remount remounts the tmpfs at dir (from Tmpfs) with opts, such as "ro",
// trying again for up to 10 s while the kernel refuses it as busy (a file
// open for writing there).
func Remount(t testing.TB, dir, opts string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput()
		switch {
		case err == nil:
			return
		case bytes.Contains(out, []byte("busy")) && time.Now().Before(deadline):
			time.Sleep(time.Millisecond) // a file is open for writing there: try again once it is closed
		default:
			t.Fatalf("mount -o remount,%s %s: %v: %s", opts, dir, err, out)
		}
	}
}

// Chattr sets the attribute attr ("+i" immutable, "+a" append-only) on
// path, and lifts it when the test ends. It skips the test, saying why,
// unless it runs as root and the file system takes the attribute.
func Chattr(t testing.TB, attr, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("chattr " + attr + " needs root")
	}
	if _, err := exec.LookPath("chattr"); err != nil {
		t.Skip("chattr is not installed (Debian: e2fsprogs)")
	}
	if out, err := exec.Command("chattr", attr, path).CombinedOutput(); err != nil {
		t.Skipf("chattr %s %s failed (%v): %s", attr, path, err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("chattr", "-"+attr[1:], path).CombinedOutput(); err != nil {
			t.Errorf("chattr -%s %s: %v: %s", attr[1:], path, err, out)
		}
	})
}
