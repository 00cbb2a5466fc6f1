package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
)

// Config holds the settings of a fit.
type Config struct {
	// Epochs is the number of passes over the training set (at least 1).
	Epochs int
	// LearningRate is the base step size lr (above 0).
	LearningRate float64
	// BatchSize is 1 (or 0) for per-example SGD, B > 1 for mini-batch SGD.
	BatchSize int
	// Optimizer turns gradients into updates; the zero value is plain SGD,
	// the course's algorithm.
	Optimizer Optimizer
	// Schedule sets each step's learning rate; the zero value keeps
	// LearningRate throughout. A Plateau schedule needs Validation.
	Schedule Schedule
	// Monitor is the validation figure a Plateau schedule and EarlyStop
	// watch: the zero value, the validation loss, or the accuracy (of a
	// classifier).
	Monitor Monitor
	// Clip bounds every optimizer step's gradients (see Clipping).
	Clip Clipping
	// RNG shuffles the examples every epoch; nil means NewRNG(Seed). Pass the
	// RNG that initialised the network to continue its stream, as the course does.
	RNG  RNG
	Seed uint64
	// Validation, if not nil, is evaluated after every epoch.
	Validation *dataset.Set
	// EarlyStop, if not nil, stops the fit as EarlyStopping says (it needs
	// Validation), watching Monitor, and leaves the best epoch's parameters in the network;
	// Fit records that epoch in it.
	EarlyStop *EarlyStopping
	// Backend trains the network; it is required.
	Backend Backend
	// Progress, if not nil, is called about 200 times an epoch.
	Progress func(Progress)
	// EpochDone, if not nil, is called with each epoch's statistics.
	EpochDone func(EpochStats)
	// Checkpoint, if not nil, is called with what the fit needs to go on
	// (see Resume): after every CheckpointEvery-th epoch (0: none but these),
	// after the last, and when ctx stops the fit.
	Checkpoint      func(*Checkpoint) error
	CheckpointEvery int
	// Resume, if not nil, goes on with the fit a Checkpoint was taken of:
	// the network gets its parameters and RNG its state. The fit must be the
	// same one: network, optimizer, schedule, learning rate, batch size and
	// data (more epochs are allowed, except with a cosine schedule).
	Resume *Checkpoint
	// Comm, if it joins more than one process, makes the fit data parallel:
	// every process calls Fit with the same network spec, data, settings
	// and seed (Fit checks that they match process 0's, and fails on every
	// process if one fails). They start from process 0's parameters; each
	// trains on its shard of every batch (BatchSize is the global batch,
	// of at least Comm.Size() examples) and the gradients are summed before
	// the update, so that the parameters stay the same everywhere and are
	// those of one process training on the whole batches, to rounding. The
	// validation set is evaluated in shards too. A ctx done on any process
	// stops every process at the same step. Progress, EpochDone and
	// Checkpoint are called on process 0 only; a checkpoint resumes on any
	// number of processes.
	Comm distributed.Comm
	// BucketBytes is the size of the buckets in which a data-parallel
	// fit's steps all-reduce their gradients, each started as soon as the
	// backward pass has produced its gradients (distributed.Buckets); 0
	// means distributed.DefaultBucketBytes. Every process must give the
	// same. The model does not depend on it.
	BucketBytes int
}

// Progress reports how far an epoch has come.
type Progress struct {
	Epoch, Epochs int
	// Done of Total examples of this epoch have been trained on.
	Done, Total int
	// Loss is the mean loss over the examples done so far.
	Loss float64
}

// EpochStats are one epoch's figures. Accuracies are NaN for a regression set
// and validation figures NaN without validation data.
type EpochStats struct {
	Epoch          int
	Loss           float64 // mean training loss over the epoch's steps
	TrainAccuracy  float64 // fraction classified correctly during the epoch
	ValLoss        float64
	ValAccuracy    float64
	Seconds        float64 // training time, validation excluded
	ExamplesPerSec float64
	LearningRate   float64 // the learning rate of the epoch's last step
}

// History lists the statistics of the epochs of a fit, in order: every
// epoch, up to MaxHistory of them (see MaxHistory for longer fits).
type History []EpochStats

