package dataset

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// BalancedClassWeights is the class-weight spec that weighs each class by
// n / (k·count(c)), as scikit-learn's compute_class_weight("balanced").
const BalancedClassWeights = "balanced"

// ClassWeights parses a class-weight spec and returns one weight per class
// 0..classes-1. The spec is BalancedClassWeights, computed from labels (the
// training part's) as n / (k·count(c)) for its n examples and k classes, or
// a list NAME:W,... where NAME is a class name from names (or, with names
// nil, a class index) and W a finite weight of 0 or more; the classes not
// listed weigh 1. A class that is absent from labels cannot be balanced: it
// is an error naming it.
func ClassWeights(spec string, labels []float64, classes int, names []string) ([]float64, error) {
	if classes < 1 {
		return nil, fmt.Errorf("class weights need class labels: the labels are not all integers 0..%d", MaxClasses-1)
	}
	if spec == BalancedClassWeights {
		return balanced(labels, classes, names)
	}
	w := make([]float64, classes)
	for c := range w {
		w[c] = 1
	}
	seen := make([]bool, classes)
	for _, item := range strings.Split(spec, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return nil, fmt.Errorf("class weight %q: expected NAME:WEIGHT (or %q)", item, BalancedClassWeights)
		}
		c, err := classIndex(strings.TrimSpace(name), classes, names)
		if err != nil {
			return nil, fmt.Errorf("class weight %q: %w", item, err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("class weight %q: the weight must be a finite number of 0 or more, found %q", item, value)
		}
		if seen[c] {
			return nil, fmt.Errorf("class weight %q: class %s is weighed twice", item, className(c, names))
		}
		seen[c], w[c] = true, v
	}
	return w, nil
}

// balanced returns n / (k·count(c)) for each class c of labels.
func balanced(labels []float64, classes int, names []string) ([]float64, error) {
	count := make([]int, classes)
	for i, v := range labels {
		c := int(v)
		if v != math.Trunc(v) || c < 0 || c >= classes {
			return nil, fmt.Errorf("balanced class weights: example %d has label %g, not a class 0..%d", i+1, v, classes-1)
		}
		count[c]++
	}
	w := make([]float64, classes)
	for c, n := range count {
		if n == 0 {
			return nil, fmt.Errorf("balanced class weights: class %s has no training examples, so it cannot be balanced "+
				"(give the weights as NAME:W,... instead, or keep more examples for training)", className(c, names))
		}
		w[c] = float64(len(labels)) / (float64(classes) * float64(n))
	}
	return w, nil
}

// classIndex returns the class that name names: one of names, or with names
// nil an index 0..classes-1.
func classIndex(name string, classes int, names []string) (int, error) {
	if names == nil {
		c, err := strconv.Atoi(name)
		if err != nil || c < 0 || c >= classes {
			return 0, fmt.Errorf("unknown class %q: the classes are 0..%d", name, classes-1)
		}
		return c, nil
	}
	for c, n := range names {
		if n == name {
			return c, nil
		}
	}
	return 0, fmt.Errorf("unknown class %q: the classes are %s", name, strings.Join(names, ", "))
}

// className returns how class c is named: its name, or its index.
func className(c int, names []string) string {
	if c < len(names) {
		return strconv.Quote(names[c])
	}
	return strconv.Itoa(c)
}

// WeighClasses sets each example's weight to the weight of its class in
// classWeights (one per class, as ClassWeights returns).
func (s *Set) WeighClasses(classWeights []float64) error {
	w := make([]float64, s.N)
	for i, v := range s.Labels {
		c := int(v)
		if v != math.Trunc(v) || c < 0 || c >= len(classWeights) {
			return fmt.Errorf("class weights: example %d has label %g, not one of the %d weighed classes", i+1, v, len(classWeights))
		}
		w[i] = classWeights[c]
	}
	s.Weights = w
	return nil
}

// CheckWeights reports why the set's weights are unusable: not one per
// example, or one that is negative, NaN or infinite. Nil weights are fine.
func (s *Set) CheckWeights() error {
	if s.Weights == nil {
		return nil
	}
	if len(s.Weights) != s.N {
		return fmt.Errorf("%d example weights for %d examples", len(s.Weights), s.N)
	}
	for i, w := range s.Weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("example %d: weight %g is not a finite number of 0 or more", i+1, w)
		}
	}
	return nil
}
