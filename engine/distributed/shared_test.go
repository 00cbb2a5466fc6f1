//go:build mpi

package distributed

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMPISegmentFile makes a segment file in /dev/shm and maps it: the token
// is where it was written, and a file whose token differs is refused. A
// file larger than the file system can hold fails when it is made, naming
// the size and the place, and leaves no file behind.
func TestMPISegmentFile(t *testing.T) {
	if _, err := os.Stat(sharedDir); err != nil {
		t.Skipf("no %s here: %v", sharedDir, err)
	}
	id := make([]byte, 32)
	require.NoError(t, makeSegmentFile(id, 2*pageBytes, 100))
	defer os.Remove(segmentFile(id))
	mem, err := mapSegmentFile(id, 2*pageBytes, 100)
	require.NoError(t, err)
	assert.Equal(t, id[16:], mem[100:116])
	assert.Len(t, mem, 2*pageBytes)
	require.NoError(t, syscall.Munmap(mem))

	other := append(append([]byte{}, id[:16]...), make([]byte, 16)...)
	_, err = mapSegmentFile(other, 2*pageBytes, 100)
	assert.EqualError(t, err, "distributed: the shared segment's token differs: another machine's file")

	err = makeSegmentFile(id, 1<<50, 100)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "distributed: shared memory of 1125899906842624 bytes in "+sharedDir+": ")
	_, err = os.Stat(segmentFile(id))
	assert.True(t, os.IsNotExist(err), "the file that could not be made is removed: %v", err)
}
