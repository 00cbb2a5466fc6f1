package cpu

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// Backend trains and runs networks on the CPU. Its zero value is ready to use.
type Backend struct {
	// Inputs says how per-example SGD takes the first layer's inputs; the
	// zero value, AutoInputs, decides from the training set (see sparse.go).
	Inputs Inputs
}

// New returns the CPU backend.
func New() Backend { return Backend{} }

// Name returns "cpu".
func (Backend) Name() string { return "cpu" }

// Device returns the CPU's model name as Linux reports it in /proc/cpuinfo,
// or the architecture where it cannot be read.
func (Backend) Device() string { return cpuModel() }

// predictRows is how many rows Predict pushes through the layers at once.
const predictRows = 256

// layer is a dense layer's parameters in the network's dtype and, for an
// optimizer with state or a data-parallel fit, that state (a slice per
// slot) and the gradients.
type layer[T engine.Float] struct {
	act    engine.Activation
	w, b   []T
	sw, sb [][]T
	gw, gb []T
}

func layersOf[T engine.Float](net *engine.Network) []layer[T] {
	ls := make([]layer[T], len(net.Layers))
	for i, l := range net.Layers {
		ls[i] = layer[T]{act: l.Activation, w: convertCopy[T](l.W), b: convertCopy[T](l.B)}
	}
	return ls
}

func convertCopy[T engine.Float](src []float64) []T {
	dst := make([]T, len(src))
	for i, v := range src {
		dst[i] = T(v)
	}
	return dst
}

// buffers holds one rows×units matrix per layer for z, a and d (∂L/∂a, then
// ∂L/∂z).
type buffers[T engine.Float] struct {
	z, a, d [][]T
}

func newBuffers[T engine.Float](net *engine.Network, rows int) buffers[T] {
	var bufs buffers[T]
	for _, l := range net.Layers {
		bufs.z = append(bufs.z, make([]T, rows*l.Units))
		bufs.a = append(bufs.a, make([]T, rows*l.Units))
		bufs.d = append(bufs.d, make([]T, rows*l.Units))
	}
	return bufs
}

// forwardBatch runs rows examples x through the layers; the output is bufs.a's last.
func forwardBatch[T engine.Float](layers []layer[T], bufs buffers[T], x []T, rows int) {
	in := x
	for l, ly := range layers {
		DenseForwardBatch(bufs.z[l], bufs.a[l], ly.w, ly.b, in, rows, ly.act, nil)
		in = bufs.a[l]
	}
}

// Predict writes net's outputs for n rows of x into out.
func (Backend) Predict(net *engine.Network, x []float64, n int, out []float64) error {
	if net.Spec.DType == engine.Float32 {
		predict[float32](net, x, n, out)
	} else {
		predict[float64](net, x, n, out)
	}
	return nil
}

func predict[T engine.Float](net *engine.Network, x []float64, n int, out []float64) {
	layers := layersOf[T](net)
	bufs := newBuffers[T](net, predictRows)
	in, k := net.Spec.Inputs, net.Spec.Outputs()
	var xb []T // a float32 network's rows, converted into one buffer piece by piece
	for r := 0; r < n; r += predictRows {
		rows := min(predictRows, n-r)
		var piece []T
		piece, xb = convertInto(xb, x[r*in:(r+rows)*in])
		forwardBatch(layers, bufs, piece, rows)
		for i, v := range bufs.a[len(layers)-1][:rows*k] {
			out[r*k+i] = float64(v)
		}
	}
}

// NewTrainer returns a trainer holding a copy of net's parameters and the
// examples' inputs: float64 inputs (X) as they are for a float64 network,
// else one copy in the network's dtype; codes (Codes) as they are, each
// step converting its rows; or, for per-example SGD on sparse inputs, their
// nonzero inputs as compressed rows.
func (be Backend) NewTrainer(net *engine.Network, data engine.Examples, h engine.Hyper) (engine.Trainer, error) {
	if data.Features != net.Spec.Inputs || data.Outputs != net.Spec.Outputs() {
		return nil, fmt.Errorf("cpu: examples of %d features and %d outputs do not fit a %d-input, %d-output network",
			data.Features, data.Outputs, net.Spec.Inputs, net.Spec.Outputs())
	}
	if err := data.CheckWeights(); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	if net.Spec.Dropouts() && h.RNG == nil {
		return nil, fmt.Errorf("cpu: the layers %s have dropout but Hyper.RNG is nil: the masks are drawn from the fit's generator", engine.FormatLayers(net.Spec.Layers))
	}
	sparse := be.sparseInputs(data, h.BatchSize) && !h.Clip.On() // clipping needs every layer's gradients, which the sparse step does not keep
	if net.Spec.DType == engine.Float32 {
		return newTrainer[float32](net, data, h, sparse)
	}
	return newTrainer[float64](net, data, h, sparse)
}

