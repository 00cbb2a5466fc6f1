package cpu

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"sync"
)

// cpuModel returns the CPU's model name, read on first use.
var cpuModel = sync.OnceValue(func() string { return readCPUModel("/proc/cpuinfo") })

// readCPUModel returns the first "model name" of a cpuinfo file, or the
// architecture (such as "amd64") when there is none.
func readCPUModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return runtime.GOARCH
}
