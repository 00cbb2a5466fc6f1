package engine

import (
	"fmt"
	"strconv"
	"strings"
)

// checkDropout reports a dropout probability outside [0, 1).
func checkDropout(p float64) error {
	if !(p >= 0 && p < 1) {
		return fmt.Errorf("dropout must be a probability in [0, 1), found %g (1 would drop every output)", p)
	}
	return nil
}

// parseDropout parses a layer's option "dropout=P".
func parseDropout(option string) (float64, error) {
	key, value, ok := strings.Cut(option, "=")
	if !ok || key != "dropout" {
		return 0, fmt.Errorf("unknown layer option %q: expected dropout=P, like 256:relu:dropout=0.2", option)
	}
	p, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return 0, fmt.Errorf("dropout %q: expected a probability in [0, 1), like 0.2", value)
	}
	return p, checkDropout(p)
}

// Dropouts reports whether any layer of s has dropout.
func (s Spec) Dropouts() bool {
	for _, l := range s.Layers {
		if l.Dropout > 0 {
			return true
		}
	}
	return false
}

// DropoutMask fills mask with one inverted-dropout factor per output, drawn
// from rng in order: 0 (dropped) with probability p, else 1/(1−p) (kept,
// where rng.Uniform(0, 1) ≥ p). Every backend draws a step's masks with it,
// layer by layer, for the batch's examples in order (all of the batch's, in
// a data-parallel fit too), so that a fit with dropout is reproducible from
// its seed and resumes exactly from the generator's state.
func DropoutMask[T Float](mask []T, p float64, rng RNG) {
	keep := T(1 / (1 - p))
	for i := range mask {
		if rng.Uniform(0, 1) >= p {
			mask[i] = keep
		} else {
			mask[i] = 0
		}
	}
}
