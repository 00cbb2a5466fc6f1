package cpu

import (
	"sync"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// rowsAlone is the batch size below which an inference runs its rows one
// at a time, each layer as a sum of the rows of W of its nonzero inputs,
// rather than through the matrix-matrix product.
const rowsAlone = 4

// maxPredictDensity is the largest fraction of nonzero first-layer inputs
// in a chunk of rows of a batch that the chunk's first layer takes one row
// at a time over the nonzero inputs rather than as a product. See the
// package's cost model (doc.go) for the measurements behind it.
const maxPredictDensity = 0.5

// maxRowWeights is the largest first-layer W, in bytes, whose chunks of
// mostly-zero rows run a row at a time: each row reads the rows of W of its
// nonzero inputs again, which pays while W stays in the L2 cache (W2's 401
// KB in float32), half of Zen 4's and 5's 1 MB. maxGroupWeights is the
// largest where they run four rows at a time (forwardGroup), a row of W
// read for four rows of inputs, which pays from L3 too: on W3's 1.6 MB
// (float32, MNIST rows, BenchmarkInference, three interleaved pairs)
// 131–175k rows/s against 118–129k on the product.
const (
	maxRowWeights   = 512 << 10
	maxGroupWeights = 4 << 20
)

// NewInference converts net's parameters to its dtype once, lays each
// layer's W out input-major ([in, out]) and returns its forward pass
// (engine.Inference). A batch of fewer than rowsAlone rows runs a row at a
// time: each layer adds to its bias the rows of W of its nonzero inputs
// (sparseForward). Larger batches run predictRows rows at a time through
// the matrix-matrix product, except for a first layer whose W is small
// enough (rowsPay) and whose inputs in the chunk are at most
// maxPredictDensity nonzero, which runs as at batch 1, in float32 on
// AVX-512 groupRows rows at a time (forwardGroup). Each call takes its scratch from a pool, so calls run
// concurrently and a warm one allocates nothing.
func (Backend) NewInference(net *engine.Network) (engine.Inference, error) {
	if net.Spec.DType == engine.Float32 {
		return newInference[float32](net), nil
	}
	return newInference[float64](net), nil
}

// inference is the CPU's engine.Inference for a network of dtype T.
type inference[T engine.Float] struct {
	layers  []inferLayer[T]
	in, k   int
	widest  int
	scratch sync.Pool // *inferScratch[T]
}

// inferLayer is a layer as inference holds it: W input-major, [in, out], so
// that input i's weights W[i, :] are contiguous.
type inferLayer[T engine.Float] struct {
	act   engine.Activation
	wt, b []T
}

// inferScratch is one call's working memory: the rows of inputs converted
// to T, the pre-activations of a layer, the activations of two layers (a
// layer reads the one its predecessor wrote), and the nonzero values of a
// row with their columns.
type inferScratch[T engine.Float] struct {
	x, z []T
	a    [2][]T
	idx  []int32
	val  []T
	// For forwardGroup: the group's values at the columns of its nonzeros,
	// its rows a row of inputs and gatherSlack apart.
	groupVal []T
}

func newInference[T engine.Float](net *engine.Network) *inference[T] {
	inf := &inference[T]{in: net.Spec.Inputs, k: net.Spec.Outputs()}
	for _, l := range net.Layers {
		wt := make([]T, len(l.W))
		toRows(wt, l.W, l.Units, l.Inputs, identityOrder(l.Inputs))
		inf.layers = append(inf.layers, inferLayer[T]{act: l.Activation, wt: wt, b: convertCopy[T](l.B)})
		inf.widest = max(inf.widest, l.Units)
	}
	gathered := max(inf.in, inf.widest) + gatherSlack
	inf.scratch.New = func() any {
		return &inferScratch[T]{
			x: make([]T, predictRows*inf.in), z: make([]T, predictRows*inf.widest),
			a:   [2][]T{make([]T, predictRows*inf.widest), make([]T, predictRows*inf.widest)},
			idx: make([]int32, gathered), val: make([]T, gathered),
			groupVal: make([]T, groupRows*(inf.in+gatherSlack)),
		}
	}
	return inf
}

// identityOrder returns the rows 0, 1, …, n-1: each input's weights in the
// row of its own index.
func identityOrder(n int) []int32 {
	rowOf := make([]int32, n)
	for j := range rowOf {
		rowOf[j] = int32(j)
	}
	return rowOf
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
	for l := range inf.layers {
		ly := &inf.layers[l]
		units := len(ly.b)
		width := len(ly.wt) / units
		z, a := s.z[:rows*units], s.a[l%2][:rows*units]
		switch {
		case rows < rowsAlone:
			ly.forwardRows(s, z, a, in, 0, rows)
		case l == 0 && ly.rowsPay() && mostlyZero(s, in, rows, width):
			r := 0
			for ; groupable[T]() && r+groupRows <= rows; r += groupRows {
				if r+2*groupRows <= rows {
					prefetch(unsafe.Pointer(&in[(r+groupRows)*width]), groupRows*width*int(unsafe.Sizeof(T(0))))
				}
				ly.forwardGroup(s, z[r*units:(r+groupRows)*units], a[r*units:(r+groupRows)*units], in[r*width:(r+groupRows)*width])
			}
			ly.forwardRows(s, z, a, in, r, rows)
		default:
			denseForwardBatch(z, a, ly.wt, false, ly.b, in, rows, ly.act)
		}
		in = a
	}
	return in
}

// gatherSlack is the room past a row's values that gather needs in idx and
// val: the kernels store whole registers of 16 values.
const gatherSlack = 16

// gather sets idx and val to the columns and values of x's nonzero elements
// (NaN included), in order, and returns how many there are: on the AVX-512
// kernels where they run, gatherGo elsewhere. idx and val need room for
// len(x)+gatherSlack values.
func gather[T engine.Float](idx []int32, val, x []T) int {
	if len(idx) < len(x)+gatherSlack || len(val) < len(x)+gatherSlack {
		panic("cpu: gather: no room for the values")
	}
	switch {
	case !haveAVX512 || len(x) == 0:
		return gatherGo(idx, val, x)
	case is64[T]():
		return gatherF64(&idx[0], &f64(val)[0], f64(x))
	default:
		return gatherF32(&idx[0], &f32(val)[0], f32(x))
	}
}

// gatherGo is gather in Go, the kernels' twin.
func gatherGo[T engine.Float](idx []int32, val, x []T) int {
	n := 0
	for i, v := range x {
		if v != 0 {
			idx[n], val[n] = int32(i), v
			n++
		}
	}
	return n
}

// rowsPay reports whether the layer's W is small enough for a chunk's
// mostly-zero rows to run as rows rather than as a product: maxRowWeights,
// or maxGroupWeights where forwardGroup runs.
func (ly *inferLayer[T]) rowsPay() bool {
	bytes := len(ly.wt) * int(unsafe.Sizeof(T(0)))
	return bytes <= maxRowWeights || groupable[T]() && bytes <= maxGroupWeights
}

// probeRows is how many of a chunk's rows mostlyZero looks at.
const probeRows = 8

// mostlyZero reports whether the first probeRows of rows rows of x, width
// values each, are at most maxPredictDensity nonzero. It looks at a few rows
// only: gathering all of them first would cost a pass over the chunk's
// inputs where the product takes them, and would push the layer's W out of
// the L2 cache before the rows of nonzero inputs run. A chunk whose later
// rows are dense still comes out right, more slowly.
func mostlyZero[T engine.Float](s *inferScratch[T], x []T, rows, width int) bool {
	probe := min(probeRows, rows)
	n := 0
	for r := 0; r < probe; r++ {
		n += gather(s.idx, s.val, x[r*width:(r+1)*width])
	}
	return float64(n) <= maxPredictDensity*float64(probe*width)
}

// forwardRows runs rows lo to hi of x through the layer one at a time
// (gather, then forwardRow) into those of z and a, asking the CPU for each
// next row of x while one runs.
func (ly *inferLayer[T]) forwardRows(s *inferScratch[T], z, a, x []T, lo, hi int) {
	units := len(ly.b)
	width := len(ly.wt) / units
	for r := lo; r < hi; r++ {
		if haveFMA && r+1 < hi {
			prefetch(unsafe.Pointer(&x[(r+1)*width]), width*int(unsafe.Sizeof(T(0))))
		}
		n := gather(s.idx, s.val, x[r*width:(r+1)*width])
		ly.forwardRow(z[r*units:(r+1)*units], a[r*units:(r+1)*units], s.idx[:n], s.val[:n])
	}
}

// forwardRow sets z, one row's pre-activations, to b plus the rows of W of
// the row's nonzero inputs, idx, times their values, val, and a to their
// activations: on the AVX-512 kernels of sparseForward where they run, else
// an axpy per input (AVX2, or gonum's).
func (ly *inferLayer[T]) forwardRow(z, a []T, idx []int32, val []T) {
	copy(z, ly.b)
	out := len(z)
	if haveAVX512 {
		sparseForward(z, ly.wt, out, idx, val)
	} else {
		for k, c := range idx {
			axpy(val[k], ly.wt[int(c)*out:(int(c)+1)*out], z)
		}
	}
	activate(ly.act, a, z)
}

// groupRows is how many rows forwardGroup runs together, and groupCols the
// columns of z its kernel takes at a time.
const (
	groupRows = 4
	groupCols = 64
)

// groupable reports whether forwardGroup's kernel runs for T: float32 on
// AVX-512.
func groupable[T engine.Float]() bool { return haveAVX512 && !is64[T]() }

// forwardGroup is forwardRow on groupRows rows of x at once (z and a likewise
// rows after rows), which must be groupable: the rows of W of the inputs
// nonzero in any of the rows are read once for all of them
// (sparseForward4RowsF32), their values 0 for the rows where they are 0.
// The columns past the last whole groupCols run a row at a time.
func (ly *inferLayer[T]) forwardGroup(s *inferScratch[T], z, a, x []T) {
	out, width := len(ly.b), len(ly.wt)/len(ly.b)
	ldv := width + gatherSlack
	_, _ = x[groupRows*width-1], s.groupVal[groupRows*ldv-1]
	n := gather4F32(&s.idx[0], &f32(s.groupVal)[0], ldv, &f32(x)[0], width, width)
	idx, val := s.idx[:n], f32(s.groupVal)
	for r := range groupRows {
		copy(z[r*out:(r+1)*out], ly.b)
	}
	j := 0
	for ; j+groupCols <= out; j += groupCols {
		sparseForward4RowsF32(&f32(z)[j], out, &f32(ly.wt)[j], out, idx, &val[0], ldv)
	}
	for r := range groupRows {
		if j < out {
			sparseForward(z[r*out+j:(r+1)*out], ly.wt[j:], out, idx, s.groupVal[r*ldv:r*ldv+n])
		}
		activate(ly.act, a[r*out:(r+1)*out], z[r*out:(r+1)*out])
	}
}
