//go:build cudaemu

package kernels

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmulatorHasEveryKernel(t *testing.T) {
	var want []string
	for family, names := range entries {
		require.Contains(t, Families, family)
		for _, name := range names {
			want = append(want, name+"_f32", name+"_f64")
		}
	}
	assert.ElementsMatch(t, want, EmuKernels())
}

func TestEmulatorReportsMisuse(t *testing.T) {
	p, err := EmuAlloc(64)
	require.NoError(t, err)
	defer func() { require.NoError(t, EmuFree(p)) }()
	one := [3]int{1, 1, 1}

	err = EmuLaunch("dense_delta_f32", one, [3]int{32, 1, 1}, []uint64{uint64(p), uint64(p)})
	assert.EqualError(t, err, "2 arguments given, the kernel takes 6")
	err = EmuLaunch("dense_delta_f32", one, [3]int{32, 1, 1}, []uint64{uint64(p), uint64(p), 8, uint64(p), 4, 0})
	assert.EqualError(t, err, "argument 3 points outside device memory")
	args := []uint64{uint64(p), uint64(p), uint64(p), 0, 1, 1}
	for _, c := range []struct {
		grid, block [3]int
		why         string
	}{
		{[3]int{1, 65536, 1}, [3]int{32, 1, 1}, "grid (1, 65536, 1) of blocks (32, 1, 1): a grid's y and z sizes are at most 65535"},
		{[3]int{1, 1, 70000}, [3]int{32, 1, 1}, "a grid's y and z sizes are at most 65535"},
		{[3]int{1 << 31, 1, 1}, [3]int{32, 1, 1}, "a grid's x size is at most 2147483647"},
		{one, [3]int{1025, 1, 1}, "a block's x and y sizes are at most 1024 and its z size 64"},
		{one, [3]int{1, 1, 65}, "a block's x and y sizes are at most 1024 and its z size 64"},
		{one, [3]int{64, 32, 1}, "a block has at most 1024 threads"},
		{[3]int{0, 1, 1}, [3]int{32, 1, 1}, "a size is zero"},
	} {
		err = EmuLaunch("gather_rows_f32", c.grid, c.block, args)
		assert.ErrorContains(t, err, "CUDA_ERROR_INVALID_VALUE: ", "grid %v, block %v", c.grid, c.block)
		assert.ErrorContains(t, err, c.why, "grid %v, block %v", c.grid, c.block)
	}
	err = EmuLaunch("conv_f32", one, one, nil)
	assert.EqualError(t, err, "no kernel named conv_f32")
	_, err = EmuAlloc(1 << 50)
	assert.ErrorContains(t, err, "out of memory: 1125899906842624 bytes asked")
	assert.EqualError(t, EmuFree(p+8), "freeing memory that was not allocated")
}
