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
	f := s.Features
	lo, hi, sum := make([]float64, f), make([]float64, f), make([]float64, f)
	for j := range lo {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
	}
	buf := make([]float64, f)
	for i := 0; i < s.N; i++ {
		for j, v := range s.Row(i, buf) {
			lo[j], hi[j], sum[j] = min(lo[j], v), max(hi[j], v), sum[j]+v
		}
	}
	mean, ss := make([]float64, f), make([]float64, f)
	for j := range mean {
		mean[j] = sum[j] / float64(s.N)
	}
	if kind == Standardise {
		for i := 0; i < s.N; i++ {
			for j, v := range s.Row(i, buf) {
				d := v - mean[j]
				ss[j] += d * d
			}
		}
	}
	for j := range f {
		var spread float64
		switch kind {
		case MinMax:
			sc.Offset[j], spread = lo[j], hi[j]-lo[j]
		case Standardise:
			sc.Offset[j], spread = mean[j], math.Sqrt(ss[j]/float64(s.N))
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
