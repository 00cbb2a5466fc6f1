//go:build cuda || cudaemu

package gpu

import (
	"context"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// Launch shapes: threads per block of the one-dimensional kernels, the
// threads of epoch_totals (TOTALS_THREADS in epoch.cu), and the lanes of a
// warp.
const (
	threads       = 256
	totalsThreads = 256
	warp          = 32
)

// totalsConfig is the configuration of epoch_totals: one block.
var totalsConfig = launchConfig{grid: dim{1, 1}, block: dim{totalsThreads, 1}}

// The matrix-product kernels of dense.cu compute a largeTile×largeTile tile
// of an m×n product per block of 16×16 threads, their _small forms a
// smallTile×smallTile tile.
const (
	largeTile = 64
	smallTile = 16
)

// product is the configuration of the m×n product in tiles of tile×tile.
func product(m, n, tile int) launchConfig {
	return launchConfig{grid: dim{blocks(n, tile), blocks(m, tile)}, block: dim{16, 16}}
}

// small reports whether the m×n product takes the small tiles: where the
// large ones would leave multiprocessors without a block.
func (d *device) small(m, n int) bool {
	return blocks(m, largeTile)*blocks(n, largeTile) < d.multiprocessors
}

// denseForward queues dense_forward_batch, or its small-tile form.
func (s *stack) denseForward(l layerBufs, x devicePtr, rows int) error {
	if s.d.small(rows, l.out) {
		return s.ks.denseForwardBatchSmall(product(rows, l.out, smallTile), l.z, l.a, l.w, l.b, x, rows, l.in, l.out, int(l.act))
	}
	return s.ks.denseForwardBatch(product(rows, l.out, largeTile), l.z, l.a, l.w, l.b, x, rows, l.in, l.out, int(l.act))
}

// denseBackwardData queues dense_backward_data_batch, or its small-tile
// form: daPrev = dZ·W of layer l.
func (s *stack) denseBackwardData(daPrev devicePtr, l layerBufs, rows int) error {
	if s.d.small(rows, l.in) {
		return s.ks.denseBackwardDataBatchSmall(product(rows, l.in, smallTile), daPrev, l.grad, l.w, rows, l.in, l.out)
	}
	return s.ks.denseBackwardDataBatch(product(rows, l.in, largeTile), daPrev, l.grad, l.w, rows, l.in, l.out)
}

// denseUpdate queues dense_update_batch, or its small-tile form: layer l's
// W -= (lr/rows)·dZᵀ·X, lr being the learning rate of the batch step of
// batch examples at *cursor, rates[*cursor / batch].lr.
func (s *stack) denseUpdate(l layerBufs, x, rates, cursor devicePtr, batch, rows int) error {
	if s.d.small(l.out, l.in) {
		return s.ks.denseUpdateBatchSmall(product(l.out, l.in, smallTile), l.w, l.grad, x, rates, cursor, batch, rows, l.in, l.out)
	}
	return s.ks.denseUpdateBatch(product(l.out, l.in, largeTile), l.w, l.grad, x, rates, cursor, batch, rows, l.in, l.out)
}

// denseGradient queues dense_gradient_batch, or its small-tile form: layer
// l's gW = (1/rows)·dZᵀ·X into gw.
func (s *stack) denseGradient(gw devicePtr, l layerBufs, x devicePtr, rows int) error {
	if s.d.small(l.out, l.in) {
		return s.ks.denseGradientBatchSmall(product(l.out, l.in, smallTile), gw, l.grad, x, rows, l.in, l.out)
	}
	return s.ks.denseGradientBatch(product(l.out, l.in, largeTile), gw, l.grad, x, rows, l.in, l.out)
}

// perRow is the configuration of the kernels of one thread per row.
func perRow(rows int) launchConfig {
	return launchConfig{grid: dim{blocks(rows, 64), 1}, block: dim{64, 1}}
}

// predictRows is how many rows Predict pushes through the layers at once.
const predictRows = 1024

// Backend trains and runs networks on one GPU: GPU 0, or in a process
// that an MPI launcher started, the GPU of its rank on its node (see New).
type Backend struct {
	mu sync.Mutex
	d  *device
}

// Name returns "cuda".
func (*Backend) Name() string { return "cuda" }

// Device returns the GPU's name (or the emulator's, in a cudaemu build).
func (b *Backend) Device() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.d.name
}

