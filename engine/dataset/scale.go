package dataset

import (
	"fmt"
	"math"
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
	switch Scaling(s) {
	case NoScaling, MinMax, Standardise:
		return Scaling(s), nil
	}
	return "", fmt.Errorf("unknown scaling %q: expected none, minmax or standard", s)
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
		lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
		for i := 0; i < s.N; i++ {
			v := s.X[i*s.Features+j]
			lo, hi, sum = min(lo, v), max(hi, v), sum+v
		}
		var spread float64
		switch kind {
		case MinMax:
			sc.Offset[j], spread = lo, hi-lo
		case Standardise:
			mean := sum / float64(s.N)
			var ss float64
			for i := 0; i < s.N; i++ {
				d := s.X[i*s.Features+j] - mean
				ss += d * d
			}
			sc.Offset[j], spread = mean, math.Sqrt(ss/float64(s.N))
		}
		if spread > 0 {
			sc.Scale[j] = 1 / spread
		}
	}
	return sc
}

// Apply transforms rows of len(sc.Offset) features in place.
func (sc *Scaler) Apply(x []float64) {
	f := len(sc.Offset)
	for i := range x {
		j := i % f
		x[i] = (x[i] - sc.Offset[j]) * sc.Scale[j]
	}
}
