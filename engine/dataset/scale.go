package dataset

import (
	"fmt"
	"math"
	"strings"
)

// Scaling is a per-feature transform x' = (x - Offset)·Scale.
type Scaling string

const (
	// NoScaling leaves the features as read.
	NoScaling Scaling = "none"
	// MinMax maps each feature's training range onto [0, 1].
	MinMax Scaling = "minmax"
	// Standardise gives each feature zero mean and unit variance on the training data.
	Standardise Scaling = "standard"
)

// ParseScaling parses "none", "minmax" or "standard".
func ParseScaling(s string) (Scaling, error) {
	return parseChoice(s, "scaling", NoScaling, MinMax, Standardise)
}

// parseChoice returns s as the choice of a kind named what that it spells,
// or an error listing the choices.
func parseChoice[T ~string](s, what string, choices ...T) (T, error) {
	names := make([]string, len(choices))
	for i, c := range choices {
		if string(c) == s {
			return c, nil
		}
		names[i] = string(c)
	}
	last := len(names) - 1
	return "", fmt.Errorf("unknown %s %q: expected %s or %s", what, s, strings.Join(names[:last], ", "), names[last])
}

// Scaler holds a fitted per-feature transform x' = (x - Offset[j])·Scale[j].
type Scaler struct {
	Kind   Scaling
	Offset []float64
	Scale  []float64
}

// FitScaler fits a scaler of the given kind on s. A constant feature gets
// scale 1, so it maps to 0 instead of dividing by zero.
func FitScaler(kind Scaling, s *Set) *Scaler {
	sc := &Scaler{Kind: kind, Offset: make([]float64, s.Features), Scale: make([]float64, s.Features)}
	for j := range sc.Scale {
		sc.Scale[j] = 1
	}
	if s.N == 0 || kind == NoScaling {
		return sc
	}
	for j := 0; j < s.Features; j++ {
		sc.Offset[j], sc.Scale[j] = fitSpread(kind, s.N, func(i int) float64 { return s.value(i, j) })
	}
	return sc
}

// fitSpread fits one feature of n values, value(i) for i in 0..n-1 (n > 0):
// its offset and scale under kind, scale 1 when the spread is 0.
func fitSpread(kind Scaling, n int, value func(i int) float64) (offset, scale float64) {
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for i := 0; i < n; i++ {
		v := value(i)
		lo, hi, sum = min(lo, v), max(hi, v), sum+v
	}
	var spread float64
	switch kind {
	case NoScaling:
		return 0, 1
	case MinMax:
		offset, spread = lo, hi-lo
	case Standardise:
		mean := sum / float64(n)
		var ss float64
		for i := 0; i < n; i++ {
			d := value(i) - mean
			ss += d * d
		}
		offset, spread = mean, math.Sqrt(ss/float64(n))
	}
	if spread > 0 {
		return offset, 1 / spread
	}
	return offset, 1
}

// Apply transforms rows of len(sc.Offset) features in place.
func (sc *Scaler) Apply(x []float64) {
	f := len(sc.Offset)
	for i := range x {
		j := i % f
		x[i] = (x[i] - sc.Offset[j]) * sc.Scale[j]
	}
}

// FitTargets fits the standardisation of a regression set's labels, one
// per output (Labels holds max(Outputs, 1) values a row): Offset the mean
// and Scale one over the standard deviation over s's examples, scale 1 for
// an output that is constant. Apply(s.Labels) standardises them. A network
// learns targets of mean 0 and variance 1 at the learning rates that suit
// its features: labels in the tens or thousands make its first steps as
// large, which kills ReLUs or overflows.
func FitTargets(s *Set) *Scaler {
	k := s.labelWidth()
	sc := &Scaler{Kind: Standardise, Offset: make([]float64, k), Scale: make([]float64, k)}
	for j := range sc.Scale {
		sc.Scale[j] = 1
		if s.N > 0 {
			sc.Offset[j], sc.Scale[j] = fitSpread(Standardise, s.N, func(i int) float64 { return s.Labels[i*k+j] })
		}
	}
	return sc
}
