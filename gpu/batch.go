//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"unsafe"
)

// Mini-batch SGD runs a step as one launch of a CUDA graph: the step's
// kernels, captured once for each batch size, read the batch's position in
// the epoch from a cursor on the device, which the step's last kernel
// (advance_cursor) moves on to the next batch. With PERCEPTRON_CUDA_SYNC=1
// the kernels are launched one by one instead, so that each is checked.

// batchRun is what the mini-batch steps keep between them.
type batchRun struct {
	cursor devicePtr     // the next batch's position in the epoch, an int32
	at     int           // where the cursor stands, -1 when unknown (a new epoch)
	graphs map[int]graph // a batch step of each batch size
}

// destroy frees the graphs.
func (b *batchRun) destroy() error {
	var first error
	for rows, g := range b.graphs {
		if err := g.destroy(); err != nil && first == nil {
			first = fmt.Errorf("gpu: cuGraphExecDestroy: %w", err)
		}
		delete(b.graphs, rows)
	}
	return first
}

// batchStep queues one mini-batch step on the rows examples from position s
// of the epoch.
func (t *trainer) batchStep(s, rows int) error {
	if t.batches.at != s {
		pos := int32(s)
		if err := memcpyHtoD(t.batches.cursor, unsafe.Pointer(&pos), 4); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD of the batch cursor: %w", err)
		}
	}
	t.batches.at = s + rows
	if t.d.syncEach {
		return t.queueBatchStep(rows)
	}
	g, ok := t.batches.graphs[rows]
	if !ok {
		var err error
		if g, err = t.captureBatchStep(rows); err != nil {
			return err
		}
		if t.batches.graphs == nil {
			t.batches.graphs = map[int]graph{}
		}
		t.batches.graphs[rows] = g
	}
	if err := g.launch(); err != nil {
		return fmt.Errorf("gpu: cuGraphLaunch of a batch step of %d rows: %w", rows, err)
	}
	return nil
}

// captureBatchStep returns the graph of a batch step of rows rows.
func (t *trainer) captureBatchStep(rows int) (graph, error) {
	if err := t.d.ctx.beginCapture(); err != nil {
		return graph{}, fmt.Errorf("gpu: cuStreamBeginCapture: %w", err)
	}
	err := t.queueBatchStep(rows)
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
// cursor's position: the gather, the forward pass, the output gradient, the
// backward pass with plain SGD's updates or the gradients, the optimizer's
// step on them, and the cursor's advance.
func (t *trainer) queueBatchStep(rows int) error {
	if err := t.ks.gatherBatch(flat(rows*(t.in+t.outputs)), t.xb, t.yb, t.x, t.y, t.order, t.batches.cursor, rows, t.in, t.outputs); err != nil {
		return err
	}
	if err := t.forwardBatch(t.xb, rows); err != nil {
		return err
	}
	out := t.layers[len(t.layers)-1]
	if err := t.ks.outputGrad(perRow(rows), out.grad, t.losses, t.correct, out.z, out.a, t.yb, t.batches.cursor,
		rows, t.outputs, int(t.loss), int(out.act)); err != nil {
		return err
	}
	plain := t.optim.opt.Plain()
	for l := len(t.layers) - 1; l >= 0; l-- {
		ly, input := t.layers[l], t.xb
		if l > 0 {
			prev := t.layers[l-1]
			input = prev.a
			if err := t.denseBackwardData(prev.grad, ly, rows); err != nil {
				return err
			}
		}
		if err := t.layerStep(ly, input, rows, plain); err != nil {
			return err
		}
		if l > 0 {
			if err := t.delta(t.layers[l-1], rows); err != nil {
				return err
			}
		}
	}
	if !plain {
		if err := t.optimizerStep(); err != nil {
			return err
		}
	}
	return t.ks.advanceCursor(launchConfig{grid: dim{1, 1}, block: dim{1, 1}}, t.batches.cursor, rows)
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
