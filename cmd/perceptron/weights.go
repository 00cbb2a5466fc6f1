package main

import (
	"errors"
	"fmt"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// classWeightHelp is --class-weight's usage.
const classWeightHelp = "class weights of the training and validation loss: balanced (n/(k·count), computed on the training part), " +
	"or CLASS:W,... (classes not listed weigh 1); the test figures stay unweighted"

// weighClasses gives the training and validation parts the weights of
// --class-weight, computed on the training part, and records them in the
// summary. The test part keeps none: its figures are unweighted, as
// scikit-learn's metrics are.
func (t *training) weighClasses() error {
	if t.classWeight == "" {
		return nil
	}
	if t.trainSet.Classes == 0 || !t.spec.Classifier() {
		return withHint(errors.New("--class-weight weighs the classes of a classification, but this network is a regression"),
			"drop --class-weight, or end the layers with a sigmoid or softmax output over class labels 0..K-1")
	}
	classes := max(t.trainSet.Classes, t.validation.Classes, t.spec.Outputs())
	w, err := dataset.ClassWeights(t.classWeight, t.trainSet.Labels, classes, t.trainSet.ClassNames)
	if err != nil {
		return fmt.Errorf("--class-weight: %w", err)
	}
	if err := t.trainSet.WeighClasses(w); err != nil {
		return fmt.Errorf("--class-weight: the training part: %w", err)
	}
	if err := t.validation.WeighClasses(w); err != nil {
		return fmt.Errorf("--class-weight: the validation part: %w", err)
	}
	t.classWeights = w
	return nil
}
