package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Set is a data set of N examples: Features values and one label each.
// Its features are held in one of two ways, X or Codes, exactly one of them
// not nil; Row, Rows and Values read either.
type Set struct {
	// X holds the features, N rows of Features values, row-major, where
	// they are held as float64 values; it is nil where Codes holds them.
	X []float64
	// Labels holds one label per example: a class index 0..Classes-1 for a
	// classification set, any number for a regression set.
	Labels   []float64
	N        int
	Features int
	// Classes is the number of classes when every label is an integer in
	// 0..Classes-1 (at most MaxClasses of them), and 0 for a regression set.
	Classes int
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

// Subset returns a copy of the examples at the given indices, in that
// order, held as s holds them.
func (s *Set) Subset(idx []int) *Set {
	out := &Set{Labels: make([]float64, len(idx)), N: len(idx), Features: s.Features, Classes: s.Classes}
	f := s.Features
	if s.X != nil {
		out.X = make([]float64, 0, len(idx)*f)
	} else {
		out.Codes = &Codes{Bytes: make([]byte, 0, len(idx)*f), Levels: s.Codes.Levels}
	}
	for k, i := range idx {
		if s.X != nil {
			out.X = append(out.X, s.X[i*f:(i+1)*f]...)
		} else {
			out.Codes.Bytes = append(out.Codes.Bytes, s.Codes.Bytes[i*f:(i+1)*f]...)
		}
		out.Labels[k] = s.Labels[i]
	}
	return out
}

// slice returns examples lo to hi-1 of s as a set that shares s's memory;
// appending to its slices does not reach past them.
func (s *Set) slice(lo, hi int) *Set {
	f := s.Features
	out := &Set{Labels: s.Labels[lo:hi:hi], N: hi - lo, Features: f, Classes: s.Classes}
	if s.X != nil {
		out.X = s.X[lo*f : hi*f : hi*f]
	} else {
		out.Codes = &Codes{Bytes: s.Codes.Bytes[lo*f : hi*f : hi*f], Levels: s.Codes.Levels}
	}
	return out
}

// permute reorders s's examples in place so that example k is the one that
// was at order[k], order being a permutation of 0..N-1. It follows the
// permutation's cycles, moving each row once through a buffer of one row.
func (s *Set) permute(order []int) {
	f := s.Features
	done := make([]bool, s.N)
	var rowX []float64
	var rowCodes []byte
	for start := range order {
		if done[start] || order[start] == start {
			continue
		}
		label := s.Labels[start]
		if s.X != nil {
			rowX = append(rowX[:0], s.X[start*f:(start+1)*f]...)
		} else {
			rowCodes = append(rowCodes[:0], s.Codes.Bytes[start*f:(start+1)*f]...)
		}
		k := start
		for {
			done[k] = true
			from := order[k]
			if from == start {
				break
			}
			s.moveRow(k, from)
			k = from
		}
		s.Labels[k] = label
		if s.X != nil {
			copy(s.X[k*f:(k+1)*f], rowX)
		} else {
			copy(s.Codes.Bytes[k*f:(k+1)*f], rowCodes)
		}
	}
}

// moveRow copies example from over example to.
func (s *Set) moveRow(to, from int) {
	f := s.Features
	s.Labels[to] = s.Labels[from]
	if s.X != nil {
		copy(s.X[to*f:(to+1)*f], s.X[from*f:(from+1)*f])
	} else {
		copy(s.Codes.Bytes[to*f:(to+1)*f], s.Codes.Bytes[from*f:(from+1)*f])
	}
}

// Split shuffles the examples with seed and returns the first (1-testFrac)
// of them as train and the rest as test. testFrac must lie in [0, 1); with
// no test examples, train is s itself, in its order.
//
// It shuffles s itself, in place, and train and test share its memory, so
// that the data is held once: s's examples are afterwards in the order
// train then test, and a change to the features of one is a change to the
// other. The split is that of a copy shuffled the same way.
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
	s.permute(rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d)).Perm(s.N))
	return s.slice(0, s.N-nTest), s.slice(s.N-nTest, s.N), nil
}
