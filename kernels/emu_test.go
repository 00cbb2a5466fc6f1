//go:build cudaemu

package kernels

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmulatorHasEveryKernel(t *testing.T) {
	var want []string
	for _, names := range entries {
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

	warp := EmuConfig{Grid: one, Block: [3]int{32, 1, 1}}
	err = EmuLaunch("dense_delta_f32", warp, []uint64{uint64(p), uint64(p)})
	assert.EqualError(t, err, "2 arguments given, the kernel takes 6")
	err = EmuLaunch("dense_delta_f32", warp, []uint64{uint64(p), uint64(p), 8, uint64(p), 4, 0})
	assert.Equal(t, &EmuError{Msg: "CUDA_ERROR_ILLEGAL_ADDRESS: argument 3 points outside device memory", Sticky: true}, err)
	_, err = EmuAlloc(8)
	assert.Equal(t, &EmuError{Msg: "CUDA_ERROR_ILLEGAL_ADDRESS: the context was lost to an earlier fault " +
		"(CUDA_ERROR_ILLEGAL_ADDRESS: argument 3 points outside device memory)", Sticky: true}, err, "a fault loses the context")
	EmuReset()
	p, err = EmuAlloc(64)
	require.NoError(t, err, "a new context")
	args := []uint64{uint64(p), uint64(p), uint64(p), uint64(p), uint64(p), uint64(p), 0, 1, 1}
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
		err = EmuLaunch("gather_batch_f32", EmuConfig{Grid: c.grid, Block: c.block}, args)
		assert.ErrorContains(t, err, "CUDA_ERROR_INVALID_VALUE: ", "grid %v, block %v", c.grid, c.block)
		assert.ErrorContains(t, err, c.why, "grid %v, block %v", c.grid, c.block)
	}
	err = EmuLaunch("conv_f32", EmuConfig{Grid: one, Block: one}, nil)
	assert.EqualError(t, err, "no kernel named conv_f32")
	_, err = EmuAlloc(1 << 50)
	assert.ErrorContains(t, err, "out of memory: 1125899906842624 bytes asked")
	assert.EqualError(t, EmuFree(p+8), "freeing memory that was not allocated")
}

// TestEmulatorRefusesWhatAGPURefuses launches kernels with more registers
// or shared memory per block than a GPU has, and a cooperative grid larger
// than the device holds; each launch fits once the excess is taken away.
func TestEmulatorRefusesWhatAGPURefuses(t *testing.T) {
	p, err := EmuAlloc(1 << 16)
	require.NoError(t, err)
	defer func() { require.NoError(t, EmuFree(p)) }()
	one := [3]int{1, 1, 1}
	totals := []uint64{uint64(p), uint64(p), uint64(p), 0, 0}

	// epoch_totals takes 4 KiB of static shared memory (resources.h).
	require.Equal(t, 4096, resourceTable(t)["epoch_totals_f64"].shared, "resources.h: epoch_totals_f64's shared memory")
	err = EmuLaunch("epoch_totals_f64", EmuConfig{Grid: one, Block: [3]int{256, 1, 1}, Shared: 45 << 10}, totals)
	assert.EqualError(t, err, "CUDA_ERROR_INVALID_VALUE: 4096 bytes of static and 46080 of dynamic shared memory per block, and the kernel may have 45056 of dynamic shared memory")
	assert.NoError(t, EmuLaunch("epoch_totals_f64", EmuConfig{Grid: one, Block: [3]int{256, 1, 1}, Shared: 44 << 10}, totals))

	// A block gets registers in units of 256 per warp: a kernel of more than
	// 64 registers a thread cannot run 1,024 threads a block.
	r := resourceTable(t)["dense_forward_batch_f64"].registers
	require.Greater(t, r, 64, "resources.h: dense_forward_batch_f64's registers")
	perWarp := (32*r + 255) / 256 * 256
	fit := 65536 / perWarp * 32
	empty := []uint64{uint64(p), uint64(p), uint64(p), uint64(p), uint64(p), 0, 0, 0, 0} // rows = in = out = 0
	err = EmuLaunch("dense_forward_batch_f64", EmuConfig{Grid: one, Block: [3]int{32, fit/32 + 1, 1}}, empty)
	assert.EqualError(t, err, fmt.Sprintf("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: a block of %d threads of %d registers needs %d registers, a multiprocessor has 65536",
		fit+32, r, (fit/32+1)*perWarp))
	assert.NoError(t, EmuLaunch("dense_forward_batch_f64", EmuConfig{Grid: one, Block: [3]int{32, fit / 32, 1}}, empty))

	// A cooperative grid must fit on the device at once.
	gather := []uint64{uint64(p), uint64(p), uint64(p), uint64(p), uint64(p), uint64(p), 0, 1, 1} // no rows
	resident := EmuSmall.Multiprocessors
	err = EmuLaunch("gather_batch_f32", EmuConfig{Grid: [3]int{resident + 1, 1, 1}, Block: one, Cooperative: true}, gather)
	assert.EqualError(t, err, fmt.Sprintf("CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE: a cooperative grid of %d blocks, and %d fit on the device at once", resident+1, resident))
	assert.NoError(t, EmuLaunch("gather_batch_f32", EmuConfig{Grid: [3]int{resident, 1, 1}, Block: one, Cooperative: true}, gather))
	assert.NoError(t, EmuLaunch("gather_batch_f32", EmuConfig{Grid: [3]int{resident + 1, 1, 1}, Block: one}, gather))
}

