//go:build cuda || cudaemu

package gpu

import "github.com/perceptron-go/perceptron/engine"

// Gradient clipping (engine.Hyper.Clip) runs on the step's gradients in
// t.optim.grads, between the backward pass (in a data-parallel step, the
// all-reduce and flag_step) and optimizer_step, inside the step's graph
// (kernels/clip.cu): a trainer that clips computes the gradients, plain SGD
// too, where plain SGD would update in the backward pass, and runs per
// example as mini-batch steps of one row, not in sgd_steps.

// clipRun is a fit's gradient clipping on the device.
type clipRun struct {
	c        engine.Clipping
	partials devicePtr // clipping by norm: each block's sum of squares (clip_norm_squares), doubles
}

// clipBlocks returns the blocks of clip_norm_squares over n gradients: one
// per threads of them, at most threads (CLIP_THREADS in clip.cu), so that
// clip_scale's block sums their partial sums.
func clipBlocks(n int) int { return min(blocks(n, threads), threads) }

// prepareClipping allocates what clipping c needs on the device.
func (t *trainer) prepareClipping(c engine.Clipping) (err error) {
	t.clip = clipRun{c: c}
	if c.Norm > 0 {
		t.clip.partials, err = t.mem.alloc(int64(8*clipBlocks(t.nparams)), "the gradients' sums of squares")
	}
	return err
}

// fusedUpdate reports whether the backward pass of a batch step applies
// plain SGD's updates itself, rather than computing the gradients for
// optimizer_step: plain SGD on one process that does not clip.
func (t *trainer) fusedUpdate() bool { return t.optim.opt.Plain() && !t.clip.c.On() }

// clipGradients queues the clipping of the step's gradients, the first
// nparams values of t.optim.grads; nothing where the fit does not clip.
func (t *trainer) clipGradients() error {
	g, n := t.optim.grads, t.nparams
	switch {
	case t.clip.c.Norm > 0:
		b := clipBlocks(n)
		if err := t.ks.clipNormSquares(launchConfig{grid: dim{b, 1}, block: dim{threads, 1}}, t.clip.partials, g, n); err != nil {
			return err
		}
		return t.ks.clipScale(flat(n), g, t.clip.partials, b, t.clip.c.Norm, n)
	case t.clip.c.Value > 0:
		return t.ks.clipValue(flat(n), g, t.clip.c.Value, n)
	}
	return nil
}
