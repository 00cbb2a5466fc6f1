package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/distributed"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// trainFlags are the flags of perceptron train.
type trainFlags struct {
	data                      dataFlags
	optim                     optimFlags
	layers, loss, init, dtype string
	backend, rng, preset      string
	epochs, batch             int
	lr                        float64
	seed                      uint64
	out, history, plot        string
	checkpoint, resume        string
	checkpointEvery           int
	onInterrupt               string
	json, quiet               bool
	distributed               string
	*group                    // the processes of a data-parallel run

	given    map[string]bool       // the flags set on the command line, by the preset or by --resume
	settings map[string]string     // the values of settingFlags, recorded in checkpoints
	resumed  *modelfile.Checkpoint // what --resume names
}

func train(args []string, stdout, stderr io.Writer) (err error) {
	var f trainFlags
	fs, parse := newFlags("train", "[flags]", stderr)
	f.data.register(fs, true)
	fs.StringVar(&f.layers, "layers", "", "hidden and output layers, UNITS:ACTIVATION,... (default: 128:relu,10:softmax for mnist, else 16:relu,16:relu and an output that fits the labels)")
	fs.StringVar(&f.loss, "loss", "", "loss: bce, mse or ce (default: ce for softmax, bce for sigmoid, mse otherwise)")
	fs.StringVar(&f.init, "init", "auto", "initialisation: he, xavier, uniform, or auto (he for relu layers, xavier otherwise)")
	fs.StringVar(&f.dtype, "dtype", "float32", "float32 or float64")
	fs.StringVar(&f.backend, "backend", "auto", "auto, cpu or cuda")
	fs.IntVar(&f.epochs, "epochs", 5, "passes over the training data")
	fs.Float64Var(&f.lr, "lr", 0, "base learning rate (default: 0.01 for sgd, 0.001 for adam and adamw)")
	fs.IntVar(&f.batch, "batch", 1, "batch size: 1 for per-example SGD, more for mini-batch SGD")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the initialisation, the shuffles, the split and synthetic data")
	fs.StringVar(&f.out, "out", "model.safetensors", "model file to write (empty: none)")
	fs.StringVar(&f.history, "history", "history.csv", "per-epoch history CSV to write (empty: none)")
	fs.StringVar(&f.plot, "plot", "curves.png", "PNG of the loss and accuracy curves to write (empty: none)")
	f.optim.register(fs)
	fs.StringVar(&f.checkpoint, "checkpoint", "", "checkpoint to write, with all a fit needs to go on (see --resume; empty: none)")
	fs.IntVar(&f.checkpointEvery, "checkpoint-every", 1, "write the checkpoint every this many epochs, besides after the last and on Ctrl-C")
	fs.StringVar(&f.resume, "resume", "", "checkpoint to go on from: the fit it records resumes exactly where it stopped, with its flags")
	fs.StringVar(&f.onInterrupt, "on-interrupt", "beside", "what a fit cut short by Ctrl-C or SIGTERM writes: beside (its files next to those that exist, as NAME.interrupted.EXT), replace, or discard")
	fs.BoolVar(&f.json, "json", false, "print one JSON summary on stdout instead of the table")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar or messages")
	fs.StringVar(&f.rng, "rng", "go", "generator of the initialisation and the shuffles: go, or numpy (NumPy's legacy np.random, to replay the course)")
	fs.StringVar(&f.preset, "preset", "", "course: "+presetHelp["course"]+"; flags given override it")
	fs.StringVar(&f.distributed, "distributed", "auto", distributedHelp)
	if err := parse(args); err != nil {
		return err
	}
	if f.group, err = openGroup(f.distributed, &stdout, &stderr); err != nil {
		return err
	}
	defer func() { err = f.close(err) }()
	if err := applyPreset(fs, f.preset); err != nil {
		return err
	}
	f.given = givenFlags(fs)
	if f.resume != "" {
		ck, err := modelfile.LoadCheckpoint(f.resume)
		if err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		if err := applyResume(fs, f.given, f.resume, ck); err != nil {
			return err
		}
		f.resumed = &ck
	}
	f.settings = settings(fs)
	sig := catchSignals()
	defer sig.stop()
	return f.run(sig, stdout, stderr)
}

// presets are named sets of flag values; flags given on the command line win.
var presets = map[string]map[string]string{
	// course is the network and training of the course's NumPy Perceptron (W1).
	"course": {"data": "synthetic:moons", "layers": "6:relu,6:relu,1:sigmoid", "loss": "bce", "init": "uniform", "rng": "numpy",
		"seed": "10", "lr": "0.01", "epochs": "10", "dtype": "float64", "batch": "1", "test-split": "0"},
}

