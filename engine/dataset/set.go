package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Set is a data set of N examples: Features values and one label each (or
// Outputs labels each).
type Set struct {
	// X holds the features, N rows of Features values, row-major.
	X []float64
	// Labels holds one label per example: a class index 0..Classes-1 for a
	// classification set, any number for a regression set; with Outputs
	// above 1, N rows of Outputs values, row-major. It is nil for a set read
	// without labels (see Preprocessor.Transform).
	Labels   []float64
	N        int
	Features int
	// Classes is the number of classes when every label is an integer in
	// 0..Classes-1 (at most MaxClasses of them), and 0 for a regression set.
	Classes int
	// Outputs is the number of label values per example; 0 or 1 means one.
	Outputs int
	// ClassNames is the name of each class, in class-index order; nil when
	// the names are the indices.
	ClassNames []string
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

// labelWidth returns the number of label values per example.
func (s *Set) labelWidth() int { return max(s.Outputs, 1) }

// Targets returns the N×outputs target matrix for a network with that many
// outputs: the label itself for one output, one-hot rows for more, and the
// labels as they are for a set of Outputs labels per example.
func (s *Set) Targets(outputs int) ([]float64, error) {
	if s.Labels == nil {
		return nil, fmt.Errorf("the data has no labels")
	}
	if k := s.labelWidth(); k > 1 {
		if outputs != k {
			return nil, fmt.Errorf("the data has %d label values per example but the network has %d outputs", k, outputs)
		}
		return append([]float64(nil), s.Labels...), nil
	}
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
// their labels and weights.
func (s *Set) Subset(idx []int) *Set {
	k := s.labelWidth()
	out := &Set{X: make([]float64, 0, len(idx)*s.Features), N: len(idx), Features: s.Features,
		Classes: s.Classes, Outputs: s.Outputs, ClassNames: s.ClassNames}
	if s.Labels != nil {
		out.Labels = make([]float64, 0, len(idx)*k)
	}
	if s.Weights != nil {
		out.Weights = make([]float64, len(idx))
	}
	for j, i := range idx {
		out.X = append(out.X, s.Row(i)...)
		if s.Labels != nil {
			out.Labels = append(out.Labels, s.Labels[i*k:(i+1)*k]...)
		}
		if s.Weights != nil {
			out.Weights[j] = s.Weights[i]
		}
	}
	return out
}

// Split shuffles the examples with seed and returns the first (1-testFrac)
// of them as train and the rest as test (see SplitRows). testFrac must lie
// in [0, 1); with no test examples, train is s itself, in its order.
func (s *Set) Split(testFrac float64, seed uint64) (train, test *Set, err error) {
	trainRows, testRows, err := SplitRows(s.N, testFrac, seed)
	if err != nil {
		return nil, nil, err
	}
	if len(testRows) == 0 {
		return s, s.Subset(nil), nil
	}
	return s.Subset(trainRows), s.Subset(testRows), nil
}

// SplitRows splits n rows as Split splits n examples: a permutation drawn
// with seed, its last round(testFrac·n) rows the test part. With no test
// rows, train is nil: every row, in order.
func SplitRows(n int, testFrac float64, seed uint64) (train, test []int, err error) {
	if !(testFrac >= 0 && testFrac < 1) {
		return nil, nil, fmt.Errorf("test split must be in [0, 1), found %g", testFrac)
	}
	nTest := int(math.Round(testFrac * float64(n)))
	if nTest == 0 {
		return nil, nil, nil
	}
	if n-nTest < 1 {
		return nil, nil, fmt.Errorf("test split %g leaves no training examples out of %d", testFrac, n)
	}
	idx := rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d)).Perm(n)
	return idx[:n-nTest], idx[n-nTest:], nil
}
