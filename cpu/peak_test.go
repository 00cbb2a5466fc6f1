package cpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPeak checks that the peak is measured with the kernels' registers and
// comes out as a plausible rate: above 1 GFLOP/s, float64 at about half of
// float32, the same register width holding half as many values.
func TestPeak(t *testing.T) {
	p := Peak(20)
	t.Logf("%+v", p)
	if !haveFMA {
		assert.Equal(t, PeakFLOPS{ISA: "none"}, p)
		return
	}
	assert.Equal(t, map[bool]string{true: "avx512", false: "avx2"}[haveAVX512], p.ISA)
	assert.Greater(t, p.Float32, 1e9)
	assert.InDelta(t, 0.5, p.Float64/p.Float32, 0.25)
}
