package cpu

import "github.com/perceptron-go/perceptron/engine"

// dropouts is a trainer's dropout: each step draws a mask per layer with
// dropout (engine.DropoutMask) from the fit's generator, multiplies the
// layer's activations by it after the forward pass, and the gradient that
// reaches them by it in the backward pass. A nil *dropouts is a network
// without dropout: its methods do nothing and draw nothing.
type dropouts[T engine.Float] struct {
	p     []float64 // each layer's probability (0: none)
	units []int
	mask  [][]T // each layer's mask of a step's rows: 0 or 1/(1−p); nil without dropout
	pre   [][]T // each layer's activations before the mask, which its derivative reads
	rng   engine.RNG
	row0  int // the first row of the masks that is the passes' first (a data-parallel shard's)
}

// newDropouts returns the dropout of net's layers for steps of up to rows
// examples, drawing from rng, or nil when no layer has dropout.
func newDropouts[T engine.Float](net *engine.Network, rows int, rng engine.RNG) *dropouts[T] {
	if !net.Spec.Dropouts() {
		return nil
	}
	d := &dropouts[T]{rng: rng}
	for _, l := range net.Spec.Layers {
		var mask, pre []T
		if l.Dropout > 0 {
			mask, pre = make([]T, rows*l.Units), make([]T, rows*l.Units)
		}
		d.p, d.units = append(d.p, l.Dropout), append(d.units, l.Units)
		d.mask, d.pre = append(d.mask, mask), append(d.pre, pre)
	}
	return d
}

// draw draws the masks of a step of rows examples, layer by layer, and
// makes row row0 of them the first of the passes that follow.
func (d *dropouts[T]) draw(rows, row0 int) {
	if d == nil {
		return
	}
	for l, m := range d.mask {
		if m != nil {
			engine.DropoutMask(m[:rows*d.units[l]], d.p[l], d.rng)
		}
	}
	d.row0 = row0
}

// rowsOf returns the part of layer l's mask of rows rows from row0.
func (d *dropouts[T]) rowsOf(l, rows int) []T {
	return d.mask[l][d.row0*d.units[l] : (d.row0+rows)*d.units[l]]
}

// apply multiplies layer l's activations a, of rows rows, by its mask,
// keeping them as they were for its derivative (activations).
func (d *dropouts[T]) apply(l int, a []T, rows int) {
	if d == nil || d.mask[l] == nil {
		return
	}
	n := rows * d.units[l]
	copy(d.pre[l], a[:n])
	mul(a[:n], d.rowsOf(l, rows))
}

// activations returns layer l's activations before dropout, given a, those
// after (a itself where the layer has no dropout).
func (d *dropouts[T]) activations(l int, a []T) []T {
	if d == nil || d.mask[l] == nil {
		return a
	}
	return d.pre[l]
}

// backward multiplies dz, the gradient of layer l's rows rows of
// pre-activations, by its mask: the outputs dropped pass back nothing.
func (d *dropouts[T]) backward(l int, dz []T, rows int) {
	if d == nil || d.mask[l] == nil {
		return
	}
	mul(dz[:rows*d.units[l]], d.rowsOf(l, rows))
}

// mul sets x[i] *= m[i].
func mul[T engine.Float](x, m []T) {
	m = m[:len(x)]
	for i, v := range m {
		x[i] *= v
	}
}
