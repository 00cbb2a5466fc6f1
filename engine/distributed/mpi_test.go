//go:build mpi

package distributed

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mpiChild marks the processes TestMPI starts under mpirun.
const mpiChild = "PERCEPTRON_TEST_MPI_CHILD"

// TestMPI runs TestMPIChild in three processes under mpirun, which checks
// each of the Comm's calls on Open MPI and the helpers over it; every
// process must pass.
func TestMPI(t *testing.T) {
	mpirun, err := exec.LookPath("mpirun")
	require.NoError(t, err, "the mpi build's tests need Open MPI's mpirun: apt-get install openmpi-bin")
	cmd := exec.Command(mpirun, "--oversubscribe", "-np", "3", os.Args[0], "-test.run=^TestMPIChild$", "-test.v")
	// Open MPI refuses to run as root unless told that it may (CI runs as root).
	cmd.Env = append(os.Environ(), mpiChild+"=1", "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, 3, strings.Count(string(out), "--- PASS: TestMPIChild"), "%s", out)
}

// TestMPIChild is one process of TestMPI.
func TestMPIChild(t *testing.T) {
	if os.Getenv(mpiChild) == "" {
		t.Skip("run by TestMPI, under mpirun")
	}
	c, err := OpenMPI()
	require.NoError(t, err)
	again, err := OpenMPI()
	require.NoError(t, err)
	assert.Same(t, c, again, "MPI starts once a process")
	size, by := Launched()
	assert.Equal(t, "OMPI_COMM_WORLD_SIZE", by)
	require.Equal(t, size, c.Size())
	require.Equal(t, 3, c.Size())
	assert.Equal(t, os.Getenv("OMPI_COMM_WORLD_RANK"), strconv.Itoa(c.Rank()))
	r := float64(c.Rank())

	defer func(n int) { maxCount = n }(maxCount)
	maxCount = 3 // the buffers below go in pieces
	b64 := []float64{r, 0.5 * r, 1, 2, 3, 4, 5, -r}
	require.NoError(t, AllReduce(c, b64))
	assert.Equal(t, []float64{3, 1.5, 3, 6, 9, 12, 15, -3}, b64)
	b32 := []float32{float32(r) + 0.25, 1}
	require.NoError(t, AllReduce(c, b32))
	assert.Equal(t, []float32{3.75, 3}, b32)
	params := []float64{r, r * r, -r, 7}
	require.NoError(t, BroadcastFloat64(c, params, 2))
	assert.Equal(t, []float64{2, 4, -2, 7}, params)
	require.NoError(t, AllReduce(c, []float64{}), "an empty buffer")

	any, err := Any(c, c.Rank() == 1)
	require.NoError(t, err)
	assert.True(t, any)
	var cause error
	if c.Rank() == 2 {
		cause = errors.New("bad input on the last process")
	}
	assert.EqualError(t, Agree(c, cause), map[int]string{0: "process 2 of 3: bad input on the last process", 1: "process 2 of 3: bad input on the last process",
		2: "bad input on the last process"}[c.Rank()])
	assert.NoError(t, SameAsRoot(c, "the fit", []Setting{{"the setting", "the same everywhere"}}))
	assert.EqualError(t, c.Broadcast(make([]byte, 1), 7), "distributed: MPI_Bcast of 1 values: MPI_ERR_ROOT: invalid root (MPI error 8)",
		"MPI's errors are returned, not fatal")

	assert.PanicsWithError(t, "runtime error: invalid memory address or nil pointer dereference", func() {
		var p *int
		_ = *p
	}, "Go still turns a nil dereference into a panic: Open MPI leaves the signal handlers it finds")

	require.NoError(t, c.Close())
	assert.NoError(t, c.Close(), "a second Close does nothing")
	assert.EqualError(t, c.AllReduceFloat64([]float64{1}), "distributed: MPI_Allreduce after MPI_Finalize")
}
