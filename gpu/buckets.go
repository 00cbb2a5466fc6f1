//go:build cuda || cudaemu

package gpu

import "github.com/perceptron-go/perceptron/engine/distributed"

// A data-parallel step all-reduces its Sums in buckets, cut as
// distributed.Buckets cuts the CPU's (distributed.BucketBounds, of
// engine.Hyper.BucketBytes): from the end of the buffer, the first bucket
// holding the verdict and the last layer's last gradients. So that each
// bucket is all-reduced as soon as the backward pass has produced it, the
// step's gradient part runs in segments, one graph each (planSegments):
// the first holds the gather, the forward pass, the output gradient and the
// backward pass down to the first layer whose gradients complete a bucket,
// each next one the backward pass down to the next such layer, and each
// ends with share_gradients over the buckets it completes. After each
// segment the all-reduces of its buckets are queued beside the computation
// (queueBuckets): NCCL on a second stream, which waits for an event
// recorded after the segment while the next segment runs; the update part
// waits for the last all-reduce, since the optimizer (and clipping by
// norm) needs every gradient. The buckets are the same on every process
// (they depend on the network and the size only), so the processes queue
// the same all-reduces in the same order, whose sums are those of one
// all-reduce, element by element: the model does not depend on them.

// segment is a part of a data-parallel step's gradient part, one graph,
// after which buckets of the step's Sums are complete.
type segment struct {
	top, bottom int      // it computes the gradients of the layers from top down to bottom
	buckets     [][2]int // the buckets complete after it, in the order they start: the Sums' values [b[0], b[1])
}

// span returns the values of the segment's buckets, which its
// share_gradients weights: [from, to).
func (s segment) span() (from, to int) { return s.buckets[len(s.buckets)-1][0], s.buckets[0][1] }

// planSegments cuts the gradient part of a data-parallel step on layers,
// whose Sums are n values of valueBytes bytes, into segments, for buckets
// of bucketBytes bytes (distributed.BucketBounds): a segment ends after
// each layer whose gradients complete a bucket, since the values of a
// layer's gradients and of those above it are final once it has computed
// them. Every bucket is in one segment, in order.
func planSegments(layers []layerBufs, n, valueBytes, bucketBytes int) []segment {
	bounds := distributed.BucketBounds(n, valueBytes, bucketBytes)
	var segs []segment
	top := len(layers) - 1
	for l := top; l >= 0 && len(bounds) > 0; l-- {
		k := 0
		for k < len(bounds) && bounds[k][0] >= layers[l].off {
			k++
		}
		if k > 0 {
			segs = append(segs, segment{top: top, bottom: l, buckets: bounds[:k]})
			bounds, top = bounds[k:], l-1
		}
	}
	return segs
}

// bucketQueue is where a data-parallel step's all-reduces run beside its
// computation: NCCL on a second stream (share_cuda.go), or the emulator's
// stand-in on the host (share_emu.go).
type bucketQueue interface {
	// handOver makes the all-reduces queued next wait for the computation
	// queued so far.
	handOver() error
	// allReduce queues the all-reduce of the Sums' values [lo, hi).
	allReduce(lo, hi int) error
	// join makes the computation queued next wait for every all-reduce
	// queued so far.
	join() error
}

// queueBuckets queues a data-parallel step through q: each of its
// segments (gradients(j) queues segment j), then the all-reduces of the
// buckets complete after it, then, once they all have completed, the
// update part (update).
func queueBuckets(segs []segment, q bucketQueue, gradients func(seg int) error, update func() error) error {
	for j, s := range segs {
		if err := gradients(j); err != nil {
			return err
		}
		if err := q.handOver(); err != nil {
			return err
		}
		for _, b := range s.buckets {
			if err := q.allReduce(b[0], b[1]); err != nil {
				return err
			}
		}
	}
	if err := q.join(); err != nil {
		return err
	}
	return update()
}
