package engine

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// RangeTest is the learning-rate range test of fastai's lr_find and
// PyTorch Lightning's learning-rate finder: one short run whose rate grows
// exponentially from MinRate at the first step to MaxRate at the last of
// Steps, stopped once the smoothed loss exceeds StopFactor times its
// minimum (or is not finite; see RangeResult.Stopped).
type RangeTest struct {
	MinRate, MaxRate float64
	Steps            int
	// Beta is the exponential smoothing of the loss, with fastai's bias
	// correction: avg = Beta·avg + (1−Beta)·loss, smoothed = avg/(1−Betaⁱ).
	Beta       float64
	StopFactor float64
	// StepExamples is the least number of examples a step of the test
	// trains on: a step is as many batches as that takes, at one rate, and
	// its loss their mean. (fastai's steps are batches of 64; one example's
	// loss, at batch 1, is too noisy a point of the curve.) 0 means a batch.
	StepExamples int
}

// DefaultRangeTest is fastai's and Lightning's range test: 1e-7 to 10 over
// 100 steps, beta 0.98, stopped at 4 times the least smoothed loss, and
// steps of at least 32 examples.
func DefaultRangeTest() RangeTest {
	return RangeTest{MinRate: 1e-7, MaxRate: 10, Steps: 100, Beta: 0.98, StopFactor: 4, StepExamples: 32}
}

// Validate reports the first setting out of range.
func (r RangeTest) Validate() error {
	switch {
	case !(r.MinRate > 0) || !(r.MaxRate > r.MinRate) || math.IsInf(r.MaxRate, 0):
		return fmt.Errorf("the range test's rates must grow from above 0 to a finite rate, found %g to %g", r.MinRate, r.MaxRate)
	case r.Steps < minRangeSteps:
		return fmt.Errorf("the range test needs at least %d steps, found %d", minRangeSteps, r.Steps)
	case !(r.Beta >= 0 && r.Beta < 1):
		return fmt.Errorf("the range test's smoothing beta must be in [0, 1), found %g", r.Beta)
	case !(r.StopFactor > 1):
		return fmt.Errorf("the range test's stop factor must be above 1, found %g", r.StopFactor)
	case r.StepExamples < 0:
		return fmt.Errorf("the range test's examples a step must be 0 (a batch) or more, found %d", r.StepExamples)
	}
	return nil
}

// RateAt returns the rate of step i (from 0): MinRate·(MaxRate/MinRate)^(i/(Steps−1)).
func (r RangeTest) RateAt(i int) float64 {
	return r.MinRate * math.Pow(r.MaxRate/r.MinRate, float64(i)/float64(r.Steps-1))
}

// The suggestion skips the first skipBegin and the last skipEnd steps of
// the curve, as Lightning's suggestion does: the smoothing has not settled
// at the start, and the last step is the one that stopped the test.
const (
	skipBegin = 10
	skipEnd   = 1
	// minRangeSteps leaves the suggestion at least 3 points.
	minRangeSteps = skipBegin + skipEnd + 3
)

// RangeResult is what a range test measured: the rate, loss and smoothed
// loss of every step run, and the suggested rate.
type RangeResult struct {
	Rates, Losses, Smoothed []float64
	// Stopped says the loss exploded before the last step: the smoothed loss
	// was not finite or, after the first skipBegin steps (10), exceeded
	// StopFactor times its minimum.
	Stopped bool
	// Suggested is the rate at the steepest descent of the smoothed loss,
	// Rates[Index]: the most negative gradient (NumPy's np.gradient, central
	// differences, one-sided at the ends) of Smoothed over the steps, the
	// first skipBegin and the last skipEnd left out, as Lightning's
	// suggestion. The steps are evenly spaced in log rate, so this is the
	// steepest descent of the loss against log(rate).
	Suggested float64
	Index     int

	test       RangeTest
	avg, least float64 // the smoothing's running average, the least smoothed loss
}

