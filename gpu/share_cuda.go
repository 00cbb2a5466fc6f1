//go:build cuda

package gpu

import (
	"fmt"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/distributed"
	"github.com/perceptron-go/perceptron/gpu/internal/nccl"
)

// ncclReducer sums the gradients with NCCL's all-reduce, in place on the
// device, queued on the backend's stream between a step's two graphs: no
// host synchronisation. Its marks are events of the stream, which the
// trainer polls with ncclCommGetAsyncError rather than wait in a copy,
// which would wait for good where a peer died and NCCL's kernels spin.
type ncclReducer struct {
	d      *device
	comm   *nccl.Comm
	buf    devicePtr
	n      int
	dt     nccl.DataType
	stream uintptr
	marks  [sumMarks]event
	closed bool
}

// newReducer joins the processes of c in an NCCL communicator on this
// process's GPU: process 0 draws its id and broadcasts it over c. The
// processes fail together where NCCL is missing on one (the error wraps
// nccl.ErrNoNCCL) or process 0 cannot draw the id.
func newReducer(t *trainer, c distributed.Comm) (gradientReducer, error) {
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
	r := &ncclReducer{d: t.d, buf: t.optim.grads, n: t.stepSums(), dt: nccl.Float64, stream: t.d.ctx.stream.address()}
	if t.dtype == engine.Float32 {
		r.dt = nccl.Float32
	}
	err = t.d.do(func() (err error) {
		for i := range r.marks {
			if r.marks[i], err = t.d.ctx.newEvent(); err != nil {
				return fmt.Errorf("gpu: cuEventCreate: %w", err)
			}
		}
		if r.comm, err = lib.InitRank(c.Size(), id, c.Rank()); err != nil {
			for _, m := range r.marks {
				m.destroy()
			}
		}
		return err
	})
	return r, err
}

func (r *ncclReducer) step(gradients, update func() error) error {
	return r.d.do(func() error {
		if err := gradients(); err != nil {
			return err
		}
		if err := r.comm.AllReduceSum(uintptr(r.buf), uintptr(r.buf), r.n, r.dt, r.stream); err != nil {
			return fmt.Errorf("gpu: %w", err)
		}
		return update()
	})
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
	for _, m := range r.marks {
		if derr := m.destroy(); derr != nil && err == nil {
			err = fmt.Errorf("gpu: cuEventDestroy: %w", derr)
		}
	}
	return err
}
