package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

const scaleTargetHelp = "regression: standard (the labels standardised to mean 0 and variance 1 on the training part for the fit, " +
	"and the model mapped back to the labels' units, so that it predicts them) or none (the labels learnt as they are) " +
	"(default: standard where a linear output layer learns the labels)"

// checkScaleTarget refuses a --scale-target that is neither standard nor
// none.
func checkScaleTarget(value string) error {
	if value != "" && value != string(dataset.Standardise) && value != string(dataset.NoScaling) {
		return fmt.Errorf("--scale-target: unknown choice %q: expected standard or none", value)
	}
	return nil
}

// learnsLabels reports whether a network of spec learns set's labels as
// they are: a linear output layer of one unit per label, not one-hot
// classes. Those are the targets --scale-target standardises.
func learnsLabels(spec engine.Spec, set *dataset.Set) bool {
	return spec.Layers[len(spec.Layers)-1].Activation == engine.Linear && max(set.Outputs, 1) == spec.Outputs()
}

// standardiseTargets fits the standardisation of the labels on the
// training part (or takes the warm start's or the checkpoint's) and
// applies it to the training and validation labels; the test part keeps
// its labels, which the folded network (foldTarget) is tested against.
func (t *training) standardiseTargets() error {
	switch {
	case t.resumed != nil:
		t.target = t.resumed.Target
	case t.initModel != nil:
		t.target = t.initModel.Target
	case t.scaleTarget == string(dataset.NoScaling):
	case learnsLabels(t.spec, t.trainSet):
		t.target = dataset.FitTargets(t.trainSet)
		for j, s := range t.target.Scale {
			if !(s > 0) || math.IsInf(s, 0) || math.IsInf(t.target.Offset[j], 0) {
				return withHint(fmt.Errorf("--scale-target standard: output %d's labels spread past float64's range (mean %g, 1/sd %g): they cannot be standardised", j+1, t.target.Offset[j], s),
					"scale the labels down in the file (as thousands or millions), or --scale-target none")
			}
		}
	case t.scaleTarget == string(dataset.Standardise):
		out := t.spec.Layers[len(t.spec.Layers)-1]
		return withHint(fmt.Errorf("--scale-target standard: the output layer %d:%s learns no labels as they are, only a linear output layer of one unit per label does", out.Units, out.Activation),
			"drop --scale-target (it is for regressions)")
	}
	if t.target == nil {
		return nil
	}
	for _, part := range []*dataset.Set{t.trainSet, t.validation} {
		t.target.Apply(part.Labels)
	}
	return nil
}

// foldTarget maps the network trained on standardised targets back to
// the labels' units (modelfile.FoldTarget), for the test and the model
// file, once the fit is over.
func (t *training) foldTarget() error {
	if t.target == nil {
		return nil
	}
	var err error
	t.net, err = modelfile.FoldTarget(t.net, t.target)
	return err
}

// describeLabels names a CSV's label columns and what they are, for the
// announcement ("label survived (2 classes: 0, 1); "), so that a file
// whose label is not the column meant shows it before training; "" for
// data without a preprocessing.
func describeLabels(prep *dataset.Preprocessor) string {
	if prep == nil {
		return ""
	}
	what := "a regression"
	if names := prep.ClassNames; prep.Task == dataset.Classify {
		shown := names[:min(len(names), 5)]
		more := ""
		if len(names) > len(shown) {
			more = ", …"
		}
		what = fmt.Sprintf("%d classes: %s%s", len(names), strings.Join(shown, ", "), more)
	}
	if len(prep.Labels) > 1 {
		return fmt.Sprintf("labels %s (%s of %d outputs); ", strings.Join(prep.Labels, ", "), what, len(prep.Labels))
	}
	return fmt.Sprintf("label %s (%s); ", prep.Labels[0], what)
}

// describeTarget says what the standardisation of the targets is, for
// the announcement: the labels, their means and standard deviations.
func (t *training) describeTarget() string {
	names := []string{"the labels"}
	if t.prep != nil {
		names = t.prep.Labels
	}
	parts := make([]string, len(t.target.Offset))
	for j, mean := range t.target.Offset {
		name := "output " + strconv.Itoa(j+1)
		if len(names) == len(parts) {
			name = names[j]
		} else if len(parts) == 1 {
			name = names[0]
		}
		parts[j] = fmt.Sprintf("%s: mean %.4g, sd %.4g", name, mean, 1/t.target.Scale[j])
	}
	return fmt.Sprintf("perceptron: note: the targets are standardised for the fit (%s): the losses per epoch are of standardised targets; "+
		"the test and the model's predictions are in the labels' units (--scale-target none learns them as they are)\n", strings.Join(parts, "; "))
}
