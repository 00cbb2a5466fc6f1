//go:build !mpi

package main

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDistributedWithoutMPI checks what the default build, without MPI,
// says of data-parallel training: --distributed mpi, or a launch by mpirun
// (as its environment says), is one error saying how to build it.
func TestDistributedWithoutMPI(t *testing.T) {
	dir := t.TempDir()
	rebuild := "built without MPI support: rebuild with go build -tags mpi ./cmd/perceptron (Debian: apt-get install libopenmpi-dev openmpi-bin)"
	r := perceptron(t, dir, "train", "--distributed", "mpi")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "perceptron: error: --distributed mpi: this perceptron was "+rebuild+"\n", r.stderr)

	cmd := exec.Command(binary, "train", "--data", "synthetic:moons")
	cmd.Dir, cmd.Env = dir, append(cmd.Environ(), "OMPI_COMM_WORLD_SIZE=2")
	r = runCommand(t, cmd)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "perceptron: error: an MPI launcher started 2 processes (OMPI_COMM_WORLD_SIZE=2), but this perceptron was "+rebuild+"\n"+
		"perceptron: hint: or give --distributed none to train a model of its own in each process\n", r.stderr)
	assert.Empty(t, r.stdout)

	cmd = exec.Command(binary, "train", "--data", "synthetic:moons", "--samples", "100", "--epochs", "1", "--distributed", "none",
		"--out", "", "--history", "", "--plot", "")
	cmd.Dir, cmd.Env = dir, append(cmd.Environ(), "OMPI_COMM_WORLD_SIZE=2")
	r = runCommand(t, cmd)
	assert.Equal(t, 0, r.code, "--distributed none trains alone: %s", r.stderr)

	r = perceptron(t, dir, "train", "--distributed", "nccl")
	assert.Equal(t, "perceptron: error: --distributed: unknown choice \"nccl\": expected auto, mpi or none\n", r.stderr)
}