// TestEmulatorSharedMemoryOptIn: a kernel's static shared memory is what
// ptxas counted; once it opts in, a block may have up to the device's SharedOptIn of
// shared memory, static and dynamic, and no more; a new context forgets the
// opt-in, as a module loaded again does on a GPU.
func TestEmulatorSharedMemoryOptIn(t *testing.T) {
	t.Cleanup(EmuReset)
	p, err := EmuAlloc(1 << 16)
	require.NoError(t, err)
	one := [3]int{1, 1, 1}
	totals := []uint64{uint64(p), uint64(p), uint64(p), 0, 0}
	static, err := EmuStaticShared("epoch_totals_f64")
	require.NoError(t, err)
	assert.Equal(t, 4096, static)
	most := EmuSmall.SharedOptIn - static
	err = EmuLaunch("epoch_totals_f64", EmuConfig{Grid: one, Block: [3]int{256, 1, 1}, Shared: most}, totals)
	assert.ErrorContains(t, err, "CUDA_ERROR_INVALID_VALUE: 4096 bytes of static and 94208 of dynamic shared memory per block")

	assert.EqualError(t, EmuOptInShared("epoch_totals_f64", most+1),
		"CUDA_ERROR_INVALID_VALUE: 94209 bytes of dynamic shared memory asked for epoch_totals_f64, which may opt in to 94208")
	require.NoError(t, EmuOptInShared("epoch_totals_f64", most))
	assert.NoError(t, EmuLaunch("epoch_totals_f64", EmuConfig{Grid: one, Block: [3]int{256, 1, 1}, Shared: most}, totals))
	err = EmuLaunch("epoch_totals_f64", EmuConfig{Grid: one, Block: [3]int{256, 1, 1}, Shared: most + 1}, totals)
	assert.ErrorContains(t, err, "the kernel may have 94208 of dynamic shared memory")

	EmuReset()
	p, err = EmuAlloc(1 << 16)
	require.NoError(t, err)
	totals = []uint64{uint64(p), uint64(p), uint64(p), 0, 0}
	err = EmuLaunch("epoch_totals_f64", EmuConfig{Grid: one, Block: [3]int{256, 1, 1}, Shared: most}, totals)
	assert.ErrorContains(t, err, "the kernel may have 45056 of dynamic shared memory", "a new context forgets the opt-in")

	_, err = EmuStaticShared("no_such_kernel")
	assert.EqualError(t, err, "CUDA_ERROR_INVALID_HANDLE: no kernel named no_such_kernel")
}

