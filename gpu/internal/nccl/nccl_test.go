//go:build cuda

package nccl

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeNCCL builds testdata/fakenccl.c with the extra flags into a library
// and returns its path.
func fakeNCCL(t *testing.T, flags ...string) string {
	lib := filepath.Join(t.TempDir(), "libfakenccl.so")
	out, err := exec.Command("gcc", append([]string{"-shared", "-fPIC", "-o", lib, "testdata/fakenccl.c"}, flags...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return lib
}

// fakeStream is the stream the fake library expects.
const fakeStream = 0x5eed

// TestLibrary runs every call on the fake library: arguments and results
// must pass through, and the library's errors come back as *Error.
func TestLibrary(t *testing.T) {
	t.Setenv("PERCEPTRON_LIBNCCL", fakeNCCL(t))
	l, err := Load()
	require.NoError(t, err)
	v, err := l.Version()
	require.NoError(t, err)
	assert.Equal(t, "2.18.5", v)

	id, err := l.NewUniqueID()
	require.NoError(t, err)
	for i, b := range id {
		require.Equal(t, byte(3*i+1), b, "byte %d of the unique id", i)
	}
	c, err := l.InitRank(4, id, 2)
	require.NoError(t, err)
	assert.Equal(t, [2]int{2, 4}, [2]int{c.Rank(), c.Ranks()})

	f64 := []float64{1.5, -2, 1e300}
	require.NoError(t, c.AllReduceSum(uintptr(unsafe.Pointer(&f64[0])), uintptr(unsafe.Pointer(&f64[0])), 2, Float64, fakeStream))
	assert.Equal(t, []float64{6, -8, 1e300}, f64, "the first two values, summed over the 4 processes in place")
	f32, out := []float32{0.25, 3}, make([]float32, 2)
	require.NoError(t, c.AllReduceSum(uintptr(unsafe.Pointer(&f32[0])), uintptr(unsafe.Pointer(&out[0])), 2, Float32, fakeStream))
	assert.Equal(t, []float32{1, 12}, out)
	runtime.KeepAlive(f64)
	runtime.KeepAlive(f32)

	err = c.AllReduceSum(uintptr(unsafe.Pointer(&out[0])), uintptr(unsafe.Pointer(&out[0])), 2, Float32, 0)
	assert.EqualError(t, err, "nccl: ncclAllReduce: ncclInvalidUsage (fake: not the stream expected)")
	var nerr *Error
	require.ErrorAs(t, err, &nerr)
	assert.Equal(t, Error{Call: "ncclAllReduce", Result: 5, Description: "fake: not the stream expected"}, *nerr)
	assert.EqualError(t, c.AllReduceSum(0, 0, 1, DataType(9), fakeStream), "nccl: ncclAllReduce: 1 values of data type 9")
	assert.NoError(t, c.AsyncError())
	assert.NoError(t, c.Destroy())

	peerless, err := l.InitRank(2, id, 1)
	require.NoError(t, err)
	assert.EqualError(t, peerless.AsyncError(), "nccl: the communicator's work: ncclRemoteError (fake: a peer is gone)")
	assert.NoError(t, peerless.Abort())

	id[5]++
	_, err = l.InitRank(2, id, 0)
	assert.EqualError(t, err, "nccl: ncclCommInitRank: ncclInvalidArgument (fake: invalid argument)")
	_, err = l.InitRank(2, id, 2)
	assert.EqualError(t, err, "nccl: ncclCommInitRank: rank 2 of 2 processes")
}

// TestWithoutNCCL opens a library that is missing and one that lacks a
// function: both errors wrap ErrNoNCCL and say why.
func TestWithoutNCCL(t *testing.T) {
	_, err := Open("/nonexistent/libnccl.so.2")
	require.ErrorIs(t, err, ErrNoNCCL)
	assert.Regexp(t, `^NCCL is not installed \(/nonexistent/libnccl\.so\.2: .+\): install NVIDIA's NCCL 2 \(libnccl2\), or name its library in PERCEPTRON_LIBNCCL$`, err.Error())

	old := fakeNCCL(t, "-DFAKE_NO_ASYNC_ERROR")
	_, err = Open(old)
	require.ErrorIs(t, err, ErrNoNCCL)
	assert.Contains(t, err.Error(), "("+old+" has no ncclCommGetAsyncError)")
}
