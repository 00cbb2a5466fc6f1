package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// trainFlags are the flags of perceptron train.
type trainFlags struct {
	data                      dataFlags
	optim                     optimFlags
	layers, loss, init, dtype string
	backend, rng, preset      string
	epochs, batch             int
	lr                        rateFlag
	findSteps                 int
	findPlot                  string
	seed                      uint64
	out, history, plot        string
	checkpoint, resume        string
	checkpointEvery           int
	onInterrupt               string
	json, quiet               bool
	distributed               string
	collectiveTimeout         time.Duration
	bucketBytes               int
	classWeight, scaleTarget  string
	initFrom, tensorboard     string
	*group                    // the processes of a data-parallel run

	given    map[string]bool       // the flags set on the command line, by the preset or by --resume
	settings map[string]string     // the values of settingFlags, recorded in checkpoints
	resumed  *modelfile.Checkpoint // what --resume names
	// initModel is what --init-from names (nil when a warm start resumes:
	// its checkpoint has the parameters and the preparation).
	initModel *modelfile.Model
}

// train is perceptron train: it reads the flags (with --preset's and
// --resume's), catches signals, joins the processes of a data-parallel run,
// and trains (run).
func train(args []string, stdout, stderr io.Writer) (err error) {
	var f trainFlags
	fs, parse := newFlags("train", "[flags]", stderr)
	f.register(fs)
	if err := parse(args); err != nil {
		return err
	}
	sig := catchSignals()
	if f.group, err = openGroup(f.distributed, f.collectiveTimeout, &stdout, &stderr); err != nil {
		sig.stop()
		return err
	}
	f.group.sig = sig
	defer func() { err = f.close(err) }() // which stops catching signals
	if err := f.complete(fs); err != nil {
		return err
	}
	return f.run(sig, stdout, stderr)
}

// complete applies --preset, --init-from and --resume to the flags parsed
// into fs, and records the flags given and the settings.
func (f *trainFlags) complete(fs *flag.FlagSet) (err error) {
	if err := applyPreset(fs, f.preset); err != nil {
		return err
	}
	f.given = givenFlags(fs)
	if f.initFrom != "" {
		if f.initModel, err = applyInitFrom(fs, f.given, f.initFrom); err != nil {
			return err
		}
	}
	if f.resume != "" {
		ck, err := modelfile.LoadCheckpoint(f.resume)
		if err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		if err := applyResume(fs, f.given, f.resume, ck); err != nil {
			return err
		}
		f.resumed = &ck
		if !f.given["checkpoint"] { // a resumed fit goes on checkpointing where it was
			f.checkpoint = f.resume
		}
	}
	f.settings = settings(fs)
	return nil
}