// TestEmulatorGraphs captures two launches into a graph, which runs them in
// order, as one launch of the host's, each time it is launched.
func TestEmulatorGraphs(t *testing.T) {
	p, err := EmuAlloc(4)
	require.NoError(t, err)
	defer func() { require.NoError(t, EmuFree(p)) }()
	require.NoError(t, EmuMemset(p, 0, 4))
	advance := func(rows int) error {
		return EmuLaunch("advance_cursor_f32", EmuConfig{Grid: [3]int{1, 1, 1}, Block: [3]int{1, 1, 1}}, []uint64{uint64(p), uint64(rows)})
	}
	require.NoError(t, EmuBeginCapture())
	assert.ErrorContains(t, EmuBeginCapture(), "capturing already")
	before := EmuCounts()
	require.NoError(t, advance(3))
	require.NoError(t, advance(4))
	g, err := EmuEndCapture()
	require.NoError(t, err)
	assert.Equal(t, EmuCount{}, EmuCounts().Sub(before), "a capture runs nothing")
	for range 2 {
		require.NoError(t, EmuGraphLaunch(g))
	}
	assert.Equal(t, EmuCount{Launches: 2, Kernels: 4}, EmuCounts().Sub(before))
	var cursor int32
	require.NoError(t, EmuFromDevice(unsafe.Pointer(&cursor), p, 4))
	assert.Equal(t, int32(14), cursor, "two launches of a graph of +3 and +4")
	require.NoError(t, EmuGraphDestroy(g))
	assert.ErrorContains(t, EmuGraphLaunch(g), "CUDA_ERROR_INVALID_HANDLE")
	_, err = EmuEndCapture()
	assert.ErrorContains(t, err, "not capturing")
}

// TestEmulatedH100 makes the emulator stand for an H100: the occupancy is
// what the CUDA occupancy calculator gives for the kernels' registers
// (resources.h) and shared memory, worked by hand below, and a cooperative
// grid must fit the 132 multiprocessors at that occupancy, and the
// emulator's EmuMaxAtOnce blocks at once.
func TestEmulatedH100(t *testing.T) {
	EmuSetDevice(EmuH100)
	t.Cleanup(func() { EmuSetDevice(EmuSmall) })
	assert.Equal(t, EmuH100, EmuCurrentDevice())
	for _, c := range []struct {
		name            string
		threads, shared int
		want            int
		why             string
	}{
		{"sgd_steps_f32", 256, 30 << 10, 1, "226 registers: 7,424 a warp, 2 warps in each of 4 partitions of 16,384, 8 warps"},
		{"sgd_steps_f64", 256, 0, 1, "245 registers: 7,936 a warp, 2 in a partition"},
		{"gather_batch_f32", 256, 0, 8, "2,048 threads"},
		{"gather_batch_f32", 32, 0, 32, "32 blocks"},
		{"dense_forward_batch_f64", 256, 0, 2, "102 registers (sm_70's, the most): 3,328 a warp, 4 in a partition, 16 warps"},
		{"epoch_totals_f64", 32, 100 << 10, 2, "4 KiB static, 100 KiB dynamic and 1 KiB reserved, of 228 KiB"},
	} {
		got, err := EmuOccupancy(c.name, c.threads, c.shared)
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%s, %d threads, %d bytes: %s", c.name, c.threads, c.shared, c.why)
	}
	_, err := EmuOccupancy("gather_batch_f32", 2048, 0)
	assert.EqualError(t, err, "CUDA_ERROR_INVALID_VALUE: blocks of 2048 threads with 0 bytes of dynamic shared memory")

	one := [3]int{1, 1, 1}
	err = EmuLaunch("sgd_steps_f32", EmuConfig{Grid: [3]int{133, 1, 1}, Block: [3]int{256, 1, 1}, Cooperative: true}, make([]uint64, 16))
	assert.EqualError(t, err, "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE: a cooperative grid of 133 blocks, and 132 fit on the device at once")
	p, err := EmuAlloc(64)
	require.NoError(t, err)
	gather := []uint64{uint64(p), uint64(p), uint64(p), uint64(p), uint64(p), uint64(p), 0, 1, 1} // no rows
	err = EmuLaunch("gather_batch_f32", EmuConfig{Grid: [3]int{EmuMaxAtOnce + 1, 1, 1}, Block: one, Cooperative: true}, gather)
	assert.EqualError(t, err, fmt.Sprintf("a cooperative grid of %d blocks, and the emulator runs at most %d at once", EmuMaxAtOnce+1, EmuMaxAtOnce))
	assert.NoError(t, EmuLaunch("gather_batch_f32", EmuConfig{Grid: [3]int{EmuMaxAtOnce, 1, 1}, Block: one, Cooperative: true}, gather))

	require.NoError(t, EmuOptInShared("epoch_totals_f64", 223<<10), "227 KiB less 4 KiB of static shared memory")
	assert.ErrorContains(t, EmuOptInShared("epoch_totals_f64", 223<<10+1), "which may opt in to 228352")
}