// trainer runs SGD steps on the CPU. Without a Comm, plain SGD folds the
// update into the backward pass; with an optimizer that keeps state, in a
// data-parallel fit, or with clipping, the backward pass computes the
// gradients, into grad, and the optimizer applies them. Clipping by norm
// needs every layer's gradients before any update: such a step, per example
// too, computes them all, clips them (engine.Clip) and then updates.
type trainer[T engine.Float] struct {
	layers []layer[T]
	grad   *distributed.Sums[T]    // every layer's gradients, then a data-parallel step's verdict on its losses
	comm   distributed.Comm        // of a data-parallel fit (ShareBatches), else nil
	share  *distributed.Buckets[T] // grad's all-reduce over comm, in buckets
	gradAt []int                   // where each layer's gradients start in grad's values
	loss   engine.Loss
	bufs   buffers[T]
	x, y   []T            // the whole training set, or nil where sparse holds it (x: or codes)
	codes  []byte         // inputs held as codes (engine.Examples.Codes), which steps convert a row at a time
	levels *[256]T        // the value of each code
	xr     []T            // the row of codes a per-example step converts
	sparse *sparseRows[T] // the examples of per-example SGD on sparse inputs, whose first layer's W is [in, out]
	drop   *dropouts[T]   // nil without dropout
	weight []float64      // each example's weight, or nil: every example weighs 1
	xb, yb []T            // the current mini-batch's rows
	rows   batchRows[T]   // the per-row work of a mini-batch step
	in, k  int
	h      engine.Hyper
	steps  int // optimizer steps taken, those before this trainer included
	batch  int
	order  []int
	totals engine.Totals
}

func newTrainer[T engine.Float](net *engine.Network, data engine.Examples, h engine.Hyper, sparse bool) (*trainer[T], error) {
	t := &trainer[T]{
		layers: layersOf[T](net), loss: net.Spec.Loss, bufs: newBuffers[T](net, h.BatchSize),
		in: data.Features, k: data.Outputs, weight: data.Weights,
		h: h, steps: h.StepsDone, batch: h.BatchSize, drop: newDropouts[T](net, h.BatchSize, h.RNG),
	}
	if sparse {
		t.sparse = newSparseRows[T](data)
		t.layers[0].w = t.weights(0, net.Layers[0].W)
	} else {
		t.y = convert[T](data.Y)
		if data.X != nil {
			t.x = convert[T](data.X[:data.N*data.Features])
		} else {
			t.codes, t.levels, t.xr = data.Codes.Bytes, new([256]T), make([]T, t.in)
			dataset.Values(t.levels[:], data.Codes.Levels[:], nil, 0)
		}
	}
	if h.BatchSize > 1 {
		t.xb, t.yb = make([]T, h.BatchSize*t.in), make([]T, h.BatchSize*t.k)
		t.rows.loss, t.rows.ok = make([]float64, h.BatchSize), make([]bool, h.BatchSize)
	}
	if h.Optimizer.Plain() {
		if h.Clip.On() {
			t.useGrads(distributed.NewSums[T](t.params(), distributed.StepFlags))
		}
		return t, nil
	}
	state := h.State
	if state == nil {
		state = engine.NewOptimizerState(h.Optimizer, net.Spec)
	}
	if len(state) != h.Optimizer.Slots() {
		return nil, fmt.Errorf("cpu: %d optimizer state slots for %s, which keeps %d", len(state), h.Optimizer.Kind, h.Optimizer.Slots())
	}
	t.useGrads(distributed.NewSums[T](t.params(), distributed.StepFlags))
	for i := range t.layers {
		l := &t.layers[i]
		for _, slot := range state {
			if len(slot.Layers) != len(t.layers) || len(slot.Layers[i].W) != len(l.w) || len(slot.Layers[i].B) != len(l.b) {
				return nil, fmt.Errorf("cpu: the optimizer state is not shaped as the network")
			}
			l.sw = append(l.sw, t.weights(i, slot.Layers[i].W))
			l.sb = append(l.sb, convertCopy[T](slot.Layers[i].B))
		}
	}
	return t, nil
}

