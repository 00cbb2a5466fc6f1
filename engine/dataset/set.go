package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Set is a data set of N examples: Features values and one label each (or
// Outputs labels each). Its features are held in one of two ways, X or
// Codes, exactly one of them not nil; Row, Rows and Values read either.
type Set struct {
	// X holds the features, N rows of Features values, row-major, where
	// they are held as float64 values; it is nil where Codes holds them.
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
	// Codes holds the features one byte each, where X is nil: a set whose
	// values take at most 256 levels, such as MNIST's pixels, in an eighth
	// of the memory.
	Codes *Codes
}

// Codes are features held one byte each, row-major: the value of byte b
// is Levels[b], exactly as a float64 held in X would be.
type Codes struct {
	Bytes  []byte
	Levels *[256]float64
}

// Float is a floating-point type that features are written in.
type Float interface{ ~float32 | ~float64 }

// Values writes the values at positions from to from+len(dst)-1 of
// features held in x or, where x is nil, in c, into dst, converted to T:
// each is T(v) of the float64 value v it stands for.
func Values[T Float](dst []T, x []float64, c *Codes, from int) {
	if x != nil {
		for i, v := range x[from : from+len(dst)] {
			dst[i] = T(v)
		}
		return
	}
	var levels [256]T
	for b, v := range c.Levels {
		levels[b] = T(v)
	}
	for i, b := range c.Bytes[from : from+len(dst)] {
		dst[i] = levels[b]
	}
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

// NewCoded returns a set whose features are held as codes, one byte each
// (n rows of len(codes)/n features) standing for the values levels gives,
// with Classes inferred from the labels.
func NewCoded(codes []byte, levels *[256]float64, labels []float64, features int) *Set {
	return &Set{Codes: &Codes{Bytes: codes, Levels: levels}, Labels: labels, N: len(labels), Features: features, Classes: inferClasses(labels)}
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

// Row returns the features of example i: a part of X itself or, where
// Codes holds them, their values written into buf (made where it is too
// short).
func (s *Set) Row(i int, buf []float64) []float64 { return s.Rows(i, i+1, buf) }

// Rows returns the features of examples lo to hi-1, row-major: a part of X
// itself or, where Codes holds them, their values written into buf (made
// where it is too short). A caller that converts the rows in pieces, not all
// at once, holds the set once.
func (s *Set) Rows(lo, hi int, buf []float64) []float64 {
	if s.X != nil {
		return s.X[lo*s.Features : hi*s.Features]
	}
	n := (hi - lo) * s.Features
	if len(buf) < n {
		buf = make([]float64, n)
	}
	Values(buf[:n], nil, s.Codes, lo*s.Features)
	return buf[:n]
}

// value returns feature j of example i.
func (s *Set) value(i, j int) float64 {
	if s.X != nil {
		return s.X[i*s.Features+j]
	}
	return s.Codes.Levels[s.Codes.Bytes[i*s.Features+j]]
}

// Float64s returns the features as float64 values, row-major, to be read
// or changed in place (as Scaler.Apply does): X, which it first fills from
// Codes where they hold the set. A coded set then takes 8 bytes a value,
// as one read from a CSV file does.
func (s *Set) Float64s() []float64 {
	if s.X == nil {
		s.X = s.Rows(0, s.N, nil)
		s.Codes = nil
	}
	return s.X
}

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

// Subset returns a copy of the examples at the given indices, in that
// order, held as s holds them, with their labels and weights.
func (s *Set) Subset(idx []int) *Set {
	f, k := s.Features, s.labelWidth()
	out := s.like(len(idx))
	if s.X != nil {
		out.X = make([]float64, 0, len(idx)*f)
	} else {
		out.Codes = &Codes{Bytes: make([]byte, 0, len(idx)*f), Levels: s.Codes.Levels}
	}
	if s.Labels != nil {
		out.Labels = make([]float64, 0, len(idx)*k)
	}
	if s.Weights != nil {
		out.Weights = make([]float64, 0, len(idx))
	}
	for _, i := range idx {
		if s.X != nil {
			out.X = append(out.X, s.X[i*f:(i+1)*f]...)
		} else {
			out.Codes.Bytes = append(out.Codes.Bytes, s.Codes.Bytes[i*f:(i+1)*f]...)
		}
		if s.Labels != nil {
			out.Labels = append(out.Labels, s.Labels[i*k:(i+1)*k]...)
		}
		if s.Weights != nil {
			out.Weights = append(out.Weights, s.Weights[i])
		}
	}
	return out
}

// like returns a set of n examples with s's shape and classes, and no
// features, labels or weights yet.
func (s *Set) like(n int) *Set {
	return &Set{N: n, Features: s.Features, Classes: s.Classes, Outputs: s.Outputs, ClassNames: s.ClassNames}
}

// slice returns examples lo to hi-1 of s as a set that shares s's memory;
// appending to its slices does not reach past them.
func (s *Set) slice(lo, hi int) *Set {
	f, k := s.Features, s.labelWidth()
	out := s.like(hi - lo)
	if s.X != nil {
		out.X = s.X[lo*f : hi*f : hi*f]
	} else {
		out.Codes = &Codes{Bytes: s.Codes.Bytes[lo*f : hi*f : hi*f], Levels: s.Codes.Levels}
	}
	if s.Labels != nil {
		out.Labels = s.Labels[lo*k : hi*k : hi*k]
	}
	if s.Weights != nil {
		out.Weights = s.Weights[lo:hi:hi]
	}
	return out
}

// permute reorders s's examples in place so that example k is the one that
// was at order[k], order being a permutation of 0..N-1. It follows the
// permutation's cycles, moving each example once through a spare one.
func (s *Set) permute(order []int) {
	done := make([]bool, s.N)
	spare := s.Subset([]int{0}) // an example held as s holds its examples
	for start := range order {
		if done[start] || order[start] == start {
			continue
		}
		copyExample(spare, 0, s, start)
		k := start
		for {
			done[k] = true
			from := order[k]
			if from == start {
				break
			}
			copyExample(s, k, s, from)
			k = from
		}
		copyExample(s, k, spare, 0)
	}
}

// copyExample copies example i of src over example j of dst, which hold
// their features, labels and weights alike.
func copyExample(dst *Set, j int, src *Set, i int) {
	f, k := src.Features, src.labelWidth()
	if src.X != nil {
		copy(dst.X[j*f:(j+1)*f], src.X[i*f:(i+1)*f])
	} else {
		copy(dst.Codes.Bytes[j*f:(j+1)*f], src.Codes.Bytes[i*f:(i+1)*f])
	}
	if src.Labels != nil {
		copy(dst.Labels[j*k:(j+1)*k], src.Labels[i*k:(i+1)*k])
	}
	if src.Weights != nil {
		dst.Weights[j] = src.Weights[i]
	}
}

// Split shuffles the examples with seed and returns the first (1-testFrac)
// of them as train and the rest as test (the rows SplitRows gives).
// testFrac must lie in [0, 1); with no test examples, train is s itself, in
// its order.
//
// It shuffles s itself, in place, and train and test share its memory, so
// that the data is held once: s's examples are afterwards in the order
// train then test, and a change to the features of one is a change to the
// other. The split is that of a copy shuffled the same way.
func (s *Set) Split(testFrac float64, seed uint64) (train, test *Set, err error) {
	trainRows, testRows, err := SplitRows(s.N, testFrac, seed)
	if err != nil {
		return nil, nil, err
	}
	if len(testRows) == 0 {
		return s, s.Subset(nil), nil
	}
	s.permute(slices.Concat(trainRows, testRows))
	return s.slice(0, len(trainRows)), s.slice(len(trainRows), s.N), nil
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
