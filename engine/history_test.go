package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func epochs(h History) []int {
	var out []int
	for _, s := range h {
		out = append(out, s.Epoch)
	}
	return out
}

func TestHistoryIsThinnedWithinItsLimit(t *testing.T) {
	h := thinned{limit: 4, stride: 1}
	var seen [][]int
	for e := 1; e <= 11; e++ {
		h.add(EpochStats{Epoch: e})
		assert.LessOrEqual(t, len(h.hist), 4, "epoch %d", e)
		assert.Equal(t, e, h.hist[len(h.hist)-1].Epoch, "the last epoch is always kept")
		seen = append(seen, epochs(h.hist))
	}
	assert.Equal(t, []int{1, 2, 3, 4}, seen[3], "every epoch up to the limit")
	assert.Equal(t, []int{2, 4, 5}, seen[4], "past it, the even epochs and the last")
	assert.Equal(t, []int{2, 4, 6, 7}, seen[6], "an odd last epoch gives way to the next")
	assert.Equal(t, []int{4, 8, 9}, seen[8], "then every fourth")
	assert.Equal(t, []int{4, 8, 11}, seen[10])
}
