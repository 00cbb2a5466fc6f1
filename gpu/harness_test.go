//go:build cuda || cudaemu

package gpu

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// harness runs single kernels on device buffers for the parity tests.
type harness struct {
	t     *testing.T
	d     *device
	ks    *kernelSet
	dtype engine.DType
	mem   memory
}

// openDevice returns the device, or skips the test where there is none (a
// cuda build on a machine without the NVIDIA driver or without a GPU),
// giving the reason.
func openDevice(t *testing.T) *device {
	t.Helper()
	d, err := open()
	if errors.Is(err, ErrNoDevice) {
		t.Skip(err.Error())
	}
	require.NoError(t, err)
	return d
}

func newHarness(t *testing.T, dtype engine.DType) *harness {
	t.Helper()
	d := openDevice(t)
	h := &harness{t: t, d: d, ks: d.kernels[dtype], dtype: dtype}
	t.Cleanup(func() { require.NoError(t, d.do(h.mem.free)) })
	return h
}

// put uploads vals (at least one value's room) and returns the buffer.
func (h *harness) put(vals []float64) devicePtr {
	h.t.Helper()
	var p devicePtr
	require.NoError(h.t, h.d.do(func() (err error) {
		if p, err = h.mem.alloc(int64(max(len(vals), 1)*h.dtype.Size()), "a test buffer"); err != nil {
			return err
		}
		return upload(p, vals, h.dtype)
	}))
	return p
}

// raw allocates bytes of device memory, zeroed.
func (h *harness) raw(bytes int) devicePtr {
	h.t.Helper()
	var p devicePtr
	require.NoError(h.t, h.d.do(func() (err error) {
		if p, err = h.mem.alloc(int64(bytes), "a test buffer"); err != nil {
			return err
		}
		return memsetD8(p, 0, int64(bytes))
	}))
	return p
}

// get downloads n values.
func (h *harness) get(p devicePtr, n int) []float64 {
	h.t.Helper()
	out := make([]float64, n)
	require.NoError(h.t, h.d.do(func() error { return download(out, p, h.dtype) }))
	return out
}

// doubles downloads n float64 values whatever the harness's dtype.
func (h *harness) doubles(p devicePtr, n int) []float64 {
	h.t.Helper()
	out := make([]float64, n)
	require.NoError(h.t, h.d.do(func() error { return download(out, p, engine.Float64) }))
	return out
}

// putDoubles uploads float64 values whatever the harness's dtype.
func (h *harness) putDoubles(vals []float64) devicePtr {
	h.t.Helper()
	p := h.raw(8 * len(vals))
	require.NoError(h.t, h.d.do(func() error { return upload(p, vals, engine.Float64) }))
	return p
}

// ints downloads n int32 values.
func (h *harness) ints(p devicePtr, n int) []int32 {
	h.t.Helper()
	out := make([]int32, n)
	require.NoError(h.t, h.d.do(func() error { return memcpyDtoH(unsafe.Pointer(&out[0]), p, int64(4*n)) }))
	return out
}

// putInts uploads int32 values.
func (h *harness) putInts(vals []int32) devicePtr {
	h.t.Helper()
	p := h.raw(4 * len(vals))
	require.NoError(h.t, h.d.do(func() error { return memcpyHtoD(p, unsafe.Pointer(&vals[0]), int64(4*len(vals))) }))
	return p
}

// settings uploads an optimizer's settings, as the kernels read them.
func (h *harness) settings(o engine.Optimizer) devicePtr {
	h.t.Helper()
	s := settingsOf(o)
	p := h.raw(optimizerBytes)
	require.NoError(h.t, h.d.do(func() error { return memcpyHtoD(p, unsafe.Pointer(&s), optimizerBytes) }))
	return p
}

// rates uploads the coefficients of o's steps first, first+1, ... (from 1),
// the i-th at learning rate lrs[i].
func (h *harness) rates(o engine.Optimizer, first int, lrs []float64) devicePtr {
	h.t.Helper()
	r := make([]optRates, len(lrs))
	for i, lr := range lrs {
		r[i] = ratesOf(o, first+i, lr)
	}
	p := h.raw(len(r) * optRatesBytes)
	require.NoError(h.t, h.d.do(func() error { return memcpyHtoD(p, unsafe.Pointer(&r[0]), int64(len(r)*optRatesBytes)) }))
	return p
}

// run runs launch, which launches a kernel, on the device's thread and waits
// for the kernel.
func (h *harness) run(launch func() error) {
	h.t.Helper()
	require.NoError(h.t, h.d.do(func() error {
		if err := launch(); err != nil {
			return err
		}
		return synchronize()
	}))
}

// rel is the parity tolerance of a dtype: float64 to 1e-12, float32 to 1e-5.
func rel(dtype engine.DType) float64 {
	if dtype == engine.Float32 {
		return 1e-5
	}
	return 1e-12
}

// assertClose checks |got - want| ≤ tol·(|want| + scale), scale being the
// largest |want|: a sum taken in another order differs by rounding relative
// to the size of its terms, not of its result, so entries near zero are
// compared at the scale of the vector. It reports the first mismatches and
// the worst difference.
func assertClose(t *testing.T, want, got []float64, tol float64, what string) {
	t.Helper()
	assertCloseAt(t, want, got, tol, largest(want), what)
}

// largest returns the largest |v|.
func largest(v []float64) float64 {
	scale := 0.0
	for _, w := range v {
		scale = max(scale, math.Abs(w))
	}
	return scale
}

// assertCloseAt is assertClose at a given scale: an activation a = f(z)
// inherits the rounding of z, at most, since no f' exceeds 1, at the scale
// of z.
func assertCloseAt(t *testing.T, want, got []float64, tol, scale float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	worst, bad := 0.0, 0
	for i, w := range want {
		diff := math.Abs(got[i] - w)
		worst = max(worst, diff)
		if !(diff <= tol*(math.Abs(w)+scale)) {
			if bad++; bad <= 5 {
				t.Errorf("%s[%d]: got %.17g, CPU %.17g (difference %.3g)", what, i, got[i], w, diff)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d mismatches in all, worst difference %.3g", what, bad, worst)
	}
}

// randoms returns n values from U(-1, 1) rounded to dtype, with every
// zeroEvery-th one 0 (0: none).
func randoms(rng *rand.Rand, n int, dtype engine.DType, zeroEvery int) []float64 {
	v := make([]float64, n)
	for i := range v {
		if zeroEvery > 0 && i%zeroEvery == 0 {
			continue
		}
		v[i] = dtype.Round(rng.Float64()*2 - 1)
	}
	return v
}

// typed converts float64 values to T, and back with floats.
func typed[T engine.Float](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

func floats[T engine.Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

var dtypes = []engine.DType{engine.Float32, engine.Float64}

// sizes are the layer sizes the kernels are checked on.
var sizes = []int{1, 7, 33, 128, 784, 1000}

var activations = []engine.Activation{engine.Linear, engine.ReLU, engine.Sigmoid, engine.Tanh, engine.Softmax}

func TestAbsurdAllocationIsAnError(t *testing.T) {
	d := openDevice(t)
	var m memory
	err := d.do(func() error {
		_, err := m.alloc(1<<50, "a petabyte")
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cuMemAlloc(1125899906842624 bytes) for a petabyte")
	require.NoError(t, d.do(m.free))
}