// MaxHistory bounds the epochs a fit's History holds, so that its memory
// stays bounded however many epochs run. Once it holds MaxHistory epochs it
// keeps every second one, then every fourth, and so on (epochs whose number
// is a multiple of the stride), and always the last epoch run.
const MaxHistory = 1 << 16

// thinned keeps a fit's History within limit epochs, as MaxHistory describes.
type thinned struct {
	hist   History
	limit  int
	stride int // the epochs kept are those whose number is a multiple of stride, and the last
}

// add records s, the newest epoch.
func (t *thinned) add(s EpochStats) {
	if n := len(t.hist); n > 0 && t.hist[n-1].Epoch%t.stride != 0 {
		t.hist = t.hist[:n-1] // it was kept only as the last epoch
	}
	t.hist = append(t.hist, s)
	for len(t.hist) > t.limit {
		t.stride *= 2
		kept := t.hist[:0]
		for i, e := range t.hist {
			if e.Epoch%t.stride == 0 || i == len(t.hist)-1 {
				kept = append(kept, e)
			}
		}
		t.hist = kept
	}
}

// progressSteps is about how many times an epoch reports progress.
const progressSteps = 200

// Validate reports the first hyper-parameter out of range: epochs below 1,
// a learning rate that is not a finite number above 0, a negative batch
// size or one smaller than the processes of Comm, an optimizer, schedule or
// early stopping out of range.
func (c *Config) Validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("epochs must be at least 1, found %d", c.Epochs)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0):
		return fmt.Errorf("learning rate must be a number above 0, found %g", c.LearningRate)
	case c.BatchSize < 0:
		return fmt.Errorf("batch size must be at least 1, found %d", c.BatchSize)
	case c.CheckpointEvery < 0:
		return fmt.Errorf("checkpoints every %d epochs: expected 0 or more", c.CheckpointEvery)
	case c.BatchSize <= 1 && procs(c.Comm) > 1:
		return fmt.Errorf("per-example SGD (batch size 1) is sequential: it cannot be shared among %d processes; train in mini-batches "+
			"of at least %[1]d examples, such as %d (the global batch, of which each process takes its share)", procs(c.Comm), max(64, procs(c.Comm)))
	case max(c.BatchSize, 1) < procs(c.Comm):
		return fmt.Errorf("a batch of %d examples cannot be shared among %d processes: each needs at least one; give a batch size of at least %[2]d",
			c.BatchSize, procs(c.Comm))
	case c.EarlyStop != nil && c.EarlyStop.Patience < 1:
		return fmt.Errorf("early stopping's patience must be at least 1 epoch, found %d", c.EarlyStop.Patience)
	case c.EarlyStop != nil && !(c.EarlyStop.MinDelta >= 0 && !math.IsInf(c.EarlyStop.MinDelta, 0)):
		return fmt.Errorf("early stopping's min delta must be a finite number of 0 or more, found %g", c.EarlyStop.MinDelta)
	case c.Monitor != ValLoss && c.Monitor != ValAccuracy:
		return fmt.Errorf("unknown monitor %s", c.Monitor)
	}
	if err := c.Optimizer.Validate(); err != nil {
		return err
	}
	if err := c.Clip.Validate(); err != nil {
		return err
	}
	return c.Schedule.Validate()
}

func (c *Config) check(n int) error {
	switch {
	case c.Backend == nil:
		return errors.New("no backend: set Config.Backend, for example to cpu.New()")
	case n < 1:
		return errors.New("the training set is empty")
	case c.EarlyStop != nil && (c.Validation == nil || c.Validation.N == 0):
		return fmt.Errorf("early stopping watches the validation %s: it needs validation data", c.Monitor.what())
	case c.Schedule.Kind == Plateau && (c.Validation == nil || c.Validation.N == 0):
		return fmt.Errorf("the plateau schedule watches the validation %s: it needs validation data", c.Monitor.what())
	}
	return c.Validate()
}

// plus returns the sums of t and u.
func (t Totals) plus(u Totals) Totals {
	return Totals{Loss: t.Loss + u.Loss, Correct: t.Correct + u.Correct, Examples: t.Examples + u.Examples}
}

