package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/perceptron-go/perceptron/engine"
)

// optimFlags are the flags that choose how train updates the parameters:
// the optimizer and its settings, the gradient clipping, the learning-rate
// schedule, the early stopping and the validation figure they watch.
type optimFlags struct {
	clipNorm, clipValue                float64
	monitor                            string
	optimizer                          string
	momentum, beta1, beta2, eps, decay float64
	nesterov                           bool
	schedule                           string
	warmup                             int
	earlyStop                          int
	minDelta, valSplit                 float64
}

func (o *optimFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.optimizer, "optimizer", "sgd", "sgd, adam or adamw, as torch.optim's")
	fs.Float64Var(&o.momentum, "momentum", 0, "sgd: momentum (0: none)")
	fs.BoolVar(&o.nesterov, "nesterov", false, "sgd: Nesterov's momentum")
	fs.Float64Var(&o.beta1, "beta1", 0.9, "adam, adamw: decay of the first moment")
	fs.Float64Var(&o.beta2, "beta2", 0.999, "adam, adamw: decay of the second moment")
	fs.Float64Var(&o.eps, "eps", 1e-8, "adam, adamw: term added to the denominator")
	fs.Float64Var(&o.decay, "weight-decay", -1, "weight decay: L2 for sgd and adam, decoupled for adamw (default: 0, and 0.01 for adamw)")
	fs.Float64Var(&o.clipNorm, "clip-grad-norm", 0, "scale every step's gradients down to this global L2 norm, as torch.nn.utils.clip_grad_norm_ (0: off)")
	fs.Float64Var(&o.clipValue, "clip-grad-value", 0, "clamp every gradient component to [-F, F], as torch.nn.utils.clip_grad_value_ (0: off)")
	fs.StringVar(&o.schedule, "lr-schedule", "constant", "learning rate per step: constant, step:EPOCHS:GAMMA (times GAMMA every EPOCHS epochs), cosine (down to 0 over the fit) "+
		"or plateau:PATIENCE:FACTOR (times FACTOR after more than PATIENCE epochs without a better --monitor, as torch's ReduceLROnPlateau; "+
		"plateau:PATIENCE:FACTOR:THRESHOLD:COOLDOWN:MIN_LR sets the rest, default 0.0001:0:0)")
	fs.StringVar(&o.monitor, "monitor", "val_loss", "what --lr-schedule plateau and --early-stop watch: val_loss or val_accuracy")
	fs.IntVar(&o.warmup, "warmup-epochs", 0, "epochs over which the learning rate rises linearly to --lr before the schedule")
	fs.IntVar(&o.earlyStop, "early-stop", 0, "stop after this many epochs without a better --monitor, and keep the best epoch's model (0: never)")
	fs.Float64Var(&o.minDelta, "min-delta", 0, "early stopping: the least change of --monitor that counts as better (for a regression whose labels are standardised, --scale-target, a change of the standardised loss)")
	fs.Float64Var(&o.valSplit, "val-split", 0.1, "fraction in [0, 1) of the training data held out to validate each epoch (0: no validation; the test set is only for the final test)")
}

// config returns the optimizer, the schedule and the early stopping the
// flags describe; given holds the flags set on the command line. A setting
// given for an optimizer that has no such setting is an error.
func (o *optimFlags) config(given map[string]bool) (engine.Optimizer, engine.Schedule, *engine.EarlyStopping, error) {
	kind, err := engine.ParseOptimizer(o.optimizer)
	if err != nil {
		return engine.Optimizer{}, engine.Schedule{}, nil, fmt.Errorf("--optimizer: %w", err)
	}
	opt := engine.DefaultOptimizer(kind)
	for _, name := range []string{"momentum", "nesterov", "beta1", "beta2", "eps"} {
		if given[name] && (kind == engine.SGD) != (name == "momentum" || name == "nesterov") {
			return opt, engine.Schedule{}, nil, fmt.Errorf("--%s does not apply to --optimizer %s", name, kind)
		}
	}
	if kind == engine.SGD {
		opt.Momentum, opt.Nesterov = o.momentum, o.nesterov
	} else {
		opt.Beta1, opt.Beta2, opt.Eps = o.beta1, o.beta2, o.eps
	}
	if given["weight-decay"] {
		opt.WeightDecay = o.decay
	}
	if err := opt.Validate(); err != nil {
		return opt, engine.Schedule{}, nil, fmt.Errorf("--optimizer %s: %w", kind, err)
	}
	sched, err := engine.ParseSchedule(o.schedule)
	if err != nil {
		return opt, sched, nil, fmt.Errorf("--lr-schedule: %w", err)
	}
	sched.WarmupEpochs = o.warmup
	if err := sched.Validate(); err != nil {
		return opt, sched, nil, fmt.Errorf("--lr-schedule: %w", err)
	}
	var early *engine.EarlyStopping
	switch {
	case o.earlyStop < 0:
		return opt, sched, nil, fmt.Errorf("--early-stop must be 0 (never) or a number of epochs, found %d", o.earlyStop)
	case o.earlyStop > 0:
		early = &engine.EarlyStopping{Patience: o.earlyStop, MinDelta: o.minDelta}
	case given["min-delta"]:
		return opt, sched, nil, fmt.Errorf("--min-delta needs --early-stop")
	}
	switch {
	case !(o.valSplit >= 0 && o.valSplit < 1):
		return opt, sched, nil, fmt.Errorf("--val-split must be in [0, 1), found %g", o.valSplit)
	case early != nil && o.valSplit == 0:
		return opt, sched, nil, withHint(errors.New("--early-stop needs validation data, and --val-split 0 holds none out of the training data"),
			"drop --val-split 0 to validate on 0.1 of the training data (the test set never chooses the epoch)")
	case sched.Kind == engine.Plateau && o.valSplit == 0:
		return opt, sched, nil, withHint(fmt.Errorf("--lr-schedule %s watches the validation figure --monitor names, and --val-split 0 holds no validation data out", o.schedule),
			"drop --val-split 0 to validate on 0.1 of the training data, or choose another --lr-schedule")
	}
	return opt, sched, early, nil
}

// extras returns the monitor and the gradient clipping the flags describe;
// given holds the flags set on the command line.
func (o *optimFlags) extras(given map[string]bool, sched engine.Schedule, early *engine.EarlyStopping) (engine.Monitor, engine.Clipping, error) {
	m, err := engine.ParseMonitor(o.monitor)
	if err != nil {
		return m, engine.Clipping{}, fmt.Errorf("--monitor: %w", err)
	}
	if given["monitor"] && early == nil && sched.Kind != engine.Plateau {
		return m, engine.Clipping{}, withHint(fmt.Errorf("--monitor %s has nothing to watch for", m),
			fmt.Sprintf("drop --monitor %s, or give --early-stop 5 to stop when it stops improving (--early-stop and --lr-schedule plateau:PATIENCE:FACTOR watch it)", o.monitor))
	}
	clip := engine.Clipping{Norm: o.clipNorm, Value: o.clipValue}
	if err := clip.Validate(); err != nil {
		return m, clip, fmt.Errorf("--clip-grad-norm, --clip-grad-value: %w", err)
	}
	return m, clip, nil
}

// learningRate returns --lr, or when it is not given the default of the
// optimizer: torch.optim's 0.001 for adam and adamw, 0.01 for sgd.
func learningRate(lr float64, given bool, opt engine.Optimizer) float64 {
	switch {
	case given:
		return lr
	case opt.Kind == engine.SGD:
		return 0.01
	}
	return 0.001
}
