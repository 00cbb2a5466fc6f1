package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ScheduleKind names a learning-rate schedule.
type ScheduleKind int

const (
	// Constant keeps the learning rate.
	Constant ScheduleKind = iota
	// StepDecay multiplies it by Gamma every StepEpochs epochs, as
	// torch.optim.lr_scheduler.StepLR stepped once an epoch.
	StepDecay
	// Cosine anneals it to 0 over the fit by half a cosine, as
	// torch.optim.lr_scheduler.CosineAnnealingLR(T_max = the fit's steps)
	// stepped once a step.
	Cosine
)

// Schedule sets the learning rate of every step of a fit: lr·f(step), after
// an optional linear warm-up. The zero value keeps lr constant.
type Schedule struct {
	Kind ScheduleKind
	// StepEpochs and Gamma are StepDecay's period and factor.
	StepEpochs int
	Gamma      float64
	// WarmupEpochs is how many epochs the rate takes to rise linearly to lr:
	// step k (from 0) of W warm-up steps runs at lr·(k+1)/W, as
	// torch.optim.lr_scheduler.LinearLR(start_factor=1/W, total_iters=W−1),
	// then the schedule runs over the remaining steps, as SequentialLR does.
	WarmupEpochs int
}

// ParseSchedule parses a --lr-schedule value: constant, cosine, or
// step:EPOCHS:GAMMA.
func ParseSchedule(s string) (Schedule, error) {
	switch {
	case s == "constant":
		return Schedule{}, nil
	case s == "cosine":
		return Schedule{Kind: Cosine}, nil
	case strings.HasPrefix(s, "step:"):
		epochs, gamma, ok := strings.Cut(strings.TrimPrefix(s, "step:"), ":")
		n, errN := strconv.Atoi(epochs)
		g, errG := strconv.ParseFloat(gamma, 64)
		if !ok || errN != nil || errG != nil {
			return Schedule{}, fmt.Errorf("schedule %q: expected step:EPOCHS:GAMMA, like step:10:0.5", s)
		}
		return Schedule{Kind: StepDecay, StepEpochs: n, Gamma: g}, nil
	}
	return Schedule{}, fmt.Errorf("unknown schedule %q: expected constant, cosine or step:EPOCHS:GAMMA", s)
}

// String spells the schedule as ParseSchedule reads it (without the warm-up).
func (s Schedule) String() string {
	switch s.Kind {
	case StepDecay:
		return fmt.Sprintf("step:%d:%g", s.StepEpochs, s.Gamma)
	case Cosine:
		return "cosine"
	}
	return "constant"
}

// Validate reports the first setting out of range.
func (s Schedule) Validate() error {
	switch {
	case s.Kind < Constant || s.Kind > Cosine:
		return fmt.Errorf("unknown schedule kind %d", s.Kind)
	case s.Kind == StepDecay && s.StepEpochs < 1:
		return fmt.Errorf("a step schedule's period must be at least 1 epoch, found %d", s.StepEpochs)
	case s.Kind == StepDecay && !(s.Gamma > 0 && s.Gamma <= 1):
		return fmt.Errorf("a step schedule's gamma must be in (0, 1], found %g", s.Gamma)
	case s.WarmupEpochs < 0:
		return fmt.Errorf("warm-up must be 0 epochs or more, found %d", s.WarmupEpochs)
	}
	return nil
}

// Rate returns the learning rate of step (counted from 0) of a fit of
// total steps, stepsPerEpoch of them an epoch, whose base rate is lr.
func (s Schedule) Rate(lr float64, step, stepsPerEpoch, total int) float64 {
	warmup := s.WarmupEpochs * stepsPerEpoch
	if step < warmup {
		return lr * float64(step+1) / float64(warmup)
	}
	step, total = step-warmup, total-warmup
	switch s.Kind {
	case StepDecay:
		return lr * math.Pow(s.Gamma, float64(step/stepsPerEpoch/s.StepEpochs))
	case Cosine:
		return lr * (1 + math.Cos(math.Pi*float64(step)/float64(total))) / 2
	}
	return lr
}