// Fit trains net on train as Config says and returns the history of its
// epochs. It checks ctx about 200 times an epoch: when ctx is done, the
// parameters reached are copied into net, Config.Checkpoint gets what is
// needed to resume, and a *StopError wrapping ctx.Err() is returned with the
// history of the finished epochs. A loss that becomes NaN or Inf stops it with a
// *NonFiniteError naming the epoch and step. A training set whose classes a
// classifier's output does not fit exactly is refused with a *ClassError
// (see TrainingTargets).
func Fit(ctx context.Context, net *Network, train *dataset.Set, cfg Config) (History, error) {
	f := &fit{cfg: cfg, net: net, comm: dataParallel(cfg.Comm), n: train.N, batch: max(cfg.BatchSize, 1), rng: cfg.RNG, early: cfg.EarlyStop,
		hist: thinned{limit: MaxHistory, stride: 1}, classifies: train.Classes > 0 && net.Spec.Classifier()}
	y, at, err := f.begin(train)
	if f.comm != nil {
		err = f.join(err, train, at)
	}
	if err != nil {
		return nil, err
	}
	lr, total := cfg.LearningRate, cfg.Epochs*f.perEpoch
	f.hyper = Hyper{LearningRate: lr, BatchSize: f.batch, Optimizer: cfg.Optimizer,
		Rate:      func(t int) float64 { return cfg.Schedule.Rate(lr, t, f.perEpoch, total) },
		StepsDone: (at.epoch-1)*f.perEpoch + (at.done+f.batch-1)/f.batch, State: at.state, RNG: f.rng, Clip: cfg.Clip,
		BucketBytes: cfg.BucketBytes}
	if f.plateau != nil {
		f.hyper.Rate = func(int) float64 { return f.plateau.LR } // an epoch's steps, which run between its plateau steps
		f.hyper.RateByEpoch = true
	}
	tr, err := f.newTrainer(Examples{X: train.X, Codes: train.Codes, Y: y, N: train.N, Features: train.Features, Outputs: net.Spec.Outputs(), Weights: train.Weights})
	if err = f.agree(err); err != nil {
		if tr != nil {
			tr.Close()
		}
		return nil, err
	}
	defer tr.Close()
	f.tr = tr
	chunk := max(f.batch, (f.n/progressSteps+f.batch-1)/f.batch*f.batch)
	done, partial := at.done, at.partial
	for epoch := at.epoch; epoch <= cfg.Epochs && (f.early == nil || !f.early.Stopped); epoch++ {
		if done == 0 {
			if stop, err := f.cancelled(ctx); err != nil {
				return f.hist.hist, err
			} else if stop {
				return f.hist.hist, f.stop(why(ctx), epoch-1, 0, Totals{})
			}
		}
		start := time.Now()
		if done == 0 {
			f.rng.Shuffle(f.order)
		}
		if err := tr.BeginEpoch(f.order); err != nil {
			return f.hist.hist, err
		}
		if done > 0 && f.comm == nil {
			tr.ResumeEpoch(partial) // its totals go on in the order of a fit never stopped
			partial = Totals{}
		}
		var t Totals
		for from := done; from < f.n; from += chunk {
			if from > 0 { // at 0 the epoch's shuffle is drawn: it stops before, above
				if stop, err := f.cancelled(ctx); err != nil {
					return f.hist.hist, err
				} else if stop {
					if t, err = f.totals(); err != nil {
						return f.hist.hist, err
					}
					return f.hist.hist, f.stop(why(ctx), epoch-1, from, partial.plus(t))
				}
			}
			to := min(from+chunk, f.n)
			if err := tr.Steps(context.WithoutCancel(ctx), from, to); err != nil {
				return f.hist.hist, nonFinite(err, epoch)
			}
			if cfg.Progress == nil && f.comm == nil && to < f.n {
				continue // the totals are read once, after the epoch's last steps (every process reads them alike)
			}
			if recent, ok := tr.(RecentTotaler); ok && f.comm == nil && to < f.n {
				if err := f.recentProgress(recent, epoch); err != nil {
					return f.hist.hist, err
				}
				continue
			}
			if t, err = f.totals(); err != nil {
				return f.hist.hist, nonFinite(err, epoch)
			}
			if cfg.Progress != nil && f.leads() {
				sum := partial.plus(t)
				cfg.Progress(Progress{Epoch: epoch, Epochs: cfg.Epochs, Done: to, Total: f.n, Loss: sum.Loss / float64(sum.Examples)})
			}
		}
		t, done, partial = partial.plus(t), 0, Totals{}
		if err := f.endEpoch(epoch, t, time.Since(start).Seconds()); err != nil {
			return f.hist.hist, err
		}
	}
	if err := tr.CopyTo(net); err != nil {
		return f.hist.hist, err
	}
	if f.best != nil {
		copyParams(net, f.best)
	}
	return f.hist.hist, nil
}

