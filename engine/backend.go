package engine

import (
	"context"
	"fmt"

	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// Examples is a training set laid out for a backend: N rows of Features
// inputs in X or, where X is nil, in Codes (see dataset.Set), N rows of
// Outputs targets in Y, all row-major, and optionally a weight per example.
// A backend reads the inputs with Row or dataset.Values, which read either.
type Examples struct {
	X, Y                 []float64
	N, Features, Outputs int
	Codes                *dataset.Codes
	// Weights, if not nil, holds one weight per example (finite, ≥ 0): the
	// example's loss and gradient are scaled by it (Weigh), and a batch's
	// mean still divides by its number of examples. Nil means every example
	// weighs 1, and the trainer runs as it did before weights.
	Weights []float64
}

// CheckWeights reports weights that are not one per example.
func (e Examples) CheckWeights() error {
	if e.Weights != nil && len(e.Weights) != e.N {
		return fmt.Errorf("%d example weights for %d examples", len(e.Weights), e.N)
	}
	return nil
}

// Row returns the inputs of example i: a part of X itself or, where Codes
// holds them, their values written into buf (made where it is too short).
func (e Examples) Row(i int, buf []float64) []float64 {
	if e.X != nil {
		return e.X[i*e.Features : (i+1)*e.Features]
	}
	if len(buf) < e.Features {
		buf = make([]float64, e.Features)
	}
	dataset.Values(buf[:e.Features], nil, e.Codes, i*e.Features)
	return buf[:e.Features]
}

// Hyper holds the hyper-parameters a backend's trainer needs.
type Hyper struct {
	// LearningRate is the base learning rate.
	LearningRate float64
	// BatchSize is 1 for per-example SGD; B > 1 averages B examples' gradients
	// before each update (the last batch of an epoch may be smaller).
	BatchSize int
	// Optimizer turns gradients into updates; the zero value is plain SGD.
	Optimizer Optimizer
	// Rate, if not nil, returns the learning rate of optimizer step t,
	// counted from 0 over the whole fit; nil means LearningRate throughout.
	// A trainer may call it from goroutines of its own.
	Rate func(t int) float64
	// StepsDone is how many optimizer steps came before this trainer's
	// first (a resumed fit), and State, if not nil, their optimizer state.
	StepsDone int
	State     OptimizerState
	// RNG is the fit's generator, from which a network with dropout draws
	// each step's masks (DropoutMask); a network without draws nothing.
	RNG RNG
	// Clip bounds every step's gradients before the optimizer takes them.
	Clip Clipping
	// RateByEpoch says that Rate's rates of an epoch are known only once
	// the epoch before has ended (ReduceLROnPlateau, Plateau): a trainer
	// asks for them after BeginEpoch, never ahead.
	RateByEpoch bool
	// BucketBytes is the size of a data-parallel step's all-reduce buckets
	// (Config.BucketBytes; 0: distributed.DefaultBucketBytes), for a
	// trainer that overlaps the all-reduce with its backward pass.
	BucketBytes int
}

// RateAt returns the learning rate of optimizer step t (from 0).
func (h Hyper) RateAt(t int) float64 {
	if h.Rate == nil {
		return h.LearningRate
	}
	return h.Rate(t)
}

// OptimizerState is an optimizer's state for a network: one set of
// tensors shaped as the network's parameters per slot (Optimizer.SlotNames).
type OptimizerState []*Network

// NewOptimizerState returns zero state for o on networks of spec.
func NewOptimizerState(o Optimizer, spec Spec) OptimizerState {
	s := make(OptimizerState, o.Slots())
	for i := range s {
		s[i] = Zeros(spec)
	}
	return s
}

// Backend owns memory and arithmetic: it trains a network's parameters on
// its device and runs the forward pass for predictions.
type Backend interface {
	// Name returns the backend's name, such as "cpu" or "cuda".
	Name() string
	// Device describes the hardware it computes on: the CPU's model, the
	// GPU's name.
	Device() string
	// NewTrainer copies net's parameters and the examples to the device.
	NewTrainer(net *Network, data Examples, h Hyper) (Trainer, error)
	// Predict writes the outputs of net for n rows of inputs x into out
	// (n×outputs, row-major).
	Predict(net *Network, x []float64, n int, out []float64) error
	// NewInference lays net's parameters out on the device once, in net's
	// dtype, for forward passes that follow (see Inference). Later changes
	// to net do not reach it.
	NewInference(net *Network) (Inference, error)
}

// Inference is a network's forward pass held ready on a backend: its
// parameters converted and laid out once, its scratch reused. Its methods
// may be called from many goroutines at once.
type Inference interface {
	// Forward64 writes the outputs of n rows of inputs x (n×inputs,
	// row-major) into out (n×outputs). The CPU backend's allocates nothing
	// once warm.
	Forward64(out, x []float64, n int) error
	// Forward32 is Forward64 in float32: a float32 network computes on x as
	// it is, a float64 one on its values widened.
	Forward32(out, x []float32, n int) error
	// Close frees what the inference holds on the device.
	Close() error
}

// Trainer runs the steps of a fit on a backend. One epoch is BeginEpoch,
// Steps over consecutive ranges covering the order, and Totals. Every
// backend's trainer runs every Optimizer and learning-rate schedule,
// resumes a fit exactly from a checkpoint, within an epoch too, and trains
// data parallel.
type Trainer interface {
	// BeginEpoch sets the order in which this epoch visits the examples and
	// zeroes the epoch's totals.
	BeginEpoch(order []int) error
	// Steps trains on order[from:to], from and to on batch boundaries (to may
	// be the order's end). It stops early when ctx is done, returning
	// ctx.Err(). A backend may return before its device has finished.
	Steps(ctx context.Context, from, to int) error
	// Totals returns the sums over the steps run since BeginEpoch. A loss
	// that was NaN or Inf is reported, by Steps or at the latest here, as a
	// *NonFiniteError.
	Totals() (Totals, error)
	// CopyTo copies the current parameters into net.
	CopyTo(net *Network) error
	// CopyStateTo copies the optimizer's state into s, which holds
	// Optimizer.Slots networks shaped as the trainer's.
	CopyStateTo(s OptimizerState) error
	// ResumeEpoch sets the totals of the epoch just begun to partial, the
	// totals of its steps run before a checkpoint, so that the epoch's sums
	// go on in the order of a fit never stopped.
	ResumeEpoch(partial Totals)
	// ShareBatches makes the trainer's steps data parallel over c, a group
	// of more than one process that each run the same trainer (batches of
	// at least c.Size() examples). Of each batch order[s:s+B] it trains on
	// its shard, distributed.Shard(c.Rank(), c.Size(), B), weights its mean
	// gradient by its share of the rows, rows/B, and all-reduces the
	// gradients with the shard's verdict on its losses (distributed.Sums),
	// so that every process applies the update of the whole batch. Its
	// Totals are then its own shards': Fit sums them over the processes. A
	// loss that becomes NaN or Inf on any process is reported on every
	// process, by Steps or by Totals, naming the batch.
	ShareBatches(c distributed.Comm) error
	// Close frees what the trainer holds on the device.
	Close() error
}

// RecentTotaler is a Trainer that can report an epoch's progress without
// waiting for its device. Fit reads the progress it reports within an epoch
// (Config.Progress) from RecentTotals where the trainer has it, and the
// totals of an epoch's end, of a stop and of a checkpoint from Totals,
// which are exact.
type RecentTotaler interface {
	// RecentTotals returns the sums over the steps of the epoch that the
	// device had finished when it was last asked, without waiting for the
	// steps queued since: they may lag Totals' by the steps between a
	// call or two, and hold no example until a first read has finished.
	// A loss that was NaN or Inf is reported as by Totals.
	RecentTotals() (Totals, error)
}

// Totals are the sums over an epoch's steps so far.
type Totals struct {
	// Loss is the sum of the examples' losses, each times its weight.
	Loss float64
	// Correct counts the examples classified correctly.
	Correct int
	// Examples counts the examples trained on.
	Examples int
}

// NonFiniteError reports a loss that became NaN or Inf during a fit.
type NonFiniteError struct {
	Epoch int // 1-based; 0 until Fit fills it in
	Step  int // 1-based position in the epoch's order (the batch's first example)
	Loss  float64
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("the loss became %v at epoch %d, step %d: the learning rate is probably too high", e.Loss, e.Epoch, e.Step)
}
