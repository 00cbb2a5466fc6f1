package main

import (
	"strconv"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// majorityJSON is what always answering the training part's most common
// class scores on the test set: the accuracy a classifier must beat to
// have learnt anything from the features.
type majorityJSON struct {
	Class    string  `json:"class"`
	Accuracy float64 `json:"accuracy"`
}

// majority returns the most common class of train's labels (the first
// such class) and the share of test's labels that are it; nil unless a
// classifier is tested on classes.
func majority(spec engine.Spec, train, test *dataset.Set) *majorityJSON {
	k := train.Classes
	if !spec.Classifier() || k == 0 || test.N == 0 || max(train.Outputs, 1) != 1 {
		return nil
	}
	counts := make([]int, k)
	for _, c := range train.Labels {
		if c >= 0 && int(c) < k {
			counts[int(c)]++
		}
	}
	most := 0
	for c, n := range counts {
		if n > counts[most] {
			most = c
		}
	}
	hits := 0
	for _, c := range test.Labels {
		if c == float64(most) {
			hits++
		}
	}
	name := strconv.Itoa(most)
	if most < len(train.ClassNames) {
		name = train.ClassNames[most]
	}
	return &majorityJSON{Class: name, Accuracy: float64(hits) / float64(test.N)}
}

// majorityMargin is how far above always answering the most common class
// a classifier's test accuracy must be for it to have learnt something.
const majorityMargin = 0.01

// majorityNote returns a note when the test's accuracy is no better than
// always answering the most common class (within majorityMargin), or "".
func (t *training) majorityNote() string {
	m := t.sum.Test
	if m == nil || m.Majority == nil || m.Accuracy == nil || *m.Accuracy >= m.Majority.Accuracy+majorityMargin {
		return ""
	}
	return "the test accuracy, " + percent(*m.Accuracy) + ", is no better than always answering " + m.Majority.Class + " (" + percent(m.Majority.Accuracy) +
		"): the model has learnt next to nothing from the features; try --class-weight balanced (where a class is rare), more --epochs, " +
		"another --lr (--lr find), or check that the label is the column meant"
}