// TestEmulatorRefusesClusters: thread-block clusters are refused before
// compute capability 9.0; on an H100, a grid that is not a whole number of
// clusters, a cluster of more than 8 blocks unless the kernel allows
// non-portable sizes, and of more than 16 even then; a new context forgets
// the allowance. A cluster of one block runs.
func TestEmulatorRefusesClusters(t *testing.T) {
	t.Cleanup(func() { EmuSetDevice(EmuSmall) })
	EmuSetDevice(EmuSmall)
	p, err := EmuAlloc(1 << 16)
	require.NoError(t, err)
	block := [3]int{256, 1, 1}
	totals := []uint64{uint64(p), uint64(p), uint64(p), 0, 0}
	one := [3]int{1, 1, 1}
	err = EmuLaunch("epoch_totals_f64", EmuConfig{Grid: one, Block: block, Cluster: one}, totals)
	assert.EqualError(t, err, "CUDA_ERROR_NOT_SUPPORTED: a cluster launch on a device of compute capability 7.x; "+
		"thread-block clusters need 9.0 (Hopper) or later")
	assert.ErrorContains(t, EmuAllowNonPortableCluster("cluster_fits_f32"), "non-portable cluster sizes on a device before 9.0")
	_, err = EmuMaxClusterSize("cluster_fits_f32", 256, 0)
	assert.EqualError(t, err, "CUDA_ERROR_NOT_SUPPORTED: clusters on a device of compute capability 7.x")

	EmuSetDevice(EmuH100)
	p, err = EmuAlloc(1 << 16)
	require.NoError(t, err)
	totals = []uint64{uint64(p), uint64(p), uint64(p), 0, 0}
	assert.NoError(t, EmuLaunch("epoch_totals_f64", EmuConfig{Grid: one, Block: block, Cluster: one}, totals))
	none := make([]uint64, 3) // never run: every launch below is refused
	launch := func(grid, cluster int) error {
		return EmuLaunch("cluster_fits_f32", EmuConfig{Grid: [3]int{grid, 1, 1}, Block: block, Cluster: [3]int{cluster, 1, 1}}, none)
	}
	assert.EqualError(t, launch(12, 8), "CUDA_ERROR_INVALID_CLUSTER_SIZE: grid (12, 1, 1) is not a whole number of clusters (8, 1, 1)")
	tooMany := "CUDA_ERROR_INVALID_CLUSTER_SIZE: a cluster of %d blocks; at most 8, or 16 once the kernel allows non-portable cluster sizes"
	assert.EqualError(t, launch(9, 9), fmt.Sprintf(tooMany, 9))
	most, err := EmuMaxClusterSize("cluster_fits_f32", 256, 200<<10)
	require.NoError(t, err)
	assert.Equal(t, 8, most, "portable")
	require.NoError(t, EmuAllowNonPortableCluster("cluster_fits_f32"))
	most, err = EmuMaxClusterSize("cluster_fits_f32", 256, 200<<10)
	require.NoError(t, err)
	assert.Equal(t, 16, most, "non-portable")
	assert.EqualError(t, launch(17, 17), fmt.Sprintf(tooMany, 17))
	EmuReset()
	assert.EqualError(t, launch(9, 9), fmt.Sprintf(tooMany, 9), "a new context forgets the allowance")
	assert.EqualError(t, EmuLaunch("cluster_fits_f32", EmuConfig{Grid: one, Block: block, Cluster: [3]int{0, 1, 1}}, none),
		"CUDA_ERROR_INVALID_VALUE: a cluster of size (0, 1, 1)")
}
