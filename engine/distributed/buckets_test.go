package distributed

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkBuckets runs two steps of Buckets over c, in float64 and float32,
// with buckets of 3 values: Sums of 10 values and a flag, which rank r
// sets to r+i and r, and which the steps declare final from the end, in
// parts that do not fall on buckets' bounds. Each step's sums must be
// those of every process, bit for bit; the values not yet final hold NaN
// until they are, so a bucket started early sums NaN.
func checkBuckets(t *testing.T, c Comm) {
	checkBucketsOf[float64](t, c, 24)
	checkBucketsOf[float32](t, c, 12)
}

func checkBucketsOf[T Float](t *testing.T, c Comm, bytes int) {
	s, err := NewSumsOn[T](c, 10, 1)
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close()) }()
	b := NewBuckets(c, s, bytes)
	require.Equal(t, 4, b.Count(), "11 values in buckets of 3: the first holds 2")
	n, r := T(c.Size()), T(c.Rank())
	for step := range 2 {
		v := s.Values()
		for i := range v {
			v[i] = T(nan())
		}
		s.SetFlag(0, float64(r))
		for _, from := range []int{7, 4, 0} {
			for i := from; i < len(v) && v[i] != v[i]; i++ { // the NaNs: those not final before
				v[i] = r + T(i) + T(step)
			}
			b.Ready(from)
			b.Progress()
		}
		require.NoError(t, b.Wait(), "step %d", step)
		for i, got := range s.Values() {
			assert.Equal(t, n*(n-1)/2+n*T(i+step), got, "step %d, value %d", step, i)
		}
		assert.Equal(t, float64(n*(n-1)/2), s.Flag(0), "step %d: the flag", step)
	}
}

// checkBucketsExact checks that Buckets' sums of values whose sums round
// (rank 0's about 10⁴ times the others', drawn) are those of one
// all-reduce of the whole buffer, bit for bit, in buckets of several
// sizes: the order of the sums does not depend on where the buckets cut.
// The Sums are c's (NewSumsOn); where c sums in rank order (rankOrder:
// RunLocal, and Sums in shared memory), the whole buffer's sums must be
// ((x₀ + x₁) + x₂) + … of the processes' values, which each process draws
// alike.
func checkBucketsExact(t *testing.T, c Comm, rankOrder bool) {
	values := make([][]float32, c.Size())
	for r := range values {
		rng := rand.New(rand.NewPCG(uint64(r), 28))
		scale := map[bool]float32{true: 1e4, false: 1}[r == 0]
		values[r] = make([]float32, 30001)
		for i := range values[r] {
			values[r][i] = (rng.Float32() - 0.5) * scale
		}
	}
	mine := values[c.Rank()]
	whole, err := NewSumsOn[float32](c, len(mine), 0)
	require.NoError(t, err)
	defer func() { assert.NoError(t, whole.Close()) }()
	copy(whole.Values(), mine)
	require.NoError(t, whole.AllReduce(c))
	if rankOrder {
		differ := 0
		for i, got := range whole.Values() {
			want := values[0][i]
			for _, v := range values[1:] {
				want += v[i]
			}
			if math.Float32bits(got) != math.Float32bits(want) {
				differ++
			}
		}
		assert.Zero(t, differ, "sums that differ from those in rank order")
	}
	for _, bytes := range []int{4 << 10, 40004, 100 << 10} {
		s, err := NewSumsOn[float32](c, len(mine), 0)
		require.NoError(t, err)
		copy(s.Values(), mine)
		b := NewBuckets(c, s, bytes)
		require.Greater(t, b.Count(), 1)
		require.NoError(t, b.Wait())
		differ := 0
		for i, v := range s.Values() {
			if math.Float32bits(v) != math.Float32bits(whole.Values()[i]) {
				differ++
			}
		}
		assert.Zero(t, differ, "buckets of %d bytes: sums that differ from the whole buffer's", bytes)
		assert.NoError(t, s.Close())
	}
}

