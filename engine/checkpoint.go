package engine

import (
	"fmt"
	"math"
	"slices"

	"github.com/perceptron-go/perceptron/engine/dataset"
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
	// Data recognises the fit's examples by their content; nil in a
	// checkpoint that does not record it (of an earlier perceptron), which
	// resumes on data it cannot check.
	Data *DataChecksums
}

// DataChecksums recognise a fit's data by its content, not by where it was
// read from or how many examples it has: the CRC-32C of the bytes the
// training set is held in (its features, labels and weights, as the fit
// sees them: split and preprocessed), and that of the validation set, of
// ValidationExamples examples (0 and the checksum of an empty set without
// validation). A data-parallel fit compares the same checksums between
// its processes.
type DataChecksums struct {
	Train, Validation  uint32
	ValidationExamples int
}

// dataChecksums returns the checksums of train and validation (nil: none).
func dataChecksums(train, validation *dataset.Set) *DataChecksums {
	if validation == nil {
		validation = &dataset.Set{}
	}
	return &DataChecksums{Train: setChecksum(train), Validation: setChecksum(validation), ValidationExamples: validation.N}
}

// DataError is a resume's refusal of a checkpoint whose data has the
// number of examples of this fit's, but other values: Set ("training" or
// "validation") names the set, Examples the examples, and the checksums
// (see DataChecksums) are the checkpoint's and this fit's.
type DataError struct {
	Set                  string
	Examples             int
	Checkpoint, ThisData uint32
}

func (e *DataError) Error() string {
	return fmt.Sprintf("the %s data differs from the checkpoint's: %d examples with crc32c %08x, this fit's %s data crc32c %08x: as many examples, other values",
		e.Set, e.Examples, e.Checkpoint, e.Set, e.ThisData)
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
// from the fit the checkpoint belongs to (its data, of the checksums data,
// included), or what in the checkpoint's state is out of range.
func (ck *Checkpoint) check(net *Network, c *Config, examples int, data *DataChecksums) error {
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
	if err := ck.checkState(); err != nil {
		return err
	}
	return ck.checkData(data)
}

// checkData compares the checkpoint's data with this fit's, of checksums
// now; a checkpoint that records none passes.
func (ck *Checkpoint) checkData(now *DataChecksums) error {
	was := ck.Data
	switch {
	case was == nil:
		return nil
	case was.Train != now.Train:
		return &DataError{Set: "training", Examples: ck.Examples, Checkpoint: was.Train, ThisData: now.Train}
	case was.ValidationExamples != now.ValidationExamples:
		return fmt.Errorf("the checkpoint is of a fit with %d validation examples, this one has %d", was.ValidationExamples, now.ValidationExamples)
	case was.Validation != now.Validation:
		return &DataError{Set: "validation", Examples: was.ValidationExamples, Checkpoint: was.Validation, ThisData: now.Validation}
	}
	return nil
}

// checkState refuses a state no fit reaches: parameters, optimizer state or
// totals that are not finite, a negative second moment (Adam's exp_avg_sq),
// partial totals that do not fit the examples done, and early stopping or
// plateau counters out of range.
func (ck *Checkpoint) checkState() error {
	type part struct {
		what        string
		net         *Network
		nonNegative bool
	}
	parts := []part{{"parameters", ck.Network, false}, {"early stopping's best parameters", ck.Best, false}}
	for k, name := range ck.Optimizer.SlotNames() {
		if k < len(ck.State) {
			parts = append(parts, part{"optimizer state " + name, ck.State[k], name == "exp_avg_sq"})
		}
	}
	for _, p := range parts {
		if p.net == nil {
			continue
		}
		if err := checkValues(p.what, p.net, p.nonNegative); err != nil {
			return err
		}
	}
	p := ck.Partial
	if !(p.Loss >= 0) || math.IsInf(p.Loss, 0) || p.Examples != ck.Done || p.Correct < 0 || p.Correct > p.Examples {
		return fmt.Errorf("the checkpoint's totals of the epoch in progress (loss %g, %d correct of %d) do not fit its %d examples done", p.Loss, p.Correct, p.Examples, ck.Done)
	}
	if e := ck.Early; e != nil && (e.Wait < 0 || e.BestEpoch < 0 || e.BestEpoch > ck.Epoch || e.Wait != ck.Epoch-e.BestEpoch || e.Stopped != (e.Wait >= e.Patience) || math.IsNaN(e.BestLoss)) {
		return fmt.Errorf("the checkpoint's early stopping state (best epoch %d, loss %g, wait %d of patience %d, stopped %v) is out of range at epoch %d: expected the epochs since the best as the wait",
			e.BestEpoch, e.BestLoss, e.Wait, e.Patience, e.Stopped, ck.Epoch)
	}
	if pl := ck.Plateau; pl != nil && (pl.BadEpochs < 0 || pl.BadEpochs > ck.Epoch || pl.Cooldown < 0 || pl.Cooldown > ck.Schedule.Cooldown ||
		!(pl.LR > 0) || pl.LR > ck.LearningRate || math.IsNaN(pl.Best)) {
		return fmt.Errorf("the checkpoint's plateau state (best %g, bad epochs %d, cooldown %d, lr %g) is out of range at epoch %d of a fit with lr %g and %s",
			pl.Best, pl.BadEpochs, pl.Cooldown, pl.LR, ck.Epoch, ck.LearningRate, ck.Schedule)
	}
	return nil
}

// checkValues refuses a network of the checkpoint's, named what, with a
// value that is not finite, or that is negative where nonNegative (a second
// moment, whose square root the step takes).
func checkValues(what string, n *Network, nonNegative bool) error {
	expected := "a finite number"
	if nonNegative {
		expected += " of 0 or more"
	}
	for i, l := range n.Layers {
		for _, p := range []struct {
			name string
			v    []float64
		}{{"weight", l.W}, {"bias", l.B}} {
			for j, v := range p.v {
				if math.IsNaN(v) || math.IsInf(v, 0) || nonNegative && v < 0 {
					return fmt.Errorf("the checkpoint's %s: layer %d's %s %d is %g, expected %s", what, i+1, p.name, j, v, expected)
				}
			}
		}
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
	if ck.Data != nil {
		d := *ck.Data
		c.Data = &d
	}
	return &c
}
