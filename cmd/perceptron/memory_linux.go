package main

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// memoryRoom returns how many more bytes this process can use, and which
// limit says so: the least of the memory the kernel reports available, the
// room left under the address-space and data limits (ulimit -v, -d), and the
// room left under every memory cgroup the process belongs to.
func memoryRoom() (uint64, string) {
	room, source := uint64(math.MaxUint64), "no limit found"
	least := func(b uint64, what string) {
		if b < room {
			room, source = b, what
		}
	}
	status := procFields("/proc/self/status")
	if avail, ok := procFields("/proc/meminfo")["MemAvailable"]; ok {
		least(avail, "MemAvailable in /proc/meminfo")
	}
	for _, l := range []struct {
		resource int
		used     string
		name     string
	}{{syscall.RLIMIT_AS, "VmSize", "ulimit -v"}, {syscall.RLIMIT_DATA, "VmData", "ulimit -d"}} {
		var lim syscall.Rlimit
		if syscall.Getrlimit(l.resource, &lim) == nil && lim.Cur != math.MaxUint64 { // RLIM_INFINITY
			least(sub(lim.Cur, status[l.used]), l.name)
		}
	}
	for _, cg := range cgroupLimits() {
		least(cg.room, cg.file)
	}
	return room, source
}

// sub returns a−b, or 0 when b exceeds a.
func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// procFields reads the "Name:   123 kB" lines of a /proc file, in bytes.
func procFields(path string) map[string]uint64 {
	fields := map[string]uint64{}
	f, err := os.Open(path)
	if err != nil {
		return fields
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if v, unit, _ := strings.Cut(strings.TrimSpace(value), " "); ok {
			if n, err := strconv.ParseUint(v, 10, 64); err == nil && unit == "kB" {
				fields[name] = n << 10
			}
		}
	}
	return fields
}

// cgroupLimit is the room left under one memory cgroup's limit.
type cgroupLimit struct {
	file string
	room uint64
}

// cgroupLimits returns the room under the memory limit of each cgroup on the
// path from this process's cgroup to the root, in version 2 (memory.max) and
// version 1 (memory.limit_in_bytes) hierarchies.
func cgroupLimits() []cgroupLimit {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	var limits []cgroupLimit
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var root, limitFile, usedFile string
		switch {
		case parts[0] == "0" && parts[1] == "":
			root, limitFile, usedFile = "/sys/fs/cgroup", "memory.max", "memory.current"
		case strings.Contains(","+parts[1]+",", ",memory,"):
			root, limitFile, usedFile = "/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes"
		default:
			continue
		}
		// The process's path may not exist where the hierarchy is mounted
		// inside a container: each ancestor that exists counts.
		for dir := filepath.Join(root, parts[2]); strings.HasPrefix(dir, root); dir = filepath.Dir(dir) {
			limit, ok := readUint(filepath.Join(dir, limitFile))
			if used, _ := readUint(filepath.Join(dir, usedFile)); ok {
				limits = append(limits, cgroupLimit{filepath.Join(dir, limitFile), sub(limit, used)})
			}
		}
	}
	return limits
}

// readUint reads a file holding one number; "max" (no limit) reads as not ok.
func readUint(path string) (uint64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	return n, err == nil
}