func nan() float64 { return math.NaN() }

// hidden is a Comm that is not a Starter: Buckets' all-reduces block.
type hidden struct{ Comm }

// TestBuckets checks Buckets on 3 processes of RunLocal, which start
// their all-reduces, and over a Comm that cannot, which blocks in each:
// the same sums, bit for bit.
func TestBuckets(t *testing.T) {
	RunLocal(3, func(c Comm) bool {
		_, ok := c.(Starter)
		assert.True(t, ok, "RunLocal's Comm starts all-reduces")
		checkBuckets(t, c)
		checkBuckets(t, hidden{c})
		checkBucketsExact(t, c, true)
		return true
	})
}

// TestBucketsDefault checks that a size of 0 or less is
// DefaultBucketBytes: one bucket for the whole of a small Sums, and a
// value a bucket for a size smaller than a value.
func TestBucketsDefault(t *testing.T) {
	RunLocal(1, func(c Comm) bool {
		s := NewSums[float32](10, 1)
		assert.Equal(t, 1, NewBuckets(c, s, 0).Count())
		assert.Equal(t, 1, NewBuckets(c, s, -5).Count())
		assert.Equal(t, 11, NewBuckets(c, s, 1).Count())
		big := NewSums[float32](DefaultBucketBytes/4+1, 0)
		assert.Equal(t, 2, NewBuckets(c, big, 0).Count())
		return true
	})
}

// TestBucketsTimeout has process 1 of 2 stop taking part: process 0's
// Wait returns the *TimeoutError of its started all-reduce naming it, and
// the next step's fails at once.
func TestBucketsTimeout(t *testing.T) {
	errs := RunLocalTimeout(2, 100*time.Millisecond, func(c Comm) error {
		if c.Rank() == 1 {
			return nil
		}
		b := NewBuckets(c, NewSums[float64](4, 1), 16)
		b.Ready(0)
		err := b.Wait()
		began := time.Now()
		assert.Error(t, b.Wait())
		assert.Less(t, time.Since(began), 50*time.Millisecond, "a broken Comm fails at once")
		return err
	})
	var te *TimeoutError
	require.True(t, errors.As(errs[0], &te), "%v", errs[0])
	assert.Equal(t, []int{1}, te.Missing)
	assert.Equal(t, "all-reduce of 2 float64 values", te.Call, "the first bucket started: the flag and the last value")
}

// TestBucketBounds checks the buckets as Buckets cuts them: from the
// buffer's end, of the size in whole values, the last holding what is
// left; one value a bucket for a size smaller than a value; one bucket of
// DefaultBucketBytes for 0; and Count agreeing.
func TestBucketBounds(t *testing.T) {
	assert.Equal(t, [][2]int{{8, 11}, {5, 8}, {2, 5}, {0, 2}}, BucketBounds(11, 8, 24))
	assert.Equal(t, [][2]int{{8, 11}, {5, 8}, {2, 5}, {0, 2}}, BucketBounds(11, 4, 12))
	assert.Equal(t, [][2]int{{8, 11}, {5, 8}, {2, 5}, {0, 2}}, BucketBounds(11, 4, 15), "3 whole values of 4 bytes")
	assert.Equal(t, [][2]int{{2, 3}, {1, 2}, {0, 1}}, BucketBounds(3, 8, 1))
	assert.Equal(t, [][2]int{{0, 3}}, BucketBounds(3, 8, 0))
	assert.Equal(t, [][2]int{{1, DefaultBucketBytes/4 + 1}, {0, 1}}, BucketBounds(DefaultBucketBytes/4+1, 4, 0))
	RunLocal(1, func(c Comm) bool {
		assert.Equal(t, len(BucketBounds(11, 8, 24)), NewBuckets(c, NewSums[float64](10, 1), 24).Count())
		return true
	})
}
