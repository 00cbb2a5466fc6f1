//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// The optimizer of a fit runs where the updates run (kernels/optim.cuh):
// folded into sgd_steps per example, and in optimizer_step after a
// mini-batch's gradients. Its state stays on the device for the whole fit.
// The host computes each step's coefficients (the schedule's learning rate,
// Adam's bias corrections) in float64, as engine.Update does, and uploads an
// epoch's when its first steps are queued: the device then reads them at
// the step's position, so that one launch of sgd_steps runs steps of
// different rates and one graph of a batch step serves every step. Adam's
// powers cost the host ~0.2 µs a step, as much as a GPU's step: a goroutine
// computes the next epoch's while the device trains this one.

// optimRun is the optimizer of a fit on the device: its settings, the
// coefficients of each step of the epoch, its state, and the gradients of a
// mini-batch step, which it applies (but for plain SGD on one process,
// which the backward pass applies itself).
type optimRun struct {
	opt      engine.Optimizer
	rate     func(t int) float64 // the learning rate of step t, from 0 over the fit
	byEpoch  bool                // rate knows an epoch's rates only once the epoch before has ended (engine.Hyper.RateByEpoch)
	steps    int                 // the fit's steps queued so far, those before the trainer's included
	perEpoch int                 // steps an epoch
	settings devicePtr           // struct optimizer
	rates    devicePtr           // struct opt_rates of each step of the epoch
	state    [2]devicePtr        // the state slots, laid out as the parameters (8 bytes where it keeps fewer)
	grads    devicePtr           // a mini-batch step's gradients, laid out as the parameters, and one more value (8 bytes where unused)
	next     chan epochRates     // the next epoch's coefficients, on their way from a goroutine (nil: none)
}

// epochRates are the coefficients of an epoch's steps, the first of which
// is the fit's step base (from 0).
type epochRates struct {
	base  int
	rates []optRates
}

// coefficients returns the coefficients of the epoch whose first step is
// the fit's step base, from its step first on.
func (r optimRun) coefficients(base, first int) epochRates {
	e := epochRates{base: base, rates: make([]optRates, r.perEpoch)}
	for i := first; i < r.perEpoch; i++ {
		e.rates[i] = ratesOf(r.opt, base+i+1, r.rate(base+i))
	}
	return e
}

// prepareOptimizer allocates and uploads the optimizer of h for a fit on
// examples examples: its settings and its state, h.State or zeros.
func (t *trainer) prepareOptimizer(h engine.Hyper, examples int) error {
	o := h.Optimizer
	t.optim = optimRun{opt: o, rate: h.RateAt, byEpoch: h.RateByEpoch, steps: h.StepsDone, perEpoch: blocks(examples, t.batch)}
	slots := o.Slots()
	if h.State != nil && len(h.State) != slots {
		return fmt.Errorf("gpu: %d optimizer state slots for %s, which keeps %d", len(h.State), o.Kind, slots)
	}
	grads := 0
	if !t.perExample() && !t.fusedUpdate() {
		grads = t.stepSums() // laid out as a data-parallel step's Sums (share.go)
	}
	size := t.dtype.Size()
	var err error
	for _, buf := range []struct {
		dst   *devicePtr
		bytes int
		what  string
	}{
		{&t.optim.settings, optimizerBytes, "the optimizer's settings"},
		{&t.optim.rates, t.optim.perEpoch * optRatesBytes, "the coefficients of an epoch's steps"},
		{&t.optim.state[0], min(slots, 1) * t.nparams * size, "the optimizer's state"},
		{&t.optim.state[1], max(slots-1, 0) * t.nparams * size, "the optimizer's state"},
		{&t.optim.grads, grads * size, "the gradients"},
	} {
		if *buf.dst, err = t.mem.alloc(int64(buf.bytes), buf.what); err != nil {
			return err
		}
	}
	settings := settingsOf(o)
	if err := memcpyHtoD(t.optim.settings, unsafe.Pointer(&settings), optimizerBytes); err != nil {
		return fmt.Errorf("gpu: cuMemcpyHtoD of the optimizer's settings: %w", err)
	}
	for k := range slots {
		state := make([]float64, t.nparams)
		if h.State != nil {
			if err := t.shaped(h.State[k]); err != nil {
				return err
			}
			state = flatten(h.State[k])
		}
		if err := upload(t.optim.state[k], state, t.dtype); err != nil {
			return err
		}
	}
	return nil
}

