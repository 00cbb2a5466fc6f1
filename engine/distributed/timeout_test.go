package distributed

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClockLimits(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := clock{last: t0}
	assert.Equal(t, MinTimeout, c.enter(t0.Add(time.Second)), "a step of 1 s: at least a minute")
	c.leave(t0.Add(2 * time.Second))
	assert.Equal(t, MinTimeout, c.enter(t0.Add(3*time.Second)))
	c.leave(t0.Add(3 * time.Second))
	assert.Equal(t, 70*time.Second, c.enter(t0.Add(10*time.Second)), "10 times the step under way, 7 s so far")
	c.leave(t0.Add(10 * time.Second))
	assert.Equal(t, 70*time.Second, c.enter(t0.Add(11*time.Second)), "10 times the slowest step, 7 s")

	fixed := clock{fixed: 3 * time.Second, last: t0}
	assert.Equal(t, 3*time.Second, fixed.enter(t0.Add(time.Hour)), "a fixed timeout is every limit")
}

// TestLocalTimeoutNamesTheMissing has process 2 of 3 arrive late at the
// second collective: processes 0 and 1 give up after their limit with an
// error naming process 2, and process 2's call, later, fails at once with
// the same cause; so does every later collective.
func TestLocalTimeoutNamesTheMissing(t *testing.T) {
	const limit = 100 * time.Millisecond
	type outcome struct {
		err, later error
		waited     time.Duration
	}
	start := time.Now()
	got := RunLocalTimeout(3, limit, func(c Comm) outcome {
		require.NoError(t, c.AllReduceFloat64([]float64{1}))
		if c.Rank() == 2 {
			time.Sleep(4 * limit)
		}
		began := time.Now()
		err := c.AllReduceFloat64(make([]float64, 5))
		return outcome{err, c.Broadcast(make([]byte, 2), 0), time.Since(began)}
	})
	assert.Less(t, time.Since(start), 2*time.Second, "no process hangs")
	for rank, o := range got {
		var te *TimeoutError
		require.True(t, errors.As(o.err, &te), "rank %d: %v", rank, o.err)
		assert.Equal(t, rank, te.Rank)
		assert.Equal(t, []int{2}, te.Missing)
		assert.EqualError(t, o.err, fmt.Sprintf("process %d of 3 waited 100ms in the all-reduce of 5 float64 values for the others: process 2 did not arrive", rank))
		assert.Equal(t, o.err, o.later, "rank %d: a broken group fails at once", rank)
	}
	for rank := range 2 {
		assert.GreaterOrEqual(t, got[rank].waited, limit)
		assert.Less(t, got[rank].waited, limit+time.Second)
	}
	assert.Less(t, got[2].waited, limit/2, "the late process learns at once")
}

// TestLocalTimeoutManyMissing: processes 1 and 2 of 3 never call; process
// 0 names both.
func TestLocalTimeoutManyMissing(t *testing.T) {
	errs := RunLocalTimeout(3, 50*time.Millisecond, func(c Comm) error {
		if c.Rank() == 0 {
			return c.Broadcast(make([]byte, 4), 0)
		}
		return nil
	})
	assert.EqualError(t, errs[0], "process 0 of 3 waited 50ms in the broadcast of 4 bytes from process 0 for the others: processes 1, 2 did not arrive")
}

func TestTimeoutErrorWithoutMissing(t *testing.T) {
	e := &TimeoutError{Rank: 1, Size: 2, Call: "all-reduce of 3 float32 values", Limit: time.Minute}
	assert.EqualError(t, e, "process 1 of 2 waited 1m0s in the all-reduce of 3 float32 values for the others: every other process answered, yet the collective did not complete")
}

// TestCollectiveNames: the noun is singular for one value or byte only.
func TestCollectiveNames(t *testing.T) {
	assert.Equal(t, "all-reduce of 1 float64 value", allReduceOf(1, "float64"))
	assert.Equal(t, "all-reduce of 0 float32 values", allReduceOf(0, "float32"))
	assert.Equal(t, "all-reduce of 101770 float32 values", allReduceOf(101770, "float32"))
	assert.Equal(t, "broadcast of 1 byte from process 0", broadcastOf(1, 0))
	assert.Equal(t, "broadcast of 4 bytes from process 2", broadcastOf(4, 2))
}
