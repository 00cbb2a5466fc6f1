package distributed

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSumsLayout checks the protocol's layout: the values, then the flags,
// in one buffer.
func TestSumsLayout(t *testing.T) {
	s := NewSums[float32](3, 2)
	copy(s.Values(), []float32{1, 2, 3})
	s.SetFlag(1, 7)
	assert.Equal(t, []float32{1, 2, 3, 0, 7}, s.Buffer())
	assert.Equal(t, 0.0, s.Flag(0))
	assert.Equal(t, 7.0, s.Flag(1))
	assert.Len(t, NewSums[float64](4, StepFlags).Buffer(), 4+StepFlags)
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct{ loss, want float64 }{
		{0, 0}, {-3.5, 0}, {math.MaxFloat64, 0}, {math.Inf(1), math.Inf(1)}, {math.Inf(-1), math.Inf(-1)},
	} {
		assert.Equal(t, c.want, Verdict(c.loss), "loss %g", c.loss)
	}
	assert.True(t, math.IsNaN(Verdict(math.NaN())))
}

// TestSumsVerdicts sums steps' Sums over 3 processes: the values are
// summed, and the verdict's sum is 0 exactly when every process's loss was
// finite, in float32 and float64, whichever processes saw NaN or ±Inf.
func TestSumsVerdicts(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for i, c := range []struct {
		losses [3]float64
		finite bool
	}{
		{[3]float64{1, 2, 3}, true}, {[3]float64{math.MaxFloat64, 1, 1}, true}, {[3]float64{1, inf, 3}, false},
		{[3]float64{nan, 2, 3}, false}, {[3]float64{inf, -inf, 3}, false}, {[3]float64{1, 2, -inf}, false},
	} {
		losses, finite := c.losses, c.finite
		for _, f32 := range []bool{false, true} {
			got := RunLocal(3, func(c Comm) [2]float64 {
				if f32 {
					return stepSum[float32](t, c, losses[c.Rank()])
				}
				return stepSum[float64](t, c, losses[c.Rank()])
			})
			for rank, g := range got {
				what := fmt.Sprintf("case %d, float32 %v, rank %d", i, f32, rank)
				assert.Equal(t, 3.0, g[0], "%s: the values' sum", what)
				assert.Equal(t, finite, g[1] == 0, "%s: the verdict %g", what, g[1])
			}
		}
	}
}

// stepSum all-reduces a step's Sums of one value, 1, with the verdict on
// loss, and returns the value and the verdict summed.
func stepSum[T Float](t *testing.T, c Comm, loss float64) [2]float64 {
	s := NewSums[T](1, StepFlags)
	s.Values()[0] = 1
	s.SetFlag(0, Verdict(loss))
	require.NoError(t, s.AllReduce(c))
	return [2]float64{float64(s.Values()[0]), s.Flag(0)}
}
