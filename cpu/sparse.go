package cpu

import (
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// Per-example SGD on sparse inputs. Most of an MNIST image is 0: the first
// layer's forward pass z = W·x + b and its update W -= lr·dz·xᵀ need only the
// columns of W where x ≠ 0. Held input-major (W[i, :] the weights of input
// i, contiguous), those columns are rows: the forward pass adds x_i·W[i, :]
// for each nonzero x_i, and the update subtracts lr·x_i·dz from the same
// rows, both in passes over about a fifth of W instead of all of it. The
// trainer keeps the examples as compressed rows, and converts the first
// layer's W (and its optimizer state) between the network's [out, in] and
// its own [in, out], in the rows inputOrder gives, when it starts and when
// it copies them out.

// Inputs says how per-example SGD takes its first layer's inputs.
type Inputs int

const (
	// AutoInputs takes them as SparseInputs where at most 60% of the
	// training set's inputs are nonzero and the CPU has AVX-512, else as
	// DenseInputs. The density is measured when the fit starts.
	AutoInputs Inputs = iota
	// DenseInputs multiplies every input: dot products with the rows of an
	// [out, in] W, and a rank-1 update of its rows whose dz is not 0.
	DenseInputs
	// SparseInputs visits the nonzero inputs only, with W held [in, out].
	// Mini-batches take their inputs dense whatever Inputs says.
	SparseInputs
)

// maxSparseDensity is the largest fraction of nonzero inputs that
// AutoInputs takes as sparse. On W2's shape (784-128-10, float32, Zen 5,
// benchmarks' BenchmarkStep, two runs each on a busy machine) a step cost
// 2.2–2.7 µs sparse and 9.2–9.6 µs dense at 20% nonzero, 5.0 and 7.4–7.7 at
// 50%, 6.7–7.7 and 7.8–7.9 at 65%, 8.2–8.5 and 8.6–9.4 at 80%, 9.0–12.5 and
// 6.1–6.3 at 100%.
const maxSparseDensity = 0.6

// sparseInputs reports whether a trainer of batch size batch takes data's
// inputs as sparse.
func (be Backend) sparseInputs(data engine.Examples, batch int) bool {
	switch {
	case batch > 1 || be.Inputs == DenseInputs:
		return false
	case be.Inputs == SparseInputs:
		return true
	}
	return haveAVX512 && density(data) <= maxSparseDensity
}

// density returns the fraction of data's inputs that are not 0.
func density(data engine.Examples) float64 {
	return float64(nonzeros(data)) / float64(max(data.N*data.Features, 1))
}

// nonzeros counts data's inputs that are not 0.
func nonzeros(data engine.Examples) int {
	n, count := data.N*data.Features, 0
	if data.X != nil {
		for _, v := range data.X[:n] {
			if v != 0 {
				count++
			}
		}
		return count
	}
	for _, b := range data.Codes.Bytes[:n] {
		if data.Codes.Levels[b] != 0 {
			count++
		}
	}
	return count
}

// sparseRows are n examples as compressed rows, each in one piece: example
// i's is data[start[i]:start[i+1]], its nonzero inputs in order, then their
// columns as int32s filling whole Ts, then its k targets. A step fetches an
// example's inputs and targets from one range of memory.
//
// The columns are rows of the trainer's W, whose order is rowOf's: input j's
// weights are W's row rowOf[j] (see inputOrder). A piece lists its inputs in
// their own order, which fixes the order of the forward pass's sums.
type sparseRows[T engine.Float] struct {
	start []int
	data  []T
	k     int
	rowOf []int32
}

func newSparseRows[T engine.Float](data engine.Examples) *sparseRows[T] {
	n, in, k, per := data.N, data.Features, data.Outputs, int32sPer[T]()
	nonzero := nonzeros(data)
	s := &sparseRows[T]{start: make([]int, n+1), data: make([]T, 0, nonzero+nonzero/per+n*(k+1)), k: k, rowOf: inputOrder(data)}
	var cols []int32
	buf := make([]float64, in)
	for i := 0; i < n; i++ {
		cols = cols[:0]
		for j, v := range data.Row(i, buf) {
			if v != 0 {
				s.data = append(s.data, T(v))
				cols = append(cols, s.rowOf[j])
			}
		}
		at := len(s.data)
		s.data = append(s.data, make([]T, (len(cols)+per-1)/per)...)
		copy(int32s(s.data[at:]), cols)
		for _, v := range data.Y[i*k : (i+1)*k] {
			s.data = append(s.data, T(v))
		}
		s.start[i+1] = len(s.data)
	}
	return s
}

// int32sPer returns how many int32s a T holds.
func int32sPer[T engine.Float]() int { return int(unsafe.Sizeof(T(0))) / 4 }

// int32s returns the int32s that v's memory holds.
func int32s[T engine.Float](v []T) []int32 {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(&v[0])), len(v)*int32sPer[T]())
}

