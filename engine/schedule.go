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
	// Plateau multiplies it by Factor when the monitored validation figure
	// (Config.Monitor) has not improved for more than Patience epochs, as
	// torch.optim.lr_scheduler.ReduceLROnPlateau stepped once an epoch
	// (see PlateauState).
	Plateau
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
	// Patience, Factor, Threshold, Cooldown and MinLR are Plateau's
	// settings, as ReduceLROnPlateau's (threshold_mode "rel"): an epoch
	// improves on the best when its figure is below best·(1−Threshold)
	// (above best·(1+Threshold) for an accuracy). ParsePlateau's defaults
	// are torch's: Threshold 1e-4, Cooldown 0, MinLR 0.
	Patience  int
	Factor    float64
	Threshold float64
	Cooldown  int
	MinLR     float64
}

// Torch's defaults of ReduceLROnPlateau.
const (
	DefaultPlateauThreshold = 1e-4
	plateauEps              = 1e-8 // a reduction smaller than this is not made
)

// ParseSchedule parses a --lr-schedule value: constant, cosine,
// step:EPOCHS:GAMMA, plateau:PATIENCE:FACTOR (with torch's threshold 1e-4,
// cooldown 0 and min lr 0) or plateau:PATIENCE:FACTOR:THRESHOLD:COOLDOWN:MIN_LR.
func ParseSchedule(s string) (Schedule, error) {
	switch {
	case strings.HasPrefix(s, "plateau:"):
		return parsePlateau(s)
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
	return Schedule{}, fmt.Errorf("unknown schedule %q: expected constant, cosine, step:EPOCHS:GAMMA or plateau:PATIENCE:FACTOR", s)
}

// parsePlateau parses plateau:PATIENCE:FACTOR[:THRESHOLD:COOLDOWN:MIN_LR].
func parsePlateau(s string) (Schedule, error) {
	parts := strings.Split(strings.TrimPrefix(s, "plateau:"), ":")
	bad := fmt.Errorf("schedule %q: expected plateau:PATIENCE:FACTOR, like plateau:5:0.5, or plateau:PATIENCE:FACTOR:THRESHOLD:COOLDOWN:MIN_LR", s)
	if len(parts) != 2 && len(parts) != 5 {
		return Schedule{}, bad
	}
	sc := Schedule{Kind: Plateau, Threshold: DefaultPlateauThreshold}
	var err error
	ints := map[int]*int{0: &sc.Patience, 3: &sc.Cooldown}
	floats := map[int]*float64{1: &sc.Factor, 2: &sc.Threshold, 4: &sc.MinLR}
	for i, p := range parts {
		if n, ok := ints[i]; ok {
			*n, err = strconv.Atoi(p)
		} else {
			*floats[i], err = strconv.ParseFloat(p, 64)
		}
		if err != nil {
			return Schedule{}, bad
		}
	}
	return sc, nil
}

// String spells the schedule as ParseSchedule reads it (without the warm-up).
func (s Schedule) String() string {
	switch s.Kind {
	case StepDecay:
		return fmt.Sprintf("step:%d:%g", s.StepEpochs, s.Gamma)
	case Cosine:
		return "cosine"
	case Plateau:
		if s.Threshold == DefaultPlateauThreshold && s.Cooldown == 0 && s.MinLR == 0 {
			return fmt.Sprintf("plateau:%d:%g", s.Patience, s.Factor)
		}
		return fmt.Sprintf("plateau:%d:%g:%g:%d:%g", s.Patience, s.Factor, s.Threshold, s.Cooldown, s.MinLR)
	}
	return "constant"
}

// Validate reports the first setting out of range.
func (s Schedule) Validate() error {
	switch {
	case s.Kind < Constant || s.Kind > Plateau:
		return fmt.Errorf("unknown schedule kind %d", s.Kind)
	case s.Kind == StepDecay && s.StepEpochs < 1:
		return fmt.Errorf("a step schedule's period must be at least 1 epoch, found %d", s.StepEpochs)
	case s.Kind == StepDecay && !(s.Gamma > 0 && s.Gamma <= 1):
		return fmt.Errorf("a step schedule's gamma must be in (0, 1], found %g", s.Gamma)
	case s.WarmupEpochs < 0:
		return fmt.Errorf("warm-up must be 0 epochs or more, found %d", s.WarmupEpochs)
	case s.Kind == Plateau && s.WarmupEpochs > 0:
		return fmt.Errorf("a plateau schedule takes no warm-up (torch's SequentialLR cannot chain ReduceLROnPlateau either)")
	case s.Kind == Plateau && s.Patience < 0:
		return fmt.Errorf("a plateau schedule's patience must be 0 epochs or more, found %d", s.Patience)
	case s.Kind == Plateau && !(s.Factor > 0 && s.Factor < 1):
		return fmt.Errorf("a plateau schedule's factor must be in (0, 1), found %g", s.Factor)
	case s.Kind == Plateau && !(s.Threshold >= 0 && s.Threshold < 1):
		return fmt.Errorf("a plateau schedule's threshold must be in [0, 1), found %g", s.Threshold)
	case s.Kind == Plateau && s.Cooldown < 0:
		return fmt.Errorf("a plateau schedule's cooldown must be 0 epochs or more, found %d", s.Cooldown)
	case s.Kind == Plateau && (!(s.MinLR >= 0) || math.IsInf(s.MinLR, 0)):
		return fmt.Errorf("a plateau schedule's min lr must be a finite number of 0 or more, found %g", s.MinLR)
	}
	return nil
}

// Monitor names the validation figure that a plateau schedule and early
// stopping watch.
type Monitor int

const (
	// ValLoss is the validation loss, which should fall.
	ValLoss Monitor = iota
	// ValAccuracy is the validation accuracy, which should rise.
	ValAccuracy
)

var monitorNames = [...]string{ValLoss: "val_loss", ValAccuracy: "val_accuracy"}

// String returns the monitor's name as the command line spells it.
func (m Monitor) String() string { return enumName(monitorNames[:], "Monitor", m) }

// ParseMonitor parses val_loss or val_accuracy.
func ParseMonitor(s string) (Monitor, error) {
	return parseEnum[Monitor](monitorNames[:], "monitor", s)
}

// of returns the figure m watches in s.
func (m Monitor) of(s EpochStats) float64 {
	if m == ValAccuracy {
		return s.ValAccuracy
	}
	return s.ValLoss
}

// worst returns the starting best of m: +Inf for a loss, −Inf for an accuracy.
func (m Monitor) worst() float64 {
	if m == ValAccuracy {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

// PlateauState is the state of a Plateau schedule, as ReduceLROnPlateau's:
// the best monitored figure so far, the epochs since it (BadEpochs), the
// epochs of cooldown left, and the learning rate of the epochs to come.
type PlateauState struct {
	Best      float64
	BadEpochs int
	Cooldown  int
	LR        float64
}

// NewPlateauState returns the state of a Plateau schedule at the start of a
// fit of base rate lr that watches m.
func NewPlateauState(m Monitor, lr float64) PlateauState {
	return PlateauState{Best: m.worst(), LR: lr}
}

// Step takes the monitored figure of an epoch, as ReduceLROnPlateau.step,
// and reports whether it reduced the learning rate.
func (p *PlateauState) Step(s Schedule, m Monitor, figure float64) bool {
	better := figure < p.Best*(1-s.Threshold)
	if m == ValAccuracy {
		better = figure > p.Best*(1+s.Threshold)
	}
	if better {
		p.Best, p.BadEpochs = figure, 0
	} else {
		p.BadEpochs++
	}
	if p.Cooldown > 0 {
		p.Cooldown--
		p.BadEpochs = 0
	}
	if p.BadEpochs <= s.Patience {
		return false
	}
	p.Cooldown, p.BadEpochs = s.Cooldown, 0
	if lr := max(p.LR*s.Factor, s.MinLR); p.LR-lr > plateauEps {
		p.LR = lr
		return true
	}
	return false
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

// what names the figure m watches, for messages: "loss" or "accuracy".
func (m Monitor) what() string {
	if m == ValAccuracy {
		return "accuracy"
	}
	return "loss"
}

// better reports whether figure improves on best by more than delta: falls
// below it for a loss, rises above it for an accuracy.
func (m Monitor) better(figure, best, delta float64) bool {
	if m == ValAccuracy {
		return figure > best+delta
	}
	return figure < best-delta
}
