//go:build cuda

package gpu

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/cu"
)

// driverCase names the case TestDriverChild runs, in a process of its own.
const driverCase = "PERCEPTRON_TEST_DRIVER_CASE"

// TestDriverLoadedAtRunTime runs the package's driver calls, in processes of
// their own, on a library that is missing, on a fake driver whose cuInit
// finds no device, and on a fake driver that answers (testdata/fakecuda.c):
// the trampolines of package cushim must pass arguments and results through,
// and report a function the library lacks as an error.
func TestDriverLoadedAtRunTime(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "libfakecuda.so")
	out, err := exec.Command("gcc", "-shared", "-fPIC", "-o", fake, "testdata/fakecuda.c").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, c := range []struct{ name, lib, init string }{
		{"missing", "/nonexistent/libcuda.so.1", ""},
		{"nodevice", fake, "100"},
		{"fake", fake, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestDriverChild$", "-test.v")
			cmd.Env = append(os.Environ(), driverCase+"="+c.name, "PERCEPTRON_LIBCUDA="+c.lib)
			if c.init != "" {
				cmd.Env = append(cmd.Env, "FAKECUDA_INIT="+c.init)
			}
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), "--- PASS: TestDriverChild", "%s", out)
		})
	}
}

// TestDriverChild is one case of TestDriverLoadedAtRunTime.
func TestDriverChild(t *testing.T) {
	switch os.Getenv(driverCase) {
	case "":
		t.Skip("run by TestDriverLoadedAtRunTime, in a process of its own")
	case "missing":
		_, err := New()
		require.ErrorIs(t, err, ErrNoDevice)
		assert.Regexp(t, `^no CUDA device found: the NVIDIA driver is not installed \(/nonexistent/libcuda\.so\.1: .+\)$`, err.Error())
		_, err = Devices()
		assert.ErrorIs(t, err, ErrNoDevice)
		_, err = memAlloc(8)
		assert.ErrorIs(t, err, cu.NotInitialized, "a driver call without the library")
	case "nodevice":
		_, err := New()
		require.ErrorIs(t, err, ErrNoDevice)
		assert.EqualError(t, err, "no CUDA device found: cuInit: CUDA_ERROR_NO_DEVICE (the fake driver has no device)")
	case "fake":
		devices, err := Devices()
		require.NoError(t, err)
		assert.Equal(t, []string{"Fake GPU 10 (compute 8.6, 1.0 GiB)", "Fake GPU 11 (compute 8.7, 2.0 GiB)"}, devices)
		c, err := createContext()
		require.NoError(t, err, "cuDevicePrimaryCtxSetFlags_v2 gets CU_CTX_SCHED_BLOCKING_SYNC and device 10, cuDevicePrimaryCtxRetain "+
			"device 10, cuCtxSetCurrent its context, cuStreamCreate flags 0")
		assert.Equal(t, "Fake GPU 10", c.name)
		assert.Equal(t, 40, c.multiprocessors)
		assert.True(t, c.cooperative, "device 10 launches cooperative kernels")
		assert.Equal(t, 99<<10, c.sharedOptIn, "the shared memory a block may opt in to")
		p, err := memAlloc(16)
		require.NoError(t, err)
		in, back := [2]uint64{0x0123456789abcdef, 42}, [2]uint64{}
		require.NoError(t, memcpyHtoD(p, unsafe.Pointer(&in), 16))
		require.NoError(t, memcpyDtoH(unsafe.Pointer(&back), p, 16))
		assert.Equal(t, in, back, "a round trip through the fake's memory")
		assert.ErrorIs(t, memFree(p), cu.NotInitialized, "the fake has no cuMemFree_v2")
	default:
		t.Fatalf("unknown case %q", os.Getenv(driverCase))
	}
}