// register defines train's flags on fs.
func (f *trainFlags) register(fs *flag.FlagSet) {
	f.data.register(fs, true)
	fs.StringVar(&f.layers, "layers", "", "hidden and output layers, UNITS:ACTIVATION[:dropout=P],... (dropout=P: inverted dropout on a hidden layer's outputs in training; default: 128:relu,10:softmax for mnist, else 16:relu,16:relu and an output that fits the labels)")
	fs.StringVar(&f.loss, "loss", "", "loss: bce, mse or ce (default: ce for softmax, bce for sigmoid, mse otherwise)")
	fs.StringVar(&f.init, "init", "auto", "initialisation: he, xavier, uniform, or auto (he for relu layers, xavier otherwise)")
	fs.StringVar(&f.dtype, "dtype", "float32", "float32 or float64")
	fs.StringVar(&f.backend, "backend", "auto", "auto, cpu or cuda")
	fs.IntVar(&f.epochs, "epochs", 5, "passes over the training data")
	fs.Var(&f.lr, "lr", "base learning rate (default: 0.01 for sgd, 0.001 for adam and adamw), or find: "+findHelp)
	fs.IntVar(&f.findSteps, "find-steps", 100, "--lr find: steps of the range test")
	fs.StringVar(&f.findPlot, "find-plot", "lr-find.png", "--lr find: PNG of the range test's loss against the rate to write (empty: none)")
	fs.IntVar(&f.batch, "batch", 1, "batch size: 1 for per-example SGD, more for mini-batch SGD")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the initialisation, the shuffles, the split and synthetic data")
	fs.StringVar(&f.out, "out", "model.safetensors", "model file to write (empty: none)")
	fs.StringVar(&f.history, "history", "history.csv", "per-epoch history CSV to write (empty: none)")
	fs.StringVar(&f.plot, "plot", "curves.png", "PNG of the loss and accuracy curves to write (empty: none)")
	f.optim.register(fs)
	fs.StringVar(&f.checkpoint, "checkpoint", "", "checkpoint to write, with all a fit needs to go on (see --resume; empty: none; with --resume: the checkpoint resumed from)")
	fs.IntVar(&f.checkpointEvery, "checkpoint-every", 1, "write the checkpoint every this many epochs, besides after the last and on Ctrl-C")
	fs.StringVar(&f.resume, "resume", "", "checkpoint to go on from: the fit it records resumes exactly where it stopped, with its flags")
	fs.StringVar(&f.onInterrupt, "on-interrupt", "beside", "what a fit cut short by Ctrl-C, SIGTERM or SIGHUP writes: beside (its files next to those that exist, as NAME.interrupted.EXT), replace, or discard")
	fs.BoolVar(&f.json, "json", false, "print one JSON summary on stdout instead of the table")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar or messages")
	fs.StringVar(&f.rng, "rng", "go", "generator of the initialisation and the shuffles: go, or numpy (NumPy's legacy np.random, to replay the course)")
	fs.StringVar(&f.preset, "preset", "", "course: "+presetHelp["course"]+"; flags given override it")
	fs.StringVar(&f.distributed, "distributed", "auto", distributedHelp)
	registerCollectiveTimeout(fs, &f.collectiveTimeout)
	registerBucketMB(fs, &f.bucketBytes)
	fs.StringVar(&f.classWeight, "class-weight", "", classWeightHelp)
	fs.StringVar(&f.scaleTarget, "scale-target", "", scaleTargetHelp)
	fs.StringVar(&f.initFrom, "init-from", "", initFromHelp)
	fs.StringVar(&f.tensorboard, "tensorboard", "", tensorboardHelp)
}

// presets are named sets of flag values; flags given on the command line win.
var presets = map[string]map[string]string{
	// course is the network and training of the course's NumPy Perceptron (W1).
	"course": {"data": "synthetic:moons", "layers": "6:relu,6:relu,1:sigmoid", "loss": "bce", "init": "uniform", "rng": "numpy",
		"seed": "10", "lr": "0.01", "epochs": "10", "dtype": "float64", "batch": "1", "test-split": "0", "val-split": "0", "scale": "none"},
}