// device returns the backend's device, opening a new one in place of a
// device whose context an error lost.
func (b *Backend) device() (*device, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.d.lostError() != nil {
		d, err := open()
		if err != nil {
			return nil, err
		}
		b.d = d
	}
	return b.d, nil
}

// layerBufs are a dense layer's parameters, W then b at value off of the
// network's parameters, and its rows×units pre-activations, activations and
// gradients on the device.
type layerBufs struct {
	in, out          int
	off              int
	act              engine.Activation
	w, b, z, a, grad devicePtr
}

// stack is a network on the device, with room for rows examples at a time:
// its parameters in one buffer, each layer's W then b, so that one launch
// may update them all. Its methods run on the device's thread.
type stack struct {
	d       *device
	ks      *kernelSet
	dtype   engine.DType
	layers  []layerBufs
	params  devicePtr
	nparams int
	mem     memory
}

// newStack uploads net's parameters and allocates the activations of rows
// examples. On error it frees what it allocated.
func newStack(d *device, net *engine.Network, rows int) (s *stack, err error) {
	s = &stack{d: d, ks: d.kernels[net.Spec.DType], dtype: net.Spec.DType}
	defer func() {
		if err != nil {
			s.mem.free()
		}
	}()
	if s.nparams, err = net.Spec.Params(); err != nil {
		return nil, err
	}
	if s.params, err = s.mem.alloc(int64(s.nparams*s.dtype.Size()), "the parameters"); err != nil {
		return nil, err
	}
	off := 0
	for i, l := range net.Layers {
		lb := layerBufs{in: l.Inputs, out: l.Units, off: off, act: l.Activation}
		lb.w, lb.b = s.at(s.params, off), s.at(s.params, off+len(l.W))
		off += len(l.W) + len(l.B)
		what := fmt.Sprintf("layer %d", i+1)
		for _, dst := range []*devicePtr{&lb.z, &lb.a, &lb.grad} {
			if *dst, err = s.mem.alloc(int64(rows*l.Units*s.dtype.Size()), what); err != nil {
				return nil, err
			}
		}
		s.layers = append(s.layers, lb)
	}
	return s, upload(s.params, flatten(net), s.dtype)
}

// at returns the address of value off of buf, an array of the stack's dtype.
func (s *stack) at(buf devicePtr, off int) devicePtr { return buf + devicePtr(off*s.dtype.Size()) }

// flatten returns net's parameters as the stack lays them out: each layer's
// W, then its b.
func flatten(net *engine.Network) []float64 {
	var flat []float64
	for _, l := range net.Layers {
		flat = append(append(flat, l.W...), l.B...)
	}
	return flat
}

// unflatten copies flat, laid out as flatten lays out a network's
// parameters, into net.
func unflatten(net *engine.Network, flat []float64) {
	for _, l := range net.Layers {
		flat = flat[copy(l.W, flat):]
		flat = flat[copy(l.B, flat):]
	}
}

// copyTo downloads the parameters into net.
func (s *stack) copyTo(net *engine.Network) error {
	return s.download(net, s.params)
}

// download copies buf, laid out as the parameters, into net.
func (s *stack) download(net *engine.Network, buf devicePtr) error {
	flat := make([]float64, s.nparams)
	if err := download(flat, buf, s.dtype); err != nil {
		return err
	}
	unflatten(net, flat)
	return nil
}

// activate applies softmax to the rows of an output layer that needs it.
func (s *stack) activate(l layerBufs, rows int) error {
	if l.act != engine.Softmax {
		return nil
	}
	return s.ks.softmaxRows(perRow(rows), l.a, l.z, rows, l.out)
}

// forwardBatch runs rows examples x (rows×inputs) through the layers.
func (s *stack) forwardBatch(x devicePtr, rows int) error {
	in := x
	for _, l := range s.layers {
		if err := s.denseForward(l, in, rows); err != nil {
			return err
		}
		if err := s.activate(l, rows); err != nil {
			return err
		}
		in = l.a
	}
	return nil
}