// prefetchStart asks the CPU to fetch where example i's row starts and
// ends, which row reads: Steps asks two examples ahead, so that the row
// itself can be asked for one example ahead without waiting.
func (s *sparseRows[T]) prefetchStart(i int) {
	if haveFMA {
		prefetch(unsafe.Pointer(&s.start[i]), 2*int(unsafe.Sizeof(s.start[0])))
	}
}

// piece returns example i's inputs in one piece.
func (s *sparseRows[T]) piece(i int) []T { return s.data[s.start[i]:s.start[i+1]] }

// row returns example i's nonzero inputs and their columns.
func (s *sparseRows[T]) row(i int) ([]int32, []T) {
	inputs := s.piece(i)
	inputs = inputs[:len(inputs)-s.k]
	per := int32sPer[T]()
	n := per * len(inputs) / (per + 1) // len(inputs) = n + ⌈n/per⌉
	return int32s(inputs[n:])[:n], inputs[:n]
}

// targets returns example i's targets.
func (s *sparseRows[T]) targets(i int) []T {
	piece := s.piece(i)
	return piece[len(piece)-s.k:]
}

// Inputs that are often nonzero together get neighbouring rows of W: a
// step's rows then lie nearer each other, which the CPU's prefetchers reward.
// On W2 (MNIST, float32, Zen 5) the forward pass and update over the same
// examples took 1.37 µs a step instead of 1.54 with the inputs in their own
// order (a 28×28 image's rows one after another), about as fast as with
// 2×2 tiles of pixels or a Hilbert curve, which need to know the image; the
// trainer's epochs ran 6–16% faster (8 interleaved pairs, the host's speed
// drifting). The results do not change: each sum still takes its terms in
// the inputs' order, and each row changes once.

// orderSample is how many examples inputOrder counts, and orderLimit the
// most inputs it orders (their counts take 2·orderLimit² bytes).
const (
	orderSample = 1000
	orderLimit  = 2048
)

// inputOrder returns the row of W of each of data's inputs: a chain that
// starts at the input most often nonzero and goes on each time to the input
// not yet placed that was most often nonzero with the last one placed (then,
// among those, the most often nonzero), counted over orderSample examples
// spread over the set. Past orderLimit inputs it keeps their own order.
func inputOrder(data engine.Examples) []int32 {
	in := data.Features
	rowOf := make([]int32, in)
	for j := range rowOf {
		rowOf[j] = int32(j)
	}
	if in > orderLimit || data.N == 0 {
		return rowOf
	}
	together, count := make([]uint16, in*in), make([]int, in) // together[a·in + b]: both a and b nonzero
	var nonzero []int
	samples := min(orderSample, data.N)
	buf := make([]float64, in)
	for s := range samples {
		i := s * data.N / samples
		nonzero = nonzero[:0]
		for j, v := range data.Row(i, buf) {
			if v != 0 {
				nonzero = append(nonzero, j)
			}
		}
		for _, a := range nonzero {
			count[a]++
			row := together[a*in : (a+1)*in]
			for _, b := range nonzero {
				row[b]++
			}
		}
	}
	placed := make([]bool, in)
	last := 0
	for j, c := range count {
		if c > count[last] {
			last = j
		}
	}
	for row := range in {
		rowOf[last], placed[last] = int32(row), true
		next := -1
		for j, t := range together[last*in : (last+1)*in] {
			if !placed[j] && (next < 0 || t > together[last*in+next] || t == together[last*in+next] && count[j] > count[next]) {
				next = j
			}
		}
		last = next
	}
	return rowOf
}

// toRows sets dst, [in, out] with input j's weights in row rowOf[j], to w,
// [out, in], converting the values.
func toRows[D, S engine.Float](dst []D, w []S, out, in int, rowOf []int32) {
	for r := 0; r < out; r++ {
		for j, v := range w[r*in : (r+1)*in] {
			dst[int(rowOf[j])*out+r] = D(v)
		}
	}
}

// fromRows is toRows's inverse: it sets dst, [out, in], to w, [in, out] in
// the rows rowOf gives.
func fromRows[D, S engine.Float](dst []D, w []S, out, in int, rowOf []int32) {
	for r := 0; r < out; r++ {
		for j := range dst[r*in : (r+1)*in] {
			dst[r*in+j] = D(w[int(rowOf[j])*out+r])
		}
	}
}

// forwardSparse runs the first layer's forward pass on example i, whose
// inputs are sparse.
func (t *trainer[T]) forwardSparse(i int) {
	ly, z := &t.layers[0], t.bufs.z[0]
	idx, val := t.sparse.row(i)
	copy(z, ly.b)
	sparseForward(z, ly.w, len(z), idx, val)
	activate(ly.act, t.bufs.a[0], z)
}

// backwardSparse runs the first layer's backward step on example i given
// its dz (t.bufs.d[0]), at learning rate lr: plain SGD updates the rows of
// W of the nonzero inputs and b; an optimizer with state gets the gradients,
// whose other rows are 0, and applies them.
func (t *trainer[T]) backwardSparse(i int, lr float64, plain bool) {
	ly, dz := &t.layers[0], t.bufs.d[0]
	idx, val := t.sparse.row(i)
	out := len(dz)
	if plain {
		sparseUpdate(ly.w, out, idx, val, -T(lr), dz, ly.b)
		return
	}
	for k, c := range idx {
		row := ly.gw[int(c)*out : (int(c)+1)*out]
		for j, g := range dz {
			row[j] = g * val[k]
		}
	}
	copy(ly.gb, dz)
	t.update(ly, lr)
	for _, c := range idx {
		clear(ly.gw[int(c)*out : (int(c)+1)*out])
	}
}

