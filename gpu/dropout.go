//go:build cuda || cudaemu

package gpu

import (
	"fmt"

	"github.com/perceptron-go/perceptron/engine"
)

// dropouts is a trainer's dropout on the device. Each step, the host draws
// the masks of the step's rows from the fit's generator exactly as the cpu
// trainer draws them (engine.DropoutMask, layer by layer, the whole batch's
// rows in order, a data-parallel process too), and uploads those of the
// rows it trains on in one copy; the step's graph reads them at a fixed
// address: dense_forward_dropout_batch multiplies the layer's activations
// by its mask, and dropout_delta the gradient that reaches its
// pre-activations. A nil *dropouts is a network without dropout: its
// methods draw and upload nothing.
type dropouts struct {
	p     []float64   // each layer's probability (0: none)
	units []int       // each layer's units
	drawn [][]float64 // each layer's masks of a step's rows, as drawn (nil without dropout)
	stage []float64   // the masks of the rows trained on, laid out as on the device
	off   []int       // where each layer's masks start in stage and on the device
	dev   devicePtr   // the masks on the device: batch rows of each layer with dropout
	rng   engine.RNG
}

// newDropouts allocates the masks of steps of up to batch rows of net's
// layers, drawn from rng, or returns nil when no layer has dropout.
func newDropouts(s *stack, net *engine.Network, batch int, rng engine.RNG) (*dropouts, error) {
	if !net.Spec.Dropouts() {
		return nil, nil
	}
	if rng == nil {
		return nil, fmt.Errorf("gpu: the layers %s have dropout but Hyper.RNG is nil: the masks are drawn from the fit's generator",
			engine.FormatLayers(net.Spec.Layers))
	}
	d := &dropouts{rng: rng}
	size := 0
	for _, l := range net.Spec.Layers {
		var drawn []float64
		d.off = append(d.off, size)
		if l.Dropout > 0 {
			drawn = make([]float64, batch*l.Units)
			size += batch * l.Units
		}
		d.p, d.units, d.drawn = append(d.p, l.Dropout), append(d.units, l.Units), append(d.drawn, drawn)
	}
	d.stage = make([]float64, size)
	var err error
	d.dev, err = s.mem.alloc(int64(size*s.dtype.Size()), "the dropout masks")
	return d, err
}

// mask returns the address of layer l's masks on the device, 0 where the
// layer has no dropout.
func (d *dropouts) mask(s *stack, l int) devicePtr {
	if d == nil || d.drawn[l] == nil {
		return 0
	}
	return s.at(d.dev, d.off[l])
}

// step draws the masks of a step of rows rows and uploads those of rows
// lo to hi, the rows this process trains on, for the step's graph.
func (d *dropouts) step(s *stack, rows, lo, hi int) error {
	if d == nil {
		return nil
	}
	for l, m := range d.drawn {
		if m != nil {
			u := d.units[l]
			engine.DropoutMask(m[:rows*u], d.p[l], d.rng)
			copy(d.stage[d.off[l]:], m[lo*u:hi*u])
		}
	}
	return upload(d.dev, d.stage, s.dtype)
}

// forwardTrain runs rows examples x through the layers as forwardBatch
// does, each layer with dropout multiplying its activations by its masks.
func (t *trainer) forwardTrain(x devicePtr, rows int) error {
	if t.drop == nil {
		return t.forwardBatch(x, rows)
	}
	in := x
	for i, l := range t.layers {
		var err error
		if mask := t.drop.mask(t.stack, i); mask == 0 {
			err = t.denseForward(l, in, rows)
		} else if t.d.small(rows, l.out) {
			err = t.ks.denseForwardDropoutBatchSmall(product(rows, l.out, smallTile), l.z, l.a, l.w, l.b, in, mask, rows, l.in, l.out, int(l.act))
		} else {
			err = t.ks.denseForwardDropoutBatch(product(rows, l.out, largeTile), l.z, l.a, l.w, l.b, in, mask, rows, l.in, l.out, int(l.act))
		}
		if err == nil {
			err = t.activate(l, rows)
		}
		if err != nil {
			return err
		}
		in = l.a
	}
	return nil
}

// deltaTrain is delta for layer i of the trainer: with dropout, the
// gradient is multiplied by the layer's masks too (dropout_delta).
func (t *trainer) deltaTrain(i, rows int) error {
	l, mask := t.layers[i], t.drop.mask(t.stack, i)
	if mask == 0 {
		return t.delta(l, rows)
	}
	n := rows * l.out
	return t.ks.dropoutDelta(flat(n), l.grad, l.grad, l.z, mask, n, int(l.act))
}

// perExample reports whether the trainer runs per-example SGD in sgd_steps:
// at batch size 1 without dropout or clipping. With either, per-example
// steps run as mini-batch steps of one row (one graph launch a step), whose
// kernels read the step's masks and clip its gradients.
func (t *trainer) perExample() bool { return t.batch == 1 && t.drop == nil && !t.clip.c.On() }
