package cpu

import (
	"context"
	"fmt"
	"math"

	"github.com/perceptron-go/perceptron/engine"
)

// Backend trains and runs networks on the CPU. Its zero value is ready to use.
type Backend struct{}

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
// optimizer with state, that state (a slice per slot) and the gradients.
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
// ∂L/∂z), and the scratch space of the batch forward pass.
type buffers[T engine.Float] struct {
	z, a, d [][]T
	scratch []T
}

func newBuffers[T engine.Float](net *engine.Network, rows int) buffers[T] {
	var bufs buffers[T]
	widest := 0
	for _, l := range net.Layers {
		bufs.z = append(bufs.z, make([]T, rows*l.Units))
		bufs.a = append(bufs.a, make([]T, rows*l.Units))
		bufs.d = append(bufs.d, make([]T, rows*l.Units))
		widest = max(widest, l.Inputs+l.Units)
	}
	if rows > 1 {
		bufs.scratch = make([]T, rows*widest)
	}
	return bufs
}

// forwardBatch runs rows examples x through the layers; the output is bufs.a's last.
func forwardBatch[T engine.Float](layers []layer[T], bufs buffers[T], x []T, rows int) {
	in := x
	for l, ly := range layers {
		DenseForwardBatch(bufs.z[l], bufs.a[l], ly.w, ly.b, in, rows, ly.act, bufs.scratch)
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
	for r := 0; r < n; r += predictRows {
		rows := min(predictRows, n-r)
		forwardBatch(layers, bufs, convert[T](x[r*in:(r+rows)*in]), rows)
		for i, v := range bufs.a[len(layers)-1][:rows*k] {
			out[r*k+i] = float64(v)
		}
	}
}

// NewTrainer returns a trainer holding a copy of net's parameters and, for a
// float32 network, a float32 copy of the examples.
func (Backend) NewTrainer(net *engine.Network, data engine.Examples, h engine.Hyper) (engine.Trainer, error) {
	if data.Features != net.Spec.Inputs || data.Outputs != net.Spec.Outputs() {
		return nil, fmt.Errorf("cpu: examples of %d features and %d outputs do not fit a %d-input, %d-output network",
			data.Features, data.Outputs, net.Spec.Inputs, net.Spec.Outputs())
	}
	if net.Spec.DType == engine.Float32 {
		return newTrainer[float32](net, data, h)
	}
	return newTrainer[float64](net, data, h)
}

// trainer runs SGD steps on the CPU.
type trainer[T engine.Float] struct {
	layers []layer[T]
	loss   engine.Loss
	bufs   buffers[T]
	x, y   []T // the whole training set
	xb, yb []T // the current mini-batch's rows
	in, k  int
	h      engine.Hyper
	steps  int // optimizer steps taken, those before this trainer included
	batch  int
	order  []int
	totals engine.Totals
}

func newTrainer[T engine.Float](net *engine.Network, data engine.Examples, h engine.Hyper) (*trainer[T], error) {
	t := &trainer[T]{
		layers: layersOf[T](net), loss: net.Spec.Loss, bufs: newBuffers[T](net, h.BatchSize),
		x: convert[T](data.X), y: convert[T](data.Y), in: data.Features, k: data.Outputs,
		h: h, steps: h.StepsDone, batch: h.BatchSize,
	}
	if h.BatchSize > 1 {
		t.xb, t.yb = make([]T, h.BatchSize*t.in), make([]T, h.BatchSize*t.k)
	}
	if h.Optimizer.Plain() {
		return t, nil
	}
	state := h.State
	if state == nil {
		state = engine.NewOptimizerState(h.Optimizer, net.Spec)
	}
	if len(state) != h.Optimizer.Slots() {
		return nil, fmt.Errorf("cpu: %d optimizer state slots for %s, which keeps %d", len(state), h.Optimizer.Kind, h.Optimizer.Slots())
	}
	for i := range t.layers {
		l := &t.layers[i]
		l.gw, l.gb = make([]T, len(l.w)), make([]T, len(l.b))
		for _, slot := range state {
			if len(slot.Layers) != len(t.layers) || len(slot.Layers[i].W) != len(l.w) || len(slot.Layers[i].B) != len(l.b) {
				return nil, fmt.Errorf("cpu: the optimizer state is not shaped as the network")
			}
			l.sw = append(l.sw, convertCopy[T](slot.Layers[i].W))
			l.sb = append(l.sb, convertCopy[T](slot.Layers[i].B))
		}
	}
	return t, nil
}

// CopyStateTo copies the optimizer's state into s.
func (t *trainer[T]) CopyStateTo(s engine.OptimizerState) error {
	for k, slot := range s {
		for i, l := range t.layers {
			copyOut(slot.Layers[i].W, l.sw[k])
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

// update applies the optimizer to layer ly's parameters from its gradients.
func (t *trainer[T]) update(ly *layer[T], lr float64) {
	engine.Update(t.h.Optimizer, ly.w, ly.gw, ly.sw, t.steps+1, lr)
	engine.Update(t.h.Optimizer, ly.b, ly.gb, ly.sb, t.steps+1, lr)
}

func (t *trainer[T]) BeginEpoch(order []int) error {
	t.order, t.totals = order, engine.Totals{}
	return nil
}

func (t *trainer[T]) Totals() (engine.Totals, error) { return t.totals, nil }

func (t *trainer[T]) Close() error { return nil }

func (t *trainer[T]) CopyTo(net *engine.Network) error {
	for i, l := range t.layers {
		copyOut(net.Layers[i].W, l.w)
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
		var loss float64
		var correct int
		rows := min(t.batch, to-s)
		if t.batch == 1 {
			loss, correct = t.step(t.order[s])
		} else {
			loss, correct = t.batchStep(t.order[s : s+rows])
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return &engine.NonFiniteError{Step: s + 1, Loss: loss}
		}
		t.totals.Loss += loss
		t.totals.Correct += correct
		t.totals.Examples += rows
	}
	return nil
}

// step runs per-example SGD on example i and returns its loss and 1 if it was
// classified correctly.
func (t *trainer[T]) step(i int) (float64, int) {
	x, y := t.x[i*t.in:(i+1)*t.in], t.y[i*t.k:(i+1)*t.k]
	b, last := t.bufs, len(t.layers)-1
	in := x
	for l, ly := range t.layers {
		DenseForward(b.z[l], b.a[l], ly.w, ly.b, in, ly.act)
		in = b.a[l]
	}
	loss, ok := engine.OutputGrad(t.loss, t.layers[last].act, b.d[last], b.z[last], b.a[last], y)
	lr, plain := t.rate(), t.h.Optimizer.Plain()
	for l := last; l >= 0; l-- {
		ly := &t.layers[l]
		var daPrev, in []T
		if l > 0 {
			daPrev, in = b.d[l-1], b.a[l-1]
		} else {
			in = x
		}
		if plain {
			DenseBackward(daPrev, ly.w, ly.b, b.d[l], in, T(lr))
		} else {
			if daPrev != nil {
				DenseBackwardData(daPrev, ly.w, b.d[l])
			}
			DenseGradient(ly.gw, ly.gb, b.d[l], in)
			t.update(ly, lr)
		}
		if l > 0 {
			engine.Delta(t.layers[l-1].act, daPrev, daPrev, b.z[l-1], in)
		}
	}
	t.steps++
	return loss, boolInt(ok)
}

// batchStep runs one mini-batch SGD step on the examples idx and returns the
// sum of their losses and how many were classified correctly.
func (t *trainer[T]) batchStep(idx []int) (float64, int) {
	rows := len(idx)
	for r, i := range idx {
		copy(t.xb[r*t.in:(r+1)*t.in], t.x[i*t.in:(i+1)*t.in])
		copy(t.yb[r*t.k:(r+1)*t.k], t.y[i*t.k:(i+1)*t.k])
	}
	b, last := t.bufs, len(t.layers)-1
	forwardBatch(t.layers, b, t.xb, rows)
	var loss float64
	var correct int
	for r := 0; r < rows; r++ {
		span := r * t.k
		l, ok := engine.OutputGrad(t.loss, t.layers[last].act, b.d[last][span:span+t.k],
			b.z[last][span:span+t.k], b.a[last][span:span+t.k], t.yb[span:span+t.k])
		loss += l
		correct += boolInt(ok)
	}
	lr, plain := t.rate(), t.h.Optimizer.Plain()
	for l := last; l >= 0; l-- {
		ly := &t.layers[l]
		var daPrev, in []T
		if l > 0 {
			daPrev, in = b.d[l-1], b.a[l-1]
		} else {
			in = t.xb
		}
		if plain {
			DenseBackwardBatch(daPrev, ly.w, ly.b, b.d[l], in, rows, T(lr))
		} else {
			if daPrev != nil {
				DenseBackwardDataBatch(daPrev, ly.w, b.d[l], rows, len(ly.b))
			}
			DenseGradientBatch(ly.gw, ly.gb, b.d[l], in, rows)
			t.update(ly, lr)
		}
		if l > 0 {
			units := len(t.layers[l-1].b) * rows
			engine.Delta(t.layers[l-1].act, daPrev[:units], daPrev[:units], b.z[l-1][:units], in[:units])
		}
	}
	t.steps++
	return loss, correct
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
