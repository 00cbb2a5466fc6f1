//go:build !mpi

package distributed

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOpenMPIWithoutTheTagSaysHowToBuild(t *testing.T) {
	c, err := OpenMPI(0)
	assert.Nil(t, c)
	assert.ErrorIs(t, err, ErrNoMPI)
	assert.ErrorContains(t, err, "go build -tags mpi")
}