// sparseForward sets z[j] += Σ_k val[k]·w[idx[k]·ldw + j] for j < len(z):
// the AVX-512 kernels where they run, sparseForwardGo elsewhere. idx must
// hold rows of w.
func sparseForward[T engine.Float](z, w []T, ldw int, idx []int32, val []T) {
	if len(z) == 0 {
		return
	}
	if len(val) < len(idx) || len(z) > ldw || len(w) < ldw {
		panic("cpu: sparseForward: the sizes do not match")
	}
	if !haveAVX512 {
		sparseForwardGo(z, w, ldw, idx, val)
		return
	}
	v := lanes[T]()
	j := 0
	for ; j+8*v <= len(z); j += 8 * v {
		if is64[T]() {
			sparseForward8F64(&f64(z)[j], &f64(w)[j], ldw, idx, f64(val))
		} else {
			sparseForward8F32(&f32(z)[j], &f32(w)[j], ldw, idx, f32(val))
		}
	}
	for ; j < len(z); j += v {
		mask := 1<<min(v, len(z)-j) - 1
		if is64[T]() {
			sparseForward1F64(&f64(z)[j], &f64(w)[j], ldw, idx, f64(val), mask)
		} else {
			sparseForward1F32(&f32(z)[j], &f32(w)[j], ldw, idx, f32(val), mask)
		}
	}
}

// sparseUpdate sets w[idx[k]·ldw + j] += (alpha·val[k])·dz[j], fused, and
// b[j] += alpha·dz[j], rounded twice as in T(alpha·dz[j]), for j < len(dz):
// the AVX-512 kernels where they run, sparseUpdateGo elsewhere. idx must
// hold rows of w.
//
// It takes the blocks of columns and the rows in the reverse of
// sparseForward's order, last first. Each value changes once, so the order
// leaves the result as it is; but where the update follows a forward pass
// over the same rows, as in a step, it starts on what that pass left in L1.
// (On W2, float32, that took the pair of passes from 1.64 to 1.40 µs a step.)
func sparseUpdate[T engine.Float](w []T, ldw int, idx []int32, val []T, alpha T, dz, b []T) {
	if len(dz) == 0 {
		return
	}
	if len(val) < len(idx) || len(dz) > ldw || len(w) < ldw || len(b) < len(dz) {
		panic("cpu: sparseUpdate: the sizes do not match")
	}
	if !haveAVX512 {
		sparseUpdateGo(w, ldw, idx, val, alpha, dz, b)
		return
	}
	v := lanes[T]()
	blocked := len(dz) / (8 * v) * (8 * v) // the columns of the 8-register blocks
	for j := blocked + (len(dz)-blocked+v-1)/v*v - v; j >= blocked; j -= v {
		mask := 1<<min(v, len(dz)-j) - 1
		if is64[T]() {
			sparseUpdate1F64(&f64(dz)[j], &f64(w)[j], ldw, idx, f64(val), float64(alpha), &f64(b)[j], mask)
		} else {
			sparseUpdate1F32(&f32(dz)[j], &f32(w)[j], ldw, idx, f32(val), float32(alpha), &f32(b)[j], mask)
		}
	}
	for j := blocked - 8*v; j >= 0; j -= 8 * v {
		if is64[T]() {
			sparseUpdate8F64(&f64(dz)[j], &f64(w)[j], ldw, idx, f64(val), float64(alpha), &f64(b)[j])
		} else {
			sparseUpdate8F32(&f32(dz)[j], &f32(w)[j], ldw, idx, f32(val), float32(alpha), &f32(b)[j])
		}
	}
}

// lanes returns how many values of T an AVX-512 register holds.
func lanes[T engine.Float]() int {
	if is64[T]() {
		return 8
	}
	return 16
}

// sparseForwardGo is sparseForward in Go, the kernels' twin.
func sparseForwardGo[T engine.Float](z, w []T, ldw int, idx []int32, val []T) {
	for k, c := range idx {
		row := w[int(c)*ldw : int(c)*ldw+len(z)]
		for j, wj := range row {
			z[j] += val[k] * wj
		}
	}
}

// sparseUpdateGo is sparseUpdate in Go, the kernels' twin, last row first.
func sparseUpdateGo[T engine.Float](w []T, ldw int, idx []int32, val []T, alpha T, dz, b []T) {
	for k := len(idx) - 1; k >= 0; k-- {
		c, coeff := idx[k], alpha*val[k]
		row := w[int(c)*ldw : int(c)*ldw+len(dz)]
		for j, g := range dz {
			row[j] += coeff * g
		}
	}
	for j, g := range dz {
		b[j] += T(alpha * g)
	}
}
