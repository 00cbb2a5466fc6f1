package distributed

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShard(t *testing.T) {
	for i, c := range []struct {
		size, n int
		want    [][2]int
	}{
		{1, 5, [][2]int{{0, 5}}},
		{2, 64, [][2]int{{0, 32}, {32, 64}}},
		{3, 64, [][2]int{{0, 22}, {22, 43}, {43, 64}}},
		{4, 3, [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 3}}},
		{2, 0, [][2]int{{0, 0}, {0, 0}}},
	} {
		for rank, w := range c.want {
			lo, hi := Shard(rank, c.size, c.n)
			assert.Equal(t, w, [2]int{lo, hi}, "case %d rank %d", i, rank)
		}
	}
}

func TestLocalAllReduceSumsInRankOrder(t *testing.T) {
	got := RunLocal(3, func(c Comm) [][]float64 {
		r := float64(c.Rank())
		b64 := []float64{r, 0.1 * (r + 1), []float64{1, 1e16, -1e16}[c.Rank()]}
		b32 := []float32{float32(r), float32(0.1 * (r + 1))}
		require.NoError(t, AllReduce(c, b64))
		require.NoError(t, AllReduce(c, b32))
		return [][]float64{b64, {float64(b32[0]), float64(b32[1])}}
	})
	// 1 + 1e16 rounds to 1e16: summed in rank order the last value is 0, not 1.
	want := [][]float64{{3, 0.1 + 0.2 + 0.30000000000000004, 0}, {3, float64(float32(0.1) + float32(0.2) + float32(0.3))}}
	for rank, g := range got {
		assert.Equal(t, want, g, "rank %d", rank)
	}
}

func TestLocalBroadcast(t *testing.T) {
	got := RunLocal(3, func(c Comm) []float64 {
		buf := []float64{float64(c.Rank()), -float64(c.Rank())}
		require.NoError(t, BroadcastFloat64(c, buf, 2))
		return buf
	})
	assert.Equal(t, [][]float64{{2, -2}, {2, -2}, {2, -2}}, got)
}

func TestLocalRefusesMismatchedCollectives(t *testing.T) {
	errs := RunLocal(2, func(c Comm) error {
		if c.Rank() == 0 {
			return c.AllReduceFloat64(make([]float64, 3))
		}
		return c.AllReduceFloat64(make([]float64, 4))
	})
	for rank, err := range errs {
		assert.EqualError(t, err, "distributed: mismatched collectives: process 0 called AllReduceFloat64 of 3 values (root 0), process 1 AllReduceFloat64 of 4 (root 0)", "rank %d", rank)
	}
	errs = RunLocal(2, func(c Comm) error { return c.Broadcast(make([]byte, 1), 2) })
	for rank, err := range errs {
		assert.EqualError(t, err, "distributed: broadcast from process 2 of 2", "rank %d", rank)
	}
}

func TestAgreeFailsEveryProcessWithTheFirstCause(t *testing.T) {
	assert.Equal(t, []error{nil, nil, nil}, RunLocal(3, func(c Comm) error { return Agree(c, nil) }))

	bad := errors.New("data.csv: line 7, column 2: NaN")
	errs := RunLocal(4, func(c Comm) error {
		switch c.Rank() {
		case 1:
			return Agree(c, bad)
		case 3:
			return Agree(c, errors.New("another cause"))
		}
		return Agree(c, nil)
	})
	assert.Same(t, bad, errs[1], "the failing process keeps its own error")
	for _, rank := range []int{0, 2, 3} {
		var re *RankError
		require.ErrorAs(t, errs[rank], &re, "rank %d", rank)
		assert.Equal(t, RankError{Rank: 1, Size: 4, Message: bad.Error()}, *re)
		assert.EqualError(t, errs[rank], "process 1 of 4: data.csv: line 7, column 2: NaN")
	}
}

// TestSameAsRoot names each setting that differs from process 0's, with
// both values, and only those.
func TestSameAsRoot(t *testing.T) {
	fit := func(batch, epochs int) []Setting {
		return []Setting{{"the batch", fmt.Sprint(batch)}, {"the optimizer", "adam"}, {"the epochs", fmt.Sprint(epochs)}}
	}
	assert.Equal(t, []error{nil, nil}, RunLocal(2, func(c Comm) error { return SameAsRoot(c, "the fit", fit(64, 3)) }))

	errs := RunLocal(3, func(c Comm) error { return SameAsRoot(c, "the fit", fit(64+c.Rank()/2, 3)) })
	for rank, err := range errs {
		assert.ErrorContains(t, err, "the fit differs from process 0's: the batch: process 0 has 64, process 2 has 65", "rank %d", rank)
	}
	assert.EqualError(t, errs[0], "process 2 of 3: the fit differs from process 0's: the batch: process 0 has 64, process 2 has 65")

	errs = RunLocal(2, func(c Comm) error { return SameAsRoot(c, "the fit", fit(64+c.Rank(), 3+c.Rank())) })
	assert.EqualError(t, errs[0], "process 1 of 2: the fit differs from process 0's: the batch: process 0 has 64, process 1 has 65; "+
		"the epochs: process 0 has 3, process 1 has 4")

	errs = RunLocal(2, func(c Comm) error { return SameAsRoot(c, "the fit", fit(64, 3)[:2+c.Rank()]) })
	assert.EqualError(t, errs[0], "process 1 of 2: the fit differs from process 0's: process 0 has \"64\\x00adam\"; process 1 has \"64\\x00adam\\x003\"",
		"a process of another build: every value")
}

func TestAny(t *testing.T) {
	assert.Equal(t, []bool{false, false}, RunLocal(2, func(c Comm) bool {
		b, err := Any(c, false)
		require.NoError(t, err)
		return b
	}))
	assert.Equal(t, []bool{true, true, true}, RunLocal(3, func(c Comm) bool {
		b, err := Any(c, c.Rank() == 2)
		require.NoError(t, err)
		return b
	}))
}

func TestLaunched(t *testing.T) {
	t.Setenv("OMPI_COMM_WORLD_SIZE", "")
	t.Setenv("PMI_SIZE", "")
	n, by := Launched()
	assert.Equal(t, 0, n)
	assert.Equal(t, "", by)
	t.Setenv("PMI_SIZE", "4")
	n, by = Launched()
	assert.Equal(t, 4, n)
	assert.Equal(t, "PMI_SIZE", by)
	t.Setenv("OMPI_COMM_WORLD_SIZE", "2")
	n, by = Launched()
	assert.Equal(t, 2, n)
	assert.Equal(t, "OMPI_COMM_WORLD_SIZE", by)
}
