package engine

import (
	"fmt"
	"math"
)

// Clipping bounds the gradients of every optimizer step before the
// optimizer sees them, as torch.nn.utils does between backward() and
// step(). The zero value clips nothing.
type Clipping struct {
	// Norm, if above 0, rescales the step's gradients, all parameters'
	// together, so that their global L2 norm is at most Norm: by
	// Norm/(norm+1e-6) where that is below 1, as clip_grad_norm_.
	Norm float64
	// Value, if above 0, clamps each gradient component to [−Value, Value],
	// as clip_grad_value_.
	Value float64
}

// clipEps is what clip_grad_norm_ adds to the norm before it divides.
const clipEps = 1e-6

// On reports whether c clips anything.
func (c Clipping) On() bool { return c.Norm > 0 || c.Value > 0 }

// Validate reports a bound that is negative or not finite, and both bounds
// at once (torch applies whichever the training loop calls; give one).
func (c Clipping) Validate() error {
	for _, b := range []struct {
		name string
		v    float64
	}{{"norm", c.Norm}, {"value", c.Value}} {
		if !(b.v >= 0) || math.IsInf(b.v, 0) {
			return fmt.Errorf("gradient clipping by %s must be a finite number above 0 (0: off), found %g", b.name, b.v)
		}
	}
	if c.Norm > 0 && c.Value > 0 {
		return fmt.Errorf("gradient clipping by norm (%g) and by value (%g) at once: give one of them", c.Norm, c.Value)
	}
	return nil
}

// Clip applies c to g, every gradient of one optimizer step (each layer's
// W and b, in any order), and returns the factor it scaled them by: 1 where
// the norm is within c.Norm or c clips by value. The squares are summed in
// float64 whatever T is, in four interleaved sums (element i into sum i mod
// 4), added as (s0+s1)+(s2+s3). It is the reference of every backend, and
// the CPU twin of the GPU's clip_value; its kernels by norm sum in an order
// of their own (their twins are in package gpu's tests), equal to rounding.
func Clip[T Float](c Clipping, g []T) float64 {
	if v := T(c.Value); v > 0 {
		for i, x := range g {
			if x > v {
				g[i] = v
			} else if x < -v {
				g[i] = -v
			}
		}
	}
	if c.Norm <= 0 {
		return 1
	}
	scale := c.Norm / (math.Sqrt(sumSquares(g)) + clipEps)
	if scale >= 1 { // a norm that is not finite makes NaN gradients, as in torch; the loss's check stops the fit
		return 1
	}
	s := T(scale)
	for i := range g {
		g[i] *= s
	}
	return scale
}

// sumSquares returns Σ g_i² in float64, in four sums that the CPU adds in
// parallel: a single sum waits on each add, and per-example SGD clips every
// step.
func sumSquares[T Float](g []T) float64 {
	var s [4]float64
	i := 0
	for ; i+4 <= len(g); i += 4 {
		a, b, c, d := float64(g[i]), float64(g[i+1]), float64(g[i+2]), float64(g[i+3])
		s[0] += a * a
		s[1] += b * b
		s[2] += c * c
		s[3] += d * d
	}
	for ; i < len(g); i++ {
		x := float64(g[i])
		s[i%4] += x * x
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}
