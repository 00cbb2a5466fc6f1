package cpu

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPeak checks that the peak is measured with the kernels' registers and
// comes out as a plausible rate: above 1 GFLOP/s, float64 at about half of
// float32, the same register width holding half as many values; and that
// threads together never reach much more than each alone (the yardstick
// must not flatter us). How much less they reach depends on the machine's
// cores and its load, which a test cannot know.
func TestPeak(t *testing.T) {
	one := Peak(200, 1)
	t.Logf("%+v", one)
	if !haveFMA {
		assert.Equal(t, PeakFLOPS{ISA: "none", Threads: 1}, one)
		return
	}
	assert.Equal(t, map[bool]string{true: "avx512", false: "avx2"}[haveAVX512], one.ISA)
	assert.Equal(t, 1, one.Threads)
	assert.Greater(t, one.Float32, 1e9)
	assert.InDelta(t, 0.5, one.Float64/one.Float32, 0.25)

	threads := runtime.GOMAXPROCS(0)
	if threads < 2 {
		t.Skip("one thread: GOMAXPROCS is 1")
	}
	all := Peak(20, threads)
	t.Logf("%+v", all)
	assert.Equal(t, threads, all.Threads)
	assert.Greater(t, all.Float32, 1e9)
	assert.Less(t, all.Float32, 1.5*float64(threads)*one.Float32, "%d threads together against one alone", threads)
}