// recentProgress reports the progress of a trainer that reads it without
// waiting for its device (RecentTotaler): the examples whose totals it has
// read so far, once it has read some.
func (f *fit) recentProgress(tr RecentTotaler, epoch int) error {
	t, err := tr.RecentTotals()
	if err != nil {
		return nonFinite(err, epoch)
	}
	if t.Examples > 0 {
		f.cfg.Progress(Progress{Epoch: epoch, Epochs: f.cfg.Epochs, Done: t.Examples, Total: f.n, Loss: t.Loss / float64(t.Examples)})
	}
	return nil
}

// fit is the state of a fit in progress.
type fit struct {
	cfg        Config
	net        *Network
	comm       distributed.Comm // of a data-parallel fit, else nil
	tr         Trainer
	hyper      Hyper
	rng        RNG
	n, batch   int
	perEpoch   int // optimizer steps an epoch
	order      []int
	hist       thinned
	classifies bool // the accuracy means something
	early      *EarlyStopping
	best       *Network       // the parameters of early's best epoch
	plateau    *PlateauState  // of a Plateau schedule, else nil
	data       *DataChecksums // of a fit that checkpoints, resumes or is data parallel, else nil
}

// endEpoch validates, records and reports a finished epoch, runs the early
// stopping and writes the checkpoint that falls due.
func (f *fit) endEpoch(epoch int, t Totals, secs float64) error {
	stats := EpochStats{Epoch: epoch, Loss: t.Loss / float64(t.Examples), TrainAccuracy: math.NaN(),
		ValLoss: math.NaN(), ValAccuracy: math.NaN(), Seconds: secs, ExamplesPerSec: float64(t.Examples) / secs,
		LearningRate: f.hyper.RateAt(epoch*f.perEpoch - 1)}
	if f.classifies {
		stats.TrainAccuracy = float64(t.Correct) / float64(t.Examples)
	}
	if v := f.cfg.Validation; v != nil && v.N > 0 {
		if err := f.tr.CopyTo(f.net); err != nil {
			return err
		}
		m, err := EvaluateDataParallel(f.cfg.Backend, f.comm, f.net, v)
		if err != nil {
			return fmt.Errorf("validation: %w", err)
		}
		stats.ValLoss, stats.ValAccuracy = m.Loss, m.Accuracy
	}
	m := f.cfg.Monitor
	if e := f.early; e != nil {
		if m.better(m.of(stats), e.BestLoss, e.MinDelta) {
			e.BestEpoch, e.BestLoss, e.Wait = epoch, m.of(stats), 0
			f.best = f.net.Clone()
		} else if e.Wait++; e.Wait >= e.Patience {
			e.Stopped = true
		}
	}
	if f.plateau != nil {
		f.plateau.Step(f.cfg.Schedule, m, m.of(stats))
	}
	f.hist.add(stats)
	if f.cfg.EpochDone != nil && f.leads() {
		f.cfg.EpochDone(stats)
	}
	every := f.cfg.CheckpointEvery
	if (f.cfg.Checkpoint != nil || f.comm != nil) && (every > 0 && epoch%every == 0 || epoch == f.cfg.Epochs || f.early != nil && f.early.Stopped) {
		return f.save(epoch, 0, Totals{})
	}
	return nil
}

// stop ends a fit that ctx stopped after done examples of epoch+1: the
// parameters go to the network and, with Config.Checkpoint, a checkpoint
// to resume from. It returns a *StopError wrapping why the fit stopped.
func (f *fit) stop(why error, epoch, done int, partial Totals) error {
	if err := f.save(epoch, done, partial); err != nil {
		return err
	}
	return &StopError{Epoch: epoch, Done: done, Err: why}
}

