package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// Config holds the settings of a fit.
type Config struct {
	// Epochs is the number of passes over the training set (at least 1).
	Epochs int
	// LearningRate is the SGD step size lr (above 0).
	LearningRate float64
	// BatchSize is 1 (or 0) for per-example SGD, B > 1 for mini-batch SGD.
	BatchSize int
	// RNG shuffles the examples every epoch; nil means NewRNG(Seed). Pass the
	// RNG that initialised the network to continue its stream, as the course does.
	RNG  RNG
	Seed uint64
	// Validation, if not nil, is evaluated after every epoch.
	Validation *dataset.Set
	// Backend trains the network; it is required.
	Backend Backend
	// Progress, if not nil, is called about 200 times an epoch.
	Progress func(Progress)
	// EpochDone, if not nil, is called with each epoch's statistics.
	EpochDone func(EpochStats)
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
// a learning rate that is not a finite number above 0, or a negative batch size.
func (c *Config) Validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("epochs must be at least 1, found %d", c.Epochs)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0):
		return fmt.Errorf("learning rate must be a number above 0, found %g", c.LearningRate)
	case c.BatchSize < 0:
		return fmt.Errorf("batch size must be at least 1, found %d", c.BatchSize)
	}
	return nil
}

func (c *Config) check(n int) error {
	switch {
	case c.Backend == nil:
		return errors.New("no backend: set Config.Backend, for example to cpu.New()")
	case n < 1:
		return errors.New("the training set is empty")
	}
	return c.Validate()
}

// Fit trains net on train by SGD as Config says and returns the history of
// its epochs. It stops between two steps when ctx is done: the parameters
// reached so far are copied into net and ctx.Err() is returned with the
// history of the finished epochs. A loss that becomes NaN or Inf stops it with
// a *NonFiniteError naming the epoch and step.
func Fit(ctx context.Context, net *Network, train *dataset.Set, cfg Config) (History, error) {
	if err := cfg.check(train.N); err != nil {
		return nil, err
	}
	batch := max(cfg.BatchSize, 1)
	y, err := net.Spec.Targets(train)
	if err != nil {
		return nil, err
	}
	tr, err := cfg.Backend.NewTrainer(net, Examples{X: train.X, Y: y, N: train.N, Features: train.Features, Outputs: net.Spec.Outputs()},
		Hyper{LearningRate: cfg.LearningRate, BatchSize: batch})
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	rng := cfg.RNG
	if rng == nil {
		rng = NewRNG(cfg.Seed)
	}
	order := make([]int, train.N)
	for i := range order {
		order[i] = i
	}
	chunk := max(batch, (train.N/progressSteps+batch-1)/batch*batch)
	hist := thinned{limit: MaxHistory, stride: 1}
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		start := time.Now()
		rng.Shuffle(order)
		if err := tr.BeginEpoch(order); err != nil {
			return hist.hist, err
		}
		var t Totals
		for from := 0; from < train.N; from += chunk {
			to := min(from+chunk, train.N)
			if err := tr.Steps(ctx, from, to); err != nil {
				return hist.hist, stopFit(err, epoch, tr, net)
			}
			if cfg.Progress == nil && to < train.N {
				continue // the totals are read once, after the epoch's last steps
			}
			if t, err = tr.Totals(); err != nil {
				return hist.hist, stopFit(err, epoch, tr, net)
			}
			if cfg.Progress != nil {
				cfg.Progress(Progress{Epoch: epoch, Epochs: cfg.Epochs, Done: to, Total: train.N, Loss: t.Loss / float64(t.Examples)})
			}
		}
		secs := time.Since(start).Seconds()
		stats := EpochStats{Epoch: epoch, Loss: t.Loss / float64(t.Examples), TrainAccuracy: math.NaN(),
			ValLoss: math.NaN(), ValAccuracy: math.NaN(), Seconds: secs, ExamplesPerSec: float64(t.Examples) / secs}
		if train.Classes > 0 && net.Spec.Classifier() {
			stats.TrainAccuracy = float64(t.Correct) / float64(t.Examples)
		}
		if cfg.Validation != nil && cfg.Validation.N > 0 {
			if err := tr.CopyTo(net); err != nil {
				return hist.hist, err
			}
			m, err := Evaluate(cfg.Backend, net, cfg.Validation)
			if err != nil {
				return hist.hist, fmt.Errorf("validation: %w", err)
			}
			stats.ValLoss, stats.ValAccuracy = m.Loss, m.Accuracy
		}
		hist.add(stats)
		if cfg.EpochDone != nil {
			cfg.EpochDone(stats)
		}
	}
	return hist.hist, tr.CopyTo(net)
}

// stopFit turns an error from Steps or Totals into Fit's: a NonFiniteError gets its
// epoch; a cancelled fit keeps the parameters reached so far.
func stopFit(err error, epoch int, tr Trainer, net *Network) error {
	var nf *NonFiniteError
	if errors.As(err, &nf) {
		nf.Epoch = epoch
		return nf
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if cerr := tr.CopyTo(net); cerr != nil {
			return cerr
		}
	}
	return err
}

// Targets checks that set fits a network of this spec (its features, and
// labels that the output layer and loss can learn) and returns its targets,
// N rows of Outputs values.
func (s Spec) Targets(set *dataset.Set) ([]float64, error) {
	if set.Features != s.Inputs {
		return nil, fmt.Errorf("the data has %d features per example but the network takes %d inputs", set.Features, s.Inputs)
	}
	y, err := set.Targets(s.Outputs())
	if err != nil {
		return nil, err
	}
	if s.Loss == BCE {
		for i, v := range y {
			if !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("loss bce needs targets in [0, 1], found %g at example %d (the data has %d classes: end the layers with %d:softmax)",
					v, i/s.Outputs()+1, set.Classes, set.Classes)
			}
		}
	}
	return y, nil
}
