package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

const initFromHelp = "model file to start from (a warm start, as scikit-learn's warm_start): its parameters, architecture and scaling or preprocessing, " +
	"with a fresh optimizer, on any data of the same shape; --layers, --scale, --scale-target and --init may not differ from it"

// applyInitFrom loads the model --init-from names and sets the flags it
// decides that were not given: --layers, --loss and --dtype to the
// model's (--loss and --dtype may be given otherwise: the parameters are
// rounded to the dtype), and --scale to its scaling, so that the
// checkpoints of the fit record them. It refuses --resume (a checkpoint
// has its own parameters), --init, and --layers or --scale other than the
// model's, naming both.
func applyInitFrom(fs *flag.FlagSet, given map[string]bool, path string) (*modelfile.Model, error) {
	hint := "--init-from takes the architecture and the scaling from the model: drop the flag, or train a new network without --init-from"
	switch {
	case given["resume"]:
		return nil, withHint(errors.New("--init-from and --resume: a checkpoint goes on with its own parameters, a warm start begins a new fit from a model's"),
			"give one of them: --resume to go on with a fit, --init-from to start a new one from a trained model")
	case given["init"]:
		return nil, withHint(fmt.Errorf("--init %s and --init-from %s: the parameters come from the model, none are drawn", fs.Lookup("init").Value, path), "drop --init")
	}
	m, err := modelfile.Load(path)
	if err != nil {
		return nil, fmt.Errorf("--init-from: %w", err)
	}
	spec := m.Network.Spec
	scale := string(dataset.NoScaling)
	switch {
	case m.Scaler != nil:
		scale = string(m.Scaler.Kind)
	case m.Prep != nil:
		scale = string(m.Prep.Scale)
	}
	if given["layers"] {
		layers, err := engine.ParseLayers(fs.Lookup("layers").Value.String())
		if err == nil && engine.FormatLayers(layers) != engine.FormatLayers(spec.Layers) {
			return nil, withHint(fmt.Errorf("--init-from %s: the model's layers are %d-%s, --layers asks for %d-%s",
				path, spec.Inputs, engine.FormatLayers(spec.Layers), spec.Inputs, engine.FormatLayers(layers)), hint)
		}
	}
	scaleTarget := string(dataset.NoScaling)
	if m.Target != nil {
		scaleTarget = string(m.Target.Kind)
	}
	if given["scale-target"] && fs.Lookup("scale-target").Value.String() != scaleTarget {
		return nil, withHint(fmt.Errorf("--init-from %s: the model's targets are scaled %s, --scale-target asks for %s: its outputs would mean other numbers",
			path, scaleTarget, fs.Lookup("scale-target").Value), hint)
	}
	if given["scale"] && fs.Lookup("scale").Value.String() != scale {
		return nil, withHint(fmt.Errorf("--init-from %s: the model's features are scaled %s, --scale asks for %s: the model's inputs would be prepared otherwise than it learnt them",
			path, scale, fs.Lookup("scale").Value), hint)
	}
	for name, value := range map[string]string{"layers": engine.FormatLayers(spec.Layers), "loss": spec.Loss.String(), "dtype": spec.DType.String(), "scale": scale, "scale-target": scaleTarget} {
		if !given[name] {
			if err := fs.Set(name, value); err != nil {
				return nil, fmt.Errorf("--init-from %s: the model's --%s: %w", path, name, err)
			}
		}
	}
	return &m, nil
}

// preparation returns the scaling or preprocessing a fit must use instead
// of fitting its own (nil, nil: it fits them): the model's of --init-from,
// or, when a warm-started fit resumes, the checkpoint's.
func (t *training) preparation() (scaler *dataset.Scaler, prep *dataset.Preprocessor) {
	switch {
	case t.initModel != nil:
		return t.initModel.Scaler, t.initModel.Prep
	case t.resumed != nil && t.initFrom != "":
		return t.resumed.Scaler, t.resumed.Prep
	}
	return nil, nil
}

// checkPreparation refuses data that the model of --init-from (or the
// checkpoint of a warm start) cannot prepare: a CSV's columns for a model
// of numbers, other data for a model of a CSV's columns.
func (t *training) checkPreparation() error {
	if t.initFrom == "" {
		return nil
	}
	_, prep := t.preparation()
	_, csv, _ := t.data.csvPath()
	switch {
	case csv && prep == nil:
		return withHint(fmt.Errorf("--init-from %s: the model was trained on numbers, not on a CSV's columns: it has no preprocessing for --data %s", t.initFrom, t.data.spec),
			"give the data as npy or npz, or train a new network on the CSV")
	case !csv && prep != nil:
		return withHint(fmt.Errorf("--init-from %s: the model was trained on a CSV's columns (%s): --data %s has none", t.initFrom, quoteList(prep.InputNames()), t.data.spec),
			"give --data csv:PATH with the same columns")
	}
	return nil
}

// warmNetwork returns the network a warm start trains: the model's
// parameters in the fit's spec (the same layers and inputs; the loss and
// dtype as the flags say, the parameters rounded to that dtype). A model
// of other inputs than the data's features is refused, naming both.
func (t *training) warmNetwork() (*engine.Network, error) {
	model := t.initModel.Network
	if model.Spec.Inputs != t.spec.Inputs {
		return nil, withHint(fmt.Errorf("--init-from %s: the model takes %d inputs (%d-%s), --data %s has %d features (%d-%s)",
			t.initFrom, model.Spec.Inputs, model.Spec.Inputs, engine.FormatLayers(model.Spec.Layers), t.data.spec, t.spec.Inputs, t.spec.Inputs, t.layers),
			"a warm start needs data of the same features as the model's training data")
	}
	net := engine.Zeros(t.spec)
	for i, l := range model.Layers {
		for j, v := range l.W {
			net.Layers[i].W[j] = t.spec.DType.Round(v)
		}
		for j, v := range l.B {
			net.Layers[i].B[j] = t.spec.DType.Round(v)
		}
	}
	if t.target != nil { // the model answers in the labels' units; the fit learns standardised targets
		return modelfile.UnfoldTarget(net, t.target)
	}
	return net, nil
}

// describeWarmStart says what a warm start starts from.
func (t *training) describeWarmStart() string {
	scaling := "no scaling"
	if scaler, prep := t.preparation(); scaler != nil {
		scaling = "its " + string(scaler.Kind) + " scaler"
	} else if prep != nil {
		scaling = "its preprocessing of the columns " + strings.Join(prep.InputNames(), ", ")
	}
	return fmt.Sprintf("perceptron: starting from the parameters of %s, with %s and a fresh optimizer state\n", t.initFrom, scaling)
}

// warmSpecError returns err, the error of the spec of a fit's data, as
// the error of --init-from when the fit is a warm start: the data does not
// fit the model's outputs.
func (t *training) warmSpecError(err error) error {
	if t.initModel == nil {
		return err
	}
	return withHint(fmt.Errorf("--init-from %s: %w", t.initFrom, err), "a warm start needs data of the model's shape: its features and, for a classifier, its classes")
}
