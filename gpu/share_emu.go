//go:build cudaemu && !cuda

package gpu

import (
	"fmt"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// hostReducer is the emulator's stand-in for NCCL: it copies the step's
// Sums to the host, sums them over the Comm there and copies them back.
// The sum runs off the device's goroutine: the processes of a test are
// goroutines of one process that share the one emulated device, and a
// process waiting for the others on it would keep them from their steps.
// As NCCL does, it reports a sum that failed (a peer that died or left,
// whose collective timed out) not from the step but from poll, and queues
// nothing more: NCCL's all-reduce would not finish, nor the work queued
// after it.
type hostReducer struct {
	d      *device
	comm   distributed.Comm
	buf    devicePtr
	sum    func() error // sums the Sums on the host over comm
	host   unsafe.Pointer
	bytes  int64
	failed error // the sum that failed, NCCL's asynchronous error
	closed bool
}

// newReducer returns the host reducer of the trainer's gradients over c.
func newReducer(t *trainer, c distributed.Comm) (gradientReducer, error) {
	r := &hostReducer{d: t.d, comm: c, buf: t.optim.grads}
	if t.dtype == engine.Float32 {
		onHost(r, distributed.NewSums[float32](t.nparams, distributed.StepFlags))
	} else {
		onHost(r, distributed.NewSums[float64](t.nparams, distributed.StepFlags))
	}
	return r, nil
}

// onHost gives r s as the Sums on the host.
func onHost[T distributed.Float](r *hostReducer, s *distributed.Sums[T]) {
	buf := s.Buffer()
	r.host, r.bytes = unsafe.Pointer(&buf[0]), int64(len(buf))*int64(unsafe.Sizeof(buf[0]))
	r.sum = func() error { return s.AllReduce(r.comm) }
}

func (r *hostReducer) step(gradients, update func() error) error {
	if r.failed != nil || r.closed {
		return nil
	}
	err := r.d.do(func() error {
		if err := gradients(); err != nil {
			return err
		}
		if err := memcpyDtoH(r.host, r.buf, r.bytes); err != nil {
			return fmt.Errorf("gpu: cuMemcpyDtoH of the gradients: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := r.sum(); err != nil {
		r.failed = err
		return nil
	}
	return r.d.do(func() error {
		if err := memcpyHtoD(r.buf, r.host, r.bytes); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD of the gradients: %w", err)
		}
		return update()
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
