//go:build mpi

package distributed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mpiChild marks the processes TestMPI starts under mpirun.
const mpiChild = "PERCEPTRON_TEST_MPI_CHILD"

// TestMPI runs TestMPIChild in three processes under mpirun, which checks
// each of the Comm's calls on Open MPI and the helpers over it; every
// process must pass. On 3 processes MPI_Iallreduce's algorithm is Open
// MPI's own choice, as it says (mpi_show_mca_params).
func TestMPI(t *testing.T) {
	mpirun, err := exec.LookPath("mpirun")
	require.NoError(t, err, "the mpi build's tests need Open MPI's mpirun: apt-get install openmpi-bin")
	cmd := exec.Command(mpirun, "--oversubscribe", "-np", "3", os.Args[0], "-test.run=^TestMPIChild$", "-test.v")
	cmd.Env = mpiEnv(mpiChild+"=1", "OMPI_MCA_mpi_show_mca_params=all")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, 3, strings.Count(string(out), "--- PASS: TestMPIChild"), "%s", out)
	assert.Contains(t, string(out), "coll_libnbc_iallreduce_algorithm=ignore (default)")
}

// mpiEnv returns the environment of a test's mpirun: this process's, with
// vars, without a setting of MPI_Iallreduce's algorithm. Open MPI refuses
// to run as root unless told that it may (CI runs as root).
func mpiEnv(vars ...string) []string {
	env := slices.DeleteFunc(os.Environ(), func(v string) bool { return strings.HasPrefix(v, iallreduceAlgorithm+"=") })
	return append(env, append(vars, "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")...)
}

// mpiAlgorithmChild marks the processes TestMPIAlgorithm starts under
// mpirun; its value is the setting of MPI_Iallreduce's algorithm each
// should see in its environment.
const mpiAlgorithmChild = "PERCEPTRON_TEST_MPI_ALGORITHM_CHILD"

// TestMPIAlgorithm runs TestMPIAlgorithmChild in two processes under
// mpirun: MPI_Iallreduce's algorithm is the ring where the environment
// names none, and the user's choice (--mca coll_libnbc_iallreduce_algorithm
// 3, rabenseifner) where it does, as Open MPI says (mpi_show_mca_params).
func TestMPIAlgorithm(t *testing.T) {
	mpirun, err := exec.LookPath("mpirun")
	require.NoError(t, err, "the mpi build's tests need Open MPI's mpirun: apt-get install openmpi-bin")
	for _, tc := range []struct {
		args      []string
		env, says string
	}{
		{nil, "1", "coll_libnbc_iallreduce_algorithm=ring (environment)"},
		{[]string{"--mca", "coll_libnbc_iallreduce_algorithm", "3"}, "3", "coll_libnbc_iallreduce_algorithm=rabenseifner (environment)"},
	} {
		args := slices.Concat([]string{"--oversubscribe", "-np", "2"}, tc.args, []string{os.Args[0], "-test.run=^TestMPIAlgorithmChild$", "-test.v"})
		cmd := exec.Command(mpirun, args...)
		cmd.Env = mpiEnv(mpiAlgorithmChild+"="+tc.env, "OMPI_MCA_mpi_show_mca_params=all")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Equal(t, 2, strings.Count(string(out), "--- PASS: TestMPIAlgorithmChild"), "%s", out)
		assert.Contains(t, string(out), tc.says, "mpirun %s", args)
		assert.Equal(t, 1, strings.Count(string(out), "coll_libnbc_iallreduce_algorithm="), "mpirun %s: one setting", args)
	}
}

// TestMPIAlgorithmChild is one process of TestMPIAlgorithm: its
// environment has the setting expected, and the all-reduce sums.
func TestMPIAlgorithmChild(t *testing.T) {
	want := os.Getenv(mpiAlgorithmChild)
	if want == "" {
		t.Skip("run by TestMPIAlgorithm, under mpirun")
	}
	c, err := OpenMPI(0)
	require.NoError(t, err)
	assert.Equal(t, want, os.Getenv(iallreduceAlgorithm))
	buf := []float32{float32(c.Rank()), 1}
	require.NoError(t, AllReduce(c, buf))
	assert.Equal(t, []float32{1, 2}, buf)
	require.NoError(t, c.Close())
}

// TestMPIChild is one process of TestMPI.
func TestMPIChild(t *testing.T) {
	if os.Getenv(mpiChild) == "" {
		t.Skip("run by TestMPI, under mpirun")
	}
	c, err := OpenMPI(0)
	require.NoError(t, err)
	again, err := OpenMPI(0)
	require.NoError(t, err)
	assert.Same(t, c, again, "MPI starts once a process")
	size, by := Launched()
	assert.Equal(t, "OMPI_COMM_WORLD_SIZE", by)
	require.Equal(t, size, c.Size())
	require.Equal(t, 3, c.Size())
	_, set := os.LookupEnv(iallreduceAlgorithm)
	assert.False(t, set, "on 3 processes Open MPI chooses MPI_Iallreduce's algorithm")
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
	_, ok := c.(Starter)
	assert.True(t, ok, "Open MPI's Comm starts all-reduces (MPI_Iallreduce)")
	checkSums(t, c, true) // in memory the processes share
	require.NoError(t, os.Setenv(SharedMemoryVariable, "0"))
	checkSums(t, c, false) // through MPI_Iallreduce
	require.NoError(t, os.Unsetenv(SharedMemoryVariable))

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
	assert.EqualError(t, c.Broadcast(make([]byte, 1), 7), "distributed: MPI_Ibcast of 1 value: MPI_ERR_ROOT: invalid root (MPI error 8)",
		"MPI's errors are returned, not fatal")

	assert.PanicsWithError(t, "runtime error: invalid memory address or nil pointer dereference", func() {
		var p *int
		_ = *p
	}, "Go still turns a nil dereference into a panic: Open MPI leaves the signal handlers it finds")

	require.NoError(t, c.Close())
	assert.NoError(t, c.Close(), "a second Close does nothing")
	assert.EqualError(t, c.AllReduceFloat64([]float64{1}), "distributed: MPI_Iallreduce after MPI_Finalize")
}

