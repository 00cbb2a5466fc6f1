//go:build cuda

package main

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCUDABuildRunsEverywhere builds the perceptron with -tags cuda and
// checks that it loads the driver at run time: it links no libcuda and
// exports no driver symbol, and where the driver library is missing or
// finds no GPU, info says why, --backend auto trains on the CPU and
// --backend cuda fails with one error line and one hint.
func TestCUDABuildRunsEverywhere(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "perceptron")
	out, err := exec.Command("go", "build", "-tags", "cuda", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)

	t.Run("elf", func(t *testing.T) {
		f, err := elf.Open(bin)
		require.NoError(t, err)
		defer f.Close()
		libs, err := f.ImportedLibraries()
		require.NoError(t, err)
		for _, lib := range libs {
			assert.NotContains(t, lib, "libcuda", "a needed library")
		}
		syms, err := f.DynamicSymbols()
		require.NoError(t, err)
		driver := regexp.MustCompile(`^cu[A-Z]`)
		for _, s := range syms {
			assert.False(t, driver.MatchString(s.Name), "dynamic symbol %s (section %d): the driver's symbols must be the shim's, hidden", s.Name, s.Section)
		}
	})

	t.Run("missing library", func(t *testing.T) {
		env := []string{"PERCEPTRON_LIBCUDA=/nonexistent/libcuda.so.1"}
		reason := regexp.QuoteMeta("no CUDA device found: the NVIDIA driver is not installed (/nonexistent/libcuda.so.1: ") + ".+" + `\)`
		require.Regexp(t, "cuda +unavailable: "+reason+"\n", runCUDA(t, bin, env, "info").stdout)
		checkWithoutGPU(t, bin, env, reason)
	})

	t.Run("default library", func(t *testing.T) {
		info := runCUDA(t, bin, nil, "info").stdout
		if !strings.Contains(info, "unavailable") {
			assert.Regexp(t, `gpu 0 +\S`, info)
			r := runCUDA(t, bin, nil, append(moonsOnce, "--backend", "cuda")...)
			require.Equal(t, 0, r.code, "%s", r.stderr)
			assert.Contains(t, r.stderr, "cuda backend")
			return
		}
		// Without a GPU: the library is missing, or present (Debian's libcuda1) and its cuInit fails.
		reason := `no CUDA device found: (the NVIDIA driver is not installed \(.+\)|cuInit: CUDA_ERROR_\w+ \(.+\))`
		require.Regexp(t, "cuda +unavailable: "+reason+"\n", info)
		checkWithoutGPU(t, bin, nil, reason)
	})
}

// moonsOnce trains on 100 moons for an epoch, writing nothing.
var moonsOnce = []string{"train", "--data", "synthetic:moons", "--samples", "100", "--epochs", "1", "--out", "", "--history", "", "--plot", ""}

// checkWithoutGPU checks the cuda build where CUDA is unavailable for the
// reason the regular expression reason matches.
func checkWithoutGPU(t *testing.T, bin string, env []string, reason string) {
	t.Helper()
	r := runCUDA(t, bin, env, append(moonsOnce, "--backend", "auto")...)
	require.Equal(t, 0, r.code, "%s", r.stderr)
	assert.Contains(t, r.stderr, "cpu backend")
	assert.Contains(t, r.stdout, "test: loss")

	r = runCUDA(t, bin, env, append(moonsOnce, "--backend", "cuda")...)
	assert.Equal(t, 1, r.code)
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	require.Len(t, lines, 2, "one error and one hint: %q", r.stderr)
	assert.Regexp(t, "^perceptron: error: --backend cuda: "+reason+"$", lines[0])
	assert.Equal(t, "perceptron: hint: use --backend cpu, or --backend auto, which trains on the GPU where there is one and on the CPU elsewhere", lines[1])
	assert.Empty(t, r.stdout)
}

// runCUDA runs the cuda build with env added to the environment.
func runCUDA(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = t.TempDir(), append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return result{string(stdout), stderr.String(), exit.ExitCode()}
	}
	require.NoError(t, err)
	return result{string(stdout), stderr.String(), 0}
}
