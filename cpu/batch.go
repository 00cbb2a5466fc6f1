package cpu

import (
	"github.com/perceptron-go/perceptron/engine"
)

// batchRows is the per-row work of a mini-batch step, which parallelRows
// splits across cores like the products': gathering the batch's examples,
// then the output layer's activation, gradient and loss (times the
// example's weight, where the examples have weights). Each row's loss is
// kept, and summed in the order of the rows, so that the step's does not
// depend on the number of cores.
type batchRows[T engine.Float] struct {
	t      *trainer[T]
	idx    []int     // the batch's examples
	output bool      // the second pass
	loss   []float64 // each row's, batch of them
	ok     []bool
	parts  split
}

// Weights of a row's values in the work that parallelRows weighs against
// the cost of handing it to another core: copying a value from a random
// example (a cache miss a cache line), and an output's exp, log and gradient.
const gatherWork, outputWork = 8, 256

func (p *batchRows[T]) split() *split { return &p.parts }

func (p *batchRows[T]) run(lo, hi int) {
	t := p.t
	if !p.output {
		for r := lo; r < hi; r++ {
			i := p.idx[r]
			if xb := t.xb[r*t.in : (r+1)*t.in]; t.codes != nil {
				t.row(i, xb)
			} else {
				copy(xb, t.x[i*t.in:(i+1)*t.in])
			}
			copy(t.yb[r*t.k:(r+1)*t.k], t.y[i*t.k:(i+1)*t.k])
		}
		return
	}
	b, last := t.bufs, len(t.layers)-1
	act, k := t.layers[last].act, t.k
	for r := lo; r < hi; r++ {
		z, a := b.z[last][r*k:(r+1)*k], b.a[last][r*k:(r+1)*k]
		engine.Activate(act, a, z, k)
		dz := b.d[last][r*k : (r+1)*k]
		p.loss[r], p.ok[r] = engine.OutputGrad(t.loss, act, dz, z, a, t.yb[r*k:(r+1)*k])
		if t.weight != nil {
			p.loss[r] = engine.Weigh(dz, p.loss[r], t.weight[p.idx[r]])
		}
	}
}

// gatherBatch copies the examples idx into the rows of t.xb and t.yb.
func (t *trainer[T]) gatherBatch(idx []int) {
	p := &t.rows
	p.t, p.idx, p.output = t, idx, false
	parallelRows(len(idx), len(idx)*(t.in+t.k)*gatherWork, p)
}

// outputBatch applies the output layer's activation to the pre-activations
// of the batch's rows, sets their gradient, and returns the sum of their
// losses and how many were classified correctly.
func (t *trainer[T]) outputBatch(rows int) (float64, int) {
	p := &t.rows
	p.t, p.output = t, true
	parallelRows(rows, rows*t.k*outputWork, p)
	var loss float64
	var correct int
	for r := 0; r < rows; r++ {
		loss += p.loss[r]
		correct += boolInt(p.ok[r])
	}
	return loss, correct
}
