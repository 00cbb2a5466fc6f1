//go:build cudaemu && !cuda

package gpu

import (
	"fmt"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// hostReducer is the emulator's stand-in for NCCL: it copies the buffer to
// the host, sums it over the Comm there and copies it back. The sum runs
// off the device's goroutine: the processes of a test are goroutines of
// one process that share the one emulated device, and a process waiting
// for the others on it would keep them from their steps.
type hostReducer struct {
	d     *device
	comm  distributed.Comm
	buf   devicePtr
	f32   []float32 // the buffer on the host, in float32 or float64
	f64   []float64
	host  unsafe.Pointer
	bytes int64
}

// newReducer returns the host reducer of the trainer's gradients over c.
func newReducer(t *trainer, c distributed.Comm) (gradientReducer, error) {
	r := &hostReducer{d: t.d, comm: c, buf: t.optim.grads}
	n := t.nparams + 1
	if t.dtype == engine.Float32 {
		r.f32 = make([]float32, n)
		r.host, r.bytes = unsafe.Pointer(&r.f32[0]), int64(4*n)
	} else {
		r.f64 = make([]float64, n)
		r.host, r.bytes = unsafe.Pointer(&r.f64[0]), int64(8*n)
	}
	return r, nil
}

func (r *hostReducer) step(gradients, update func() error) error {
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
	if r.f32 != nil {
		err = r.comm.AllReduceFloat32(r.f32)
	} else {
		err = r.comm.AllReduceFloat64(r.f64)
	}
	if err != nil {
		return err
	}
	return r.d.do(func() error {
		if err := memcpyHtoD(r.buf, r.host, r.bytes); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD of the gradients: %w", err)
		}
		return update()
	})
}

// check: the host's sums return their errors at once.
func (*hostReducer) check() error { return nil }

// close: the host reducer holds nothing on the device.
func (*hostReducer) close(bool) error { return nil }
