//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"unsafe"
)

// Mini-batch SGD runs a step as one launch of a CUDA graph: the step's
// kernels, captured once for each batch size, read the batch's position in
// the epoch from a cursor on the device, which the step's last kernel
// (advance_cursor) moves on to the next batch. A data-parallel step runs
// as a graph per segment of its gradient part and one for its update, the
// all-reduces of its gradients' buckets beside them (share.go, buckets.go).
// With PERCEPTRON_CUDA_SYNC=1 the kernels are launched one by one instead,
// so that each is checked.

// batchRun is what the mini-batch steps keep between them.
type batchRun struct {
	cursor devicePtr          // the next batch's position in the epoch, an int32
	at     int                // where the cursor stands, -1 when unknown (a new epoch)
	graphs map[graphKey]graph // the graphs of the steps' parts
}

// stepPart is a part of a batch step that runs as graphs: the whole step
// of a fit on one process, or a data-parallel step's two halves, the
// all-reduces of the gradients running between them (share.go), the
// first in a graph per segment (buckets.go).
type stepPart int

const (
	wholeStep    stepPart = iota // a step of a fit on one process
	gradientPart                 // a data-parallel step up to its share of the gradients
	updatePart                   // a data-parallel step from its reduced gradients on
)

// graphKey names the graph of a part of a step on rows rows of a batch of
// batch rows: of segment seg of a data-parallel step's gradient part
// (buckets.go), 0 for the others.
type graphKey struct {
	part        stepPart
	rows, batch int
	seg         int
}

// destroy frees the graphs.
func (b *batchRun) destroy() error {
	var first error
	for key, g := range b.graphs {
		if err := g.destroy(); err != nil && first == nil {
			first = fmt.Errorf("gpu: cuGraphExecDestroy: %w", err)
		}
		delete(b.graphs, key)
	}
	return first
}

// batchStep queues one mini-batch step on the rows examples from position s
// of the epoch.
func (t *trainer) batchStep(s, rows int) error {
	if err := t.drop.step(t.stack, rows, 0, rows); err != nil {
		return err
	}
	if err := t.seek(s); err != nil {
		return err
	}
	t.batches.at = s + rows
	return t.runPart(graphKey{wholeStep, rows, rows, 0}, func() error { return t.queueBatchStep(rows) })
}

// seek moves the cursor to position pos of the epoch, where it stands
// elsewhere.
func (t *trainer) seek(pos int) error {
	if t.batches.at != pos {
		cursor := int32(pos)
		if err := memcpyHtoD(t.batches.cursor, unsafe.Pointer(&cursor), 4); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD of the batch cursor: %w", err)
		}
	}
	t.batches.at = pos
	return nil
}

// runPart queues a part of a step, which queue queues: by launching its
// graph, captured on first use.
func (t *trainer) runPart(key graphKey, queue func() error) error {
	if t.d.syncEach {
		return queue()
	}
	g, ok := t.batches.graphs[key]
	if !ok {
		var err error
		if g, err = t.capture(queue); err != nil {
			return err
		}
		if t.batches.graphs == nil {
			t.batches.graphs = map[graphKey]graph{}
		}
		t.batches.graphs[key] = g
	}
	if err := g.launch(); err != nil {
		return fmt.Errorf("gpu: cuGraphLaunch of a batch step of %d rows: %w", key.rows, err)
	}
	return nil
}

// capture returns the graph of the kernels that queue queues.
func (t *trainer) capture(queue func() error) (graph, error) {
	if err := t.d.ctx.beginCapture(); err != nil {
		return graph{}, fmt.Errorf("gpu: cuStreamBeginCapture: %w", err)
	}
	err := queue()
	g, endErr := t.d.ctx.endCapture()
	if err == nil && endErr != nil {
		err = fmt.Errorf("gpu: cuStreamEndCapture of a batch step: %w", endErr)
	}
	if err != nil {
		if endErr == nil {
			_ = g.destroy()
		}
		return graph{}, err
	}
	return g, nil
}

