package engine

import (
	"fmt"
	"slices"
)

// Checkpoint is everything a fit needs to go on from where it was: the
// parameters, the optimizer's state, the generator's state and the order
// of the examples, how far the fit came, its history and its early
// stopping. Fit hands one to Config.Checkpoint and resumes from
// Config.Resume; a fit resumed from one goes on exactly as it would have
// without the stop (bit for bit on the CPU and on the GPU).
type Checkpoint struct {
	// Network holds the parameters reached.
	Network *Network
	// State is the optimizer's state (nil for plain SGD).
	State OptimizerState
	// Epoch counts the epochs finished; Done, the examples of the next one
	// trained on already (a fit stopped within an epoch), whose Totals so
	// far are Partial.
	Epoch, Done int
	Partial     Totals
	// Order is the order of the examples: that of the epoch in progress
	// when Done > 0, else of the last epoch finished.
	Order []int
	// RNG is the generator's state (RNG.MarshalBinary).
	RNG []byte
	// History is the history of the finished epochs.
	History History
	// Early is the early stopping's state, nil without it.
	Early *EarlyStopping
	// Best holds the parameters of Early's best epoch.
	Best *Network
	// Plateau is a Plateau schedule's state, nil without it.
	Plateau *PlateauState

	// The fit the checkpoint belongs to, which a resumed fit must match.
	Optimizer    Optimizer
	Schedule     Schedule
	Monitor      Monitor
	Clip         Clipping
	LearningRate float64
	BatchSize    int
	Epochs       int
	Examples     int // training examples
}

// EarlyStopping stops a fit when the validation loss (or the figure
// Config.Monitor names) has not improved by more than MinDelta for Patience
// epochs, and leaves the parameters of the best epoch in the network, as
// Keras's EarlyStopping with restore_best_weights does. Fit fills in the
// rest.
type EarlyStopping struct {
	Patience int
	MinDelta float64
	// BestEpoch is the epoch of the best monitored figure, BestLoss (the
	// lowest loss, or the highest accuracy with ValAccuracy); Wait
	// counts the epochs since; Stopped says the fit ended before its last
	// epoch.
	BestEpoch int
	BestLoss  float64
	Wait      int
	Stopped   bool
}

// check reports what in the fit c, on train examples for net, differs
// from the fit the checkpoint belongs to.
func (ck *Checkpoint) check(net *Network, c *Config, examples int) error {
	mismatch := func(what string, ck, now any) error {
		return fmt.Errorf("the checkpoint is of a fit with %s %v, this one has %v", what, ck, now)
	}
	switch {
	case ck.Network == nil:
		return fmt.Errorf("the checkpoint holds no network")
	case FormatLayers(ck.Network.Spec.Layers) != FormatLayers(net.Spec.Layers) || ck.Network.Spec.Inputs != net.Spec.Inputs:
		return mismatch("the network", fmt.Sprintf("%d-%s", ck.Network.Spec.Inputs, FormatLayers(ck.Network.Spec.Layers)),
			fmt.Sprintf("%d-%s", net.Spec.Inputs, FormatLayers(net.Spec.Layers)))
	case ck.Network.Spec.Loss != net.Spec.Loss:
		return mismatch("loss", ck.Network.Spec.Loss, net.Spec.Loss)
	case ck.Network.Spec.DType != net.Spec.DType:
		return mismatch("dtype", ck.Network.Spec.DType, net.Spec.DType)
	case ck.Optimizer != c.Optimizer:
		return mismatch("optimizer", ck.Optimizer, c.Optimizer)
	case ck.Schedule != c.Schedule:
		return mismatch("learning-rate schedule", ck.Schedule, c.Schedule)
	case ck.Monitor != c.Monitor:
		return mismatch("monitor", ck.Monitor, c.Monitor)
	case ck.Clip != c.Clip:
		return mismatch("gradient clipping (norm, value)", fmt.Sprint(ck.Clip.Norm, ", ", ck.Clip.Value), fmt.Sprint(c.Clip.Norm, ", ", c.Clip.Value))
	case (ck.Plateau != nil) != (c.Schedule.Kind == Plateau):
		return fmt.Errorf("the checkpoint's plateau state does not fit its schedule %s", ck.Schedule)
	case ck.LearningRate != c.LearningRate:
		return mismatch("learning rate", ck.LearningRate, c.LearningRate)
	case max(ck.BatchSize, 1) != max(c.BatchSize, 1):
		return mismatch("batch size", ck.BatchSize, c.BatchSize)
	case ck.Examples != examples:
		return mismatch("training examples", ck.Examples, examples)
	case ck.Epochs != c.Epochs && ck.Schedule.Kind == Cosine:
		return mismatch("cosine schedule over epochs", ck.Epochs, c.Epochs)
	case ck.Epoch > c.Epochs:
		return fmt.Errorf("the checkpoint is at epoch %d, past this fit's %d epochs", ck.Epoch, c.Epochs)
	case (ck.Early == nil) != (c.EarlyStop == nil):
		return mismatch("early stopping", ck.Early != nil, c.EarlyStop != nil)
	case ck.Early != nil && (ck.Early.Patience != c.EarlyStop.Patience || ck.Early.MinDelta != c.EarlyStop.MinDelta):
		return mismatch("early stopping (patience, min delta)", fmt.Sprint(ck.Early.Patience, ", ", ck.Early.MinDelta),
			fmt.Sprint(c.EarlyStop.Patience, ", ", c.EarlyStop.MinDelta))
	case len(ck.Order) != examples || ck.Done < 0 || ck.Done > examples:
		return fmt.Errorf("the checkpoint's order has %d examples and %d done, for %d examples", len(ck.Order), ck.Done, examples)
	case len(ck.State) != c.Optimizer.Slots():
		return fmt.Errorf("the checkpoint holds %d optimizer state slots, %s needs %d", len(ck.State), c.Optimizer.Kind, c.Optimizer.Slots())
	}
	seen := make([]bool, examples)
	for _, i := range ck.Order {
		if i < 0 || i >= examples || seen[i] {
			return fmt.Errorf("the checkpoint's order is not a permutation of the %d examples", examples)
		}
		seen[i] = true
	}
	return nil
}

// clone returns a copy of ck that shares nothing with the fit.
func (ck *Checkpoint) clone() *Checkpoint {
	c := *ck
	c.Order = slices.Clone(ck.Order)
	c.History = slices.Clone(ck.History)
	if ck.Early != nil {
		e := *ck.Early
		c.Early = &e
	}
	if ck.Plateau != nil {
		p := *ck.Plateau
		c.Plateau = &p
	}
	return &c
}
