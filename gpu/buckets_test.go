//go:build cuda || cudaemu

package gpu

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/distributed"
)

// layersOf returns the layers' buffers' layout of a network of sizes
// (inputs, then each layer's units): each layer's offset in the
// parameters, W then b.
func layersOf(sizes ...int) (layers []layerBufs, params int) {
	for l := 1; l < len(sizes); l++ {
		layers = append(layers, layerBufs{in: sizes[l-1], out: sizes[l], off: params})
		params += sizes[l-1]*sizes[l] + sizes[l]
	}
	return layers, params
}

// TestPlanSegments cuts the backend suite's network, 2-8-6-1 (85
// parameters in layers of 24, 54 and 7, and the verdict), into segments:
// one holding everything for the default size, one a layer for buckets of
// one value, and for buckets of 12 float64 values none after the last
// layer (its 7 gradients and the verdict complete no bucket).
func TestPlanSegments(t *testing.T) {
	layers, n := layersOf(2, 8, 6, 1)
	require.Equal(t, 85, n)
	n++ // the verdict
	assert.Equal(t, []segment{{top: 2, bottom: 0, buckets: [][2]int{{0, 86}}}}, planSegments(layers, n, 8, 0))

	segs := planSegments(layers, n, 8, 100)
	assert.Equal(t, []segment{
		{top: 2, bottom: 1, buckets: [][2]int{{74, 86}, {62, 74}, {50, 62}, {38, 50}, {26, 38}}},
		{top: 0, bottom: 0, buckets: [][2]int{{14, 26}, {2, 14}, {0, 2}}},
	}, segs)
	from, to := segs[0].span()
	assert.Equal(t, [2]int{26, 86}, [2]int{from, to})

	segs = planSegments(layers, n, 4, 1)
	require.Len(t, segs, 3)
	for i, c := range []struct{ top, bottom, buckets int }{{2, 2, 8}, {1, 1, 54}, {0, 0, 24}} {
		assert.Equal(t, [3]int{c.top, c.bottom, c.buckets}, [3]int{segs[i].top, segs[i].bottom, len(segs[i].buckets)}, "segment %d", i)
	}
}

// TestPlanSegmentsProperties checks, on random networks and bucket sizes,
// that the segments hold every bucket of distributed.BucketBounds once, in
// order; that they cover the layers from the last down to the first; that
// a segment's buckets are complete after it (every value in them belongs
// to its layers or those above, or is the verdict); and that none was
// complete after the segment before (so it starts as soon as it can).
func TestPlanSegmentsProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for range 300 {
		sizes := []int{1 + rng.IntN(9)}
		for range 1 + rng.IntN(4) {
			sizes = append(sizes, 1+rng.IntN(9))
		}
		layers, params := layersOf(sizes...)
		n, valueBytes, bucketBytes := params+distributed.StepFlags, 4<<rng.IntN(2), rng.IntN(400)
		what := fmt.Sprintf("%v in buckets of %d bytes of %d-byte values", sizes, bucketBytes, valueBytes)
		segs := planSegments(layers, n, valueBytes, bucketBytes)
		var all [][2]int
		top := len(layers) - 1
		for j, s := range segs {
			require.NotEmpty(t, s.buckets, "%s: segment %d", what, j)
			assert.Equal(t, top, s.top, "%s: segment %d begins below the one before", what, j)
			assert.LessOrEqual(t, s.bottom, s.top, "%s: segment %d", what, j)
			for _, b := range s.buckets {
				assert.GreaterOrEqual(t, b[0], layers[s.bottom].off, "%s: segment %d's bucket %v is complete after it", what, j, b)
				if j > 0 {
					assert.Less(t, b[0], layers[segs[j-1].bottom].off, "%s: segment %d's bucket %v was not complete before it", what, j, b)
				}
			}
			from, to := s.span()
			assert.Equal(t, s.buckets[0][1]-s.buckets[len(s.buckets)-1][0], to-from, "%s: segment %d's span", what, j)
			all = append(all, s.buckets...)
			top = s.bottom - 1
		}
		assert.Equal(t, -1, top, "%s: the segments end with the first layer", what)
		assert.Equal(t, distributed.BucketBounds(n, valueBytes, bucketBytes), all, "%s: every bucket once, in order", what)
	}
}

// recording is a bucketQueue that records what a step queues through it,
// failing at call number fail (from 1; 0: none).
type recording struct {
	calls []string
	fail  int
}

var errQueue = errors.New("the queue failed")

func (r *recording) call(what string) error {
	r.calls = append(r.calls, what)
	if len(r.calls) == r.fail {
		return errQueue
	}
	return nil
}

func (r *recording) handOver() error { return r.call("hand over") }
func (r *recording) allReduce(lo, hi int) error {
	return r.call(fmt.Sprintf("all-reduce [%d, %d)", lo, hi))
}
func (r *recording) join() error { return r.call("join") }

// TestQueueBucketsOrder checks the order in which a step queues its
// work, which NCCL's reducer follows: each segment, then the hand-over
// (the event that the second stream waits for), then its buckets'
// all-reduces, and the update only after the join of the last; and that
// a failure stops the step where it happens, queueing nothing after it.
func TestQueueBucketsOrder(t *testing.T) {
	layers, n := layersOf(2, 8, 6, 1)
	segs := planSegments(layers, n+1, 8, 100)
	run := func(fail int) ([]string, error) {
		q := &recording{fail: fail}
		err := queueBuckets(segs, q, func(seg int) error { return q.call(fmt.Sprintf("segment %d", seg)) },
			func() error { return q.call("update") })
		return q.calls, err
	}
	calls, err := run(0)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"segment 0", "hand over", "all-reduce [74, 86)", "all-reduce [62, 74)", "all-reduce [50, 62)", "all-reduce [38, 50)", "all-reduce [26, 38)",
		"segment 1", "hand over", "all-reduce [14, 26)", "all-reduce [2, 14)", "all-reduce [0, 2)",
		"join", "update",
	}, calls)
	for i, call := range calls {
		got, err := run(i + 1)
		require.ErrorIs(t, err, errQueue, "failing at call %d, %q", i+1, call)
		assert.Equal(t, calls[:i+1], got, "failing at call %d, %q: nothing after it", i+1, call)
	}
}
