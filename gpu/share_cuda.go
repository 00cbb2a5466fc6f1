//go:build cuda

package gpu

import (
	"fmt"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/distributed"
	"github.com/perceptron-go/perceptron/gpu/internal/nccl"
)

// ncclReducer sums the gradients with NCCL's all-reduce, in place on the
// device, bucket by bucket (buckets.go), on a second stream: after each
// segment of a step's gradient part, an event on the backend's stream
// (ready), which the second stream waits for, then the all-reduces of the
// segment's buckets, while the backend's stream runs the next segment;
// after the last, an event on the second stream (reduced), which the
// backend's stream waits for before the update part. No host
// synchronisation. Its marks are events of the backend's stream, which
// waits for every all-reduce of a step before its update, so a mark
// covers the all-reduces queued before it; the trainer polls them with
// ncclCommGetAsyncError rather than wait in a copy, which would wait for
// good where a peer died and NCCL's kernels spin.
type ncclReducer struct {
	d        *device
	comm     *nccl.Comm
	segments []segment
	buf      devicePtr
	size     int // bytes a value
	dt       nccl.DataType
	compute  stream // the backend's
	side     stream // the all-reduces'
	ready    event  // on compute: the buckets of the segment queued last are complete
	reduced  event  // on side: the step's all-reduces are done
	marks    [sumMarks]event
	closed   bool
}

// newReducer joins the processes of c in an NCCL communicator on this
// process's GPU, which sums the gradients in the buckets of segs: process
// 0 draws its id and broadcasts it over c. The
// processes fail together where NCCL is missing on one (the error wraps
// nccl.ErrNoNCCL) or process 0 cannot draw the id.
func newReducer(t *trainer, c distributed.Comm, segs []segment) (gradientReducer, error) {
	lib, err := nccl.Load()
	if err != nil {
		err = fmt.Errorf("gpu: the cuda backend sums a data-parallel fit's gradients with NCCL: %w", err)
	}
	if err := distributed.Agree(c, err); err != nil {
		return nil, err
	}
	var id nccl.UniqueID
	if c.Rank() == 0 {
		id, err = lib.NewUniqueID()
	}
	if err := distributed.Agree(c, err); err != nil {
		return nil, err
	}
	if err := c.Broadcast(id[:], 0); err != nil {
		return nil, err
	}
	r := &ncclReducer{d: t.d, segments: segs, buf: t.optim.grads, size: t.dtype.Size(), dt: nccl.Float64, compute: t.d.ctx.stream}
	if t.dtype == engine.Float32 {
		r.dt = nccl.Float32
	}
	err = t.d.do(func() (err error) {
		if r.side, err = newStream(); err != nil {
			return fmt.Errorf("gpu: cuStreamCreate: %w", err)
		}
		type eventOn struct {
			e  *event
			on stream
		}
		events := []eventOn{{&r.ready, r.compute}, {&r.reduced, r.side}}
		for i := range r.marks {
			events = append(events, eventOn{&r.marks[i], r.compute})
		}
		made := 0
		for ; made < len(events); made++ {
			if *events[made].e, err = events[made].on.newEvent(); err != nil {
				err = fmt.Errorf("gpu: cuEventCreate: %w", err)
				break
			}
		}
		if err == nil {
			r.comm, err = lib.InitRank(c.Size(), id, c.Rank())
		}
		if err != nil {
			for _, e := range events[:made] {
				e.e.destroy()
			}
			r.side.destroy()
		}
		return err
	})
	return r, err
}

func (r *ncclReducer) step(gradients func(seg int) error, update func() error) error {
	return r.d.do(func() error { return queueBuckets(r.segments, r, gradients, update) })
}

// handOver: the second stream waits for an event recorded on the backend's.
func (r *ncclReducer) handOver() error {
	if err := r.ready.record(); err != nil {
		return fmt.Errorf("gpu: cuEventRecord: %w", err)
	}
	if err := r.side.wait(r.ready); err != nil {
		return fmt.Errorf("gpu: cuStreamWaitEvent: %w", err)
	}
	return nil
}

// allReduce queues ncclAllReduce of the bucket, in place, on the second stream.
func (r *ncclReducer) allReduce(lo, hi int) error {
	p := uintptr(r.buf) + uintptr(lo*r.size)
	if err := r.comm.AllReduceSum(p, p, hi-lo, r.dt, r.side.address()); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	return nil
}

// join: the backend's stream waits for an event recorded on the second.
func (r *ncclReducer) join() error {
	if err := r.reduced.record(); err != nil {
		return fmt.Errorf("gpu: cuEventRecord: %w", err)
	}
	if err := r.compute.wait(r.reduced); err != nil {
		return fmt.Errorf("gpu: cuStreamWaitEvent: %w", err)
	}
	return nil
}

func (r *ncclReducer) mark(i int) error {
	if err := r.marks[i].record(); err != nil {
		return fmt.Errorf("gpu: cuEventRecord: %w", err)
	}
	return nil
}

// poll: a closed reducer aborted its sums, and the stream runs on.
func (r *ncclReducer) poll(i int) (bool, error) {
	if r.closed {
		return true, nil
	}
	if err := r.comm.AsyncError(); err != nil {
		return false, fmt.Errorf("gpu: %w", err)
	}
	done, err := r.marks[i].query()
	if err != nil {
		return false, fmt.Errorf("gpu: cuEventQuery: %w", err)
	}
	return done, nil
}

func (r *ncclReducer) close(failed bool) error {
	if r.closed {
		return nil
	}
	r.closed = true
	var err error
	if failed {
		err = r.comm.Abort()
	} else {
		err = r.comm.Destroy()
	}
	if err != nil {
		err = fmt.Errorf("gpu: %w", err)
	}
	for _, e := range append([]event{r.ready, r.reduced}, r.marks[:]...) {
		if derr := e.destroy(); derr != nil && err == nil {
			err = fmt.Errorf("gpu: cuEventDestroy: %w", derr)
		}
	}
	if derr := r.side.destroy(); derr != nil && err == nil {
		err = fmt.Errorf("gpu: cuStreamDestroy: %w", derr)
	}
	return err
}