var presetHelp = map[string]string{
	"course": "moons, 6:relu,6:relu,1:sigmoid, bce, uniform init, numpy rng, seed 10, lr 0.01, 10 epochs, float64, batch 1, no test or validation split (all the data trains, as in the course), no scaling, and the course's \"Loss at epoch k\" lines",
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

// run trains as the flags say, in the steps of a training. Everything that
// can be checked before the data is read (flags, output paths) is, then the
// network's and the data's memory before either is allocated. A signal
// caught by sig, on any process, is honoured where it lands (see
// training.fit): what was trained is saved (see --on-interrupt), what was
// cut is said, and an interrupted error returned.
func (f *trainFlags) run(sig *signals, stdout, stderr io.Writer) error {
	t := &training{trainFlags: f, sig: sig, stdout: stdout, stderr: stderr}
	for _, step := range []func() error{t.configure, t.checkFiles, t.loadData, t.build, t.weighClasses, t.findRate, t.fit, t.foldTarget, t.evaluate, t.report} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// training is one run of perceptron train: its flags, and what each step
// hands to the next, in the order run takes them.
type training struct {
	*trainFlags
	sig            *signals
	stdout, stderr io.Writer

	// From configure: the fit's settings, the initialiser, the scaling.
	cfg      engine.Config
	initKind engine.Init
	scaling  dataset.Scaling
	// From loadData: the data's parts. The validation part is held out of
	// the training data (--val-split; empty with 0), never the test set,
	// which only the final test reads. A CSV's preprocessing, fitted on its
	// training data (the validation part included, as scikit-learn's
	// Pipeline fits before MLPClassifier holds its validation out), scales
	// it too.
	trainSet, validation, testSet *dataset.Set
	prep                          *dataset.Preprocessor
	// load reads the data set as dataFlags.loadTraining does (nil: that);
	// a sweep's fits take theirs from the data sets it shares.
	load func(seed uint64, scaling dataset.Scaling, task dataset.Task, prep *dataset.Preprocessor) (prepared, error)
	// From build: the network and what trains it.
	spec   engine.Spec
	be     engine.Backend
	seat   fitBackend // a sweep's fit's, which gives the backend it trains through (nil: --backend's)
	scaler *dataset.Scaler
	target *dataset.Scaler // the standardisation of the labels (--scale-target), nil for none
	net    *engine.Network
	// From weighClasses: --class-weight's weights, one per class (nil: none).
	classWeights []float64
	// From fit and evaluate: what the fit did, and the run's summary.
	hist     engine.History
	cutShort bool              // a signal stopped the fit
	stopped  *engine.StopError // where, when it did
	// From fit: the TensorBoard event file written ("" for none), and why
	// it lacks epochs (nil if it does not).
	eventFile string
	logFailed error
	// From fit and evaluate: the first signal that reached a process before
	// the outputs are written (none: land.sig is nil).
	land  landing
	found *engine.RangeResult // --lr find's range test, else nil
	sum   summary
}

// configure checks the flags that need no data and turns them into the
// fit's settings (t.cfg, with its optimizer, schedule, early stopping and
// RNG), the initialiser and the scaling.
func (t *training) configure() error {
	opt, sched, early, err := t.optim.config(t.given)
	if err != nil {
		return err
	}
	monitor, clip, err := t.optim.extras(t.given, sched, early)
	if err != nil {
		return err
	}
	t.lr.rate = learningRate(t.lr.rate, t.given["lr"] && !t.lr.find, opt) // --lr find's, until findRate
	t.cfg = engine.Config{Epochs: t.epochs, LearningRate: t.lr.rate, BatchSize: t.batch, Optimizer: opt, Schedule: sched, EarlyStop: early,
		Monitor: monitor, Clip: clip, CheckpointEvery: t.checkpointEvery, Comm: t.comm,
		BucketBytes: t.bucketBytes}
	if err := t.cfg.Validate(); err != nil {
		if t.comm != nil && t.batch < t.comm.Size() {
			return withHint(err, fmt.Sprintf("give --batch %d (or any batch from %d to the training examples)", max(64, t.comm.Size()), t.comm.Size()))
		}
		return err
	}
	if t.batch == 0 {
		return errors.New("batch size must be at least 1, found 0")
	}
	if t.initKind, err = engine.ParseInit(t.init); err != nil {
		return fmt.Errorf("--init: %w", err)
	}
	if t.cfg.RNG, err = newRNG(t.rng, t.seed); err != nil {
		return err
	}
	if t.scaling, err = dataset.ParseScaling(t.data.scaling()); err != nil {
		return fmt.Errorf("--scale: %w", err)
	}
	if t.onInterrupt != interruptBeside && t.onInterrupt != interruptReplace && t.onInterrupt != interruptDiscard {
		return fmt.Errorf("--on-interrupt: unknown choice %q: expected beside, replace or discard", t.onInterrupt)
	}
	if err := checkScaleTarget(t.scaleTarget); err != nil {
		return err
	}
	if err := t.checkPreparation(); err != nil {
		return err
	}
	return t.data.check(t.given, true)
}

// checkFiles refuses, on the process that writes, outputs that would
// destroy a file or cannot be written (checkOutputs): among the inputs they
// may not replace are the data's files and the checkpoint resumed from,
// unless the fit goes on in it.
func (t *training) checkFiles() error {
	if !t.leads() { // the others write nothing
		return nil
	}
	inputs := t.data.inputs()
	if t.resume != "" && !samePath(t.resume, t.checkpoint) { // a checkpoint goes on in the file it resumed from
		inputs = append(inputs, t.resume)
	}
	if err := checkLogDir(t.tensorboard); err != nil {
		return err
	}
	return checkOutputs(t.outputs(), inputs, t.onInterrupt == interruptBeside)
}

// loadData reads the data set into its training and test parts and holds
// the validation part out of the training part (--val-split), drawn with a
// seed of its own. A signal caught while it reads is honoured once it has
// (see fit).
func (t *training) loadData() error {
	t.sig.pause("load")
	_, prep := t.preparation()
	load := t.data.loadTraining
	if t.load != nil {
		load = t.load
	}
	data, err := load(t.seed, t.scaling, taskOf(t.layers), prep)
	if err != nil {
		return err
	}
	t.trainSet, t.testSet, t.prep = data.train, data.test, data.prep
	// Files of raw numbers whose scaling was turned off get the note; a CSV's
	// preprocessing notes it itself, and mnist and synthetic data come at the
	// scale they are learnt at (the scan would cost MNIST's default job 0.2 s).
	kind, _, _ := strings.Cut(t.data.spec, ":")
	if t.prep == nil && t.scaling == dataset.NoScaling && defaultScale(kind) != string(dataset.NoScaling) {
		if hint := dataset.ScaleHint(t.trainSet, nil); hint != "" {
			data.notes = append(data.notes, hint)
		}
	}
	for _, note := range data.notes {
		t.say("perceptron: note: %s\n", note)
	}
	all := t.trainSet.N
	if t.trainSet, t.validation, err = t.trainSet.Split(t.optim.valSplit, t.seed+1); err != nil {
		return fmt.Errorf("--val-split: %w", err)
	}
	if watcher := watcherOf(t.cfg); watcher != "" && t.validation.N == 0 {
		err := fmt.Errorf("--val-split %g of the %d training examples holds out none, and %s needs validation examples", t.optim.valSplit, all, watcher)
		if all < 2 {
			return err
		}
		return withHint(err, fmt.Sprintf("give --val-split %.3g or more (one example)", 1/float64(all)))
	}
	return nil
}

// parts returns the data's parts: the training, validation and test sets.
func (t *training) parts() []*dataset.Set {
	return []*dataset.Set{t.trainSet, t.validation, t.testSet}
}

// build makes the network and what trains it: the spec of --layers (or
// defaultLayers) checked against the data, once the fit is known to fit in
// memory; the backend; the scaler fitted on the training part and applied
// to every part; and the parameters drawn.
func (t *training) build() error {
	if t.layers == "" {
		t.layers = defaultLayers(&t.data, t.trainSet)
	}
	var err error
	kind, _, _ := strings.Cut(t.data.spec, ":")
	held := heldOut{t.validation, t.testSet, kind != "mnist" && kind != "npz"}
	if t.spec, err = specFor(t.layers, t.loss, t.dtype, t.trainSet, held); err != nil {
		return t.warmSpecError(err)
	}
	if t.batch > t.trainSet.N {
		return withHint(fmt.Errorf("--batch %d is larger than the %d training examples", t.batch, t.trainSet.N),
			fmt.Sprintf("give --batch %d or less (%d: every training example in one step)", t.trainSet.N, t.trainSet.N))
	}
	params, _ := t.spec.Params() // specFor validated the spec
	examples := 0
	for _, part := range t.parts() {
		examples += part.N
	}
	if err := checkFits(fmt.Sprintf("a %d-parameter network on %d examples", params, examples),
		fitBytes(t.spec, params, examples, t.batch), t.fitAdvice(params, examples)); err != nil {
		return err
	}
	if scaler, _ := t.preparation(); scaler != nil { // a warm start's
		t.scaler = scaler
	} else if t.scaling != dataset.NoScaling && t.prep == nil {
		t.scaler = dataset.FitScaler(t.scaling, t.trainSet)
	}
	if t.scaler != nil {
		for _, part := range t.parts() {
			t.scaler.Apply(part.Float64s())
		}
	}
	if err := t.standardiseTargets(); err != nil {
		return err
	}
	// After the scaling, so that --backend auto's model sees the inputs' zeros as the fit does.
	if t.seat != nil {
		perExample := t.batch == 1 && !t.cfg.Clip.On() && !slices.ContainsFunc(t.spec.Layers, func(l engine.LayerSpec) bool { return l.Dropout > 0 })
		if t.be, err = t.seat(perExample, t.spec, t.cfg.Optimizer, t.trainSet); err != nil {
			return err
		}
	} else if t.be, err = openTrainingBackend(t.backend, t.spec, t.cfg.Optimizer, t.batch, t.trainSet); err != nil {
		return err
	}
	if t.initModel != nil {
		t.net, err = t.warmNetwork()
		return err
	}
	t.net, err = engine.NewNetwork(t.spec, t.initKind, t.cfg.RNG)
	return err
}

// say prints a message on stderr, unless --quiet.
func (t *training) say(format string, a ...any) {
	if !t.quiet {
		fmt.Fprintf(t.stderr, format, a...)
	}
}

// announce says what is trained, on what data and how, and where a
// resumed fit goes on from.
func (t *training) announce() {
	processes := ""
	if t.comm != nil {
		processes = fmt.Sprintf(", %d processes (MPI)", t.comm.Size())
	}
	validation := fmt.Sprintf("%d validation (from the training data)", t.validation.N)
	if t.validation.N == 0 {
		validation = "no validation"
	}
	t.say("perceptron: %s: %s%d training, %s, %d test examples; %d-%s, %s, %s, batch %d, %s, lr %g (%s), %s backend%s\n",
		t.data.spec, describeLabels(t.prep), t.trainSet.N, validation, t.testSet.N, t.spec.Inputs, t.layers, t.spec.Loss, t.spec.DType, t.batch,
		t.cfg.Optimizer, t.lr.rate, t.cfg.Schedule, t.be.Name(), processes)
	if t.initModel != nil {
		t.say("%s", t.describeWarmStart())
	}
	if t.target != nil {
		t.say("%s", t.describeTarget())
	}
	if ck := t.resumed; ck != nil {
		t.say("perceptron: resuming %s after epoch %d", t.resume, ck.Fit.Epoch)
		if ck.Fit.Done > 0 {
			t.say(" and %d examples of epoch %d", ck.Fit.Done, ck.Fit.Epoch+1)
		}
		t.say("\n")
		if note := uncheckedData(t.resume, ck.Fit); note != "" {
			t.say("perceptron: note: %s\n", note)
		}
	}
}

// fit completes the fit's settings (the backend, the validation set, the
// checkpoint to write and the one to resume), meets the other processes,
// announces the fit and trains, printing as watch says. A signal that
// reached any process before (while the data loaded or the network was
// built) ends the run there, nothing trained or written. A fit that a
// signal cut short is no error: cutShort and stopped record it, and land
// the signal, which skips the test.
func (t *training) fit() error {
	t.cfg.Backend = t.be
	if t.validation.N > 0 {
		t.cfg.Validation = t.validation
	}
	if t.checkpoint != "" {
		t.cfg.Checkpoint = func(ck *engine.Checkpoint) error {
			t.sig.pause("checkpoint")
			return modelfile.SaveCheckpoint(t.checkpoint, modelfile.Checkpoint{Fit: ck, Scaler: t.scaler, Prep: t.prep, Target: t.target, Settings: t.settings})
		}
	}
	if ck := t.resumed; ck != nil {
		if t.validation.N == 0 { // a checkpoint of an earlier perceptron may hold the test set's figures as validation's
			for i := range ck.Fit.History {
				ck.Fit.History[i].ValLoss, ck.Fit.History[i].ValAccuracy = math.NaN(), math.NaN()
			}
		}
		t.cfg.Resume = ck.Fit
	}
	if err := t.join(); err != nil { // before the table's header: a failure prints no empty table
		return err
	}
	var err error
	if t.land, err = t.sig.landed(t.comm); err != nil {
		return err
	} else if t.land.sig != nil {
		fmt.Fprintf(t.stderr, "perceptron: interrupted by %v before training; nothing written\n", t.land)
		return interrupted{t.land.sig}
	}
	t.sig.enter(fittingPhase)
	t.announce()
	t.watch()
	closeLog, err := t.logEvents()
	if err != nil {
		return err
	}
	defer closeLog()
	t.hist, err = engine.Fit(t.sig.ctx, t.net, t.trainSet, t.cfg)
	if t.cutShort = errors.As(err, &t.stopped); err != nil && !t.cutShort {
		return otherData(err, t.resume, t.data.spec)
	}
	t.land, err = t.sig.landed(t.comm) // a signal to any process skips the test on all
	t.sig.enter(testingPhase)
	return err
}

// watch sets what the fit prints as it goes: nothing with --json, the
// course's "Loss at epoch k" lines with --preset course, else the table's
// header now and a row per epoch (without validation columns when there is
// no validation); under a progress bar on a terminal, unless --quiet.
func (t *training) watch() {
	switch {
	case t.json:
	case t.preset == "course":
		t.cfg.EpochDone = func(s engine.EpochStats) { fmt.Fprintf(t.stdout, "Loss at epoch %d: %.3f\n", s.Epoch, s.Loss) }
	default:
		validates := t.validation.N > 0
		printHeader(t.stdout, validates)
		t.cfg.EpochDone = func(s engine.EpochStats) { printEpoch(t.stdout, s, validates) }
	}
	if !t.quiet && isTerminal(t.stderr) {
		bar := newBar(t.stderr, t.trainSet.N)
		t.cfg.Progress = bar.update
		t.cfg.EpochDone = bar.wrap(t.cfg.EpochDone)
	}
	switch os.Getenv(pauseVariable) { // the tests' holds within the fit (signals.pause)
	case "epoch":
		progress := t.cfg.Progress
		t.cfg.Progress = func(p engine.Progress) {
			if p.Done < p.Total {
				t.sig.pause("epoch")
			}
			if progress != nil {
				progress(p)
			}
		}
	case "epoch-end":
		done := t.cfg.EpochDone
		t.cfg.EpochDone = func(s engine.EpochStats) {
			t.sig.pause("epoch-end")
			if done != nil {
				done(s)
			}
		}
	}
}

// evaluate sums the run up in t.sum and, unless a signal came, evaluates
// the network on the test set, the processes together; a signal to any
// process during the evaluation cuts it (its result is not kept).
func (t *training) evaluate() error {
	t.sum = summary{Backend: t.be.Name(), DType: t.spec.DType.String(), Data: t.data.spec, Inputs: t.spec.Inputs, Layers: t.layers,
		Loss: t.spec.Loss.String(), Optimizer: t.cfg.Optimizer.String(), Schedule: t.cfg.Schedule.String(), Warmup: t.cfg.Schedule.WarmupEpochs,
		Epochs: t.epochs, LearningRate: t.lr.rate, Batch: t.batch, Seed: t.seed, TrainExamples: t.trainSet.N, ValidationExamples: t.validation.N,
		TestExamples: t.testSet.N, Classes: t.trainSet.ClassNames, Checkpoint: t.checkpoint, Resumed: t.resume, ClassWeights: t.classWeights}
	t.sum.InitFrom, t.sum.LRFind = t.initFrom, t.rangeJSON()
	t.sum.ClipGradNorm, t.sum.ClipGradValue = t.cfg.Clip.Norm, t.cfg.Clip.Value
	if t.target != nil {
		t.sum.Target = &targetJSON{Mean: t.target.Offset}
		for _, s := range t.target.Scale {
			t.sum.Target.SD = append(t.sum.Target.SD, 1/s)
		}
	}
	if t.cfg.EarlyStop != nil || t.cfg.Schedule.Kind == engine.Plateau {
		t.sum.Monitor = t.cfg.Monitor.String()
	}
	if early := t.cfg.EarlyStop; early != nil && early.BestEpoch > 0 {
		t.sum.BestEpoch, t.sum.StoppedEarly = early.BestEpoch, early.Stopped
	}
	for _, s := range t.hist {
		t.sum.History = append(t.sum.History, epochJSON(s))
	}
	if t.testSet.N > 0 && t.land.sig == nil {
		t.sig.pause("test")
		m, err := engine.EvaluateDataParallel(t.be, t.comm, t.net, t.testSet)
		if err != nil {
			return err
		}
		if t.land, err = t.sig.landed(t.comm); err != nil {
			return err
		} else if t.land.sig == nil {
			t.sum.Test = &metricsJSON{Loss: num(m.Loss), Accuracy: num(m.Accuracy), MAE: num(m.MAE), RMSE: num(m.RMSE), R2: num(m.R2),
				Majority: majority(t.spec, t.trainSet, t.testSet)}
		}
	}
	if t.land.sig != nil {
		t.sum.Interrupted, t.sum.Signal = true, t.land.String()
	}
	t.sig.enter(writingPhase)
	return nil
}

// report, on the process that writes, saves the outputs (write) and prints
// the summary: as JSON with --json, else the early stopping and the test's
// figures; then what it wrote and, when a signal came before, how far the
// fit got and where its model is, returning interrupted on every process.
// A signal that comes from now on cuts nothing (see group.close).
func (t *training) report() error {
	if !t.leads() { // process 0 writes and reports
		if t.land.sig != nil {
			return interrupted{t.land.sig}
		}
		return nil
	}
	t.sig.pause("write")
	if err := t.write(); err != nil {
		return err
	}

	if t.eventFile != "" {
		t.sum.Wrote = append(t.sum.Wrote, t.eventFile)
	}
	if t.json {
		if err := writeJSON(t.stdout, t.sum); err != nil {
			return err
		}
	} else {
		t.printOutcome()
	}
	if note := t.majorityNote(); note != "" {
		t.say("perceptron: note: %s\n", note)
	}
	if len(t.sum.Wrote) > 0 {
		t.say("perceptron: wrote %v\n", t.sum.Wrote)
	}
	if t.land.sig != nil {
		fmt.Fprintf(t.stderr, "perceptron: interrupted by %v %s; %s", t.land, t.howFar(), t.where(t.sum.Model))
		if t.checkpoint != "" && t.cutShort {
			fmt.Fprintf(t.stderr, "; checkpoint written to %s: train --resume %[1]s goes on", t.checkpoint)
		}
		fmt.Fprintln(t.stderr)
		return interrupted{t.land.sig}
	}
	t.sig.enter(finishedPhase)
	t.sig.pause("done")
	return t.logFailed
}

// printOutcome prints which epoch's model early stopping kept, unless a
// signal cut the fit short, and the test's loss with its accuracy (or RMSE).
func (t *training) printOutcome() {
	if t.sum.BestEpoch > 0 && !t.cutShort {
		standardised := ""
		if t.target != nil {
			standardised = " of standardised targets"
		}
		fmt.Fprintf(t.stdout, "early stopping: the model is epoch %d's, the best validation loss%s (%.6f)", t.sum.BestEpoch, standardised, t.cfg.EarlyStop.BestLoss)
		if t.sum.StoppedEarly {
			fmt.Fprintf(t.stdout, "; stopped after epoch %d", t.hist[len(t.hist)-1].Epoch)
		}
		fmt.Fprintln(t.stdout)
	}
	if m := t.sum.Test; m != nil {
		fmt.Fprintf(t.stdout, "test: loss %.4f", *m.Loss)
		if m.Accuracy != nil {
			fmt.Fprintf(t.stdout, ", accuracy %.2f%%", 100**m.Accuracy)
			if mj := m.Majority; mj != nil {
				fmt.Fprintf(t.stdout, " (always %s: %s)", mj.Class, percent(mj.Accuracy))
			}
		} else if m.RMSE != nil {
			fmt.Fprintf(t.stdout, ", rmse %.4f", *m.RMSE)
			if m.R2 != nil {
				fmt.Fprintf(t.stdout, ", r2 %.4f", *m.R2)
			}
		}
		fmt.Fprintln(t.stdout)
	}
}

// howFar says how far an interrupted run came: where its fit stopped, or,
// when the signal came after the fit's last step, whether it cut the test
// (before it or during it).
func (t *training) howFar() string {
	if s := t.stopped; s != nil {
		if s.Done > 0 {
			return fmt.Sprintf("after %d full epochs and %d examples of epoch %d", s.Epoch, s.Done, s.Epoch+1)
		}
		return fmt.Sprintf("after %d full epochs", s.Epoch)
	}
	epochs := 0
	if len(t.hist) > 0 {
		epochs = t.hist[len(t.hist)-1].Epoch // a long fit's history is thinned
	}
	switch {
	case t.testSet.N == 0:
		return fmt.Sprintf("after the last of %d epochs (no test to cut)", epochs)
	case t.land.in == testingPhase:
		return fmt.Sprintf("after the last of %d epochs, during the test (no test result)", epochs)
	}
	return fmt.Sprintf("after the last of %d epochs, before the test (no test result)", epochs)
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
	for _, o := range []output{{"--out", f.out, true}, {"--history", f.history, true}, {"--plot", f.plot, true}, {"--checkpoint", f.checkpoint, false}, f.findOutput()} {
		if o.path != "" {
			outs = append(outs, o)
		}
	}
	return outs
}

// model is the model file of the fit: its network (folded, after
// foldTarget) with everything that prepares its inputs and maps its
// outputs.
func (t *training) model() modelfile.Model {
	return modelfile.Model{Network: t.net, Scaler: t.scaler, Prep: t.prep, Target: t.target}
}

// write saves the model, the history CSV and the plot the flags name,
// recording each path written in t.sum. A fit cut short writes as
// --on-interrupt says: beside the files that exist, over them, or nothing.
func (t *training) write() error {
	m, hist, sum := t.model(), t.hist, &t.sum
	for _, o := range t.outputs() {
		if !o.beside {
			continue // the checkpoint, which Fit writes
		}
		path := o.path
		if t.cutShort {
			if t.onInterrupt == interruptDiscard {
				return nil
			}
			if _, err := os.Lstat(path); err == nil && t.onInterrupt == interruptBeside {
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

// watcherOf names the flag of cfg that watches the validation figures:
// --early-stop or --lr-schedule plateau, or "" for none.
func watcherOf(cfg engine.Config) string {
	switch {
	case cfg.EarlyStop != nil:
		return "--early-stop"
	case cfg.Schedule.Kind == engine.Plateau:
		return "--lr-schedule " + cfg.Schedule.String()
	}
	return ""
}