var presetHelp = map[string]string{
	"course": "moons, 6:relu,6:relu,1:sigmoid, bce, uniform init, numpy rng, seed 10, lr 0.01, 10 epochs, float64, batch 1, no test split, and the course's \"Loss at epoch k\" lines",
}

// applyPreset sets the flags of the named preset that were not given.
func applyPreset(fs *flag.FlagSet, name string) error {
	if name == "" {
		return nil
	}
	values, ok := presets[name]
	if !ok {
		return fmt.Errorf("--preset: unknown preset %q: expected course", name)
	}
	given := givenFlags(fs)
	for _, flagName := range slices.Sorted(maps.Keys(values)) {
		if !given[flagName] {
			if err := fs.Set(flagName, values[flagName]); err != nil {
				return err
			}
		}
	}
	return nil
}

// newRNG returns the generator --rng names, seeded with seed.
func newRNG(name string, seed uint64) (engine.RNG, error) {
	switch name {
	case "go":
		return engine.NewRNG(seed), nil
	case "numpy":
		if seed > math.MaxUint32 {
			return nil, fmt.Errorf("--seed %d: NumPy's generator takes seeds 0 to %d", seed, uint32(math.MaxUint32))
		}
		return engine.NewNumPyRNG(uint32(seed)), nil
	}
	return nil, fmt.Errorf("--rng: unknown generator %q: expected go or numpy", name)
}

// onInterrupt's values: what a fit cut short writes.
const (
	interruptBeside  = "beside"
	interruptReplace = "replace"
	interruptDiscard = "discard"
)