// StopError is the error of a fit that its context stopped: where it
// stopped, after Epoch full epochs and Done examples of the next (the
// checkpoint it wrote resumes there), and the context's error, which it
// wraps (errors.Is(err, context.Canceled) holds for a cancelled fit).
type StopError struct {
	Epoch, Done int
	Err         error
}

// Error says where the fit stopped and why.
func (e *StopError) Error() string {
	return fmt.Sprintf("the fit stopped after %d full epochs and %d examples of the next: %v", e.Epoch, e.Done, e.Err)
}

// Unwrap returns the context's error.
func (e *StopError) Unwrap() error { return e.Err }

// save copies the trainer's parameters into the network and hands
// Config.Checkpoint, if set, the fit's state after epoch epochs and done
// examples of the next: on process 0 only in a data-parallel fit, whose
// processes then fail together if that failed.
func (f *fit) save(epoch, done int, partial Totals) error {
	err := f.tr.CopyTo(f.net)
	if err == nil && f.cfg.Checkpoint != nil && f.leads() {
		var ck *Checkpoint
		if ck, err = f.checkpoint(epoch, done, partial); err == nil {
			err = f.cfg.Checkpoint(ck)
		}
	}
	return f.agree(err)
}

// checkpoint returns the fit's state after epoch epochs and done examples
// of the next; the network holds the trainer's parameters.
func (f *fit) checkpoint(epoch, done int, partial Totals) (*Checkpoint, error) {
	rng, err := f.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	c := f.cfg
	ck := &Checkpoint{Network: f.net.Clone(), Epoch: epoch, Done: done, Partial: partial, Order: f.order, RNG: rng,
		History: f.hist.hist, Early: f.early, Best: f.best, Plateau: f.plateau, Optimizer: c.Optimizer, Schedule: c.Schedule,
		Monitor: c.Monitor, Clip: c.Clip, LearningRate: c.LearningRate, BatchSize: f.batch, Epochs: c.Epochs, Examples: f.n, Data: f.data}
	if slots := c.Optimizer.Slots(); slots > 0 {
		ck.State = NewOptimizerState(c.Optimizer, f.net.Spec)
		if err := f.tr.CopyStateTo(ck.State); err != nil {
			return nil, err
		}
	}
	return ck.clone(), nil
}

// start is where a fit starts: the epoch to go on with (1 for a new fit),
// the examples of it trained on already and their totals, and the
// optimizer's state (nil: zeros).
type start struct {
	epoch, done int
	partial     Totals
	state       OptimizerState
}

// begin checks the fit and sets up its order, its early stopping and,
// from Config.Resume, what it resumes. It returns the targets and where the
// fit starts.
func (f *fit) begin(train *dataset.Set) (y []float64, at start, err error) {
	if err := f.cfg.check(train.N); err != nil {
		return nil, start{}, err
	}
	if y, err = f.net.Spec.TrainingTargets(train); err != nil {
		return nil, start{}, err
	}
	if err := train.CheckWeights(); err != nil {
		return nil, start{}, fmt.Errorf("the training set: %w", err)
	}
	if f.cfg.Monitor == ValAccuracy && !f.classifies && (f.early != nil || f.cfg.Schedule.Kind == Plateau) {
		return nil, start{}, errors.New("the monitor val_accuracy needs a classifier trained on classes; this fit's accuracy is undefined: monitor val_loss")
	}
	if f.rng == nil {
		f.rng = NewRNG(f.cfg.Seed)
	}
	f.perEpoch = (f.n + f.batch - 1) / f.batch
	f.order = make([]int, f.n)
	for i := range f.order {
		f.order[i] = i
	}
	if f.early != nil {
		*f.early = EarlyStopping{Patience: f.early.Patience, MinDelta: f.early.MinDelta, BestLoss: f.cfg.Monitor.worst()}
	}
	if f.cfg.Schedule.Kind == Plateau {
		p := NewPlateauState(f.cfg.Monitor, f.cfg.LearningRate)
		f.plateau = &p
	}
	if f.cfg.Checkpoint != nil || f.cfg.Resume != nil || f.comm != nil {
		f.data = dataChecksums(train, f.cfg.Validation)
	}
	if ck := f.cfg.Resume; ck != nil {
		if at, err = f.resume(ck); err != nil {
			return nil, start{}, fmt.Errorf("resume: %w", err)
		}
		return y, at, nil
	}
	return y, start{epoch: 1}, nil
}

