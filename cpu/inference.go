package cpu

import (
	"sync"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// gemvRows is the batch size below which an inference runs its rows one at
// a time through the matrix-vector kernel (DenseForward) rather than the
// matrix-matrix one, which packs W on every call.
const gemvRows = 4

// NewInference converts net's parameters to its dtype once and returns its
// forward pass (engine.Inference): a batch of one row, or fewer than
// gemvRows, on DenseForward's matrix-vector product; larger batches on
// DenseForwardBatch's, predictRows at a time. Each call takes its scratch
// from a pool, so calls run concurrently and a warm one allocates nothing.
func (Backend) NewInference(net *engine.Network) (engine.Inference, error) {
	if net.Spec.DType == engine.Float32 {
		return newInference[float32](net), nil
	}
	return newInference[float64](net), nil
}

// inference is the CPU's engine.Inference for a network of dtype T.
type inference[T engine.Float] struct {
	layers  []layer[T]
	in, k   int
	widest  int
	scratch sync.Pool // *inferScratch[T]
}

// inferScratch is one call's working memory: the rows of inputs converted
// to T, the pre-activations of a layer, the activations of two layers (a
// layer reads the one its predecessor wrote) and the outputs in T.
type inferScratch[T engine.Float] struct {
	x, z, out []T
	a         [2][]T
}

func newInference[T engine.Float](net *engine.Network) *inference[T] {
	inf := &inference[T]{layers: layersOf[T](net), in: net.Spec.Inputs, k: net.Spec.Outputs()}
	for _, l := range net.Layers {
		inf.widest = max(inf.widest, l.Units)
	}
	inf.scratch.New = func() any {
		return &inferScratch[T]{
			x: make([]T, predictRows*inf.in), z: make([]T, predictRows*inf.widest), out: make([]T, predictRows*inf.k),
			a: [2][]T{make([]T, predictRows*inf.widest), make([]T, predictRows*inf.widest)},
		}
	}
	return inf
}

// Forward64 writes the outputs of n rows of x into out.
func (inf *inference[T]) Forward64(out, x []float64, n int) error {
	forwardInto(inf, out, x, n)
	return nil
}

// Forward32 writes the outputs of n rows of x into out.
func (inf *inference[T]) Forward32(out, x []float32, n int) error {
	forwardInto(inf, out, x, n)
	return nil
}

// Close does nothing: the parameters are the garbage collector's.
func (*inference[T]) Close() error { return nil }

// forwardInto runs n rows of x, of element type S, through inf's layers,
// predictRows at a time, and writes their outputs into out.
func forwardInto[T, S engine.Float](inf *inference[T], out, x []S, n int) {
	s := inf.scratch.Get().(*inferScratch[T])
	defer inf.scratch.Put(s)
	for r := 0; r < n; r += predictRows {
		rows := min(predictRows, n-r)
		rx := x[r*inf.in : (r+rows)*inf.in]
		var in []T
		if is64[S]() == is64[T]() {
			in = sameSize[T](rx)
		} else {
			in = s.x[:len(rx)]
			for i, v := range rx {
				in[i] = T(v)
			}
		}
		res := inf.forward(s, in, rows)
		dst := out[r*inf.k : (r+rows)*inf.k]
		if is64[S]() == is64[T]() {
			copy(dst, sameSize[S](res))
		} else {
			for i, v := range res {
				dst[i] = S(v)
			}
		}
	}
}

// sameSize returns s, whose element type has T's size, as []T.
func sameSize[T, S engine.Float](s []S) []T {
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// forward runs rows (at most predictRows) rows x through the layers and
// returns the outputs, a part of s.
func (inf *inference[T]) forward(s *inferScratch[T], x []T, rows int) []T {
	in := x
	for l, ly := range inf.layers {
		units := len(ly.b)
		z, a := s.z[:rows*units], s.a[l%2][:rows*units]
		if rows < gemvRows {
			width := len(ly.w) / units
			for r := 0; r < rows; r++ {
				DenseForward(z[r*units:(r+1)*units], a[r*units:(r+1)*units], ly.w, ly.b, in[r*width:(r+1)*width], ly.act)
			}
		} else {
			DenseForwardBatch(z, a, ly.w, ly.b, in, rows, ly.act, nil)
		}
		in = a
	}
	return in
}