// params returns the number of the network's parameters.
func (t *trainer[T]) params() int {
	n := 0
	for _, l := range t.layers {
		n += len(l.w) + len(l.b)
	}
	return n
}

// useGrads gives the layers their gradients, consecutive in the values of
// g, the Sums of a data-parallel step.
func (t *trainer[T]) useGrads(g *distributed.Sums[T]) {
	t.grad = g
	v := g.Values()
	t.gradAt = make([]int, len(t.layers))
	for i := range t.layers {
		l := &t.layers[i]
		t.gradAt[i] = len(g.Values()) - len(v)
		l.gw, v = v[:len(l.w)], v[len(l.w):]
		l.gb, v = v[:len(l.b)], v[len(l.b):]
	}
}

// ShareBatches makes the steps data parallel over c, as engine.Trainer
// says; plain SGD then computes its gradients too, to sum them over the
// processes. The gradients move to Sums for c (distributed.NewSumsOn: in
// memory the processes share where they can), which a step all-reduces in
// buckets of the Hyper's BucketBytes, each started as soon as the backward
// pass has produced its gradients, the verdict riding in the first
// (distributed.Buckets).
func (t *trainer[T]) ShareBatches(c distributed.Comm) error {
	t.comm = c
	g, err := distributed.NewSumsOn[T](c, t.params(), distributed.StepFlags)
	if err != nil {
		return err
	}
	t.useGrads(g)
	t.share = distributed.NewBuckets(c, t.grad, t.h.BucketBytes)
	return nil
}

// fused reports whether the backward pass applies the update itself: plain
// SGD, without a Comm or clipping.
func (t *trainer[T]) fused() bool { return t.h.Optimizer.Plain() && t.comm == nil && !t.h.Clip.On() }

// clipAndUpdate clips the step's gradients, held in grad, and applies the
// optimizer to every layer.
func (t *trainer[T]) clipAndUpdate(lr float64) {
	engine.Clip(t.h.Clip, t.grad.Values())
	for i := range t.layers {
		t.update(&t.layers[i], lr)
	}
}

// weights returns layer i's weights w, [out, in], in the trainer's layout and dtype.
func (t *trainer[T]) weights(i int, w []float64) []T {
	if i > 0 || t.sparse == nil {
		return convertCopy[T](w)
	}
	wt := make([]T, len(w))
	toRows(wt, w, len(t.layers[0].b), t.in, t.sparse.rowOf)
	return wt
}

// copyWeights copies layer i's weights w, in the trainer's layout, into dst, [out, in].
func (t *trainer[T]) copyWeights(dst []float64, i int, w []T) {
	if i > 0 || t.sparse == nil {
		copyOut(dst, w)
	} else {
		fromRows(dst, w, len(t.layers[0].b), t.in, t.sparse.rowOf)
	}
}

// CopyStateTo copies the optimizer's state into s.
func (t *trainer[T]) CopyStateTo(s engine.OptimizerState) error {
	for k, slot := range s {
		for i, l := range t.layers {
			t.copyWeights(slot.Layers[i].W, i, l.sw[k])
			copyOut(slot.Layers[i].B, l.sb[k])
		}
	}
	return nil
}

// ResumeEpoch sets the epoch's totals to those of its steps before a checkpoint.
func (t *trainer[T]) ResumeEpoch(partial engine.Totals) { t.totals = partial }

// copyOut copies src into dst, widening to float64.
func copyOut[T engine.Float](dst []float64, src []T) {
	for j, v := range src {
		dst[j] = float64(v)
	}
}

// rate returns the learning rate of the next optimizer step.
func (t *trainer[T]) rate() float64 { return t.h.RateAt(t.steps) }

// update applies the optimizer to layer ly's parameters from its gradients:
// plain SGD (which comes here in a data-parallel fit) on the vector kernels.
func (t *trainer[T]) update(ly *layer[T], lr float64) {
	if t.h.Optimizer.Plain() {
		axpy(T(-lr), ly.gw, ly.w)
		axpy(T(-lr), ly.gb, ly.b)
		return
	}
	optimize(t.h.Optimizer, ly.w, ly.gw, ly.sw, t.steps+1, lr)
	optimize(t.h.Optimizer, ly.b, ly.gb, ly.sb, t.steps+1, lr)
}