// run trains as the flags say. Everything that can be checked before the
// data is read (flags, output paths) is, then the network's and the data's
// memory before either is allocated. A signal caught by sig stops the fit
// after its current step; what was trained is saved (see --on-interrupt)
// and an interrupted error returned.
func (f *trainFlags) run(sig *signals, stdout, stderr io.Writer) error {
	opt, sched, early, err := f.optim.config(f.given)
	if err != nil {
		return err
	}
	f.lr = learningRate(f.lr, f.given["lr"], opt)
	cfg := engine.Config{Epochs: f.epochs, LearningRate: f.lr, BatchSize: f.batch, Optimizer: opt, Schedule: sched, EarlyStop: early,
		CheckpointEvery: f.checkpointEvery, Comm: f.comm}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if f.batch == 0 {
		return errors.New("batch size must be at least 1, found 0")
	}
	init, err := engine.ParseInit(f.init)
	if err != nil {
		return fmt.Errorf("--init: %w", err)
	}
	rng, err := newRNG(f.rng, f.seed)
	if err != nil {
		return err
	}
	scaling, err := dataset.ParseScaling(f.data.scale)
	if err != nil {
		return fmt.Errorf("--scale: %w", err)
	}
	if f.onInterrupt != interruptBeside && f.onInterrupt != interruptReplace && f.onInterrupt != interruptDiscard {
		return fmt.Errorf("--on-interrupt: unknown choice %q: expected beside, replace or discard", f.onInterrupt)
	}
	if err := f.data.check(f.given, true); err != nil {
		return err
	}
	inputs := f.data.inputs()
	if f.resume != "" && !samePath(f.resume, f.checkpoint) { // a checkpoint goes on in the file it resumed from
		inputs = append(inputs, f.resume)
	}
	if f.leads() { // the others write nothing
		if err := checkOutputs(f.outputs(), inputs, f.onInterrupt == interruptBeside); err != nil {
			return err
		}
	}
	trainSet, testSet, err := f.data.load(f.seed, true)
	if err != nil {
		return err
	}
	validation := testSet
	if split := f.optim.validationSplit(); split > 0 {
		if trainSet, validation, err = trainSet.Split(split, f.seed+1); err != nil {
			return fmt.Errorf("--val-split: %w", err)
		}
	}
	if s := sig.caught(); s != nil {
		fmt.Fprintf(stderr, "perceptron: %v before training; nothing written\n", interrupted{s})
		return interrupted{s}
	}
	if f.layers == "" {
		f.layers = defaultLayers(&f.data, trainSet)
	}
	spec, err := specFor(f.layers, f.loss, f.dtype, trainSet)
	if err != nil {
		return err
	}
	if f.batch > trainSet.N {
		return fmt.Errorf("--batch %d is larger than the %d training examples", f.batch, trainSet.N)
	}
	params, _ := spec.Params() // specFor validated the spec
	examples := trainSet.N + testSet.N
	if validation != testSet {
		examples += validation.N
	}
	if err := checkFits(fmt.Sprintf("a %d-parameter network on %d examples", params, examples),
		fitBytes(spec, params, examples, f.batch)); err != nil {
		return err
	}
	be, err := openBackend(f.backend)
	if err != nil {
		return err
	}
	var scaler *dataset.Scaler
	if scaling != dataset.NoScaling {
		scaler = dataset.FitScaler(scaling, trainSet)
		scaler.Apply(trainSet.X)
		scaler.Apply(testSet.X)
		if validation != testSet {
			scaler.Apply(validation.X)
		}
	}
	net, err := engine.NewNetwork(spec, init, rng)
	if err != nil {
		return err
	}
	say := func(format string, a ...any) {
		if !f.quiet {
			fmt.Fprintf(stderr, format, a...)
		}
	}
	processes := ""
	if f.comm != nil {
		processes = fmt.Sprintf(", %d processes (MPI)", f.comm.Size())
	}
	say("perceptron: %s: %d training, %d validation, %d test examples; %d-%s, %s, %s, batch %d, %s, lr %g (%s), %s backend%s\n",
		f.data.spec, trainSet.N, validation.N, testSet.N, spec.Inputs, f.layers, spec.Loss, spec.DType, f.batch, opt, f.lr, sched, be.Name(), processes)

	cfg.RNG, cfg.Backend = rng, be
	if validation.N > 0 {
		cfg.Validation = validation
	}
	if f.checkpoint != "" {
		cfg.Checkpoint = func(ck *engine.Checkpoint) error {
			return modelfile.SaveCheckpoint(f.checkpoint, modelfile.Checkpoint{Fit: ck, Scaler: scaler, Settings: f.settings})
		}
	}
	if f.resumed != nil {
		cfg.Resume = f.resumed.Fit
		say("perceptron: resuming %s after epoch %d", f.resume, cfg.Resume.Epoch)
		if cfg.Resume.Done > 0 {
			say(" and %d examples of epoch %d", cfg.Resume.Done, cfg.Resume.Epoch+1)
		}
		say("\n")
	}
	if err := f.join(); err != nil { // before the table's header: a failure prints no empty table
		return err
	}
	switch {
	case f.json:
	case f.preset == "course":
		cfg.EpochDone = func(s engine.EpochStats) { fmt.Fprintf(stdout, "Loss at epoch %d: %.3f\n", s.Epoch, s.Loss) }
	default:
		printHeader(stdout)
		cfg.EpochDone = func(s engine.EpochStats) { printEpoch(stdout, s) }
	}
	if !f.quiet && isTerminal(stderr) {
		bar := newBar(stderr, trainSet.N)
		cfg.Progress = bar.update
		cfg.EpochDone = bar.wrap(cfg.EpochDone)
	}
	hist, fitErr := engine.Fit(sig.ctx, net, trainSet, cfg)
	cutShort := errors.Is(fitErr, context.Canceled)
	if fitErr != nil && !cutShort {
		return fitErr
	}
	caught := sig.caught() != nil
	if f.comm != nil { // a signal to any process skips the test on all
		if caught, err = distributed.Any(f.comm, caught); err != nil {
			return err
		}
	}

	sum := summary{Backend: be.Name(), DType: spec.DType.String(), Data: f.data.spec, Inputs: spec.Inputs, Layers: f.layers,
		Loss: spec.Loss.String(), Optimizer: opt.String(), Schedule: sched.String(), Warmup: sched.WarmupEpochs, Epochs: f.epochs,
		LearningRate: f.lr, Batch: f.batch, Seed: f.seed, TrainExamples: trainSet.N, ValidationExamples: validation.N,
		TestExamples: testSet.N, Interrupted: caught, Checkpoint: f.checkpoint, Resumed: f.resume}
	if early != nil && early.BestEpoch > 0 {
		sum.BestEpoch, sum.StoppedEarly = early.BestEpoch, early.Stopped
	}
	for _, s := range hist {
		sum.History = append(sum.History, epochJSON(s))
	}
	if testSet.N > 0 && !caught {
		m, err := engine.EvaluateDataParallel(be, f.comm, net, testSet)
		if err != nil {
			return err
		}
		sum.Test = &metricsJSON{Loss: num(m.Loss), Accuracy: num(m.Accuracy), MAE: num(m.MAE), RMSE: num(m.RMSE), R2: num(m.R2)}
	}
	if !f.leads() {
		return nil // process 0 writes and reports
	}
	if err := f.write(modelfile.Model{Network: net, Scaler: scaler}, hist, &sum, cutShort); err != nil {
		return err
	}
	if f.json {
		if err := writeJSON(stdout, sum); err != nil {
			return err
		}
	} else {
		if sum.BestEpoch > 0 && !cutShort {
			fmt.Fprintf(stdout, "early stopping: the model is epoch %d's, the best validation loss (%.6f)", sum.BestEpoch, early.BestLoss)
			if sum.StoppedEarly {
				fmt.Fprintf(stdout, "; stopped after epoch %d", hist[len(hist)-1].Epoch)
			}
			fmt.Fprintln(stdout)
		}
		if t := sum.Test; t != nil {
			fmt.Fprintf(stdout, "test: loss %.4f", *t.Loss)
			if t.Accuracy != nil {
				fmt.Fprintf(stdout, ", accuracy %.2f%%", 100**t.Accuracy)
			} else if t.RMSE != nil {
				fmt.Fprintf(stdout, ", rmse %.4f", *t.RMSE)
			}
			fmt.Fprintln(stdout)
		}
	}
	if len(sum.Wrote) > 0 {
		say("perceptron: wrote %v\n", sum.Wrote)
	}
	if s := sig.caught(); s != nil {
		fmt.Fprintf(stderr, "perceptron: %v %s; %s", interrupted{s}, f.howFar(hist, cutShort), f.where(sum.Model))
		if f.checkpoint != "" {
			fmt.Fprintf(stderr, "; train --resume %s goes on", f.checkpoint)
		}
		fmt.Fprintln(stderr)
		return interrupted{s}
	}
	return nil
}