// newTrainer returns the backend's trainer of data for the fit: in a
// data-parallel fit, one that shares the batches.
func (f *fit) newTrainer(data Examples) (Trainer, error) {
	tr, err := f.cfg.Backend.NewTrainer(f.net, data, f.hyper)
	if err = f.agree(err); err != nil { // every process has its trainer before ShareBatches, a collective
		if tr != nil {
			tr.Close()
		}
		return nil, err
	}
	if f.comm == nil {
		return tr, nil
	}
	if err := tr.ShareBatches(f.comm); err != nil {
		tr.Close()
		return nil, err
	}
	return tr, nil
}

// resume takes up the fit a checkpoint was taken of: the network's
// parameters, the generator, the order, the history and the early
// stopping. It returns where the fit goes on.
func (f *fit) resume(ck *Checkpoint) (start, error) {
	if err := ck.check(f.net, &f.cfg, f.n, f.data); err != nil {
		return start{}, err
	}
	if err := f.rng.UnmarshalBinary(ck.RNG); err != nil {
		return start{}, err
	}
	copyParams(f.net, ck.Network)
	copy(f.order, ck.Order)
	f.hist.hist = slices.Clone(ck.History)
	if len(ck.History) > 1 {
		f.hist.stride = ck.History[0].Epoch // the first epoch kept is the first multiple of the stride
	}
	if f.early != nil {
		*f.early = *ck.Early
		if ck.Best != nil {
			f.best = ck.Best.Clone()
		}
	}
	if f.plateau != nil {
		*f.plateau = *ck.Plateau
	}
	return start{epoch: ck.Epoch + 1, done: ck.Done, partial: ck.Partial, state: ck.State}, nil
}

// copyParams copies the parameters of src into dst, a network of the same shape.
func copyParams(dst, src *Network) {
	for i, l := range src.Layers {
		copy(dst.Layers[i].W, l.W)
		copy(dst.Layers[i].B, l.B)
	}
}

// nonFinite gives a NonFiniteError from Steps or Totals its epoch.
func nonFinite(err error, epoch int) error {
	var nf *NonFiniteError
	if errors.As(err, &nf) {
		nf.Epoch = epoch
	}
	return err
}

// Targets checks that set fits a network of this spec (its features, and
// labels that the output layer and loss can learn) and returns its targets,
// N rows of Outputs values. A set to evaluate on may lack classes; Fit
// checks the set it trains on further (TrainingTargets).
func (s Spec) Targets(set *dataset.Set) ([]float64, error) {
	if err := s.checkInputs(set); err != nil {
		return nil, err
	}
	y, err := set.Targets(s.Outputs())
	if err != nil {
		return nil, err
	}
	if s.Loss == BCE {
		for i, v := range y {
			if !(v >= 0 && v <= 1) {
				if set.Classes < 2 {
					return nil, fmt.Errorf("loss bce needs targets in [0, 1], found %g at example %d (the labels are numbers to predict: end the layers with %d:linear, whose loss is mse)",
						v, i/s.Outputs()+1, s.Outputs())
				}
				return nil, fmt.Errorf("loss bce needs targets in [0, 1], found %g at example %d (the data has %d classes: end the layers with %d:softmax)",
					v, i/s.Outputs()+1, set.Classes, set.Classes)
			}
		}
	}
	return y, nil
}

// checkInputs checks that set's examples have as many features as the
// network has inputs.
func (s Spec) checkInputs(set *dataset.Set) error {
	if set.Features != s.Inputs {
		return fmt.Errorf("the data has %d features per example but the network takes %d inputs", set.Features, s.Inputs)
	}
	return nil
}

