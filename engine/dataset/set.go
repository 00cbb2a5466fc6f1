package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Set is a data set of N examples: Features values and one label each.
type Set struct {
	// X holds the features, N rows of Features values, row-major.
	X []float64
	// Labels holds one label per example: a class index 0..Classes-1 for a
	// classification set, any number for a regression set.
	Labels   []float64
	N        int
	Features int
	// Classes is the number of classes when every label is an integer in
	// 0..Classes-1 (at most MaxClasses of them), and 0 for a regression set.
	Classes int
	// Weights holds one weight per example (≥ 0, finite); nil means every example weighs 1.
	Weights []float64
}

// MaxClasses bounds the number of classes a label column is read as.
const MaxClasses = 1000

// New returns a set over x (n rows of len(x)/n features) and labels, with
// Classes inferred from the labels.
func New(x, labels []float64, features int) *Set {
	s := &Set{X: x, Labels: labels, N: len(labels), Features: features}
	s.Classes = inferClasses(labels)
	return s
}

func inferClasses(labels []float64) int {
	top := -1.0
	for _, v := range labels {
		if v < 0 || v != math.Trunc(v) || v >= MaxClasses {
			return 0
		}
		top = max(top, v)
	}
	if top < 1 {
		return 2 // all zeros still reads as a two-class problem
	}
	return int(top) + 1
}

// Row returns the features of example i.
func (s *Set) Row(i int) []float64 { return s.X[i*s.Features : (i+1)*s.Features] }

// Targets returns the N×outputs target matrix for a network with that many
// outputs: the label itself for one output, one-hot rows for more.
func (s *Set) Targets(outputs int) ([]float64, error) {
	if outputs == 1 {
		return append([]float64(nil), s.Labels...), nil
	}
	if s.Classes == 0 {
		return nil, fmt.Errorf("the network has %d outputs, which needs class labels 0..%d, but the labels are not all integers in that range", outputs, outputs-1)
	}
	if s.Classes > outputs {
		return nil, fmt.Errorf("the data has %d classes but the network has %d outputs", s.Classes, outputs)
	}
	y := make([]float64, s.N*outputs)
	for i, c := range s.Labels {
		if !(c >= 0 && c < float64(outputs) && c == math.Trunc(c)) {
			return nil, fmt.Errorf("example %d: label %g is not a class 0..%d of the network's %d outputs", i+1, c, outputs-1, outputs)
		}
		y[i*outputs+int(c)] = 1
	}
	return y, nil
}

// Subset returns the examples at the given indices, in that order, with
// their weights.
func (s *Set) Subset(idx []int) *Set {
	out := &Set{X: make([]float64, 0, len(idx)*s.Features), Labels: make([]float64, len(idx)),
		N: len(idx), Features: s.Features, Classes: s.Classes}
	if s.Weights != nil {
		out.Weights = make([]float64, len(idx))
	}
	for k, i := range idx {
		out.X = append(out.X, s.Row(i)...)
		out.Labels[k] = s.Labels[i]
		if s.Weights != nil {
			out.Weights[k] = s.Weights[i]
		}
	}
	return out
}

// Split shuffles the examples with seed and returns the first (1-testFrac)
// of them as train and the rest as test. testFrac must lie in [0, 1); with
// no test examples, train is s itself, in its order.
func (s *Set) Split(testFrac float64, seed uint64) (train, test *Set, err error) {
	if !(testFrac >= 0 && testFrac < 1) {
		return nil, nil, fmt.Errorf("test split must be in [0, 1), found %g", testFrac)
	}
	nTest := int(math.Round(testFrac * float64(s.N)))
	if nTest == 0 {
		return s, s.Subset(nil), nil
	}
	if s.N-nTest < 1 {
		return nil, nil, fmt.Errorf("test split %g leaves no training examples out of %d", testFrac, s.N)
	}
	idx := rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d)).Perm(s.N)
	return s.Subset(idx[:s.N-nTest]), s.Subset(idx[s.N-nTest:]), nil
}