// queueBatchStep queues the kernels of a batch step of rows rows at the
// cursor's position: the backward pass with plain SGD's updates or the
// gradients, their clipping and the optimizer's step on them, and the
// cursor's advance.
func (t *trainer) queueBatchStep(rows int) error {
	fused := t.fusedUpdate()
	if err := t.queueBackward(rows, fused); err != nil {
		return err
	}
	if !fused {
		if err := t.clipGradients(); err != nil {
			return err
		}
		if err := t.optimizerStep(); err != nil {
			return err
		}
	}
	return t.advance(rows)
}

// advance queues advance_cursor: the cursor moves on by rows.
func (t *trainer) advance(rows int) error {
	return t.ks.advanceCursor(oneThread, t.batches.cursor, rows)
}

// queueBackward queues the gather of rows rows at the cursor's position,
// the forward pass, the output gradient and the backward pass, with plain
// SGD's updates (plain) or else the gradients (queueGradients).
func (t *trainer) queueBackward(rows int, plain bool) error {
	if err := t.queueForward(rows); err != nil {
		return err
	}
	if !plain {
		return t.queueGradients(len(t.layers)-1, 0, rows)
	}
	for l := len(t.layers) - 1; l >= 0; l-- {
		if l > 0 { // the layer below's dA from W as it is before the update
			if err := t.denseBackwardData(t.layers[l-1].grad, t.layers[l], rows); err != nil {
				return err
			}
		}
		if err := t.layerStep(t.layers[l], t.input(l), rows, true); err != nil {
			return err
		}
		if l > 0 {
			if err := t.deltaTrain(l-1, rows); err != nil {
				return err
			}
		}
	}
	return nil
}

// queueForward queues the gather of rows rows at the cursor's position,
// the forward pass and the output gradient: the last layer's dZ.
func (t *trainer) queueForward(rows int) error {
	if err := t.ks.gatherBatch(flat(rows*(t.in+t.outputs)), t.xb, t.yb, t.x, t.y, t.order, t.batches.cursor, rows, t.in, t.outputs); err != nil {
		return err
	}
	if err := t.forwardTrain(t.xb, rows); err != nil {
		return err
	}
	out := t.layers[len(t.layers)-1]
	return t.ks.outputGrad(perRow(rows), out.grad, t.losses, t.correct, out.z, out.a, t.yb, t.batches.cursor, t.weights, t.order,
		rows, t.outputs, int(t.loss), int(out.act))
}

// queueGradients queues the backward pass into the gradients of layers top
// down to bottom, layer top+1's dZ computed (or top the last layer's): each
// layer's dZ from the one above it, then its gradients, which come first
// so that a data-parallel step's buckets of them can be all-reduced while
// the layers below compute theirs (buckets.go).
func (t *trainer) queueGradients(top, bottom, rows int) error {
	for l := top; l >= bottom; l-- {
		if l < len(t.layers)-1 {
			if err := t.denseBackwardData(t.layers[l].grad, t.layers[l+1], rows); err != nil {
				return err
			}
			if err := t.deltaTrain(l, rows); err != nil {
				return err
			}
		}
		if err := t.layerStep(t.layers[l], t.input(l), rows, false); err != nil {
			return err
		}
	}
	return nil
}

// input returns layer l's input in the batch: the one below's activations,
// or the batch's rows.
func (t *trainer) input(l int) devicePtr {
	if l == 0 {
		return t.xb
	}
	return t.layers[l-1].a
}

// layerStep queues plain SGD's update of layer l from its dZ and input x,
// or else the layer's gradients, which optimizer_step applies.
func (t *trainer) layerStep(l layerBufs, x devicePtr, rows int, plain bool) error {
	if plain {
		if err := t.denseUpdate(l, x, t.optim.rates, t.batches.cursor, t.batch, rows); err != nil {
			return err
		}
		return t.ks.biasUpdateBatch(flat(l.out), l.b, l.grad, t.optim.rates, t.batches.cursor, t.batch, rows, l.out)
	}
	if err := t.denseGradient(t.at(t.optim.grads, l.off), l, x, rows); err != nil {
		return err
	}
	return t.ks.biasGradientBatch(flat(l.out), t.at(t.optim.grads, l.off+l.out*l.in), l.grad, rows, l.out)
}