func (t *trainer[T]) BeginEpoch(order []int) error {
	t.order, t.totals = order, engine.Totals{}
	return nil
}

func (t *trainer[T]) Totals() (engine.Totals, error) { return t.totals, nil }

// Close releases the memory of the gradients that a data-parallel fit's
// processes share.
func (t *trainer[T]) Close() error {
	if t.grad == nil {
		return nil
	}
	return t.grad.Close()
}

func (t *trainer[T]) CopyTo(net *engine.Network) error {
	for i, l := range t.layers {
		t.copyWeights(net.Layers[i].W, i, l.w)
		copyOut(net.Layers[i].B, l.b)
	}
	return nil
}

func (t *trainer[T]) Steps(ctx context.Context, from, to int) error {
	done := ctx.Done()
	for s := from; s < to; s += t.batch {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
		var sums engine.Totals
		check := 0.0
		if t.batch == 1 {
			if s+2 < to && t.sparse != nil {
				t.sparse.prefetchStart(t.order[s+2])
			}
			if s+1 < to {
				t.prefetch(t.order[s+1])
			}
			sums = t.step(t.order[s])
			check = sums.Loss
		} else {
			var err error
			if sums, check, err = t.batchStep(t.order[s:min(s+t.batch, to)]); err != nil {
				return err
			}
		}
		if math.IsNaN(check) || math.IsInf(check, 0) {
			return &engine.NonFiniteError{Step: s + 1, Loss: check}
		}
		t.totals.Loss += sums.Loss
		t.totals.Correct += sums.Correct
		t.totals.Examples += sums.Examples
	}
	return nil
}

// prefetch asks the CPU to fetch example i's inputs and targets while the
// step before it runs: an example's row, somewhere in a data set far larger
// than the caches, would otherwise cost a trip to memory at its step's start.
// (Where its sparse row starts was asked for a step earlier still:
// sparseRows.prefetchStart.)
func (t *trainer[T]) prefetch(i int) {
	if !haveFMA {
		return
	}
	size := int(unsafe.Sizeof(T(0)))
	if t.sparse != nil {
		if piece := t.sparse.piece(i); len(piece) > 0 {
			prefetch(unsafe.Pointer(&piece[0]), size*len(piece))
		}
		return
	}
	if t.codes != nil {
		prefetch(unsafe.Pointer(&t.codes[i*t.in]), t.in)
	} else {
		prefetch(unsafe.Pointer(&t.x[i*t.in]), size*t.in)
	}
	prefetch(unsafe.Pointer(&t.y[i*t.k]), size*t.k)
}

// row returns example i's inputs: a part of t.x or, where the inputs are
// codes, their values written into dst.
func (t *trainer[T]) row(i int, dst []T) []T {
	if t.codes == nil {
		return t.x[i*t.in : (i+1)*t.in]
	}
	for j, c := range t.codes[i*t.in : (i+1)*t.in] {
		dst[j] = t.levels[c]
	}
	return dst
}

// step runs per-example SGD on example i and returns its loss, whether it
// was classified correctly and the example.
func (t *trainer[T]) step(i int) engine.Totals {
	var x, y []T // x is nil when the inputs are sparse
	if t.sparse == nil {
		x, y = t.row(i, t.xr), t.y[i*t.k:(i+1)*t.k]
	} else {
		y = t.sparse.targets(i)
	}
	b, last := t.bufs, len(t.layers)-1
	t.drop.draw(1, 0)
	in := x
	for l, ly := range t.layers {
		if l == 0 && t.sparse != nil {
			t.forwardSparse(i)
		} else {
			DenseForward(b.z[l], b.a[l], ly.w, ly.b, in, ly.act)
		}
		t.drop.apply(l, b.a[l], 1)
		in = b.a[l]
	}
	loss, ok := engine.OutputGrad(t.loss, t.layers[last].act, b.d[last], b.z[last], b.a[last], y)
	if t.weight != nil {
		loss = engine.Weigh(b.d[last], loss, t.weight[i])
	}
	lr, plain, clip := t.rate(), t.h.Optimizer.Plain(), t.h.Clip.On()
	for l := last; l >= 0; l-- {
		ly := &t.layers[l]
		var daPrev, in []T
		if l > 0 {
			daPrev, in = b.d[l-1], b.a[l-1]
		} else {
			in = x
		}
		switch {
		case l == 0 && t.sparse != nil:
			t.backwardSparse(i, lr, plain)
		case plain && !clip:
			DenseBackward(daPrev, ly.w, ly.b, b.d[l], in, T(lr))
		default:
			if daPrev != nil {
				DenseBackwardData(daPrev, ly.w, b.d[l])
			}
			DenseGradient(ly.gw, ly.gb, b.d[l], in)
			if !clip {
				t.update(ly, lr)
			}
		}
		if l > 0 {
			delta(t.layers[l-1].act, daPrev, b.z[l-1], t.drop.activations(l-1, in))
			t.drop.backward(l-1, daPrev, 1)
		}
	}
	if clip {
		t.clipAndUpdate(lr)
	}
	t.steps++
	return engine.Totals{Loss: loss, Correct: boolInt(ok), Examples: 1}
}