// Predict writes net's outputs for n rows of x into out.
func (b *Backend) Predict(net *engine.Network, x []float64, n int, out []float64) error {
	d, err := b.device()
	if err != nil {
		return err
	}
	return d.do(func() error {
		rows := min(predictRows, max(n, 1))
		s, err := newStack(d, net, rows)
		if err != nil {
			return err
		}
		defer s.mem.free()
		in, k := net.Spec.Inputs, net.Spec.Outputs()
		xdev, err := s.mem.alloc(int64(rows*in*s.dtype.Size()), "the inputs")
		if err != nil {
			return err
		}
		last := s.layers[len(s.layers)-1]
		for r := 0; r < n; r += rows {
			m := min(rows, n-r)
			if err := upload(xdev, x[r*in:(r+m)*in], s.dtype); err != nil {
				return err
			}
			if err := s.forwardBatch(xdev, m); err != nil {
				return err
			}
			if err := download(out[r*k:(r+m)*k], last.a, s.dtype); err != nil {
				return err
			}
		}
		return nil
	})
}

// trainer runs the steps of a fit on the device (engine.Trainer).
type trainer struct {
	*stack
	loss        engine.Loss
	batch       int
	examples    int
	in, outputs int
	x, y        devicePtr     // the whole training set
	classes     devicePtr     // each example's class (int32), for per-example SGD (exampleClasses)
	weights     devicePtr     // each example's weight (double), or 0: every example weighs 1
	xb, yb      devicePtr     // the current mini-batch's rows
	order       devicePtr     // the epoch's order, as int32
	losses      devicePtr     // each example's loss this epoch (double)
	correct     devicePtr     // whether each example was classified correctly (int32)
	totals      devicePtr     // the epoch's running totals (epoch_totals): 3 doubles
	optim       optimRun      // the optimizer: its settings, each step's coefficients, its state
	clip        clipRun       // the gradient clipping, if any
	sgd         sgdRun        // per-example SGD: the plan and its buffers
	sparse      sparseRun     // per-example SGD in one block over the nonzero inputs, where planned
	drop        *dropouts     // the dropout masks, or nil: no layer has dropout
	batches     batchRun      // mini-batch SGD: the cursor and the steps' graphs
	first, done int           // this epoch's steps run over order[first:done] (first < 0: none yet)
	summed      int           // the device's totals hold the examples of order[:summed]
	checked     int           // Totals has checked sgd_steps' status word after the steps of order[:checked]
	recent      recentRead    // the progress's reads of the totals (RecentTotals)
	partial     engine.Totals // the totals of the epoch's steps before a checkpoint (ResumeEpoch)
	share       *sharing      // a data-parallel fit's (ShareBatches), else nil
	seat        *Seat         // the Group seat whose steps the trainer's are launched with, else nil
	bucketBytes int           // the size of a data-parallel step's all-reduce buckets (engine.Hyper.BucketBytes)
	closed      bool
}