// mpiTimeoutChild marks the processes TestMPITimeout starts under mpirun.
const mpiTimeoutChild = "PERCEPTRON_TEST_MPI_TIMEOUT_CHILD"

// TestMPITimeout runs TestMPITimeoutChild in two processes under mpirun
// with a timeout of 300 ms: process 1 stops taking part after one
// all-reduce, process 0's next all-reduce gives up after 300 ms naming
// process 1, and its Close (MPI_Abort) ends the job, process 1 included,
// with a non-zero status within seconds. Through MPI_Iallreduce, process 0
// learns who is missing by asking; in shared memory (the child's value
// "shared"), from process 1's count there.
func TestMPITimeout(t *testing.T) {
	mpirun, err := exec.LookPath("mpirun")
	require.NoError(t, err, "the mpi build's tests need Open MPI's mpirun: apt-get install openmpi-bin")
	for mode, says := range map[string]string{
		"mpi":    "process 1 did not answer within 300ms: unreachable over the network, stopped, or busy elsewhere",
		"shared": "process 1 did not arrive (its count in shared memory stayed behind)",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, mpirun, "--oversubscribe", "-np", "2", os.Args[0], "-test.run=^TestMPITimeoutChild$", "-test.v")
		cmd.Env = mpiEnv(mpiTimeoutChild + "=" + mode)
		began := time.Now()
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "%s: %s", mode, out)
		assert.NoError(t, ctx.Err(), "%s: mpirun ended by itself", mode)
		assert.Less(t, time.Since(began), 20*time.Second, "%s: %s", mode, out)
		assert.Contains(t, string(out), "process 0 of 2 waited 300ms in the all-reduce of 3 float64 values for the others: "+says, mode)
		assert.Contains(t, string(out), "a broken Comm fails at once", mode)
		assert.NotContains(t, string(out), "process 1 slept", "%s: MPI_Abort ended process 1 too", mode)
	}
}

// TestMPITimeoutChild is one process of TestMPITimeout.
func TestMPITimeoutChild(t *testing.T) {
	if os.Getenv(mpiTimeoutChild) == "" {
		t.Skip("run by TestMPITimeout, under mpirun")
	}
	c, err := OpenMPI(300 * time.Millisecond)
	require.NoError(t, err)
	require.NoError(t, c.AllReduceFloat64([]float64{1}))
	s := NewSums[float64](3, 0)
	if os.Getenv(mpiTimeoutChild) == "shared" {
		s, err = NewSumsOn[float64](c, 3, 0)
		require.NoError(t, err)
		require.NotNil(t, s.release, "in shared memory")
	}
	if c.Rank() == 1 {
		time.Sleep(30 * time.Second)
		fmt.Println("process 1 slept")
		return
	}
	err = s.AllReduce(c)
	fmt.Println(err)
	var te *TimeoutError
	if errors.As(err, &te) && errors.Is(c.Broadcast(make([]byte, 1), 0), err) {
		fmt.Println("a broken Comm fails at once")
	}
	_ = c.Close() // MPI_Abort: does not return
	fmt.Println("Close returned")
}

// checkSums runs Buckets' checks on Sums for c (NewSumsOn), which must lie
// in memory the processes share, or not (shared; Open MPI's all-reduces
// then go in pieces of 3 values, and of 2). On shared memory it also waits
// for two started all-reduces in the reverse order: the first is summed
// before the second.
func checkSums(t *testing.T, c Comm, shared bool) {
	s, err := NewSumsOn[float32](c, 8, 0)
	require.NoError(t, err)
	assert.Equal(t, shared, s.release != nil, "in shared memory")
	if shared {
		v := s.Values()
		for i := range v {
			v[i] = float32(c.Rank() + i)
		}
		first, err := StartAllReduce(c, v[4:])
		require.NoError(t, err)
		second, err := StartAllReduce(c, v[:4])
		require.NoError(t, err)
		require.NoError(t, second.Wait())
		require.NoError(t, first.Wait())
		assert.Equal(t, []float32{3, 6, 9, 12, 15, 18, 21, 24}, v)
	}
	require.NoError(t, s.Close())

	defer func(n int) { maxCount = n }(maxCount)
	maxCount = 3
	checkBuckets(t, c)
	maxCount = 2
	checkBuckets(t, c) // buckets of 3 values in pieces of 2
	maxCount = 1 << 30
	checkBucketsExact(t, c, shared)
}
