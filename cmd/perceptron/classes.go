package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// heldOut is the data a fit holds out of its training part, where a class
// the training part lacks may have gone.
type heldOut struct {
	validation, test *dataset.Set
	// testSplit says whether the test part is split off the data
	// (--test-split), not a test set of its own (mnist, npz's x_test).
	testSplit bool
}

// classHint returns err, the error of a training set that the network's
// output layer does not fit, with a hint whose advice works: the --layers
// that fit the labels (outputFor), or, when classes have no training
// examples (an *engine.ClassError with Empty classes), the flags that keep
// them in training or how to number the classes. A class with no examples
// is the data's fault, so its error loses err's --layers prefix.
func classHint(err error, spec engine.Spec, set *dataset.Set, held heldOut) error {
	var ce *engine.ClassError
	switch {
	case errors.As(err, &ce) && ce.Empty != nil:
		return withHint(ce, emptyClassHint(ce, held))
	case ce == nil && spec.Outputs() == outputUnits(set):
		return err // not the output layer's size: the error says what to mend
	case ce == nil:
		return withHint(err, "use --layers "+hiddenOf(spec)+outputFor(set))
	}
	fits := fmt.Sprintf("--layers %s%d:softmax", hiddenOf(spec), ce.Classes)
	if ce.Classes == 2 {
		fits += " or --layers " + hiddenOf(spec) + "1:sigmoid"
	}
	return withHint(err, "use "+fits)
}

// emptyClassHint advises on classes with no training examples: where the
// held-out parts hold them, the split to give up; where nothing holds them,
// the labels skip numbers, to be relabelled 0 to K-1.
func emptyClassHint(ce *engine.ClassError, held heldOut) string {
	inValidation, inTest := false, false
	for _, c := range ce.Empty {
		inValidation = inValidation || hasClass(held.validation, c)
		inTest = inTest || hasClass(held.test, c)
	}
	present := ce.Classes - len(ce.Empty)
	switch {
	case inTest && !held.testSplit:
		return "the test set holds classes the training data lacks: add training examples of them"
	case inTest: // with the test part kept, the validation part is drawn again
		return "a class this rare had its examples held out of training: give --test-split 0 and --val-split 0 to train on every example, or add examples of it"
	case inValidation:
		return "a class this rare had its examples held out of training: give --val-split 0 to train on them, or add examples of it"
	case present < 2:
		return "a classifier tells two or more classes apart: give data with examples of each, numbered 0 to K-1"
	}
	return fmt.Sprintf("class labels are the numbers 0 to K-1 of K classes: relabel the %d classes present as 0 to %d", present, present-1)
}

// hasClass reports whether set (nil: none) has an example of class c.
func hasClass(set *dataset.Set, c int) bool {
	return set != nil && slices.Contains(set.Labels, float64(c))
}

// hiddenOf returns spec's hidden layers as --layers spells them, with a
// comma to put the output layer after ("" for none).
func hiddenOf(spec engine.Spec) string {
	if n := len(spec.Layers); n > 1 {
		return engine.FormatLayers(spec.Layers[:n-1]) + ","
	}
	return ""
}

// outputFor returns the output layer that fits set's labels, as --layers
// spells it: a linear unit per label value of a regression, one sigmoid unit
// for two classes, a softmax unit per class for more.
func outputFor(set *dataset.Set) string {
	switch {
	case set.Outputs > 1:
		return fmt.Sprintf("%d:linear", set.Outputs)
	case set.Classes > 2:
		return fmt.Sprintf("%d:softmax", set.Classes)
	case set.Classes == 2:
		return "1:sigmoid"
	}
	return "1:linear"
}

// outputUnits returns the units of outputFor(set).
func outputUnits(set *dataset.Set) int {
	switch {
	case set.Outputs > 1:
		return set.Outputs
	case set.Classes > 2:
		return set.Classes
	}
	return 1
}