// NewTrainer uploads net's parameters and the examples to the device.
func (b *Backend) NewTrainer(net *engine.Network, data engine.Examples, h engine.Hyper) (engine.Trainer, error) {
	if data.Features != net.Spec.Inputs || data.Outputs != net.Spec.Outputs() {
		return nil, fmt.Errorf("gpu: examples of %d features and %d outputs do not fit a %d-input, %d-output network",
			data.Features, data.Outputs, net.Spec.Inputs, net.Spec.Outputs())
	}
	if err := data.CheckWeights(); err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	var t *trainer
	d, err := b.device()
	if err != nil {
		return nil, err
	}
	err = d.do(func() (err error) {
		// Per-example SGD keeps two rows of activations: this step's and the last one's.
		s, err := newStack(d, net, max(h.BatchSize, 2))
		if err != nil {
			return err
		}
		t = &trainer{stack: s, loss: net.Spec.Loss, batch: h.BatchSize, examples: data.N, in: data.Features, outputs: data.Outputs,
			bucketBytes: h.BucketBytes}
		defer func() {
			if err != nil {
				s.mem.free()
			}
		}()
		size := int64(s.dtype.Size())
		n := int64(data.N)
		for _, buf := range []struct {
			dst   *devicePtr
			bytes int64
			what  string
		}{
			{&t.x, n * int64(t.in) * size, "the training inputs"}, {&t.y, n * int64(t.outputs) * size, "the training targets"},
			{&t.order, n * 4, "the epoch's order"}, {&t.losses, n * 8, "the losses"}, {&t.correct, n * 4, "the correct counts"},
			{&t.totals, 3 * 8, "the epoch's totals"},
			{&t.xb, int64(h.BatchSize*t.in) * size, "a batch's inputs"}, {&t.yb, int64(h.BatchSize*t.outputs) * size, "a batch's targets"},
			{&t.batches.cursor, 4, "the batch cursor"},
		} {
			if *buf.dst, err = s.mem.alloc(buf.bytes, buf.what); err != nil {
				return err
			}
		}
		if err := uploadInputs(t.x, data, s.dtype); err != nil {
			return err
		}
		if err := upload(t.y, data.Y, s.dtype); err != nil {
			return err
		}
		if data.Weights != nil {
			if t.weights, err = s.mem.alloc(n*8, "the example weights"); err != nil {
				return err
			}
			if err := upload(t.weights, data.Weights, engine.Float64); err != nil {
				return err
			}
		}
		if t.drop, err = newDropouts(s, net, h.BatchSize, h.RNG); err != nil {
			return err
		}
		if err := t.prepareClipping(h.Clip); err != nil {
			return err
		}
		if err := t.prepareOptimizer(h, data.N); err != nil {
			return err
		}
		if t.perExample() {
			if err := t.uploadClasses(data); err != nil {
				return err
			}
			plan, err := t.planSGD(t.ks.sgdBudget)
			if err != nil {
				return err
			}
			if err := t.prepareSGD(plan); err != nil {
				return err
			}
			if err := t.planSparse(net.Spec, data, plan); err != nil {
				return err
			}
		}
		return t.prepareRecent()
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// BeginEpoch uploads the epoch's order.
func (t *trainer) BeginEpoch(order []int) error {
	t.first, t.done, t.summed, t.checked, t.partial = -1, 0, 0, 0, engine.Totals{}
	t.recent.pending, t.recent.last = false, engine.Totals{}
	t.batches.at = -1
	idx := make([]int32, len(order))
	for i, v := range order {
		idx[i] = int32(v)
	}
	return t.d.do(func() error {
		if len(idx) == 0 {
			return nil
		}
		if err := memcpyHtoD(t.order, unsafe.Pointer(&idx[0]), int64(4*len(idx))); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD of the epoch's order: %w", err)
		}
		return nil
	})
}

// ResumeEpoch sets the totals of the epoch just begun to partial, those of
// its steps before a checkpoint: the device adds the steps' losses onto
// them in order, so that the epoch's loss is the sum, bit for bit, of an
// epoch that never stopped.
func (t *trainer) ResumeEpoch(partial engine.Totals) { t.partial, t.recent.last = partial, partial }

// Steps queues the steps over order[from:to] on the device without waiting
// for them. The epoch's first (at from > 0 in a resumed fit) uploads the
// totals it starts from and the coefficients of its steps.
func (t *trainer) Steps(ctx context.Context, from, to int) error {
	done := ctx.Done()
	start := t.first < 0
	if start {
		t.first, t.done, t.summed, t.checked = from, from, from, from
	}
	if t.share != nil {
		return t.sharedSteps(ctx, start, from, to)
	}
	if t.seat != nil {
		return t.groupSteps(start, from, to)
	}
	return t.d.do(func() error {
		if start {
			if err := t.startEpoch(from); err != nil {
				return err
			}
		}
		step := t.batch
		if t.perExample() {
			step = to - from // one launch
		}
		for s := from; s < to; s += step {
			select {
			case <-done:
				return ctx.Err()
			default:
			}
			var err error
			switch {
			case t.sparse.on:
				err = t.sparseSteps(s, min(s+step, to))
			case t.perExample():
				err = t.sgdSteps(s, min(s+step, to))
			default:
				err = t.batchStep(s, min(t.batch, to-s))
			}
			if err != nil {
				return err
			}
			t.done = min(s+step, to)
			t.optim.steps += blocks(t.done-s, t.batch)
		}
		return nil
	})
}

// groupSteps runs the steps over order[from:to] of a trainer of a Group's
// seat: in one launch with the steps of the group's other seats, once
// every open seat has asked for its own.
func (t *trainer) groupSteps(start bool, from, to int) error {
	if start {
		if err := t.d.do(func() error { return t.startEpoch(from) }); err != nil {
			return err
		}
	}
	if err := t.seat.g.steps(t, from, to); err != nil {
		return err
	}
	t.done = to
	t.optim.steps += to - from
	return nil
}

// delta turns the gradient with respect to a layer's activations into the
// gradient with respect to its pre-activations, in place, for rows examples.
func (t *trainer) delta(l layerBufs, rows int) error {
	n := rows * l.out
	return t.ks.denseDelta(flat(n), l.grad, l.grad, l.z, l.a, n, int(l.act))
}

// Totals adds the losses and correct counts of the steps run since it or
// RecentTotals last did onto the device's totals of the epoch and reads
// them, waiting for every step queued (the one synchronisation), and
// reports a loss that is not finite. In a
// data-parallel fit they are this process's shards', and a loss that is not
// finite any process's.
func (t *trainer) Totals() (engine.Totals, error) {
	if t.first < 0 {
		return t.partial, nil
	}
	var sums [3]float64
	var bad float64
	var nonFinite *engine.NonFiniteError
	from := t.checked
	if t.share != nil {
		if err := t.drain(); err != nil {
			return engine.Totals{}, err
		}
	}
	err := t.d.do(func() (err error) {
		if t.summed < t.done {
			if err := t.ks.epochTotals(totalsConfig, t.totals, t.losses, t.correct, t.summed, t.done); err != nil {
				return err
			}
			t.summed = t.done
		}
		if err := memcpyDtoH(unsafe.Pointer(&sums[0]), t.totals, 24); err != nil {
			return fmt.Errorf("gpu: cuMemcpyDtoH of the epoch's totals: %w", err)
		}
		if t.share != nil {
			nonFinite, err = t.nonFinite()
			return err
		}
		if !math.IsInf(sums[2], 1) {
			if err := memcpyDtoH(unsafe.Pointer(&bad), t.losses+devicePtr(8*int(sums[2])), 8); err != nil {
				return fmt.Errorf("gpu: cuMemcpyDtoH of a loss: %w", err)
			}
		}
		if t.perExample() {
			t.checked = t.done
			return t.timedOut(from, t.done)
		}
		return nil
	})
	if t.share != nil {
		t.share.failed = t.share.failed || err != nil || nonFinite != nil
		if err != nil {
			return engine.Totals{}, err
		} else if nonFinite != nil {
			return engine.Totals{}, nonFinite
		}
		return engine.Totals{Loss: sums[0], Correct: int(sums[1]), Examples: t.share.rows}, nil
	}
	if err != nil {
		return engine.Totals{}, err
	}
	if !math.IsInf(sums[2], 1) {
		return engine.Totals{}, &engine.NonFiniteError{Step: int(sums[2])/t.batch*t.batch + 1, Loss: bad}
	}
	return engine.Totals{Loss: sums[0], Correct: int(sums[1]), Examples: t.partial.Examples + t.done - t.first}, nil
}

// CopyTo downloads the parameters into net.
func (t *trainer) CopyTo(net *engine.Network) error {
	return t.d.do(func() error { return t.copyTo(net) })
}

// Close frees the trainer's reducer, graphs and device memory (none is
// left where an error lost the context).
func (t *trainer) Close() error {
	if s := t.seat; s != nil {
		t.seat = nil
		s.g.leave()
	}
	if t.closed || t.d.lostError() != nil {
		return nil
	}
	t.closed = true
	return t.d.do(func() error {
		var err error
		if t.share != nil {
			err = t.share.reducer.close(t.share.failed)
		}
		if berr := t.batches.destroy(); err == nil {
			err = berr
		}
		if rerr := t.freeRecent(); err == nil {
			err = rerr
		}
		if ferr := t.mem.free(); err == nil {
			err = ferr
		}
		return err
	})
}