// TrainingTargets is Targets for the set a network trains on, which a
// classifier's output layer must fit exactly: one unit per class (softmax,
// or sigmoid one-hot), or one sigmoid unit for two classes, and at least one
// example of every class. A unit for a class that has no examples only
// learns to stay off: a phantom class, whose accuracy and metrics mislead.
// Otherwise it returns a *ClassError. A regression (any other output), and
// labels that are not classes, are Targets' to judge.
func (s Spec) TrainingTargets(train *dataset.Set) ([]float64, error) {
	if err := s.checkInputs(train); err != nil {
		return nil, err
	}
	if err := s.checkClasses(train); err != nil {
		return nil, err
	}
	return s.Targets(train)
}

// checkClasses returns a *ClassError when one of train's classes has no
// example (the first thing to mend: labels 1 to 3 read as classes 0 to 3
// call for 3 units once they run from 0), or a classifier's output layer
// does not fit the classes.
func (s Spec) checkClasses(train *dataset.Set) error {
	k := train.Classes
	if !s.Classifier() || k == 0 {
		return nil
	}
	out := s.Layers[len(s.Layers)-1]
	e := &ClassError{Classes: k, Names: train.ClassNames, Output: out, LowestLabel: math.Inf(1), HighestLabel: math.Inf(-1)}
	count := make([]int, k)
	for _, c := range train.Labels {
		if c >= 0 && c < float64(k) && c == math.Trunc(c) { // other labels are Targets' to refuse
			count[int(c)]++
		}
		e.LowestLabel, e.HighestLabel = min(e.LowestLabel, c), max(e.HighestLabel, c)
	}
	for c, n := range count {
		if n == 0 {
			e.Empty = append(e.Empty, c)
		}
	}
	if len(e.Empty) > 0 || !(out.Units == k || out.Units == 1 && out.Activation == Sigmoid && k == 2) {
		return e
	}
	return nil
}

// ClassError is TrainingTargets' (and so Fit's) error for a training set
// whose classes a classifier's output layer does not fit: some classes have
// no example (Empty lists them), or else the layer has another number of
// units than the data has classes. The labels run from LowestLabel to
// HighestLabel.
type ClassError struct {
	Classes                   int       // the data's classes, 0..Classes-1
	Names                     []string  // their names (nil: the indices)
	Output                    LayerSpec // the network's output layer
	Empty                     []int
	LowestLabel, HighestLabel float64
}

func (e *ClassError) Error() string {
	if len(e.Empty) == 0 {
		units := "units"
		if e.Output.Units == 1 {
			units = "unit"
		}
		return fmt.Sprintf("the data has %d classes (%s) but the output layer %s has %d %s",
			e.Classes, e.classList(), FormatLayers([]LayerSpec{e.Output}), e.Output.Units, units)
	}
	which := fmt.Sprintf("class %s has", e.name(e.Empty[0]))
	if n := len(e.Empty); n > 1 {
		names := make([]string, min(n, maxNamed))
		for i := range names {
			names[i] = e.name(e.Empty[i])
		}
		list := strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
		if n > maxNamed {
			list = strings.Join(names, ", ") + fmt.Sprintf(" and %d more", n-maxNamed)
		}
		which = "classes " + list + " have"
	}
	if e.LowestLabel > 0 && e.Names == nil {
		return fmt.Sprintf("%s no training examples: the labels run from %g to %g, read as the %d classes %s",
			which, e.LowestLabel, e.HighestLabel, e.Classes, e.classList())
	}
	return fmt.Sprintf("%s no training examples, of the data's %d classes (%s)", which, e.Classes, e.classList())
}

// name returns class c's name.
func (e *ClassError) name(c int) string {
	if c < len(e.Names) {
		return e.Names[c]
	}
	return strconv.Itoa(c)
}

// classList names the data's classes: "0, 1, 2", "no, yes", or "0 to 9"
// (the first and last name) for more than 3.
func (e *ClassError) classList() string {
	if e.Classes > 3 {
		return e.name(0) + " to " + e.name(e.Classes-1)
	}
	names := make([]string, e.Classes)
	for i := range names {
		names[i] = e.name(i)
	}
	return strings.Join(names, ", ")
}

// maxNamed bounds the empty classes a ClassError names.
const maxNamed = 5