// settingsOf returns o as the kernels read it.
func settingsOf(o engine.Optimizer) optimizer {
	s := optimizer{kind: int64(o.Kind), slots: int64(o.Slots()), momentum: o.Momentum, weightDecay: o.WeightDecay,
		beta1: o.Beta1, beta2: o.Beta2, oneMinusBeta1: 1 - o.Beta1, oneMinusBeta2: 1 - o.Beta2, eps: o.Eps}
	if o.Nesterov {
		s.nesterov = 1
	}
	return s
}

// ratesOf returns the coefficients of step t (from 1) of o at learning rate
// lr, as the kernels read them.
func ratesOf(o engine.Optimizer, t int, lr float64) optRates {
	c := o.Coefficients(t, lr)
	return optRates{lr: c.LR, stepSize: c.StepSize, bc2Sqrt: c.BiasCorrection2, decay: c.Decay}
}

// shaped reports whether net, a slot of optimizer state, is shaped as the
// trainer's network.
func (t *trainer) shaped(net *engine.Network) error {
	if len(net.Layers) != len(t.layers) {
		return fmt.Errorf("gpu: the optimizer state has %d layers, the network %d", len(net.Layers), len(t.layers))
	}
	for i, l := range t.layers {
		if len(net.Layers[i].W) != l.out*l.in || len(net.Layers[i].B) != l.out {
			return fmt.Errorf("gpu: the optimizer state of layer %d is not shaped as the layer", i+1)
		}
	}
	return nil
}

// startEpoch uploads what the device needs before the epoch's first steps,
// from position from: the totals the epoch starts from (ResumeEpoch's) and
// the coefficients of its steps from there on.
func (t *trainer) startEpoch(from int) error {
	totals := [3]float64{t.partial.Loss, float64(t.partial.Correct), math.Inf(1)}
	if err := memcpyHtoD(t.totals, unsafe.Pointer(&totals[0]), 24); err != nil {
		return fmt.Errorf("gpu: cuMemcpyHtoD of the epoch's totals: %w", err)
	}
	r := &t.optim
	first := from / t.batch
	if first >= r.perEpoch {
		return nil
	}
	base := r.steps - first // the fit's step at the epoch's start
	var e epochRates
	if r.next != nil {
		e, r.next = <-r.next, nil
	}
	if e.base != base || e.rates == nil {
		e = r.coefficients(base, first)
	}
	rates := e.rates[first:]
	if err := memcpyHtoD(r.rates+devicePtr(first*optRatesBytes), unsafe.Pointer(&rates[0]), int64(len(rates)*optRatesBytes)); err != nil {
		return fmt.Errorf("gpu: cuMemcpyHtoD of the coefficients of the epoch's steps: %w", err)
	}
	if r.byEpoch {
		return nil // the next epoch's rates are known once this one ends
	}
	next := make(chan epochRates, 1)
	r.next = next
	go func(r optimRun) { next <- r.coefficients(base+r.perEpoch, 0) }(*r)
	return nil
}

// optimizerStep queues optimizer_step: the optimizer's step on every
// parameter from the gradients of the batch step at the cursor.
func (t *trainer) optimizerStep() error {
	return t.ks.optimizerStep(flat(t.nparams), t.params, t.optim.state[0], t.optim.state[1], t.optim.grads, t.optim.settings,
		t.optim.rates, t.batches.cursor, t.batch, t.nparams)
}

// CopyStateTo copies the optimizer's state into s, which holds its slots
// shaped as the network.
func (t *trainer) CopyStateTo(s engine.OptimizerState) error {
	if len(s) != t.optim.opt.Slots() {
		return fmt.Errorf("gpu: %d optimizer state slots for %s, which keeps %d", len(s), t.optim.opt.Kind, t.optim.opt.Slots())
	}
	return t.d.do(func() error {
		for k, slot := range s {
			if err := t.shaped(slot); err != nil {
				return err
			}
			if err := t.download(slot, t.optim.state[k]); err != nil {
				return err
			}
		}
		return nil
	})
}
