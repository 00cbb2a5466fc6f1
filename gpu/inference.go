//go:build cuda || cudaemu

package gpu

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// NewInference uploads net's parameters once, with room for the
// activations of predictRows rows and their inputs, and returns its forward
// pass (engine.Inference). Its calls take turns on the device: each copies
// its rows up predictRows at a time, runs the batch kernels and copies the
// outputs back, through host buffers it keeps.
func (b *Backend) NewInference(net *engine.Network) (engine.Inference, error) {
	d, err := b.device()
	if err != nil {
		return nil, err
	}
	inf := &inference{d: d, in: net.Spec.Inputs, k: net.Spec.Outputs(), dtype: net.Spec.DType}
	width := predictRows * max(inf.in, inf.k)
	if inf.dtype == engine.Float32 {
		inf.h32 = make([]float32, width)
	} else {
		inf.h64 = make([]float64, width)
	}
	err = d.do(func() error {
		s, err := newStack(d, net, predictRows)
		if err != nil {
			return err
		}
		inf.s = s
		if inf.x, err = s.mem.alloc(int64(predictRows*inf.in*inf.dtype.Size()), "the inputs"); err != nil {
			s.mem.free()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return inf, nil
}

// inference is the CUDA backend's engine.Inference: a stack of predictRows
// rows and its inputs on the device, and a host buffer of the network's
// dtype (h32 or h64) for the copies each way. mu makes the calls take turns.
type inference struct {
	mu     sync.Mutex
	d      *device
	s      *stack
	x      devicePtr
	in, k  int
	dtype  engine.DType
	h32    []float32
	h64    []float64
	closed bool
}

// errClosed is the error of a call on a closed inference.
var errClosed = errors.New("gpu: the inference is closed")

// Forward64 writes the outputs of n rows of x into out.
func (inf *inference) Forward64(out, x []float64, n int) error {
	return forward(inf, out, x, n)
}

// Forward32 writes the outputs of n rows of x into out.
func (inf *inference) Forward32(out, x []float32, n int) error {
	return forward(inf, out, x, n)
}

// Close frees the parameters and buffers on the device.
func (inf *inference) Close() error {
	inf.mu.Lock()
	defer inf.mu.Unlock()
	if inf.closed {
		return nil
	}
	inf.closed = true
	return inf.d.do(inf.s.mem.free)
}

// forward runs n rows of x, of element type S, through inf on the device,
// predictRows at a time, and writes their outputs into out.
func forward[S engine.Float](inf *inference, out, x []S, n int) error {
	inf.mu.Lock()
	defer inf.mu.Unlock()
	if inf.closed {
		return errClosed
	}
	last := inf.s.layers[len(inf.s.layers)-1]
	return inf.d.do(func() error {
		for r := 0; r < n; r += predictRows {
			m := min(predictRows, n-r)
			if err := copyIn(inf, x[r*inf.in:(r+m)*inf.in]); err != nil {
				return err
			}
			if err := inf.s.forwardBatch(inf.x, m); err != nil {
				return err
			}
			if err := copyOut(inf, out[r*inf.k:(r+m)*inf.k], last.a); err != nil {
				return err
			}
		}
		return nil
	})
}

// copyIn converts rows to the network's dtype in the host buffer and copies
// them to the device's inputs.
func copyIn[S engine.Float](inf *inference, rows []S) error {
	p, n := stage(inf, rows)
	if n == 0 {
		return nil
	}
	if err := memcpyHtoD(inf.x, p, int64(n*inf.dtype.Size())); err != nil {
		return fmt.Errorf("gpu: cuMemcpyHtoD(%d values): %w", n, err)
	}
	return nil
}

// stage writes rows into the host buffer of the network's dtype and returns
// its address and the number of values.
func stage[S engine.Float](inf *inference, rows []S) (unsafe.Pointer, int) {
	if len(rows) == 0 {
		return nil, 0
	}
	if inf.dtype == engine.Float32 {
		for i, v := range rows {
			inf.h32[i] = float32(v)
		}
		return unsafe.Pointer(&inf.h32[0]), len(rows)
	}
	for i, v := range rows {
		inf.h64[i] = float64(v)
	}
	return unsafe.Pointer(&inf.h64[0]), len(rows)
}

// copyOut copies len(dst) values of the network's dtype from src on the
// device into the host buffer, then into dst.
func copyOut[S engine.Float](inf *inference, dst []S, src devicePtr) error {
	if len(dst) == 0 {
		return nil
	}
	if inf.dtype == engine.Float32 {
		if err := memcpyDtoH(unsafe.Pointer(&inf.h32[0]), src, int64(4*len(dst))); err != nil {
			return fmt.Errorf("gpu: cuMemcpyDtoH(%d values): %w", len(dst), err)
		}
		for i := range dst {
			dst[i] = S(inf.h32[i])
		}
		return nil
	}
	if err := memcpyDtoH(unsafe.Pointer(&inf.h64[0]), src, int64(8*len(dst))); err != nil {
		return fmt.Errorf("gpu: cuMemcpyDtoH(%d values): %w", len(dst), err)
	}
	for i := range dst {
		dst[i] = S(inf.h64[i])
	}
	return nil
}