// FindRate runs the range test rt on a copy of net, trained on train as
// cfg says (its Backend, BatchSize, Optimizer, Clip) but with rt's rates:
// a step is the batches of rt.StepExamples examples, the examples shuffled
// by cfg.RNG (or NewRNG(cfg.Seed)) at the start of each pass over them (a
// step's batches may span two passes). net's parameters are left as they
// are; pass a generator of its own, not the one the fit goes on with, for
// the fit to be the one it would be without the test. It returns an error
// when the test stopped too early to suggest a rate.
func FindRate(ctx context.Context, net *Network, train *dataset.Set, cfg Config, rt RangeTest) (RangeResult, error) {
	if err := rt.Validate(); err != nil {
		return RangeResult{}, err
	}
	if cfg.Backend == nil {
		return RangeResult{}, errors.New("no backend: set Config.Backend, for example to cpu.New()")
	}
	y, err := net.Spec.TrainingTargets(train)
	if err != nil {
		return RangeResult{}, err
	}
	rng := cfg.RNG
	if rng == nil {
		rng = NewRNG(cfg.Seed)
	}
	batch := max(cfg.BatchSize, 1)
	batches := max(1, (rt.StepExamples+batch-1)/batch) // a step's
	h := Hyper{LearningRate: rt.MinRate, BatchSize: batch, Optimizer: cfg.Optimizer, RNG: rng, Clip: cfg.Clip,
		Rate: func(t int) float64 { return rt.RateAt(t / batches) }}
	tr, err := cfg.Backend.NewTrainer(net.Clone(), Examples{X: train.X, Codes: train.Codes, Y: y, N: train.N,
		Features: train.Features, Outputs: net.Spec.Outputs(), Weights: train.Weights}, h)
	if err != nil {
		return RangeResult{}, err
	}
	defer tr.Close()
	order := make([]int, train.N)
	for i := range order {
		order[i] = i
	}
	res := RangeResult{test: rt}
	from := train.N // at the end: the first step shuffles
	for range rt.Steps {
		var sum Totals
		failed := false // a loss that became NaN or Inf ends the curve
		for range batches {
			if from >= train.N {
				rng.Shuffle(order)
				if err := tr.BeginEpoch(order); err != nil {
					return res, err
				}
				from = 0
			}
			t, err := trainBatch(ctx, tr, from, min(from+batch, train.N))
			if failed = isNonFinite(err); err != nil && !failed {
				return res, err
			} else if failed {
				break
			}
			from, sum = min(from+batch, train.N), sum.plus(t)
		}
		loss := math.Inf(1)
		if !failed {
			loss = sum.Loss / float64(sum.Examples)
		}
		if res.add(loss) {
			break
		}
	}
	return res, res.suggest()
}

// trainBatch trains tr on order[from:to] and returns that batch's totals.
func trainBatch(ctx context.Context, tr Trainer, from, to int) (Totals, error) {
	before, err := tr.Totals()
	if err != nil {
		return Totals{}, err
	}
	if err := tr.Steps(ctx, from, to); err != nil {
		return Totals{}, err
	}
	after, err := tr.Totals()
	return Totals{Loss: after.Loss - before.Loss, Correct: after.Correct - before.Correct, Examples: after.Examples - before.Examples}, err
}

// Curve smooths, stops and suggests as FindRate does, on the losses of a
// range test's steps measured elsewhere (losses[i] at RateAt(i)): the
// losses after the step that stops the test are left out.
func (r RangeTest) Curve(losses []float64) (RangeResult, error) {
	if err := r.Validate(); err != nil {
		return RangeResult{}, err
	}
	if len(losses) > r.Steps {
		return RangeResult{}, fmt.Errorf("%d losses for a range test of %d steps", len(losses), r.Steps)
	}
	res := RangeResult{test: r}
	for _, loss := range losses {
		if res.add(loss) {
			break
		}
	}
	return res, res.suggest()
}

// add records the loss of the next step, and reports whether the test
// stops there: its smoothed loss is not finite or, from step skipBegin on,
// above StopFactor times the least so far. (fastai compares from the second
// step; at batch 1 the losses of single examples differ more than 4 times
// among the first few, which would stop the test before it starts.)
func (r *RangeResult) add(loss float64) (stop bool) {
	rt, i := r.test, len(r.Losses)
	r.avg = rt.Beta*r.avg + (1-rt.Beta)*loss
	smoothed := r.avg / (1 - math.Pow(rt.Beta, float64(i+1)))
	r.Rates, r.Losses, r.Smoothed = append(r.Rates, rt.RateAt(i)), append(r.Losses, loss), append(r.Smoothed, smoothed)
	if i == 0 || smoothed < r.least {
		r.least = smoothed
	}
	r.Stopped = math.IsNaN(smoothed) || math.IsInf(smoothed, 0) || i >= skipBegin && smoothed > rt.StopFactor*r.least
	return r.Stopped
}

// isNonFinite reports a loss that became NaN or Inf: for the range test,
// the end of the curve, not a failure.
func isNonFinite(err error) bool {
	var nf *NonFiniteError
	return errors.As(err, &nf)
}

// suggest sets the suggestion, as RangeResult.Suggested says.
func (r *RangeResult) suggest() error {
	n := len(r.Smoothed) - skipBegin - skipEnd
	if n < 3 && len(r.Smoothed) == 0 {
		return errors.New("the range test has no steps")
	}
	if n < 3 && !r.Stopped {
		return fmt.Errorf("the range test ran %d steps: too few to suggest a rate (it needs %d)", len(r.Smoothed), minRangeSteps)
	}
	if n < 3 {
		return fmt.Errorf("the loss exploded after %d steps of the range test, at rate %.3g: too few steps to suggest a rate (it needs %d)",
			len(r.Smoothed), r.Rates[len(r.Rates)-1], minRangeSteps)
	}
	curve := r.Smoothed[skipBegin : skipBegin+n]
	best, steepest := 0, math.Inf(1)
	for i := range curve {
		var g float64
		switch i {
		case 0:
			g = curve[1] - curve[0]
		case n - 1:
			g = curve[n-1] - curve[n-2]
		default:
			g = (curve[i+1] - curve[i-1]) / 2
		}
		if g < steepest {
			best, steepest = i, g
		}
	}
	r.Index = skipBegin + best
	r.Suggested = r.Rates[r.Index]
	return nil
}