// batchStep runs one mini-batch SGD step on the batch of examples idx. It
// returns the sums over the examples it trained on of their losses, their
// correct classifications and their count, and the loss whose finiteness
// tells whether the step's was finite: their sum or, in a data-parallel
// fit, where it trains on its shard of idx, the sum of the processes'
// losses that were not finite.
func (t *trainer[T]) batchStep(idx []int) (engine.Totals, float64, error) {
	batch, lo := len(idx), 0
	if t.comm != nil {
		var hi int
		lo, hi = distributed.Shard(t.comm.Rank(), t.comm.Size(), batch)
		idx = idx[lo:hi]
	}
	t.drop.draw(batch, lo) // the whole batch's masks, as one process training on it draws them
	lr := t.rate()
	var sums engine.Totals
	if len(idx) > 0 {
		sums = t.backward(idx, batch, lr)
	} else {
		clear(t.grad.Values())
		t.grad.SetFlag(0, 0)
	}
	check := sums.Loss
	if t.comm != nil {
		if err := t.share.Wait(); err != nil {
			return sums, 0, err
		}
		check = t.grad.Flag(0)
	}
	if !t.fused() {
		t.clipAndUpdate(lr)
	}
	t.steps++
	return sums, check, nil
}

// backward runs the forward and backward passes of the examples idx, of a
// batch of batch examples, and returns their totals: the gradients (their
// share of the batch's mean) go to the layers' gw and gb or, when fused,
// the update of learning rate lr to their parameters. In a data-parallel
// fit it sets the step's verdict on the shard's losses and starts the
// all-reduce of each bucket of the Sums (the verdict and the last layer's
// gradients first) as soon as its gradients are computed, moving those
// under way on between the layers' products (t.share).
func (t *trainer[T]) backward(idx []int, batch int, lr float64) engine.Totals {
	rows := len(idx)
	t.gatherBatch(idx)
	b, last := t.bufs, len(t.layers)-1
	in := t.xb
	for l, ly := range t.layers {
		act := ly.act
		if l == last {
			act = engine.Linear // outputBatch applies the output layer's, row by row
		}
		DenseForwardBatch(b.z[l], b.a[l], ly.w, ly.b, in, rows, act, nil)
		t.drop.apply(l, b.a[l], rows)
		in = b.a[l]
	}
	loss, correct := t.outputBatch(rows)
	if t.share != nil {
		t.grad.SetFlag(0, distributed.Verdict(loss))
	}
	fused := t.fused()
	for l := last; l >= 0; l-- {
		ly := &t.layers[l]
		var daPrev, in []T
		if l > 0 {
			daPrev, in = b.d[l-1], b.a[l-1]
		} else {
			in = t.xb
		}
		if !fused { // first, so that a data-parallel step's bucket starts as soon as it can
			DenseGradientBatch(ly.gw, ly.gb, b.d[l], in, rows, batch)
			if t.share != nil {
				t.share.Ready(t.gradAt[l])
			}
		}
		if l > 0 { // the layer below's dz, from W as it was before the step
			backwardDeltaBatch(daPrev, ly.w, b.d[l], rows, len(ly.b), t.layers[l-1].act, b.z[l-1], t.drop.activations(l-1, in))
			t.drop.backward(l-1, daPrev, rows)
		}
		if fused {
			denseUpdateBatch(ly.w, ly.b, b.d[l], in, rows, T(lr))
		} else if t.share != nil {
			t.share.Progress()
		}
	}
	return engine.Totals{Loss: loss, Correct: correct, Examples: rows}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
