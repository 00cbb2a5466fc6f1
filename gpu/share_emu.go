//go:build cudaemu && !cuda

package gpu

import (
	"fmt"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// hostReducer is the emulator's stand-in for NCCL: it sums the step's
// Sums over the Comm on the host, in the buckets of the segments
// (queueBuckets), each copied to the host after its segment and started
// there (distributed.Buckets: on RunLocal, on a goroutine of its own)
// while the device runs the next segments; once every bucket has
// completed, it copies the Sums back. The sums run off the device's
// goroutine: the processes of a test are goroutines of one process that
// share the one emulated device, and a process waiting for the others on
// it would keep them from their steps. As NCCL does, it reports a sum that
// failed (a peer that died or left, whose collective timed out) not from
// the step but from poll, and queues nothing more: NCCL's all-reduce would
// not finish, nor the work queued after it.
type hostReducer struct {
	d        *device
	segments []segment
	buf      devicePtr
	host     unsafe.Pointer // the Sums on the host
	size     int64          // bytes a value
	bytes    int64          // of the Sums
	buckets  interface {    // the Sums' distributed.Buckets
		Ready(from int)
		Wait() error
	}
	failed error // the sum that failed, NCCL's asynchronous error
	closed bool
}

// newReducer returns the host reducer of the trainer's gradients over c,
// in the buckets of segs.
func newReducer(t *trainer, c distributed.Comm, segs []segment) (gradientReducer, error) {
	r := &hostReducer{d: t.d, segments: segs, buf: t.optim.grads, size: int64(t.dtype.Size())}
	r.bytes = int64(t.stepSums()) * r.size
	if t.dtype == engine.Float32 {
		onHost(r, c, distributed.NewSums[float32](t.nparams, distributed.StepFlags), t.bucketBytes)
	} else {
		onHost(r, c, distributed.NewSums[float64](t.nparams, distributed.StepFlags), t.bucketBytes)
	}
	return r, nil
}

// onHost gives r s as the Sums on the host, all-reduced over c in buckets
// of bytes bytes.
func onHost[T distributed.Float](r *hostReducer, c distributed.Comm, s *distributed.Sums[T], bytes int) {
	r.host, r.buckets = unsafe.Pointer(&s.Buffer()[0]), distributed.NewBuckets(c, s, bytes)
}

func (r *hostReducer) step(gradients func(seg int) error, update func() error) error {
	if r.failed != nil || r.closed {
		return nil
	}
	onDevice := func(seg int) error { return r.d.do(func() error { return gradients(seg) }) }
	return queueBuckets(r.segments, r, onDevice, func() error {
		if r.failed != nil {
			return nil
		}
		return r.d.do(update)
	})
}

// handOver: the emulator has run the segment before its launch returned.
func (*hostReducer) handOver() error { return nil }

// allReduce copies the bucket to the host and starts its sum there.
func (r *hostReducer) allReduce(lo, hi int) error {
	err := r.d.do(func() error {
		if err := memcpyDtoH(unsafe.Add(r.host, int64(lo)*r.size), r.buf+devicePtr(int64(lo)*r.size), int64(hi-lo)*r.size); err != nil {
			return fmt.Errorf("gpu: cuMemcpyDtoH of the gradients: %w", err)
		}
		return nil
	})
	if err == nil {
		r.buckets.Ready(lo)
	}
	return err
}

// join waits for the buckets' sums and copies the Sums back to the device;
// a sum that failed is kept for poll.
func (r *hostReducer) join() error {
	if r.failed = r.buckets.Wait(); r.failed != nil {
		return nil
	}
	return r.d.do(func() error {
		if err := memcpyHtoD(r.buf, r.host, r.bytes); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD of the gradients: %w", err)
		}
		return nil
	})
}

// mark: the emulator runs each step's work before step returns.
func (*hostReducer) mark(int) error { return nil }

// poll: the work queued has finished, unless a sum failed and stopped it
// (until close aborts it).
func (r *hostReducer) poll(int) (bool, error) {
	if r.closed {
		return true, nil
	}
	return r.failed == nil, r.failed
}

// close: the host reducer holds nothing on the device.
func (r *hostReducer) close(bool) error {
	r.closed = true
	return nil
}
