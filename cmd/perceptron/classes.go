package main

import (
	"errors"
	"fmt"

	"github.com/perceptron-go/perceptron/engine"
)

// classHint returns err, the error of a training set that the network's
// output layer does not fit, with a hint when the cause is its classes
// (an *engine.ClassError): the --layers that fit them, or how to number the
// classes. A class with no examples is the data's fault, so its error loses
// err's --layers prefix.
func classHint(err error, spec engine.Spec) error {
	var ce *engine.ClassError
	switch {
	case !errors.As(err, &ce):
		return err
	case ce.Empty != nil && ce.LowestLabel > 0:
		present := ce.Classes - len(ce.Empty)
		return withHint(ce, fmt.Sprintf("class labels are the numbers 0 to K-1 of K classes: relabel the %d classes present as 0 to %d", present, present-1))
	case ce.Empty != nil:
		return withHint(ce, "each class needs training examples: a class this rare may have gone to the test or validation part (--test-split, --val-split)")
	}
	hidden := ""
	if n := len(spec.Layers); n > 1 {
		hidden = engine.FormatLayers(spec.Layers[:n-1]) + ","
	}
	fits := fmt.Sprintf("--layers %s%d:softmax", hidden, ce.Classes)
	if ce.Classes == 2 {
		fits += fmt.Sprintf(" or %s1:sigmoid", hidden)
	}
	return withHint(err, "use "+fits)
}