// howFar says how far an interrupted fit came.
func (f *trainFlags) howFar(hist engine.History, cutShort bool) string {
	epochs := 0
	if len(hist) > 0 {
		epochs = hist[len(hist)-1].Epoch // a long fit's history is thinned
	}
	if cutShort {
		return fmt.Sprintf("after %d full epochs", epochs)
	}
	return fmt.Sprintf("after the last of %d epochs, before the test", epochs)
}

// where says where the model reached was saved, and why not where --out says.
func (f *trainFlags) where(model string) string {
	switch {
	case model == "" && f.out == "":
		return "the model reached so far is not saved (--out is empty)"
	case model == "":
		return "the model reached so far is not saved (--on-interrupt discard)"
	case model != f.out:
		return fmt.Sprintf("the model reached so far is saved to %s, beside the existing %s (--on-interrupt replace writes over it)", model, f.out)
	}
	return "the model reached so far is saved to " + model
}

// outputs lists the files the flags ask train to write. An interrupted fit
// writes its checkpoint where --checkpoint says, never beside.
func (f *trainFlags) outputs() []output {
	var outs []output
	for _, o := range []output{{"--out", f.out, true}, {"--history", f.history, true}, {"--plot", f.plot, true}, {"--checkpoint", f.checkpoint, false}} {
		if o.path != "" {
			outs = append(outs, o)
		}
	}
	return outs
}

// write saves the model, the history CSV and the plot the flags name,
// recording each path written in sum. A fit cut short writes as
// --on-interrupt says: beside the files that exist, over them, or nothing.
func (f *trainFlags) write(m modelfile.Model, hist engine.History, sum *summary, cutShort bool) error {
	for _, o := range f.outputs() {
		if !o.beside {
			continue // the checkpoint, which Fit writes
		}
		path := o.path
		if cutShort {
			if f.onInterrupt == interruptDiscard {
				return nil
			}
			if _, err := os.Lstat(path); err == nil && f.onInterrupt == interruptBeside {
				path = besidePath(path)
			}
		}
		var write func(io.Writer) error
		switch o.flag {
		case "--out":
			write = func(w io.Writer) error { return modelfile.Encode(w, m) }
			sum.Model = path
		case "--history":
			write = func(w io.Writer) error { return writeHistory(w, hist) }
		case "--plot":
			if len(hist) == 0 {
				continue
			}
			write = func(w io.Writer) error { return plotHistory(w, hist) }
		}
		if err := modelfile.WriteAtomic(path, write); err != nil {
			return err
		}
		sum.Wrote = append(sum.Wrote, path)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// bar is the progress bar of a fit on a terminal.
type bar struct{ pb *progressbar.ProgressBar }

func newBar(w io.Writer, total int) *bar {
	return &bar{progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
		progressbar.OptionShowIts(), progressbar.OptionSetItsString("ex"), progressbar.OptionThrottle(100_000_000),
		progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish())}
}

func (b *bar) update(p engine.Progress) {
	b.pb.Describe(fmt.Sprintf("epoch %d/%d loss %.4f", p.Epoch, p.Epochs, p.Loss))
	_ = b.pb.Set(p.Done)
}

// wrap clears the bar before next prints an epoch's row.
func (b *bar) wrap(next func(engine.EpochStats)) func(engine.EpochStats) {
	return func(s engine.EpochStats) {
		_ = b.pb.Clear()
		b.pb.Reset()
		if next != nil {
			next(s)
		}
	}
}
